"""Test-only: a DNS-rebinding host name for a child process, without /etc/hosts or a network.

tests/test_address_policy.py puts this folder on the child's PYTHONPATH, so Python imports
this module at start-up. When `NEWSARCHIVE_TEST_REBIND_HOST` names a host, that one name
(and no other) is answered here, never by a real DNS server:

- to the private-address policy's own lookup (`crawler.address_policy.resolve_host`, which
  the address-guard middleware and the serve API use), a public address;
- to every other lookup — whatever Scrapy or Twisted use to connect (`gethostbyname` for
  Scrapy's default resolver, `getaddrinfo` for the others) — `NEWSARCHIVE_TEST_REBIND_TO`
  (default 127.0.0.1, where the test's fixture server listens).

That is a rebinding attacker's DNS: the check sees a public address, the connection is
handed a loopback one. The public address is only ever given to the policy check, so even a
broken guard makes the test connect to loopback, never to the internet.
"""

from __future__ import annotations

import os
import socket
import sys

_HOST = os.environ.get("NEWSARCHIVE_TEST_REBIND_HOST", "").strip().lower().rstrip(".")
_CONNECT_TO = os.environ.get("NEWSARCHIVE_TEST_REBIND_TO", "127.0.0.1")
_SHOWN_TO_THE_CHECK = "93.184.215.14"  # public; never connected to
_POLICY_MODULE = "crawler.address_policy"


def _is_rebinding_host(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and host.strip("[]").lower().rstrip(".") == _HOST


def _answer(caller_module: str | None) -> str:
    return _SHOWN_TO_THE_CHECK if caller_module == _POLICY_MODULE else _CONNECT_TO


def _port(port: object) -> int:
    if isinstance(port, bytes):
        port = port.decode("ascii", "replace")
    if isinstance(port, str):
        return int(port) if port.isdigit() else 0
    return int(port) if isinstance(port, int) else 0


if _HOST:
    _real_getaddrinfo = socket.getaddrinfo
    _real_gethostbyname = socket.gethostbyname
    _real_gethostbyname_ex = socket.gethostbyname_ex

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not _is_rebinding_host(host):
            return _real_getaddrinfo(host, port, *args, **kwargs)
        address = _answer(sys._getframe(1).f_globals.get("__name__"))
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, _port(port)))
        ]

    def gethostbyname(host):  # type: ignore[no-untyped-def]
        if not _is_rebinding_host(host):
            return _real_gethostbyname(host)
        return _answer(sys._getframe(1).f_globals.get("__name__"))

    def gethostbyname_ex(host):  # type: ignore[no-untyped-def]
        if not _is_rebinding_host(host):
            return _real_gethostbyname_ex(host)
        return (_HOST, [], [_answer(sys._getframe(1).f_globals.get("__name__"))])

    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.gethostbyname_ex = gethostbyname_ex
