"""`[serve]` in the config file: the HTTP service's settings, checked like the rest."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from archive.config import ConfigError
from crawler.address_policy import IPNetwork, parse_networks

TOKEN_ENV = "NEWSARCHIVE_API_TOKEN"


@dataclass
class ServeSettings:
    """`[serve]`: every key has a working default.

    - `allow_private_addresses`: fetch loopback/private/link-local addresses too (a local
      mirror, an intranet); off by default, because a request from the network must not
      make the archive fetch the machine it runs on.
    - `allowed_networks`: CIDRs exempted from that rule while it is on (one intranet host).
    - `workers`: archive jobs run at once, each in its own process; 0 queues without running.
    - `job_timeout_seconds`: a job's process is killed after this long (the job fails).
    - `max_body_bytes`, `max_urls_per_request`: limits on one POST /api/archive.
    - `rate_limit_per_minute`: archive requests per token per minute (a burst of that many).
    - `page_size`: default and maximum page of GET /api/articles is page_size and 4×.
    """

    allow_private_addresses: bool = False
    allowed_networks: list[str] = field(default_factory=list)
    workers: int = 2
    job_timeout_seconds: float = 600.0
    max_body_bytes: int = 64 * 1024
    max_urls_per_request: int = 50
    rate_limit_per_minute: int = 30
    page_size: int = 50

    @property
    def networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.allowed_networks)

    @classmethod
    def from_config(cls, raw: dict[str, Any], where: str = "config") -> ServeSettings:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                raise ConfigError(f"{where} [serve]: unknown setting {key!r} (known: {', '.join(sorted(known))})")
            default = getattr(cls(), key)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"{where} [serve].{key}: expected true or false, got {value!r}")
            elif isinstance(default, list):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{where} [serve].{key}: expected a list of strings, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"{where} [serve].{key}: expected a number ≥ 0, got {value!r}")
            else:
                value = type(default)(value)
            values[key] = value
        settings = cls(**values)
        try:
            settings.networks  # noqa: B018 - validate now, not on the first request
        except ValueError as exc:
            raise ConfigError(f"{where} [serve].allowed_networks: {exc}") from None
        for key in ("max_body_bytes", "max_urls_per_request", "rate_limit_per_minute", "page_size"):
            if getattr(settings, key) < 1:
                raise ConfigError(f"{where} [serve].{key}: must be at least 1")
        return settings
