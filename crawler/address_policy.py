"""Which addresses the archive may fetch: one policy for every fetch of every command.

Neither a request from the network (the HTTP service), nor a site (a redirect, a feed item,
a sitemap entry, a link), may make the archive fetch the machine it runs on or its
neighbours (SSRF): the cloud metadata service at 169.254.169.254, an admin page on
127.0.0.1, a router on 192.168.x. `AddressPolicy` says which addresses may be fetched:
public ones, plus the private networks the config names (`[crawl] allowed_networks`: a
local mirror), or everything (`[crawl] allow_private_addresses = true`). It is built from
the config once (`AddressPolicy.from_config`) and applied to every request and redirect
hop (crawler/middlewares/address_guard.py) and again to the addresses the crawler connects
to, at resolution time (crawler/dns_guard.py), which is what stops DNS rebinding.

An article keeps the policy under which it was first archived (`articles.address_policy`,
as `AddressPolicy.spec`): rechecks fetch it under that policy narrowed by the current one
(`narrowed`), never a wider one. Pure functions: resolving a name never opens a connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], list[str]]

ALLOWED_SCHEMES = ("http", "https")

# Not covered by the `ipaddress` flags on every Python version, or covered inconsistently.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "64:ff9b::/96",  # NAT64: the embedded IPv4 address decides (checked below)
        "64:ff9b:1::/48",  # local-use NAT64
        "2002::/16",  # 6to4: embeds an IPv4 address (checked below)
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
    )
)


class AddressRefused(ValueError):
    """The URL may not be fetched; the message says why in words a user can act on."""


class CannotResolve(AddressRefused):
    """The host name does not resolve (a DNS failure, not an address the policy refuses)."""


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings (`10.1.2.0/24`, `127.0.0.2`) as networks; ValueError names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {value!r}") from None
    return tuple(networks)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # IPv4-compatible (::a.b.c.d, deprecated) addresses still route to IPv4 on some stacks.
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip))
    return None


def is_public_address(address: str | IPAddress) -> bool:
    """True when the address is globally routable: not loopback, private, link-local,
    multicast, reserved, unspecified, CGNAT, or an IPv6 form of any of these."""
    ip = (
        ipaddress.ip_address(str(address).split("%", 1)[0]) if isinstance(address, str) else address
    )
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(embedded)
    if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global):  # fmt: skip
        return False
    return not any(ip.version == n.version and ip in n for n in _EXTRA_BLOCKED)


def resolve_host(host: str) -> list[str]:
    """Every address a host name resolves to (A and AAAA); an IP literal is itself."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise CannotResolve(f"refused: cannot resolve {host!r} ({exc})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_host(host: str, *, allowed: Sequence[IPNetwork] = (),
               resolve: Resolver = resolve_host) -> list[str]:  # fmt: skip
    """The host's addresses if all may be fetched; raises AddressRefused otherwise.

    Every address must pass, not just the first: a name with one public and one private
    address would otherwise be refused or allowed depending on which one the fetch uses.
    """
    host = host.strip("[]").lower()
    if not host:
        raise AddressRefused("refused: the URL has no host")
    try:
        addresses = [str(ipaddress.ip_address(host.split("%", 1)[0]))]  # a literal needs no lookup
    except ValueError:
        addresses = resolve(host)
    check_addresses(host, addresses, allowed=allowed)
    return addresses


def check_addresses(
    host: str, addresses: Sequence[str], *, allowed: Sequence[IPNetwork] = ()
) -> None:
    """Raise AddressRefused unless every one of `addresses` (what `host` resolved to) is
    public or in an `allowed` network. Used on the middleware's own lookup (check_host) and
    on the answers the crawler actually connects to (crawler/dns_guard.py)."""
    if not addresses:
        raise AddressRefused(f"refused: {host} resolves to no address")
    for address in addresses:
        try:
            ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        except ValueError:
            raise AddressRefused(
                f"refused: {host} resolves to something not an IP address ({address!r})"
            ) from None
        if any(ip.version == n.version and ip in n for n in allowed):
            continue
        if not is_public_address(ip):
            raise AddressRefused(f"refused: {host} resolves to a private address ({ip})")


