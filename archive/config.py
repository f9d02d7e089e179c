"""The TOML configuration file: every setting has a working default; the file only overrides.

The whole file is validated when it loads (archive/config_tables.py: one pydantic model per
table, unknown keys and tables refused), so a typo in any table fails every command with one
line naming the file, the table and the key. The names here are part of the public
interface (docs/reference.md, "Configuration").
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from archive.config_tables import (
    DEFAULT_USER_AGENT,
    ConfigFile,
    CrawlTable,
    ExtractTable,
    WarcTable,
    first_problem,
)

__all__ = ["DEFAULT_USER_AGENT", "Config", "ConfigError", "CrawlConfig", "ExtractConfig",
           "WarcConfig", "load_config", "parse_config", "parse_table"]  # fmt: skip

# The tables' historical names.
CrawlConfig = CrawlTable
WarcConfig = WarcTable
ExtractConfig = ExtractTable


class ConfigError(ValueError):
    """The configuration file cannot be used; the message names the file and the key."""


class Config(ConfigFile):
    """The whole configuration (every table, typed), with the data directory it applies to
    and the file it came from."""

    data_dir: Path = Field(default_factory=lambda: Path("data"))
    source: Path | None = None

    @property
    def resolved_catalog_url(self) -> str:
        if self.catalog_url:
            return self.catalog_url
        return f"sqlite:///{(self.data_dir / 'catalog.sqlite').resolve()}"


def parse_config(raw: dict[str, Any], *, data_dir: Path, source: Path | None = None) -> Config:
    """Build a `Config` from an already-parsed TOML document; `ConfigError` (one line: file,
    table, key) on the first problem."""
    try:
        tables = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(first_problem(exc, str(source) if source else "config")) from None
    return Config(data_dir=data_dir, source=source, **dict(tables))


def parse_table(table: str, raw: Any, source: str = "config") -> Any:
    """One table validated alone (`parse_table("s3", {...})`), errors as in a file."""
    try:
        return getattr(ConfigFile.model_validate({table: raw}), table)
    except ValidationError as exc:
        raise ConfigError(first_problem(exc, source)) from None


def load_config(path: Path | str | None = None, data_dir: Path | str | None = None) -> Config:
    """Read the config file (`--config`, else env `NEWSARCHIVE_CONFIG`, else none).

    The data directory comes from the argument, else env `NEWSARCHIVE_DATA_DIR`, else `./data`.
    """
    if path is None:
        path = os.environ.get("NEWSARCHIVE_CONFIG") or None
    if data_dir is None:
        data_dir = os.environ.get("NEWSARCHIVE_DATA_DIR") or "data"
    data_path = Path(data_dir).expanduser()
    if path is None:
        return Config(data_dir=data_path)
    source = Path(path).expanduser()
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {source}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    return parse_config(raw, data_dir=data_path, source=source)
