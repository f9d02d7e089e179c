"""A real webhook (and apprise json://) receiver on 127.0.0.1 for the notification tests.

It verifies Standard Webhooks signatures itself (written here from the specification, not
with the code under test), deduplicates by `webhook-id` as a receiver should, and can be
told to answer with an error status or to hold requests (to kill the sender mid-delivery).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return any(
        hmac.compare_digest(expected, s) for s in headers.get("webhook-signature", "").split()
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed_ok: bool | None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str | None = None
    status: int = 200
    hold: threading.Event | None = None  # set: requests wait for it before answering
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def unique(self) -> dict[str, Received]:
        """The deliveries after deduplication by webhook-id (verified ones only)."""
        seen: dict[str, Received] = {}
        for r in self.requests:
            if r.signed_ok and r.headers["webhook-id"] not in seen:
                seen[r.headers["webhook-id"]] = r
        return seen

    def start(self, port: int = 0) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                signed = (
                    verify_signature(receiver.secret, headers, body)
                    if receiver.secret is not None and "webhook-id" in headers
                    else None
                )
                receiver.requests.append(Received(self.path, headers, body, signed))
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                status = receiver.status if signed is not False else 401
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            if self.hold is not None:
                self.hold.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None
