"""Content-codings on the wire and in every reader: identity, gzip, deflate (zlib and raw), br
and zstd, each served as an article page and as robots.txt by a raw-socket server with exact
bytes, are archived as sent; `warcio check -v` passes, pywb replays the page, `history
--response` prints the decoded HTML, and the dataset card reads the robots rules. A
robots.txt that cannot be decoded is reported "unreadable", never "no rules"."""

from __future__ import annotations

import gzip
import json
import subprocess
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import brotli
import pytest

from archive.content_coding import PayloadDecodingError, decode_payload
from tests.conftest import BIN, MIRROR_CONFIG, REPO, SITES, run_cli
from tests.raw_http import RawServer, response
from tests.test_replay import _get, _stamp, pywb  # noqa: F401 - pywb is a fixture
from tests.warc_assertions import check_archive

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[no-redef]

pytestmark = pytest.mark.timeout(300)

ROBOTS = b"User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"
GOOD = (SITES / "bad-input" / "pages" / "good.html").read_bytes()

ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "identity": lambda b: b,
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "deflate": zlib.compress,
    "deflate-raw": lambda b: zlib.compress(b)[2:-4],  # what some servers send as "deflate"
    "br": brotli.compress,
    "zstd": zstd.compress,
}


def _header(coding: str) -> str | None:
    return {"identity": None, "deflate-raw": "deflate"}.get(coding, coding)


def _page(coding: str) -> bytes:
    # Each site's article differs (its own headline), so each becomes its own version.
    return GOOD.replace(
        b"Flooded streets drain slowly", f"Flooded streets ({coding}) drain slowly".encode()
    )


def _answer(body: bytes, coding: str, content_type: str) -> bytes:
    headers = [("Content-Type", content_type)]
    if _header(coding):
        headers.append(("Content-Encoding", _header(coding)))
    encoded = ENCODERS[coding](body)
    return response("HTTP/1.1 200 OK", headers + [("Content-Length", str(len(encoded)))], encoded)


ARTICLE = "/2024/01/01/us/flooded-streets"


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """One raw server per coding (robots.txt is per host), plus one whose robots.txt says br
    but is not; all archived by one `newsarchive archive` run."""
    tmp = tmp_path_factory.mktemp("coded")
    servers: dict[str, RawServer] = {}
    for coding in ENCODERS:
        servers[coding] = RawServer({
            "/robots.txt": _answer(ROBOTS, coding, "text/plain"),
            ARTICLE: _answer(_page(coding), coding, "text/html; charset=utf-8"),
        })  # fmt: skip
    broken = b"User-agent: GPTBot\nDisallow: /\n"  # plain text, labelled br
    servers["bad-br"] = RawServer({
        "/robots.txt": response("HTTP/1.1 200 OK", [("Content-Type", "text/plain"), ("Content-Encoding", "br"),
                                                    ("Content-Length", str(len(broken)))], broken),
        ARTICLE: _answer(_page("bad-br"), "identity", "text/html; charset=utf-8"),
    })  # fmt: skip
    config = tmp / "newsarchive.toml"
    config.write_text(MIRROR_CONFIG + "".join(
        f'\n[sites.coded-{name}]\nextends = "cnn-lite"\nstart_urls = ["{server.url}"]\n'
        for name, server in servers.items()))  # fmt: skip
    data_dir = tmp / "data"
    data_dir.mkdir()
    result = run_cli("archive", *[s.page(ARTICLE) for s in servers.values()], "--json", "--no-progress",
                     data_dir=data_dir, config=config)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    yield {
        "servers": servers,
        "data_dir": data_dir,
        "config": config,
        "result": json.loads(result.stdout),
    }
    for server in servers.values():
        server.close()


def test_every_coding_is_asked_for_only_as_replay_decodes_it(coded):
    for server in coded["servers"].values():
        assert server.requests, "the server was never asked"
        for received in server.requests:
            assert b"\r\nAccept-Encoding: gzip, deflate\r\n" in received.head, received.head


def test_every_coding_is_archived_as_sent_and_warcio_check_passes(coded):
    records = check_archive(coded["data_dir"])  # gzip -t and the real `warcio check -v`
    by_uri = {r["headers"]["WARC-Target-URI"]: r for r in records if r["type"] == "response"}
    for coding in ENCODERS:
        server = coded["servers"][coding]
        for path, body in (("/robots.txt", ROBOTS), (ARTICLE, _page(coding))):
            record = by_uri[server.page(path)]
            assert record["body"] == ENCODERS[coding](body), (coding, path)
            assert record["http"].get_header("Content-Encoding") == _header(coding)
    for row in coded["result"]["results"]:
        assert row["outcome"] == "new" and row["version"] == 1, row


