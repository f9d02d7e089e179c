"""What the records say against what went over the wire, with raw-socket servers sending exact
bytes: status lines as received, header lines in their order and case, the request bytes as
sent, close-delimited bodies complete, size limits keeping exactly the first max_page_bytes,
and WARC-Date the moment the request was written (docs/warc.md)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from archive.catalog import Catalog
from tests.conftest import MIRROR_CONFIG, SITES, run_cli
from tests.raw_http import RawServer, response, self_signed_context
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(300)

P = "/2024/01/01/us/"
GOOD = (SITES / "bad-input" / "pages" / "good.html").read_bytes()
MAX = 100_000  # max_page_bytes of MIRROR_CONFIG
HTML = "text/html; charset=utf-8"


def _story(name: str) -> bytes:
    return GOOD.replace(
        b"Flooded streets drain slowly", f"Flooded streets ({name}) drain slowly".encode()
    )


def _chunked(body: bytes, size: int = 4096) -> bytes:
    parts = [
        f"{len(body[i : i + size]):x}\r\n".encode() + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


BIG = (b"<p>filler text for a very large page</p>\n" * 6000)[:235_520]
ODD_HEAD = (
    "HTTP/1.1 200 OK\r\n"
    "content-type: text/html; charset=utf-8\r\n"
    "Set-Cookie: a=1; Path=/\r\n"
    "X-custom-HEADER: MixedCase value\r\n"
    "Set-Cookie: b=2; Path=/\r\n"
    "Connection: keep-alive\r\n"
    "Keep-Alive: timeout=5, max=100\r\n"
    'ETag: "v1"\r\n'
    'WWW-Authenticate: Basic realm="x"\r\n'
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
)

ROUTES = {
    # Close-delimited bodies: no length, the server closes when done. Complete.
    P + "http10": b"HTTP/1.0 200 OK\r\nContent-Type: " + HTML.encode() + b"\r\n\r\n" + _story("http10"),
    P + "close11": response("HTTP/1.1 200 OK", [("Content-Type", HTML), ("Connection", "close")], _story("close11")),
    # Status lines as sent: an old phrase, a custom one.
    P + "moved": response("HTTP/1.1 302 Moved Temporarily", [("Location", P + "landed"), ("Content-Length", "0")], b""),
    P + "landed": response("HTTP/1.1 200 Fine By Me", [("Content-Type", HTML), ("Content-Length", str(len(_story("landed"))))],
                           _story("landed")),
    # Fewer bytes than the declared length: truncated.
    P + "cut": response("HTTP/1.1 200 OK", [("Content-Type", HTML), ("Content-Length", str(len(GOOD)))], GOOD[:1500]),
    # Over max_page_bytes, with a length and chunked: the first max_page_bytes are kept.
    P + "huge-declared": response("HTTP/1.1 200 OK", [("Content-Type", HTML), ("Content-Length", str(len(BIG)))], BIG),
    P + "huge-chunked": response("HTTP/1.1 200 OK", [("Content-Type", HTML), ("Transfer-Encoding", "chunked")],
                                 _chunked(BIG)),
    # What the parser normalises (docs/warc.md): value spacing, folded lines, junk lines, LF endings.
    P + "odd-lines": (b"HTTP/1.1 200 OK\n" + b"Content-Type: " + HTML.encode() + b"\r\n"
                      b"X-Tight:value\r\nX-Spaced:    padded value   \r\nBogusLine\r\n"
                      b"X-Folded: part one\r\n  part two\r\n"
                      + f"Content-Length: {len(_story('odd-lines'))}\r\n\r\n".encode() + _story("odd-lines")),
    # Header names in their own case and order, repeated ones interleaved, connection headers.
    P + "odd-headers": ODD_HEAD.encode() + _chunked(_story("odd-headers"), 1000),
}  # fmt: skip


@pytest.fixture(scope="module")
def wired(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("wire")
    server = RawServer(dict(ROUTES))
    config = tmp / "newsarchive.toml"
    config.write_text(
        MIRROR_CONFIG + f'\n[sites.wire]\nextends = "cnn-lite"\nstart_urls = ["{server.url}"]\n'
    )
    data_dir = tmp / "data"
    data_dir.mkdir()
    names = [
        "http10",
        "close11",
        "moved",
        "cut",
        "huge-declared",
        "huge-chunked",
        "odd-headers",
        "odd-lines",
    ]
    result = run_cli("archive", *[server.page(P + n) for n in names], "--json", "--no-progress",
                     data_dir=data_dir, config=config)  # fmt: skip
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    with catalog.engine.connect() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.exec_driver_sql("SELECT url, outcome, error FROM captures")
        ]
    catalog.close()
    records = check_archive(data_dir)
    responses = {r["headers"]["WARC-Target-URI"]: r for r in records if r["type"] == "response"}
    yield {
        "server": server,
        "result": result,
        "rows": rows,
        "records": records,
        "responses": responses,
    }
    server.close()


def _outcome(wired: dict, name: str) -> str:
    return next(r["outcome"] for r in wired["rows"] if r["url"] == wired["server"].page(P + name))


def _head(record: dict) -> bytes:
    """The HTTP head as the record stores it."""
    return record["http"].to_bytes(encoding="latin-1")


def test_close_delimited_bodies_are_complete(wired):
    for name in ("http10", "close11"):
        record = wired["responses"][wired["server"].page(P + name)]
        assert "WARC-Truncated" not in record["headers"], name
        assert record["body"] == _story(name)
        assert _outcome(wired, name) == "new", name
    cut = wired["responses"][wired["server"].page(P + "cut")]
    assert cut["headers"]["WARC-Truncated"] == "disconnect" and cut["body"] == GOOD[:1500]
    assert cut["http"].get_header("X-Archive-Orig-Content-Length") == str(len(GOOD))
    assert _outcome(wired, "cut") == "truncated"


def test_over_the_limit_keeps_exactly_the_first_max_page_bytes(wired):
    for name, orig in (("huge-declared", ("X-Archive-Orig-Content-Length", str(len(BIG)))),
                       ("huge-chunked", ("X-Archive-Orig-Transfer-Encoding", "chunked"))):  # fmt: skip
        record = wired["responses"][wired["server"].page(P + name)]
        assert record["headers"]["WARC-Truncated"] == "length", name
        assert record["body"] == BIG[:MAX], (name, len(record["body"]))
        assert record["http"].get_header("Content-Length") == str(MAX)
        assert record["http"].get_header(orig[0]) == orig[1]
        assert _outcome(wired, name) == "too-large"


def test_status_lines_are_kept_as_received(wired):
    server, responses = wired["server"], wired["responses"]
    assert _head(responses[server.page(P + "http10")]).startswith(b"HTTP/1.0 200 OK\r\n")
    assert _head(responses[server.page(P + "moved")]).startswith(
        b"HTTP/1.1 302 Moved Temporarily\r\n"
    )
    assert _head(responses[server.page(P + "landed")]).startswith(b"HTTP/1.1 200 Fine By Me\r\n")
    assert responses[server.page(P + "moved")]["http"].get_statuscode() == "302"


def test_header_lines_are_kept_in_their_order_and_case(wired):
    """The record's head is the wire's, but for the one documented change: the body is
    stored de-chunked, so Transfer-Encoding is renamed and the true length added."""
    record = wired["responses"][wired["server"].page(P + "odd-headers")]
    wire = ODD_HEAD.replace(
        "Transfer-Encoding: chunked\r\n", "X-Archive-Orig-Transfer-Encoding: chunked\r\n"
    )
    expected = wire[:-2] + f"Content-Length: {len(_story('odd-headers'))}\r\n\r\n"
    assert _head(record).decode("latin-1") == expected
    assert record["body"] == _story("odd-headers")


def test_what_the_parser_normalises(wired):
    record = wired["responses"][wired["server"].page(P + "odd-lines")]
    assert _head(record).decode("latin-1") == (
        "HTTP/1.1 200 OK\r\n"
        f"Content-Type: {HTML}\r\n"
        "X-Tight: value\r\n"
        "X-Spaced: padded value\r\n"
        "X-Folded: part one  part two\r\n"
        f"Content-Length: {len(_story('odd-lines'))}\r\n\r\n"
    )
    assert record["body"] == _story("odd-lines")


def test_request_records_hold_the_bytes_sent(wired):
    server = wired["server"]
    sent = {r.path: r.head for r in server.requests}
    requests = [r for r in wired["records"] if r["type"] == "request"]
    assert len(requests) >= len(ROUTES)
    for record in requests:
        path = record["headers"]["WARC-Target-URI"].split(str(server.port), 1)[1]
        head = record["http"].to_bytes(encoding="latin-1")
        assert head == sent[path], path
        assert b"\r\nHost: 127.0.0.1:" in head


def test_request_records_on_a_reused_connection(tmp_path):
    """A kept-alive connection comes back from Twisted's pool wrapped in a retrying proxy:
    every request written on it is recorded as sent, with the bytes sent."""
    pages = {P + f"kept-{n}": response("HTTP/1.1 200 OK", [("Content-Type", HTML),
             ("Content-Length", str(len(_story(f"kept-{n}"))))], _story(f"kept-{n}")) for n in range(4)}  # fmt: skip
    server = RawServer({**pages, "/robots.txt": response("HTTP/1.1 404 Not Found", [("Content-Length", "0")], b"")},
                       keep_alive=True)  # fmt: skip
    config = tmp_path / "c.toml"
    config.write_text(MIRROR_CONFIG.replace("concurrent_requests_per_domain = 8", "concurrent_requests_per_domain = 1")
                      + f'\n[sites.kept]\nextends = "cnn-lite"\nstart_urls = ["{server.url}"]\n')  # fmt: skip
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    try:
        result = run_cli("archive", *[server.page(p) for p in pages], "--no-progress", data_dir=data_dir,
                         config=config)  # fmt: skip
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    assert server.connections < len(server.requests)  # connections were reused
    sent = {r.path: r.head for r in server.requests}
    requests = [r for r in check_archive(data_dir) if r["type"] == "request"]
    assert len(requests) == len(sent) == 5
    for record in requests:
        path = record["headers"]["WARC-Target-URI"].split(str(server.port), 1)[1]
        assert record["http"].to_bytes(encoding="latin-1") == sent[path], path


def test_https_keeps_the_wire_too(tmp_path):
    """Over TLS the hooks see the plaintext: status line, header lines and request bytes."""
    story = _story("tls")
    server = RawServer({P + "tls": response("HTTP/1.1 203 Via TLS", [("content-type", HTML), ("Connection", "close")],
                                            story)}, tls=self_signed_context(str(tmp_path)))  # fmt: skip
    config = tmp_path / "c.toml"
    config.write_text(MIRROR_CONFIG.replace("[crawl]", "[crawl]\nobey_robots = false"))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    try:
        result = run_cli(
            "archive", server.page(P + "tls"), "--no-progress", data_dir=data_dir, config=config
        )
    finally:
        server.close()
    records = check_archive(data_dir)
    (resp,) = [r for r in records if r["type"] == "response"]
    (req,) = [r for r in records if r["type"] == "request"]
    assert resp["headers"]["WARC-Target-URI"].startswith("https://"), result.stderr
    assert (
        _head(resp).decode("latin-1")
        == f"HTTP/1.1 203 Via TLS\r\ncontent-type: {HTML}\r\nConnection: close\r\n\r\n"
    )
    assert resp["body"] == story and "WARC-Truncated" not in resp["headers"]
    assert req["http"].to_bytes(encoding="latin-1") == server.requests[0].head


def test_summary_counts_the_complete_pages(wired):
    assert wired["result"].returncode == 1  # cut, huge-* cannot become versions
    rows = {
        r["requested_url"].rsplit("/", 1)[1]: r
        for r in json.loads(wired["result"].stdout)["results"]
    }
    assert rows["http10"]["version"] == 1 and rows["close11"]["version"] == 1
    assert rows["odd-headers"]["version"] == 1 and rows["odd-lines"]["version"] == 1


def _connecting_to(port: int) -> bool:
    """A socket of this machine is in SYN-SENT to 127.0.0.1:port (Linux /proc/net/tcp)."""
    with open("/proc/net/tcp") as fh:
        for line in fh.readlines()[1:]:
            fields = line.split()
            if fields[3] == "02" and int(fields[2].split(":")[1], 16) == port:
                return True
    return False


def _backlog_server(route: bytes) -> tuple[socket.socket, dict[str, float], threading.Thread]:
    """A server whose accept queue is full when the crawler first connects: its SYN is dropped
    and resent a second later (as with a slow or distant server). Returns the socket and the
    moments the connection attempt was seen and the request arrived."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(0)
    filler = socket.create_connection(sock.getsockname())  # fills the queue
    port = sock.getsockname()[1]
    seen: dict[str, float] = {}

    def serve() -> None:
        deadline = time.monotonic() + 60
        while not _connecting_to(port) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["connecting"] = time.time()
        time.sleep(0.2)
        conn, _ = sock.accept()  # the filler: the resent SYN will find room
        conn.close()
        filler.close()
        sock.settimeout(30)
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                seen.setdefault("arrived", time.time())
                data += chunk
            if data:
                conn.sendall(route)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return sock, seen, thread


