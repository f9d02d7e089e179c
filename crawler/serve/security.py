"""Who may write and how much: the bearer token, a per-token rate limit, body limits."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import threading
import time


class ApiError(Exception):
    """An error the client can act on: becomes `{"error": message, "status": code}`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback literals: a server bound there is reachable only locally."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenAuth:
    """Checks `Authorization: Bearer <token>` against NEWSARCHIVE_API_TOKEN; no token
    configured means a read-only server (writes are refused with 403)."""

    def __init__(self, token: str | None) -> None:
        self.token = token or None

    @property
    def read_only(self) -> bool:
        return self.token is None

    def check(self, authorization: str | None) -> str:
        """The hash of the caller's token; ApiError 401/403 when writing is not allowed."""
        if self.token is None:
            raise ApiError(403, "this server is read-only: start it with NEWSARCHIVE_API_TOKEN set to accept "
                                "archive requests")  # fmt: skip
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(401, "archive requests need an 'Authorization: Bearer <token>' header",
                           {"WWW-Authenticate": "Bearer"})  # fmt: skip
        if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            raise ApiError(401, "the bearer token is not valid", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return token_hash(given.strip())


class RateLimiter:
    """A token bucket per key: `per_minute` requests in a burst, refilled evenly."""

    def __init__(self, per_minute: int, clock: object = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one request of `key`; ApiError 429 with Retry-After when none is left."""
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            level, last = self._buckets.get(key, (self.capacity, now))
            level = min(self.capacity, level + (now - last) * self.rate)
            if level < 1.0:
                wait = max(1, int((1.0 - level) / self.rate + 0.999))
                self._buckets[key] = (level, now)
                raise ApiError(429, f"too many archive requests: try again in {wait} s", {"Retry-After": str(wait)})
            self._buckets[key] = (level - 1.0, now)
