"""A hostile web server for tests: raw sockets on 127.0.0.x, exactly the bytes a route says.

Each route answers a complete raw HTTP response (status line, headers, body: nothing added,
nothing fixed up), or a callable that writes to the socket itself (to trickle a body, or
hang up half-way). Every request line is recorded in `hits`, so a test can assert that a
server was never contacted at all. Each connection serves one request and is closed.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

Handler = Callable[[socket.socket, bytes], None]
Route = bytes | Handler


def response(status: int = 200, body: bytes | str = b"", headers: dict[str, str] | list[tuple[str, str]] | None = None,
             *, reason: str = "OK", content_length: bool = True) -> bytes:  # fmt: skip
    """Raw HTTP/1.1 response bytes (`Connection: close`; Content-Length unless told not to)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if not any(k.lower() == "content-type" for k, _ in pairs):
        pairs.append(("Content-Type", "text/html; charset=utf-8"))
    if content_length:
        pairs.append(("Content-Length", str(len(data))))
    pairs.append(("Connection", "close"))
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n"
    return head.encode("latin-1") + data


def redirect(location: str, status: int = 302) -> bytes:
    return response(status, b"", {"Location": location}, reason="Found")


def article(title: str, paragraphs: list[str] | str, *, extra_head: str = "") -> bytes:
    """A plain article page the generic extractor reads."""
    paras = [paragraphs] if isinstance(paragraphs, str) else paragraphs
    body = "".join(f"<p>{p}</p>\n" for p in paras)
    html = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>{extra_head}</head>"
            f"<body><article><h1>{title}</h1>\n{body}</article></body></html>")  # fmt: skip
    return response(200, html)


class RawServer:
    """`RawServer("127.0.0.2")`: listens on an ephemeral port of that loopback address."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []  # "GET /path" of every request, in order
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, name=f"raw-server-{host}:{self.port}", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def paths(self) -> list[str]:
        return [hit.split(" ", 1)[1] for hit in self.hits]

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
            except OSError:
                return
            line = data.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split(" ")
            target = parts[1] if len(parts) > 1 else "/"
            self.hits.append(f"{parts[0]} {target}")
            route = self.routes.get(target, self.routes.get(target.split("?", 1)[0]))
            try:
                if route is None:
                    conn.sendall(
                        response(404, "<html><body>not here</body></html>", reason="Not Found")
                    )
                elif callable(route):
                    route(conn, data)
                else:
                    conn.sendall(route)
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        try:
            self.sock.close()
        except OSError:
            pass
        self._thread.join(2)
