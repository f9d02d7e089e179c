"""CDXJ indexes of closed WARC files (archive/cdxj.py)."""

from __future__ import annotations

import io
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import publishing, warc_files
from archive.cdxj import index_relpath, write_cdxj_from_entries, write_cdxj_index
from archive.config import Config, WarcConfig
from archive.exchange import HttpExchange
from archive.publishing import index_warc
from archive.session import ArchiveSession, payload_digest
from archive.warc_files import OPEN_SUFFIX, WarcFileWriter
from archive.warc_reader import parse_response
from tests.conftest import run_cli
from tests.test_warc_files import fixed_clock, write_capture


def _closed_warc(data_dir: Path, captures: int = 3) -> tuple[Path, list]:
    writer = WarcFileWriter(data_dir, clock=fixed_clock())
    locations = [write_capture(writer, n)[0] for n in range(captures)]
    info = writer.close()
    assert info is not None
    return data_dir / info.relpath, locations


def test_index_points_at_every_response(tmp_path):
    warc, locations = _closed_warc(tmp_path)
    index = write_cdxj_index(tmp_path, warc)
    assert index == tmp_path / index_relpath(warc.name) == tmp_path / "index" / f"{warc.name}.cdxj"
    lines = index.read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == 3
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    assert {(int(e["offset"]), int(e["length"])) for e in entries} == {
        (x.offset, x.length) for x in locations
    }
    assert {e["filename"] for e in entries} == {warc.name}
    assert lines[0].startswith("com,example)/page/0 20240506070809")
    # The pointer reads back as a complete record: each record is its own gzip member.
    first = entries[0]
    with open(warc, "rb") as stream:
        stream.seek(int(first["offset"]))
        response = parse_response(stream.read(int(first["length"])))
    assert (
        response.status_line == "HTTP/1.1 200 OK"
        and response.body == b"<html><body><p>page 0</p></body></html>"
    )
    assert not list((tmp_path / "index").glob("*.tmp"))


def test_rewrite_replaces_the_index(tmp_path):
    warc, _ = _closed_warc(tmp_path, 1)
    index = write_cdxj_index(tmp_path, warc)
    index.write_text("garbage\n")
    write_cdxj_index(tmp_path, warc)
    assert "garbage" not in index.read_text() and len(index.read_text().splitlines()) == 1


def test_open_files_are_never_indexed(tmp_path):
    path = tmp_path / f"x.warc.gz{OPEN_SUFFIX}"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="open"):
        write_cdxj_index(tmp_path, path)
    assert not (tmp_path / "index").exists()


# -- indexes built from the writer's entries ------------------------------------------------
# A crawl indexes each file it closes from what it wrote (no reading back); cdxj-indexer,
# reading the file, is the reference: the two indexes are the same bytes.

T0 = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def _exchange(url: str, n: int, *, status: int = 200, headers: list | None = None,
              body: bytes = b"<html><body><p>a page</p></body></html>",
              truncated: str | None = None) -> HttpExchange:  # fmt: skip
    return HttpExchange(
        url=url, method="GET", request_headers=[("User-Agent", "newsarchive-test/1.0")],
        requested_at=T0 + timedelta(seconds=n), status=status,
        response_headers=[("Content-Type", "text/html; charset=utf-8")] if headers is None else headers,
        body=body, ip_address="127.0.0.1", truncated=truncated,
    )  # fmt: skip


def _write(writer: WarcFileWriter, ex: HttpExchange, *, revisit_of: dict | None = None) -> str:
    """A response (or a revisit) and its request, the way the session writes them."""
    warcinfo_id = writer.ensure_open()
    response_id = f"<urn:uuid:{uuid.uuid4()}>"
    if revisit_of is None:
        response = writer.records.response(ex, record_id=response_id, warcinfo_id=warcinfo_id)
    else:
        response = writer.records.revisit(
            ex, record_id=response_id, warcinfo_id=warcinfo_id, payload_digest=payload_digest(ex.body),
            refers_to=revisit_of["id"], refers_to_uri=revisit_of["uri"], refers_to_date=revisit_of["date"],
        )  # fmt: skip
    request = writer.records.request(ex, record_id=f"<urn:uuid:{uuid.uuid4()}>",
                                     warcinfo_id=warcinfo_id, concurrent_to=response_id)  # fmt: skip
    writer.write([response, request])
    return response_id


def _same_as_cdxj_indexer(data_dir: Path, warc: Path, entries) -> bytes:
    """The index from entries; asserts it equals cdxj-indexer's for the same file."""
    ours = write_cdxj_from_entries(data_dir, warc, entries).read_bytes()
    theirs = write_cdxj_index(data_dir.parent / "reference", warc).read_bytes()
    assert ours == theirs
    assert not list((data_dir / "index").glob("*.tmp"))
    return ours


