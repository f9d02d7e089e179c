"""Lets the `warcio` command of newsarchive's environment read br and zstd records.

warcio 1.8 registers a br decoder written for the old brotlipy API; with Google's `brotli`
(which Scrapy requires) creating it raises `AttributeError`, so `warcio check` and
`warcio extract` crash on any `Content-Encoding: br` response (warcio issue #73). newsarchive's
own processes register working decoders (`archive.content_coding.register_with_warcio`);
for the `warcio` command itself, scripts/bootstrap.sh calls `write_pth()`, which writes
`newsarchive-warcio.pth` into the environment's site-packages. Python
runs that line at start-up: it adds an import hook that registers the decoders right after
warcio loads `warcio.bufferedreaders`, and does nothing in a process that never imports warcio.

Kept tiny and free of imports beyond the standard library: it runs in every process of the
environment.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing`'s: importing typing costs ~20 ms at every start-up
if TYPE_CHECKING:  # start-up cost: nothing else is imported when the hook is installed
    from importlib.machinery import ModuleSpec
    from pathlib import Path
    from types import ModuleType
    from typing import Any

TARGET = "warcio.bufferedreaders"
PTH_NAME = "newsarchive-warcio.pth"
# A line of a .pth file that starts with `import` is executed at start-up; it must not fail
# where newsarchive is not importable.
PTH_LINE = ('import importlib.util as _na_u; _na_u.find_spec("archive") and '
            '_na_u.find_spec("archive.warcio_hook") and '
            '__import__("archive.warcio_hook").warcio_hook.install()\n')  # fmt: skip


def _register(module: ModuleType) -> None:
    try:
        from archive.content_coding import register_with_warcio

        register_with_warcio()
    except Exception:  # noqa: BLE001 - never break warcio itself; it keeps its own decoders
        pass


class _Loader:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        _register(module)


class _Finder:
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if fullname != TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                # _Loader has the Loader protocol (create_module, exec_module) without
                # subclassing importlib.abc.Loader, whose import costs start-up time.
                spec.loader = _Loader(spec.loader)  # type: ignore[assignment]
                return spec
            if spec is not None:
                return spec
        return None


def install() -> None:
    """Register the decoders now if warcio is loaded, else when it is."""
    if TARGET in sys.modules:
        _register(sys.modules[TARGET])
    elif not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def write_pth(site_packages: Path | None = None) -> Path:
    """Write the start-up line into site-packages (idempotent); returns its path."""
    import sysconfig
    from pathlib import Path

    target = Path(site_packages or sysconfig.get_paths()["purelib"]) / PTH_NAME
    if not target.exists() or target.read_text() != PTH_LINE:
        target.write_text(PTH_LINE)
    return target
