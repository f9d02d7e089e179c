"""Refuse to fetch what the address policy forbids, at fetch time, for every request and hop.

On in every crawl of every command (crawler/scrapy_settings.py): index pages, feeds,
sitemaps and their entries, articles, rechecks, robots.txt and every redirect hop pass
through it. It gives the early, clear refusal: it checks the scheme, checks an IP-literal
host as it is, and resolves a host name itself, so a refused host is never even asked for
robots.txt. Its lookup is not the one the connection uses, though: Scrapy resolves the name
again to connect, and a DNS-rebinding name can answer differently the second time. What
closes that gap is `crawler.dns_guard.GuardedResolver`, which checks the addresses the
connection actually uses when they are resolved.

A request may carry a narrower policy than the crawl's (`META_POLICY`, an
`AddressPolicy.spec`): a recheck fetches an article under the policy it was first
archived with. Redirects copy a request's meta, so its hops are held to the same policy.
"""

from __future__ import annotations

import ipaddress
import math
import time
from functools import lru_cache
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.address_policy import (
    AddressPolicy,
    AddressRefused,
    CannotResolve,
    Resolver,
    resolve_host,
)

POLICY_SETTING = "NEWSARCHIVE_ADDRESS_POLICY"  # AddressPolicy.spec of the crawl
META_POLICY = "newsarchive_address_policy"  # AddressPolicy.spec of one request (and its hops)


def crawl_policy(settings: object) -> AddressPolicy:
    """The crawl's policy from Scrapy settings; strict (public only) when unset."""
    spec = settings.get(POLICY_SETTING) if hasattr(settings, "get") else None  # type: ignore[union-attr]
    return AddressPolicy.parse(spec) or AddressPolicy()


@lru_cache(maxsize=64)
def _effective(crawl_spec: str, request_spec: str | None) -> AddressPolicy:
    crawl = AddressPolicy.parse(crawl_spec) or AddressPolicy()
    try:
        narrower = AddressPolicy.parse(request_spec)
    except ValueError:
        narrower = AddressPolicy()  # unreadable: the strictest
    return crawl.narrowed(narrower)


def request_policy_spec(settings: object, request: Request) -> str:
    """`request_policy(crawl_policy(settings), request).spec`, from the parsed-policy cache
    (asked once per article page: parsing the crawl's policy each time cost ~20 µs)."""
    crawl_spec = settings.get(POLICY_SETTING) if hasattr(settings, "get") else None  # type: ignore[union-attr]
    spec = request.meta.get(META_POLICY)
    return _effective(str(crawl_spec or ""), str(spec) if spec else None).spec


def request_policy(crawl: AddressPolicy, request: Request) -> AddressPolicy:
    """The policy a request is fetched under: the crawl's, narrowed by the request's own."""
    spec = request.meta.get(META_POLICY)
    return _effective(crawl.spec, str(spec) if spec else None)


class AddressGuardMiddleware:
    """Raises IgnoreRequest("refused: <host> resolves to a private address (…)") for a
    request whose host resolves to an address its policy does not allow: loopback,
    private, link-local, multicast, reserved, … unless allowed by `[crawl]
    allowed_networks` / `allow_private_addresses`.

    A redirect is a new request that passes through the downloader middlewares again, so
    each hop is checked, robots.txt requests too. Name resolution runs in a thread, off
    the reactor, and its verdict is remembered for a minute per host and policy (an IP
    literal's for the whole crawl: it has nothing to resolve; this early
    check is not what stops DNS rebinding: the connect-time resolver check is). A name that
    does not resolve is let through: the connection then fails as a DNS error (`dns-error`).
    Setting: `NEWSARCHIVE_ADDRESS_POLICY` (the crawl's `AddressPolicy.spec`).
    """

    REMEMBER_SECONDS = 60.0

    def __init__(self, policy: AddressPolicy, resolve: Resolver = resolve_host) -> None:
        self.policy = policy
        self.resolve = resolve
        self._verdicts: LocalCache[tuple[str, str], tuple[float, str | None]] = LocalCache(10_000)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawl_policy(crawler.settings))

    def refusal(self, policy: AddressPolicy, host: str) -> str | None:
        """Why `host` may not be fetched under `policy`, or None (allowed, or no address)."""
        try:
            policy.check_host(host, resolve=self.resolve)
        except CannotResolve:
            return None
        except AddressRefused as exc:
            return str(exc)
        return None

    async def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            raise IgnoreRequest(f"refused: {parts.scheme}: URLs are not fetched")
        policy = request_policy(self.policy, request)
        if policy.allow_private:
            return
        host = parts.hostname or ""
        key, now = (policy.spec, host), time.monotonic()
        remembered = self._verdicts.get(key)
        if remembered is not None and remembered[0] > now:
            message = remembered[1]
        elif _is_ip_literal(host):
            # Nothing to resolve: checked here, without a thread; the verdict on an address
            # never changes under one policy, so it is kept for the whole crawl.
            message = self.refusal(policy, host)
            self._verdicts[key] = (math.inf, message)
        else:
            message = await maybe_deferred_to_future(deferToThread(self.refusal, policy, host))
            self._verdicts[key] = (now + self.REMEMBER_SECONDS, message)
        if message:
            raise IgnoreRequest(message)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
