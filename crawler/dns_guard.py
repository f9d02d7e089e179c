"""Check the addresses the crawler actually connects to, when their names are resolved.

`crawler/middlewares/address_guard.py` resolves a request's host itself and refuses a
private address early and clearly (before robots.txt is even asked for). That lookup is not
the one the connection uses: Scrapy's downloader resolves the name again to connect, and a
DNS-rebinding name can answer a public address to the first lookup and 127.0.0.1 or
169.254.169.254 to the second. The middleware alone cannot stop that; this module does.

`GuardedResolver` is installed as the reactor's name resolver (Scrapy's
`TWISTED_DNS_RESOLVER`, set by `crawler.scrapy_settings._address_guard` for every crawl).
It wraps Scrapy's own resolver (`NEWSARCHIVE_DNS_UPSTREAM`, default
`scrapy.resolver.CachingThreadedResolver`, so `DNS_TIMEOUT` and `DNSCACHE_*` keep working)
and checks every answer against the crawl's address policy (`NEWSARCHIVE_ADDRESS_POLICY`,
`crawler.address_policy.AddressPolicy`) before handing it on. The check sits *after* Scrapy's DNS cache: an answer served from the cache
is checked on every use, exactly like a fresh one. A name with any disallowed address yields
no address at all, so the connection is never attempted; IP-literal hosts go through the
same check (the middleware also refuses them before any request).

Twisted's resolution interface has no error channel, so the endpoint reports a refused name
as a plain DNS failure. The resolver remembers why it refused a host, and
`ResolverRefusalMiddleware` (placed between the downloader and RetryMiddleware, so a refusal
is not retried) turns that DNS failure into `AddressRefusedError`, an
`IgnoreRequest("refused: …")` that `classify_failure` records as `address-refused`.

Only Scrapy's HTTP/1.1 download handler (the default for http and https) connects through
the reactor's resolver: the middleware refuses to run with another one, and refuses every
request if the resolver is not installed, rather than fetch unchecked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet._idna import _idnaBytes
from twisted.internet._resolver import SimpleResolverComplexifier
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
    IResolverSimple,
)
from zope.interface import implementer

from crawler.address_policy import AddressPolicy, AddressRefused, IPNetwork

logger = logging.getLogger(__name__)

# mypy (without a zope.interface plugin) reads an interface's methods as functions without
# `self` and does not see @implementer: the calls through Twisted's resolver interfaces below
# carry narrow ignores marked "zope".

RESOLVER = "crawler.dns_guard.GuardedResolver"
MIDDLEWARE = "crawler.dns_guard.ResolverRefusalMiddleware"
# Between RetryMiddleware (550) and the downloader: its process_exception runs before the
# retry middleware's, so a refused name is not looked up again RETRY_TIMES times.
MIDDLEWARE_PRIORITY = 555
UPSTREAM_SETTING = "NEWSARCHIVE_DNS_UPSTREAM"
DEFAULT_UPSTREAM = "scrapy.resolver.CachingThreadedResolver"

# Why each host was last refused, for ResolverRefusalMiddleware. A host's entry is dropped
# when it next resolves to allowed addresses or fails to resolve for another reason.
_refusals: LocalCache[str, str] = LocalCache(10_000)


class AddressRefusedError(IgnoreRequest):
    """The name resolved, at connection time, to an address the guard does not allow."""


def host_key(host: str) -> str:
    """One spelling of a host name: lower case, ASCII (IDNA), no brackets or final dot."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return host.encode("ascii").decode("ascii")
    except UnicodeEncodeError:
        try:
            return _idnaBytes(host).decode("ascii").lower()
        except (UnicodeError, ValueError):
            return host


def refusal_for(host: str) -> str | None:
    """The message of the resolver's latest refusal of `host`, if its latest lookup was one."""
    return _refusals.get(host_key(host))


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - never called by Twisted's endpoints
        raise NotImplementedError


@implementer(IResolutionReceiver)
class _CheckingReceiver:
    """Holds the upstream's addresses back until all of them have passed the check."""

    def __init__(self, guard: GuardedResolver, receiver: IResolutionReceiver, host: str) -> None:
        self.guard, self.receiver, self.host = guard, receiver, host
        self.addresses: list[IAddress] = []
        self.began = False

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.began = True
        self.receiver.resolutionBegan(resolution)  # type: ignore[call-arg,misc]  # zope

    def addressResolved(self, address: IAddress) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        if not self.began:
            self.resolutionBegan(_Resolution(self.host))  # type: ignore[arg-type]  # zope
        try:
            allowed = self.guard.check(self.host, self.addresses)
        except Exception:  # fail closed: an unexpected error must not let an address through
            logger.exception("refusing %s: checking its addresses failed", self.host)
            allowed = []
        for address in allowed:
            self.receiver.addressResolved(address)  # type: ignore[call-arg,misc]  # zope
        self.receiver.resolutionComplete()  # type: ignore[misc]  # zope


