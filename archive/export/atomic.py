"""Write a file whole or not at all: a temporary name beside it, renamed when complete."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


class OutputError(ValueError):
    """The output path cannot be written (a missing folder, a directory in the way)."""


def check_output(path: Path) -> None:
    """Fail before any work when `path` cannot become a file."""
    if path.is_dir():
        raise OutputError(f"{path} is a directory: give a file name for --out")
    if not path.parent.is_dir():
        raise OutputError(f"output folder {path.parent} does not exist")


def temporary_name(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is fsynced and renamed to `path`,
    on any error it is removed, so a failed export never leaves a half file."""
    check_output(path)
    tmp = temporary_name(path)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
