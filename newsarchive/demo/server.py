"""A small static HTTP server for sample sites (the demo) and fixture sites (the tests).

URL path P maps to `<root>/P` when that is a file, else `<root>/P/index.html`. A
`_routes.json` in the root can make paths misbehave the way real servers do: any status,
headers, a delay, a redirect, a gzip or chunked body, a body cut short, a huge body.

    python -m newsarchive.demo.server ROOT [--port 0] [--port-file FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import mimetypes
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROUTES_FILE = "_routes.json"


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "newsarchive-sample/1"
    server: SiteServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)

    def _file_for(self, path: str) -> Path | None:
        root = self.server.root
        rel = unquote(path).lstrip("/")
        candidate = (root / rel).resolve()
        if root not in candidate.parents and candidate != root:
            return None
        if candidate.is_file():
            return candidate
        if (candidate / "index.html").is_file():
            return candidate / "index.html"
        return None

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, *, head: bool,
              chunked: bool = False, declared_length: int | None = None) -> None:  # fmt: skip
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header(
                "Content-Length", str(declared_length if declared_length is not None else len(body))
            )
        self.end_headers()
        if head:
            return
        if chunked:
            for i in range(0, len(body), 4096):
                part = body[i : i + 4096]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)

    def _serve(self, *, head: bool) -> None:
        path = urlsplit(self.path).path
        self.server.hits[path] = self.server.hits.get(path, 0) + 1
        route = self.server.routes().get(path)
        if route is not None:
            self._serve_route(route, head=head)
            return
        target = self._file_for(path)
        if target is None:
            self._send(404, [("Content-Type", "text/html; charset=utf-8")],
                       b"<html><body><h1>404 Not Found</h1></body></html>", head=head)  # fmt: skip
            return
        body = target.read_bytes()
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/xml", "application/rss+xml"):
            ctype += "; charset=utf-8"
        headers = [
            ("Content-Type", ctype),
            ("Last-Modified", self.date_time_string(target.stat().st_mtime)),
        ]
        if (
            "gzip" in (self.headers.get("Accept-Encoding") or "")
            and self.server.gzip_html
            and ctype.startswith("text/html")
        ):
            body = gzip.compress(body, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        self._send(200, headers, body, head=head)

    def _serve_route(self, route: dict[str, Any], *, head: bool) -> None:
        if route.get("delay"):
            time.sleep(float(route["delay"]))
        status = int(route.get("status", 200))
        headers = [(k, str(v)) for k, v in route.get("headers", {}).items()]
        if "redirect" in route:
            headers.append(("Location", route["redirect"]))
            status = int(route.get("status", 302))
        body = route.get("body", "").encode(route.get("body_encoding", "utf-8"))
        if "body_file" in route:
            body = (self.server.root / route["body_file"]).read_bytes()
        if "body_hex" in route:
            body = bytes.fromhex(route["body_hex"])
        if "repeat_body_bytes" in route:
            unit = body or b"<p>filler text for a very large page</p>\n"
            body = (unit * (int(route["repeat_body_bytes"]) // len(unit) + 1))[
                : int(route["repeat_body_bytes"])
            ]
        if route.get("gzip"):
            body = gzip.compress(body, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        if route.get("reset"):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.close_connection = True
            return
        if "truncate_at" in route:
            # Promise the whole body, send part of it, hang up: a body cut short.
            cut = int(route["truncate_at"])
            self._send(status, headers, body[:cut], head=head, declared_length=len(body))
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(status, headers, body, head=head, chunked=bool(route.get("chunked")))


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root: Path, port: int = 0, *, host: str = "127.0.0.1",
                 gzip_html: bool = False, verbose: bool = False) -> None:  # fmt: skip
        self.root = Path(root).resolve()
        self.verbose = verbose
        self.gzip_html = gzip_html
        self.hits: dict[str, int] = {}
        super().__init__((host, port), SiteHandler)

    def routes(self) -> dict[str, Any]:
        # Re-read on every request: tests change a site between crawls.
        path = self.root / ROUTES_FILE
        if not path.is_file():
            return {}
        return json.loads(path.read_text(encoding="utf-8"))

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(
            target=self.serve_forever, name=f"site-server-{self.url}", daemon=True
        )
        thread.start()
        return thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port-file", type=Path)
    parser.add_argument("--gzip", action="store_true", help="gzip HTML for clients that accept it")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    server = SiteServer(
        args.root, args.port, host=args.host, gzip_html=args.gzip, verbose=args.verbose
    )
    if args.port_file:
        tmp = args.port_file.with_suffix(".tmp")
        tmp.write_text(str(server.server_address[1]))
        tmp.replace(args.port_file)
    print(server.url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
