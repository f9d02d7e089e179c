"""Refuse to fetch private addresses, at fetch time, for every request and redirect hop.

This middleware gives the early, clear refusal: it checks the scheme, checks an IP-literal
host as it is, and resolves a host name itself, so a refused host is never even asked for
robots.txt. Its lookup is not the one the connection uses, though: Scrapy resolves the name
again to connect, and a DNS-rebinding name can answer differently the second time. What
closes that gap is `crawler.dns_guard.GuardedResolver`, which checks the addresses the
connection actually uses when they are resolved (enabled together with this middleware by
`crawler.scrapy_settings._address_guard`).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.address_policy import AddressRefused, IPNetwork, check_host, parse_networks

# The serve worker sets these for its `archive` child processes (crawler/serve/jobs.py).
ENV_BLOCK = "NEWSARCHIVE_BLOCK_PRIVATE_ADDRESSES"
ENV_ALLOWED = "NEWSARCHIVE_ALLOWED_NETWORKS"


def settings_from_env() -> dict[str, Any]:
    """Scrapy settings enabling the guard when the environment asks for it, else none."""
    if os.environ.get(ENV_BLOCK, "").lower() not in ("1", "true", "yes"):
        return {}
    allowed = [n for n in os.environ.get(ENV_ALLOWED, "").split(",") if n.strip()]
    return {"NEWSARCHIVE_BLOCK_PRIVATE_ADDRESSES": True, "NEWSARCHIVE_ALLOWED_NETWORKS": allowed}


class AddressGuardMiddleware:
    """Raises IgnoreRequest("refused: <host> resolves to a private address") for a request
    whose host resolves to a loopback, private, link-local, multicast or reserved address.

    A redirect is a new request that passes through the downloader middlewares again, so
    each hop is checked, robots.txt requests too. Name resolution runs in a thread, off
    the reactor. Settings: `NEWSARCHIVE_BLOCK_PRIVATE_ADDRESSES` (off: NotConfigured),
    `NEWSARCHIVE_ALLOWED_NETWORKS` (CIDRs exempted, from `[serve] allowed_networks`).

    Not sufficient on its own against DNS rebinding (see the module docstring): the
    connect-time check is crawler.dns_guard.GuardedResolver.
    """

    def __init__(self, allowed: tuple[IPNetwork, ...]) -> None:
        self.allowed = allowed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        if not crawler.settings.getbool("NEWSARCHIVE_BLOCK_PRIVATE_ADDRESSES"):
            raise NotConfigured
        return cls(parse_networks(crawler.settings.getlist("NEWSARCHIVE_ALLOWED_NETWORKS")))

    async def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            raise IgnoreRequest(f"refused: {parts.scheme}: URLs are not fetched")
        host = parts.hostname or ""
        try:
            await maybe_deferred_to_future(deferToThread(check_host, host, allowed=self.allowed))
        except AddressRefused as exc:
            raise IgnoreRequest(str(exc)) from None
