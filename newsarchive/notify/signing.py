"""Standard Webhooks signatures (https://www.standardwebhooks.com): what a receiver verifies.

A message carries `webhook-id` (the event id: the receiver's idempotency key),
`webhook-timestamp` (Unix seconds) and `webhook-signature`: `v1,` + base64 of
HMAC-SHA256(key, "{id}.{timestamp}.{body}"). The key is the secret decoded from base64,
with or without the `whsec_` prefix (as the Standard Webhooks libraries read it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300  # how old (or new) a timestamp a receiver accepts


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: base64, with or without the `whsec_` prefix; ValueError
    for anything else (a key that a receiver's library would read differently)."""
    try:
        key = base64.b64decode(secret.strip().removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise ValueError(
            "a webhook secret is base64, e.g. whsec_$(head -c 32 /dev/urandom | base64)"
        )
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers of one message."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature(secret, msg_id, stamp, body),
    }


def verify(secret: str, message_headers: Mapping[str, str], body: bytes, *,
           tolerance: float = TOLERANCE_SECONDS, now: float | None = None) -> bool:  # fmt: skip
    """A receiver's check: a `v1` signature among the space-separated ones matches and the
    timestamp is within `tolerance` seconds of now. Header names are case-insensitive."""
    lower = {k.lower(): v for k, v in message_headers.items()}
    msg_id, stamp = lower.get("webhook-id"), lower.get("webhook-timestamp")
    if not msg_id or not stamp or not stamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        return False
    expected = signature(secret, msg_id, int(stamp), body).encode()
    return any(
        hmac.compare_digest(expected, candidate.encode())
        for candidate in lower.get("webhook-signature", "").split()
        if candidate.startswith("v1,")
    )