def test_history_response_prints_the_decoded_html(coded):
    for coding in ENCODERS:
        shown = subprocess.run([str(BIN / "newsarchive"), "--data-dir", str(coded["data_dir"]), "--config",
                                str(coded["config"]), "history", coded["servers"][coding].page(ARTICLE),
                                "--response", "1"], capture_output=True, cwd=REPO, check=False)  # fmt: skip
        assert shown.returncode == 0, (coding, shown.stderr)
        raw_head, _, body = shown.stdout.partition(b"\r\n\r\n")
        head = raw_head.decode("latin-1") + "\r\n"
        assert body == _page(coding), coding
        assert f"\r\nContent-Length: {len(_page(coding))}" in head
        if _header(coding):
            # The headers describe the body printed: the original coding is kept aside.
            assert f"\r\nX-Archive-Orig-Content-Encoding: {_header(coding)}\r\n" in head, head
            assert "\r\nContent-Encoding:" not in head


def test_the_card_reads_robots_rules_in_every_coding(coded, tmp_path):
    out = tmp_path / "out.jsonl"
    exported = run_cli("export", "--format", "jsonl", "--out", str(out), "--no-progress",
                       data_dir=coded["data_dir"], config=coded["config"])  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    card = (tmp_path / "out.jsonl.md").read_text()
    # The URL is a Markdown autolink (`<http://…>`), and site-controlled text is escaped.
    lines = {line.split("robots.txt: ", 1)[1].split(" ", 1)[0].strip("<>:"): line for line in card.splitlines()
             if line.startswith("- robots.txt: ")}  # fmt: skip
    for coding in ENCODERS:
        line = lines[coded["servers"][coding].page("/robots.txt")]
        assert "AI crawlers disallowed: GPTBot" in line and "`*` not disallowed" in line, (
            coding,
            line,
        )
    # A read failure is never "no rules": the card says it could not read it, and why.
    bad = lines[coded["servers"]["bad-br"].page("/robots.txt")]
    assert "unreadable: the archived body cannot be decoded \\(br: " in bad, bad
    assert "no AI crawler disallowed" not in bad


def test_pywb_replays_every_coding(coded, pywb):  # noqa: F811
    records = check_archive(coded["data_dir"])
    base = pywb(sorted({r["file"] for r in records}))
    by_uri = {r["headers"]["WARC-Target-URI"]: r for r in records if r["type"] == "response"}
    for coding in ENCODERS:
        uri = coded["servers"][coding].page(ARTICLE)
        stamp = _stamp(by_uri[uri]["headers"]["WARC-Date"])
        status, body, headers = _get(f"{base}/news/{stamp}id_/{uri}")
        assert status == 200, (coding, status)
        served = {k.lower(): v for k, v in headers.items()}.get("content-encoding")
        if coding == "zstd":
            # pywb 2.10 (warcio) has no zstd decoder: it drops the header and serves the
            # archived bytes as they are (docs/warc.md). The archive never asks for zstd.
            assert served is None and body == ENCODERS[coding](_page(coding))
            continue
        # pywb serves the archived bytes with their coding, or decodes them itself: either
        # way the page is the original.
        assert decode_payload(body, served) == _page(coding), (coding, served)


def test_decode_payload_refuses_what_it_cannot_decode() -> None:
    for coding in ("br", "zstd", "gzip", "deflate"):
        with pytest.raises(PayloadDecodingError, match=coding):
            decode_payload(b"plain text, not compressed", coding)
    with pytest.raises(PayloadDecodingError, match="unknown content-coding 'compress'"):
        decode_payload(b"x", "compress")
    # Stacked codings are undone in reverse; several gzip members or zstd frames concatenate.
    assert decode_payload(brotli.compress(gzip.compress(b"abc")), "gzip, br") == b"abc"
    assert decode_payload(gzip.compress(b"ab") + gzip.compress(b"c"), "x-gzip") == b"abc"
    assert decode_payload(zstd.compress(b"ab") + zstd.compress(b"c"), "zstd") == b"abc"
    # A stream cut short gives what it holds.
    text = b"".join(b"line %d\n" % n for n in range(5000))
    assert text.startswith(decode_payload(gzip.compress(text)[:2000], "gzip"))


def test_warcio_command_decodes_br_and_zstd(coded, tmp_path: Path) -> None:
    """`warcio extract --payload` decodes like the project's readers (the start-up hook)."""
    records = check_archive(coded["data_dir"])
    for coding in ("br", "zstd"):
        uri = coded["servers"][coding].page(ARTICLE)
        record = next(
            r for r in records if r["type"] == "response" and r["headers"]["WARC-Target-URI"] == uri
        )
        extracted = subprocess.run([str(BIN / "warcio"), "extract", "--payload", str(record["file"]),
                                    str(record["offset"])], capture_output=True, check=False)  # fmt: skip
        assert extracted.returncode == 0, extracted.stderr
        assert extracted.stdout == _page(coding), coding
