"""`[serve]` in the config file: the HTTP service's settings, checked like the rest."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from archive.config import ConfigError

TOKEN_ENV = "NEWSARCHIVE_API_TOKEN"
# The address policy is the crawl's, for every command (docs/security.md).
_MOVED = {"allow_private_addresses": "[crawl] allow_private_addresses",
          "allowed_networks": "[crawl] allowed_networks"}  # fmt: skip


@dataclass
class ServeSettings:
    """`[serve]`: every key has a working default.

    Which addresses a job may fetch is not set here: every fetch of every command follows
    `[crawl] allow_private_addresses` / `allowed_networks` (docs/security.md).

    - `workers`: archive jobs run at once, each in its own process; 0 queues without running.
    - `job_timeout_seconds`: a job's process is killed after this long (the job fails).
    - `max_body_bytes`, `max_urls_per_request`: limits on one POST /api/archive.
    - `rate_limit_per_minute`: archive requests per token per minute (a burst of that many).
    - `max_queued_urls`: URLs waiting or being archived, all jobs together; past it a POST
      gets 503 with Retry-After.
    - `failed_logins_per_minute`: wrong or missing tokens per client address per minute;
      past it every write from that address gets 429 until the bucket refills.
    - `search_rate_limit_per_minute`: `GET /api/articles?q=…` (a scan of every version's
      text) per client address per minute.
    - `page_size`: default and maximum page of GET /api/articles is page_size and 4×.
    - `feed_page_size`: entries per archive page of the change feeds (docs/feeds.md); a
      change of it renumbers every archive page, so pick it once.
    - `feed_settle_seconds`: a feed shows a version this long after its capture (a version
      is committed a little after its page was fetched: pages never change once full).
    - `public_url`: the service's address as readers reach it (behind a proxy, say), for
      the absolute links of the feeds; empty: the address of each request.
    """

    workers: int = 2
    job_timeout_seconds: float = 600.0
    max_body_bytes: int = 64 * 1024
    max_urls_per_request: int = 50
    rate_limit_per_minute: int = 30
    max_queued_urls: int = 10_000
    failed_logins_per_minute: int = 10
    search_rate_limit_per_minute: int = 30
    page_size: int = 50
    feed_page_size: int = 50
    feed_settle_seconds: float = 120.0
    public_url: str = ""

    @classmethod
    def from_config(cls, raw: dict[str, Any], where: str = "config") -> ServeSettings:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key in _MOVED:
                raise ConfigError(f"{where} [serve].{key}: the address policy is set once for every command: "
                                  f"use {_MOVED[key]} (see docs/security.md)")  # fmt: skip
            if key not in known:
                raise ConfigError(
                    f"{where} [serve]: unknown setting {key!r} (known: {', '.join(sorted(known))})"
                )
            default = getattr(cls(), key)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError(
                        f"{where} [serve].{key}: expected true or false, got {value!r}"
                    )
            elif isinstance(default, str):
                if not isinstance(value, str) or (
                    value and not value.startswith(("http://", "https://"))
                ):
                    raise ConfigError(
                        f"{where} [serve].{key}: expected an http(s) URL, got {value!r}"
                    )
                value = value.rstrip("/")
            elif isinstance(default, list):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(
                        f"{where} [serve].{key}: expected a list of strings, got {value!r}"
                    )
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"{where} [serve].{key}: expected a number ≥ 0, got {value!r}")
            else:
                value = type(default)(value)
            values[key] = value
        settings = cls(**values)
        for key in ("max_body_bytes", "max_urls_per_request", "rate_limit_per_minute", "page_size", "feed_page_size", "max_queued_urls",
                    "failed_logins_per_minute", "search_rate_limit_per_minute"):  # fmt: skip
            if getattr(settings, key) < 1:
                raise ConfigError(f"{where} [serve].{key}: must be at least 1")
        return settings