def test_entries_give_the_index_cdxj_indexer_gives(tmp_path):
    writer = WarcFileWriter(tmp_path / "data", clock=fixed_clock())
    first = "http://news.example/2024/05/06/us/story"
    first_id = _write(writer, _exchange(first, 0))
    _write(writer, _exchange(first, 1), revisit_of={"id": first_id, "uri": first,
                                                    "date": "2024-05-06T07:08:09.123456Z"})  # fmt: skip
    _write(writer, _exchange("http://news.example/old", 2, status=301,
                             headers=[("Location", "/2024/05/06/us/story")], body=b""))  # fmt: skip
    _write(writer, _exchange("http://news.example/gone", 3, status=404,
                             headers=[("Content-Type", "text/html")]))  # fmt: skip
    _write(writer, _exchange("http://news.example/robots.txt", 4,
                             headers=[("Content-Type", "text/plain")], body=b"User-agent: *\n"))  # fmt: skip
    _write(writer, _exchange("http://news.example/cut", 5, truncated="length"))
    _write(writer, _exchange("http://news.example/odd-status", 6, status=599))
    # Header values as servers send them: Latin-1 and UTF-8 bytes, stray spaces, odd names.
    _write(
        writer,
        _exchange("http://news.example/latin", 7, headers=[("Content-Type", "text/h\xe9ml")]),
    )
    _write(
        writer,
        _exchange("http://news.example/utf8", 8, headers=[("Content-Type", "t\xc3\xabxt/html")]),
    )
    _write(
        writer,
        _exchange("http://news.example/space", 9, headers=[("Content-Type", "  text/plain ;x")]),
    )
    _write(
        writer, _exchange("http://news.example/name", 10, headers=[("content-type ", "image/png")])
    )
    _write(writer, _exchange("http://news.example/empty", 11, headers=[("Content-Type", "")]))
    _write(writer, _exchange("http://news.example/none", 12, headers=[]))
    _write(writer, _exchange("http://news.example/caf\xe9?q=a b", 13))
    _write(writer, _exchange("HTTP://NEWS.EXAMPLE/Upper", 14))
    _write(writer, _exchange("ftp://news.example/file.txt", 15))  # no HTTP headers read back
    warcinfo_id = writer.ensure_open()
    builder = writer.records.builder
    resource = builder.create_warc_record(  # as archives before conversion records hold
        "urn:newsarchive:article:" + first, "resource", payload=io.BytesIO(b'{"title": "A story"}'),
        length=20, warc_content_type="application/json",
        warc_headers_dict={"WARC-Date": "2024-05-06T07:08:09.123456Z", "WARC-Warcinfo-ID": warcinfo_id,
                           "WARC-Concurrent-To": first_id},
    )  # fmt: skip
    conversion = writer.records.article_conversion(
        "0123456789abcdef", b'{"title": "A story"}', record_id=f"<urn:uuid:{uuid.uuid4()}>",
        date="2024-05-06T07:08:09.123456Z", warcinfo_id=warcinfo_id, refers_to=first_id,
    )  # fmt: skip
    fields = builder.create_warc_record(first, "metadata", payload=io.BytesIO(b"via: x\r\n"), length=8,
                                        warc_content_type="application/warc-fields")  # fmt: skip
    note = builder.create_warc_record(first, "metadata", payload=io.BytesIO(b"a note"), length=6,
                                      warc_content_type="text/plain; charset=utf-8")  # fmt: skip
    writer.write([resource, conversion, fields, note])
    info = writer.close()
    assert info is not None and info.index_entries is not None
    # Not the warcinfo, the requests, the warc-fields metadata or the article's conversion
    # record (out of replay): 16 responses, a resource, a note.
    assert len(info.index_entries) == 18
    index = _same_as_cdxj_indexer(tmp_path / "data", tmp_path / "data" / info.relpath,
                                  info.index_entries).decode()  # fmt: skip
    assert '"mime": "warc/revisit"' in index and '"status": "599"' in index
    assert index.startswith("example,news)/2024/05/06/us/story 20240506070809 {")  # SURT keys


