"""Which URLs the HTTP service may fetch: http(s) only, and only public addresses.

A request from the network must not make the archive fetch the machine it runs on or its
neighbours (SSRF): the cloud metadata service at 169.254.169.254, an admin page on
127.0.0.1, a router on 192.168.x. Every URL, and every redirect hop
(crawler/middlewares/address_guard.py), is resolved and refused unless every address it
resolves to is public; the addresses the crawler then connects to are checked again by the
same rules at resolution time (crawler/dns_guard.py), which is what stops DNS rebinding.
Pure functions: resolving a name never opens a connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
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
    ip = ipaddress.ip_address(str(address).split("%", 1)[0]) if isinstance(address, str) else address
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
        raise AddressRefused(f"refused: cannot resolve {host!r} ({exc})") from None
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


def check_addresses(host: str, addresses: Sequence[str], *, allowed: Sequence[IPNetwork] = ()) -> None:
    """Raise AddressRefused unless every one of `addresses` (what `host` resolved to) is
    public or in an `allowed` network. Used on the middleware's own lookup (check_host) and
    on the answers the crawler actually connects to (crawler/dns_guard.py)."""
    if not addresses:
        raise AddressRefused(f"refused: {host} resolves to no address")
    for address in addresses:
        try:
            ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        except ValueError:
            raise AddressRefused(f"refused: {host} resolves to something not an IP address ({address!r})") from None
        if any(ip.version == n.version and ip in n for n in allowed):
            continue
        if not is_public_address(ip):
            raise AddressRefused(f"refused: {host} resolves to a private address ({ip})")


def check_scheme(url: str) -> str:
    """The host of an http(s) URL; AddressRefused for any other scheme or a URL without host."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise AddressRefused(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise AddressRefused(f"only http and https URLs can be archived, not {parts.scheme or 'a relative'!s}: {url!r}")
    if not parts.hostname:
        raise AddressRefused(f"the URL has no host: {url!r}")
    return parts.hostname


def check_url(url: str, *, allow_private: bool = False, allowed: Sequence[IPNetwork] = (),
              resolve: Resolver = resolve_host) -> None:  # fmt: skip
    """Raise AddressRefused unless the URL is http(s) and (when private addresses are not
    allowed) its host resolves only to public addresses or to `allowed` networks."""
    host = check_scheme(url)
    if not allow_private:
        check_host(host, allowed=allowed, resolve=resolve)