def test_warc_date_is_when_the_request_was_written(tmp_path):
    page = response("HTTP/1.1 200 OK", [("Content-Type", HTML), ("Content-Length", str(len(GOOD))),
                                        ("Connection", "close")], GOOD)  # fmt: skip
    sock, seen, thread = _backlog_server(page)
    try:
        port = sock.getsockname()[1]
        config = tmp_path / "c.toml"
        # No robots.txt (one connection only); time to connect slowly.
        config.write_text(MIRROR_CONFIG.replace("download_timeout = 2", "download_timeout = 10")
                          .replace("[crawl]", "[crawl]\nobey_robots = false"))  # fmt: skip
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        result = run_cli("archive", f"http://127.0.0.1:{port}{P}slow-connect", "--no-progress",
                         data_dir=data_dir, config=config)  # fmt: skip
        assert result.returncode == 0, result.stderr
        thread.join(5)
    finally:
        sock.close()
    records = check_archive(data_dir)
    (request,) = [r for r in records if r["type"] == "request"]
    warc_date = datetime.fromisoformat(
        request["headers"]["WARC-Date"].replace("Z", "+00:00")
    ).timestamp()
    assert seen["arrived"] - seen["connecting"] > 0.5, "connecting was not slow"
    # Written when the bytes went out (after the slow connect), not when the download began.
    assert 0 <= seen["arrived"] - warc_date < 0.2, seen["arrived"] - warc_date
