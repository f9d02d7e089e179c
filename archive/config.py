"""The TOML configuration file: every setting has a working default; the file only overrides.

The names here are part of the public interface (DESIGN.md, README "Configuration").
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_USER_AGENT = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive)"


class ConfigError(ValueError):
    """The configuration file cannot be used; the message names the file and the key."""


@dataclass
class CrawlConfig:
    """`[crawl]`: politeness defaults are for real sites; a local mirror overrides them."""

    user_agent: str = DEFAULT_USER_AGENT
    obey_robots: bool = True
    download_delay: float = 1.0
    autothrottle: bool = True
    concurrent_requests: int = 16
    concurrent_requests_per_domain: int = 2
    max_page_bytes: int = 5_000_000
    download_timeout: float = 30.0
    retry_times: int = 2
    max_redirects: int = 10
    # The address policy of every fetch of every command (docs/security.md): public
    # addresses only, unless `allow_private_addresses`; `allowed_networks` (CIDRs) are
    # the private networks a local mirror or intranet site may be fetched from.
    allow_private_addresses: bool = False
    allowed_networks: list[str] = field(default_factory=list)


@dataclass
class WarcConfig:
    """`[warc]`: file naming and rotation."""

    prefix: str = "newsarchive"
    max_file_bytes: int = 1_000_000_000
    operator: str = ""


@dataclass
class ExtractConfig:
    """`[extract]`: the extraction worker pool (0 workers = one per core, at most 4)."""

    workers: int = 0
    timeout_seconds: float = 30.0
    max_pages_per_worker: int = 500
    in_process_max_bytes: int = 1_000_000  # while the pool starts, profile pages up to this size are extracted in the crawl process


@dataclass
class Config:
    """The whole configuration, with the data directory it applies to."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    catalog_url: str | None = None
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    warc: WarcConfig = field(default_factory=WarcConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    s3: dict[str, Any] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)
    recheck: dict[str, Any] = field(default_factory=dict)
    serve: dict[str, Any] = field(default_factory=dict)
    distributed: dict[str, Any] = field(default_factory=dict)
    # `[notify]`: webhooks and notification channels, validated by newsarchive/notify/config.py
    notify: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None

    @property
    def resolved_catalog_url(self) -> str:
        if self.catalog_url:
            return self.catalog_url
        return f"sqlite:///{(self.data_dir / 'catalog.sqlite').resolve()}"


_SECTIONS: dict[str, type] = {"crawl": CrawlConfig, "warc": WarcConfig, "extract": ExtractConfig}
_FREE_SECTIONS = ("sites", "s3", "schedule", "recheck", "serve", "distributed", "notify")


def _section(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(known)})")
        default = getattr(cls(), key)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}.{key}: expected true or false, got {value!r}")
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{where}.{key}: expected a number, got {value!r}")
            value = type(default)(value)
        elif isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"{where}.{key}: expected a string, got {value!r}")
        elif isinstance(default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}.{key}: expected a list of strings, got {value!r}")
            value = list(value)
        values[key] = value
    section = cls(**values)
    for network in getattr(section, "allowed_networks", []):
        try:
            ipaddress.ip_network(network.strip(), strict=False)
        except ValueError:
            raise ConfigError(
                f"{where}.allowed_networks: not an IP address or network (CIDR): {network!r}"
            ) from None
    return section


def parse_config(raw: dict[str, Any], *, data_dir: Path, source: Path | None = None) -> Config:
    """Build a `Config` from an already-parsed TOML document."""
    where = str(source) if source else "config"
    config = Config(data_dir=data_dir, source=source)
    for key, value in raw.items():
        if key == "catalog_url":
            if not isinstance(value, str):
                raise ConfigError(f"{where}: catalog_url must be a string")
            config.catalog_url = value
        elif key in _SECTIONS:
            setattr(config, key, _section(_SECTIONS[key], value, f"{where} [{key}]"))
        elif key in _FREE_SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [{key}] must be a table")
            setattr(config, key, value)
        else:
            raise ConfigError(f"{where}: unknown top-level setting {key!r}")
    return config


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
