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
            raise ApiError(
                401,
                "the bearer token is not valid",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return token_hash(given.strip())


class RateLimiter:
    """A token bucket per key: `per_minute` requests in a burst, refilled evenly. Keys whose
    bucket is full again are forgotten once more than `max_keys` are held (client addresses
    must not grow it without bound)."""

    def __init__(self, per_minute: int, clock: object = time.monotonic, *, what: str = "archive requests",
                 max_keys: int = 10_000) -> None:  # fmt: skip
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.what = what
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        level, last = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, level + (now - last) * self.rate)

    def _refused(self, level: float) -> ApiError:
        wait = max(1, int((1.0 - level) / self.rate + 0.999))
        return ApiError(
            429, f"too many {self.what}: try again in {wait} s", {"Retry-After": str(wait)}
        )

    def check(self, key: str) -> None:
        """ApiError 429 if `key` has nothing left, without spending anything."""
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            level = self._level(key, now)
            if level < 1.0:
                raise self._refused(level)

    def take(self, key: str) -> None:
        """Spend one request of `key`; ApiError 429 with Retry-After when none is left."""
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            level = self._level(key, now)
            if level < 1.0:
                self._buckets[key] = (level, now)
                raise self._refused(level)
            self._buckets[key] = (level - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        for key in [k for k in self._buckets if self._level(k, now) >= self.capacity]:
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:  # all busy: drop the oldest (most refilled)
            del self._buckets[next(iter(self._buckets))]