@implementer(IHostnameResolver)
class GuardedResolver:
    """A name resolver that only ever hands out addresses the address policy allows.

    Settings: `NEWSARCHIVE_ADDRESS_POLICY` (what may be connected to), `NEWSARCHIVE_DNS_UPSTREAM`
    (the resolver whose answers are checked: an `IResolverSimple` such as Scrapy's default
    `CachingThreadedResolver`, or an `IHostnameResolver` such as `CachingHostnameResolver`).
    """

    def __init__(self, reactor: Any, upstream: Any, allowed: Sequence[IPNetwork] = (),
                 policy: AddressPolicy | None = None) -> None:  # fmt: skip
        self.reactor = reactor
        if IHostnameResolver.providedBy(upstream):
            self.upstream: IHostnameResolver = upstream
        elif IResolverSimple.providedBy(upstream):
            self.upstream = SimpleResolverComplexifier(upstream)  # type: ignore[assignment]  # zope
        else:
            raise TypeError(f"not a name resolver: {upstream!r}")
        self.policy = policy or AddressPolicy(False, tuple(allowed))

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        # `crawler` is the CrawlerProcess here (see Scrapy's _setup_reactor): settings only.
        upstream_cls = load_object(crawler.settings.get(UPSTREAM_SETTING) or DEFAULT_UPSTREAM)
        if isinstance(upstream_cls, type) and issubclass(upstream_cls, GuardedResolver):
            raise ValueError(
                f"{UPSTREAM_SETTING} must be the resolver to guard, not the guard itself"
            )
        upstream = build_from_crawler(upstream_cls, crawler, reactor=reactor)
        from crawler.middlewares.address_guard import crawl_policy

        return cls(reactor, upstream, policy=crawl_policy(crawler.settings))

    def install_on_reactor(self) -> None:
        # Also makes reactor.resolver (used by connectTCP with a host name) go through us.
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        receiver = _CheckingReceiver(self, resolutionReceiver, hostName)
        return self.upstream.resolveHostName(  # type: ignore[call-arg,misc]  # zope
            receiver,  # type: ignore[arg-type]  # zope
            hostName,  # type: ignore[arg-type]  # zope
            portNumber,  # type: ignore[arg-type]  # zope
            addressTypes,  # type: ignore[arg-type]  # zope
            transportSemantics,
        )

    def check(self, host: str, addresses: Sequence[IAddress]) -> list[IAddress]:
        """`addresses` if every one may be connected to; otherwise none, and the refusal is
        remembered for ResolverRefusalMiddleware. Nothing resolved: a DNS failure, passed on."""
        key = host_key(host)
        if not addresses:
            _refusals.pop(key, None)
            return []
        try:
            ips = [str(address.host) for address in addresses]  # type: ignore[attr-defined]
            self.policy.check_addresses(host, ips)
        except (AddressRefused, AttributeError) as exc:
            message = (
                str(exc)
                if isinstance(exc, AddressRefused)
                else f"refused: {host} resolves to a non-IP address"
            )
            message += " when connecting"
            _refusals[key] = message
            logger.info("%s", message)
            return []
        _refusals.pop(key, None)
        return list(addresses)


def _check_download_handlers(crawler: Crawler) -> None:
    from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

    handlers = crawler.settings.getwithbase("DOWNLOAD_HANDLERS")
    for scheme in ("http", "https"):
        path = handlers.get(scheme)
        handler = load_object(path) if isinstance(path, str) else path
        if not (isinstance(handler, type) and issubclass(handler, HTTP11DownloadHandler)):
            raise ValueError(f"the private-address guard needs Scrapy's HTTP/1.1 download handler for "
                             f"{scheme}: URLs, which connects through the checked resolver; got {path!r}")  # fmt: skip


class ResolverRefusalMiddleware:
    """Downloader middleware: reports a name GuardedResolver refused as AddressRefusedError
    ("refused: <host> resolves to a private address (…) when connecting"), not as a DNS
    failure to retry; and refuses every request when GuardedResolver is not the reactor's
    resolver (the connect-time check would be missing). On in every crawl, like
    AddressGuardMiddleware.
    """

    def __init__(self) -> None:
        self._resolver_checked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResolverRefusalMiddleware:
        from crawler.middlewares.address_guard import crawl_policy

        if crawl_policy(crawler.settings).allow_private:
            raise NotConfigured  # every address may be connected to: nothing to enforce
        _check_download_handlers(crawler)
        return cls()

    def process_request(self, request: Request) -> None:
        if self._resolver_checked:
            return
        from twisted.internet import reactor

        if not isinstance(getattr(reactor, "nameResolver", None), GuardedResolver):
            raise AddressRefusedError(f"refused: the connection-time address check is not installed "
                                      f"(TWISTED_DNS_RESOLVER must be {RESOLVER})")  # fmt: skip
        self._resolver_checked = True

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if not isinstance(exception, (CannotResolveHostError, DNSLookupError)):
            return
        hosts = [urlsplit(request.url).hostname or ""]
        proxy = str(request.meta.get("proxy") or "")
        if proxy:  # the name resolved was the proxy's
            hosts.append(urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname or "")
        for host in hosts:
            message = refusal_for(host) if host else None
            if message:
                raise AddressRefusedError(message) from None