def check_scheme(url: str) -> str:
    """The host of an http(s) URL as the crawler will request it (crawler/url_form.py: the
    parser Scrapy uses); AddressRefused for any other scheme or an invalid URL."""
    from crawler.url_form import InvalidUrl, fetch_url

    try:
        fetched = fetch_url(url)
    except InvalidUrl as exc:
        raise AddressRefused(str(exc)) from None
    return urlsplit(fetched).hostname or ""


def check_url(url: str, *, allow_private: bool = False, allowed: Sequence[IPNetwork] = (),
              resolve: Resolver = resolve_host) -> None:  # fmt: skip
    """Raise AddressRefused unless the URL is http(s) and (when private addresses are not
    allowed) its host resolves only to public addresses or to `allowed` networks."""
    host = check_scheme(url)
    if not allow_private:
        check_host(host, allowed=allowed, resolve=resolve)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses may be fetched: public ones, the `networks` named, or (with
    `allow_private`) every one. Frozen: safe to share between threads."""

    allow_private: bool = False
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, allow_private: bool = False, networks: Iterable[str] = ()) -> AddressPolicy:
        return cls(bool(allow_private), _collapse(parse_networks(networks)))

    @classmethod
    def from_config(cls, config: Any) -> AddressPolicy:
        """The policy of `[crawl] allow_private_addresses` and `[crawl] allowed_networks`."""
        crawl = config.crawl
        return cls.of(crawl.allow_private_addresses, crawl.allowed_networks)

    # -- as stored with an article (`articles.address_policy`) and in Scrapy's settings --------
    @cached_property  # read for every request: computed once (the policy is frozen)
    def spec(self) -> str:
        """`any`, `public`, or `public+10.1.2.0/24,127.0.0.1/32`: parsed back by `parse`."""
        if self.allow_private:
            return "any"
        if not self.networks:
            return "public"
        return "public+" + ",".join(str(n) for n in self.networks)

    @classmethod
    def parse(cls, spec: str | None) -> AddressPolicy | None:
        """The policy of a `spec`; None for None or "" (an article archived before policies
        were stored: the current policy applies). ValueError for anything else unknown."""
        if not spec:
            return None
        spec = spec.strip()
        if spec == "any":
            return cls(True)
        if spec == "public":
            return cls()
        if spec.startswith("public+"):
            return cls.of(False, [n for n in spec[len("public+") :].split(",") if n.strip()])
        raise ValueError(f"not an address policy: {spec!r}")

    def describe(self) -> str:
        if self.allow_private:
            return "every address (allow_private_addresses = true)"
        if not self.networks:
            return "public addresses only"
        return "public addresses and " + ", ".join(str(n) for n in self.networks)

    def narrowed(self, other: AddressPolicy | None) -> AddressPolicy:
        """What both policies allow (an article's stored policy and the current one)."""
        if other is None or other == self:
            return self
        if self.allow_private:
            return other
        if other.allow_private:
            return self
        common = []
        for a in self.networks:
            for b in other.networks:
                if a.version != b.version:
                    continue
                if a.subnet_of(b):  # type: ignore[arg-type]
                    common.append(a)
                elif b.subnet_of(a):  # type: ignore[arg-type]
                    common.append(b)
        return AddressPolicy(False, _collapse(common))

    # -- checks ----------------------------------------------------------------------------------
    def allows_address(self, address: str | IPAddress) -> bool:
        if self.allow_private:
            return True
        try:
            ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        except ValueError:
            return False
        return is_public_address(ip) or any(
            ip.version == n.version and ip in n for n in self.networks
        )

    def check_addresses(self, host: str, addresses: Sequence[str]) -> None:
        """AddressRefused unless every one of `addresses` (what `host` resolved to) is allowed."""
        if self.allow_private:
            return
        check_addresses(host, addresses, allowed=self.networks)

    def check_host(self, host: str, *, resolve: Resolver = resolve_host) -> list[str]:
        """The host's addresses if all may be fetched (resolving a name); AddressRefused otherwise."""
        if self.allow_private:
            return []
        return check_host(host, allowed=self.networks, resolve=resolve)

    def check_url(self, url: str, *, resolve: Resolver = resolve_host) -> None:
        """AddressRefused unless `url` is a valid http(s) URL whose host may be fetched."""
        check_url(url, allow_private=self.allow_private, allowed=self.networks, resolve=resolve)


def _collapse(networks: Iterable[IPNetwork]) -> tuple[IPNetwork, ...]:
    """Sorted, without networks inside others: one spelling of one policy."""
    networks = list(networks)
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return (*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6))
