"""Sending one webhook message: a signed JSON POST, to an address the policy allows.

The host is resolved once and checked against the address policy (crawler/address_policy.py,
the one `serve` and the crawl use); the connection then goes to exactly the addresses that
were checked, so a name that resolves elsewhere on a second lookup (DNS rebinding) cannot
reach a private address. Redirects are not followed: only a 2xx answer is a delivery.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from archive import clock
from crawler.address_policy import AddressPolicy, AddressRefused, CannotResolve, check_scheme
from newsarchive.notify import signing

USER_AGENT = "newsarchive-webhooks/1"
MAX_ERROR_BODY = 200  # characters of a refusing receiver's answer kept in the attempt's error


@dataclass
class SendResult:
    ok: bool
    status: int | None
    error: str | None
    duration_ms: int
    retry: bool = True  # False: retrying cannot help (the address is refused)


def envelope(event: Mapping[str, Any]) -> bytes:
    """The body: `{"id", "type", "timestamp", "data"}` (Standard Webhooks' suggested form)."""
    created = event["created_at"]
    stamp = clock.iso_utc(created) if isinstance(created, datetime) else str(created)
    body = {
        "id": event["event_id"],
        "type": event["type"],
        "timestamp": stamp,
        "data": event["payload"],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked addresses only (in order), whatever the name resolves to now."""

    def __init__(self, host: str, port: int | None, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.host, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._addresses = addresses

    def connect(self) -> None:
        sock = _connect(self._addresses, self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _connect(addresses: list[str], host: str, port: int, timeout: Any) -> socket.socket:
    if not addresses:  # the policy allows every address: an ordinary lookup
        return socket.create_connection((host, port), timeout)
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


def post(url: str, body: bytes, headers: Mapping[str, str], *, policy: AddressPolicy,
         timeout: float) -> SendResult:  # fmt: skip
    """POST `body` to `url`; never raises for the receiver's or the network's failures."""
    started = time.monotonic()

    def result(ok: bool, status: int | None, error: str | None, retry: bool = True) -> SendResult:
        return SendResult(ok, status, error, int((time.monotonic() - started) * 1000), retry)

    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        check_scheme(url)  # http(s), a valid URL
        addresses = policy.check_host(host)
    except CannotResolve as exc:  # a name that does not resolve now may resolve later
        return result(False, None, str(exc))
    except AddressRefused as exc:  # a refused address will not change by retrying
        return result(False, None, f"address {exc}", retry=False)
    cls = _PinnedHTTPSConnection if parts.scheme.lower() == "https" else _PinnedHTTPConnection
    conn = cls(host, parts.port, addresses, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers={
            "content-type": "application/json", "user-agent": USER_AGENT, **headers,
        })  # fmt: skip
        response = conn.getresponse()
        answer = response.read(64 * 1024)
    except (OSError, http.client.HTTPException) as exc:
        return result(False, None, f"{type(exc).__name__}: {exc}".strip())
    finally:
        conn.close()
    if 200 <= response.status < 300:
        return result(True, response.status, None)
    text = answer.decode("utf-8", "replace").strip()[:MAX_ERROR_BODY]
    return result(False, response.status, f"HTTP {response.status}" + (f": {text}" if text else ""))


def send_event(event: Mapping[str, Any], *, url: str, secret: str, policy: AddressPolicy,
               timeout: float) -> SendResult:  # fmt: skip
    """Sign and send one event (a row of `Outbox.due`)."""
    body = envelope(event)
    return post(url, body, signing.headers(secret, event["event_id"], body), policy=policy,
                timeout=timeout)  # fmt: skip