def test_each_rotated_file_is_indexed_from_its_entries(tmp_path, monkeypatch):
    """`[warc] max_file_bytes = 1`: every capture opens a new file; each file's index (built
    by the session's publisher, without reading the file) equals cdxj-indexer's."""

    def read_back(*_args, **_kwargs):
        raise AssertionError("a closed file of the session was read back to index it")

    monkeypatch.setattr(publishing, "write_cdxj_index", read_back)
    data_dir = tmp_path / "data"
    session = ArchiveSession(Config(data_dir=data_dir, warc=WarcConfig(max_file_bytes=1)),
                             command="crawl", sites=["example"])  # fmt: skip
    url = "http://news.example/2024/05/06/us/story"
    session.capture(_exchange(url, 0), kind="article", site="example")
    session.capture(_exchange(url, 1), kind="article", site="example")  # a revisit
    session.capture(
        _exchange("http://news.example/gone", 2, status=404), kind="article", site="example"
    )
    session.failed_fetch(_exchange("http://news.example/reset", 3, status=None), kind="article",
                         site="example", outcome="connection-error", error="reset")  # fmt: skip
    session.capture(_exchange(url + "?page=2", 4), kind="index", site="example")
    figures = session.close()
    warcs = [data_dir / rel for rel in figures["warc_files"]]
    assert len(warcs) == 5
    assert all(info.index_entries is None for info in session.warc.closed_files)  # handed over
    monkeypatch.undo()
    for warc in warcs:
        theirs = write_cdxj_index(tmp_path / "reference", warc).read_bytes()
        assert (data_dir / index_relpath(warc.name)).read_bytes() == theirs
    assert b"warc/revisit" in (data_dir / index_relpath(warcs[1].name)).read_bytes()
    assert (data_dir / index_relpath(warcs[3].name)).read_bytes() == b""  # a request only


def test_entries_that_cannot_be_made_leave_the_file_to_cdxj_indexer(tmp_path, monkeypatch):
    """Entries are an optimisation: when one cannot be made, the records are still written
    and the closed file (no entries) is indexed by reading it."""

    def fails(*_args):
        raise warc_files.NotIndexable("say, a header value spanning lines")

    monkeypatch.setattr(warc_files, "index_entry", fails)
    writer = WarcFileWriter(tmp_path, clock=fixed_clock())
    write_capture(writer, 0)
    info = writer.close()
    assert info is not None and info.index_entries is None and info.records == 3
    assert index_warc(tmp_path, info.relpath, info.index_entries) == index_relpath(info.filename)
    assert "com,example)/page/0 " in (tmp_path / index_relpath(info.filename)).read_text()


def test_crawl_indexes_equal_cdxj_indexer_byte_for_byte(
    serve_site, data_dir, mirror_config, tmp_path
):
    """A crawl of the bad-input site (responses, requests, robots.txt, redirects, 404s, a
    truncated body, article resources), then `recheck --all` of the unchanged site
    (revisits): each closed file's index equals cdxj-indexer's. cdxj-indexer is made
    unimportable in the crawl, so the indexes cannot come from reading the files back."""
    blocker = tmp_path / "no-cdxj-indexer" / "cdxj_indexer"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text(
        'raise ImportError("a crawl must not read its WARCs back")\n'
    )
    env = {
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(blocker.parent), os.environ.get("PYTHONPATH")])
        )
    }
    site = serve_site("bad-input")
    crawl = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                    data_dir=data_dir, config=mirror_config, env=env)  # fmt: skip
    assert crawl.returncode == 0, crawl.stderr
    recheck = run_cli("recheck", "--all", "--no-progress", "--json",
                      data_dir=data_dir, config=mirror_config, env=env)  # fmt: skip
    assert recheck.returncode == 0, recheck.stderr
    warcs = sorted((data_dir / "warc").rglob("*.warc.gz"))
    assert len(warcs) == 2
    kinds: set[str] = set()
    for warc in warcs:
        ours = data_dir / index_relpath(warc.name)
        assert ours.is_file(), f"no index for {warc.name}"
        assert ours.read_bytes() == write_cdxj_index(tmp_path / "reference", warc).read_bytes()
        kinds |= _kinds_of_records(warc)
    for kind in ("response", "request", "revisit", "conversion", "response 3xx", "response 404",
                 "robots.txt", "truncated", "article"):  # fmt: skip
        assert kind in kinds, kind


def _kinds_of_records(warc: Path) -> set[str]:
    """What a WARC holds: record types, `response 404`, `response 3xx`, robots.txt, …"""
    kinds = set()
    with open(warc, "rb") as stream:
        for record in ArchiveIterator(stream):
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            status = record.http_headers.get_statuscode() if record.http_headers else "-"
            kinds |= {
                record.rec_type,
                f"{record.rec_type} {status}",
                f"{record.rec_type} {status[0]}xx",
            }
            if uri.endswith("/robots.txt"):
                kinds.add("robots.txt")
            if uri.startswith("urn:newsarchive:article:"):
                kinds.add("article")
            if record.rec_headers.get_header("WARC-Truncated"):
                kinds.add("truncated")
    return kinds


def test_a_file_with_more_entries_than_the_cap_is_indexed_from_the_file(tmp_path):
    """Memory stays bounded: past `max_index_entries` the writer drops its entries."""
    writer = WarcFileWriter(tmp_path, clock=fixed_clock(), max_index_entries=1)
    write_capture(writer, 0)
    write_capture(writer, 1)
    info = writer.close()
    assert info is not None and info.index_entries is None
    assert index_warc(tmp_path, info.relpath, info.index_entries) == index_relpath(info.filename)
    text = (tmp_path / index_relpath(info.filename)).read_text()
    assert "com,example)/page/0 " in text and "com,example)/page/1 " in text
