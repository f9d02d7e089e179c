"""WARC files on disk (archive/warc_files.py): naming, `.open`, one gzip member per record,
rotation, callbacks, checksums (docs/warc.md, "Files")."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import os
import re
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import warc_files
from archive.exchange import HttpExchange
from archive.warc_files import OPEN_SUFFIX, WarcFileInfo, WarcFileWriter, hostname_for_filenames
from tests.warc_assertions import check_closed_warc

BIN = Path(sys.executable).parent
MOMENT = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
NAME = re.compile(
    r"^(?P<prefix>[a-z-]+)-(?P<stamp>\d{17})-(?P<serial>\d{5})-(?P<host>[A-Za-z0-9._]+)-(?P<pid>\d+)\.warc\.gz$"
)


def fixed_clock(moment: datetime = MOMENT):
    return lambda: moment


def exchange(n: int = 0, body: bytes | None = None) -> HttpExchange:
    body = body if body is not None else f"<html><body><p>page {n}</p></body></html>".encode()
    return HttpExchange(
        url=f"http://example.com/page/{n}",
        method="GET",
        request_headers=[("User-Agent", "newsarchive-test/1.0")],
        requested_at=MOMENT + timedelta(seconds=n),
        status=200,
        response_headers=[("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
        body=body,
    )


def write_capture(writer: WarcFileWriter, n: int = 0, body: bytes | None = None):
    """A response and its request, the way the session writes them."""
    writer.rotate_if_full()
    warcinfo_id = writer.ensure_open()
    ex = exchange(n, body)
    response = writer.records.response(
        ex, record_id=f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>", warcinfo_id=warcinfo_id
    )
    response_id = response.rec_headers.get_header("WARC-Record-ID")
    request = writer.records.request(
        ex,
        record_id=f"<urn:uuid:00000000-0000-4000-9000-{n:012d}>",
        warcinfo_id=warcinfo_id,
        concurrent_to=response_id,
    )
    return writer.write([response, request])


def check_tools(path: Path) -> None:
    subprocess.run(["gzip", "-t", str(path)], check=True)
    check = subprocess.run(
        [str(BIN / "warcio"), "check", "-v", str(path)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


# -- naming and .open ------------------------------------------------------------------


def test_file_name_and_directory(tmp_path):
    writer = WarcFileWriter(tmp_path, prefix="testarchive", clock=fixed_clock())
    writer.ensure_open()
    info = writer.close()
    assert info is not None
    match = NAME.match(info.filename)
    assert match, info.filename
    assert match["prefix"] == "testarchive"
    assert match["stamp"] == "20240506070809123"  # UTC, to the millisecond: 17 digits
    assert match["host"] == hostname_for_filenames()
    assert match["pid"] == str(os.getpid())
    assert info.relpath == f"warc/2024/05/06/{info.filename}"
    assert (tmp_path / info.relpath).is_file()


def test_hostname_in_file_names_is_safe():
    host = hostname_for_filenames()
    assert host and re.fullmatch(r"[A-Za-z0-9._]+", host)
    assert "-" not in host, "a dash in the host part would make the name ambiguous to split"


def test_file_is_open_while_written_and_renamed_on_close(tmp_path):
    writer = WarcFileWriter(tmp_path, clock=fixed_clock())
    writer.ensure_open()
    write_capture(writer)
    assert writer.current is not None
    final = tmp_path / writer.current.relpath
    open_path = Path(str(final) + OPEN_SUFFIX)
    assert open_path.is_file() and not final.exists()
    # Flushed after every write: what is on disk already is complete gzip members.
    on_disk = open_path.read_bytes()
    assert len(on_disk) == writer.current.size
    assert b"WARC-Type: request" in gzip.decompress(on_disk)

    info = writer.close()
    assert info is not None and info.closed_at is not None
    assert final.is_file() and not open_path.exists()
    assert list(tmp_path.rglob("*" + OPEN_SUFFIX)) == []
    assert writer.close() is None  # nothing open any more


def test_write_before_ensure_open_is_refused(tmp_path):
    writer = WarcFileWriter(tmp_path)
    with pytest.raises(RuntimeError, match="ensure_open"):
        writer.write([])
    assert not (tmp_path / "warc").exists()


def test_first_record_is_warcinfo_naming_the_closed_file(tmp_path):
    fields = {
        "software": "newsarchive/0.1.0",
        "hostname": "crawler-1",
        "operator": "Archive desk",
        "robots": "obey",
        "http-header-user-agent": "newsarchive-test/1.0",
    }
    writer = WarcFileWriter(tmp_path, warcinfo=fields, clock=fixed_clock())
    warcinfo_id = writer.ensure_open()
    write_capture(writer)
    info = writer.close()
    path = tmp_path / info.relpath
    records = check_closed_warc(path)
    first = records[0]
    assert first["type"] == "warcinfo"
    assert first["warc_headers"].protocol == "WARC/1.1"
    assert first["headers"]["WARC-Filename"] == info.filename == path.name
    assert first["headers"]["WARC-Record-ID"] == warcinfo_id
    body = first["body"].decode("utf-8")
    for key, value in fields.items():
        assert f"{key}: {value}\r\n" in body
    assert "format: WARC File Format 1.1\r\n" in body
    assert all(r["headers"].get("WARC-Warcinfo-ID") == warcinfo_id for r in records[1:])


# -- one gzip member per record -----------------------------------------------------------


def test_every_record_is_its_own_gzip_member(tmp_path):
    writer = WarcFileWriter(tmp_path, clock=fixed_clock())
    writer.ensure_open()
    warcinfo_size = writer.current.size
    locations = [loc for n in range(3) for loc in write_capture(writer, n)]
    info = writer.close()
    raw = (tmp_path / info.relpath).read_bytes()

    # Locations tile the file after the warcinfo member, back to back.
    assert locations[0].offset == warcinfo_size
    for a, b in itertools.pairwise(locations):
        assert b.offset == a.offset + a.length
    assert locations[-1].offset + locations[-1].length == len(raw) == info.size
    assert all(loc.filename == info.filename for loc in locations)

    for loc in locations:
        member = raw[loc.offset : loc.offset + loc.length]
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        record = inflater.decompress(member)
        assert inflater.eof and inflater.unused_data == b"", "a member must hold exactly one record"
        assert record.startswith(b"WARC/1.1\r\n")
        assert record.count(b"WARC/1.1\r\n") == 1
        assert f"WARC-Record-ID: {loc.record_id}\r\n".encode() in record
        assert gzip.decompress(member) == record

    # warcio agrees on the offsets.
    with open(tmp_path / info.relpath, "rb") as stream:
        iterator = ArchiveIterator(stream)
        offsets = {
            r.rec_headers.get_header("WARC-Record-ID"): iterator.get_record_offset()
            for r in iterator
        }
    assert {loc.record_id: loc.offset for loc in locations}.items() <= offsets.items()
    check_tools(tmp_path / info.relpath)


# -- rotation ------------------------------------------------------------------------------


def test_rotation_by_size_makes_several_valid_files_with_increasing_serials(tmp_path):
    opened: list[WarcFileInfo] = []
    closed: list[WarcFileInfo] = []
    writer = WarcFileWriter(
        tmp_path,
        max_file_bytes=2_000,
        clock=fixed_clock(),
        on_open=opened.append,
        on_close=closed.append,
    )
    where = {}
    for n in range(12):
        body = os.urandom(300)  # incompressible: each capture is a few hundred bytes of gzip
        for loc in write_capture(writer, n, body):
            where[loc.record_id] = loc.filename
    writer.close()

    assert len(closed) >= 3
    assert (
        [i.filename for i in opened]
        == [i.filename for i in closed]
        == [i.filename for i in writer.closed_files]
    )
    serials = [int(NAME.match(i.filename)["serial"]) for i in closed]
    assert serials == sorted(serials) and len(set(serials)) == len(serials)
    assert len({i.filename for i in closed}) == len(closed)

    total = 0
    for info in closed:
        path = tmp_path / info.relpath
        records = check_closed_warc(path)
        check_tools(path)
        assert path.stat().st_size == info.size
        total += info.records
        for r in records[1:]:
            assert where[r["headers"]["WARC-Record-ID"]] == path.name
    for info in closed[:-1]:
        # Rolled over at the first chance once the limit was reached, not before.
        assert info.size >= writer.max_file_bytes
    assert total == 12 * 2 + len(closed)
    assert writer.bytes_written == sum(i.size for i in closed)
    assert list(tmp_path.rglob("*" + OPEN_SUFFIX)) == []


def test_no_rotation_below_the_limit(tmp_path):
    writer = WarcFileWriter(tmp_path, max_file_bytes=10_000_000)
    for n in range(5):
        write_capture(writer, n)
    writer.close()
    assert len(writer.closed_files) == 1
    assert writer.closed_files[0].records == 11


def test_next_write_after_close_opens_a_new_file(tmp_path):
    writer = WarcFileWriter(tmp_path, clock=fixed_clock())
    write_capture(writer, 0)
    first = writer.close()
    write_capture(writer, 1)
    second = writer.close()
    assert first.filename != second.filename
    assert (tmp_path / first.relpath).is_file() and (tmp_path / second.relpath).is_file()
    for info in (first, second):
        check_closed_warc(tmp_path / info.relpath)


# -- callbacks and checksums ---------------------------------------------------------------


def test_on_open_and_on_close_callbacks(tmp_path):
    events: list[tuple[str, WarcFileInfo, bool, bool]] = []

    def on_open(info: WarcFileInfo) -> None:
        path = tmp_path / info.relpath
        events.append(("open", info, Path(str(path) + OPEN_SUFFIX).exists(), path.exists()))

    def on_close(info: WarcFileInfo) -> None:
        path = tmp_path / info.relpath
        events.append(("close", info, Path(str(path) + OPEN_SUFFIX).exists(), path.exists()))

    writer = WarcFileWriter(tmp_path, on_open=on_open, on_close=on_close, clock=fixed_clock())
    write_capture(writer)
    assert [e[0] for e in events] == ["open"]
    _, opened, open_exists, final_exists = events[0]
    assert open_exists and not final_exists
    assert opened.opened_at == MOMENT and opened.closed_at is None and opened.sha256 == ""

    writer.close()
    assert [e[0] for e in events] == ["open", "close"]
    _, closed, open_exists, final_exists = events[1]
    assert not open_exists and final_exists  # told only once the rename is done
    assert closed.filename == opened.filename
    assert closed.records == 3 and closed.closed_at == MOMENT
    assert closed.size == (tmp_path / closed.relpath).stat().st_size


def test_sha256_is_the_hash_of_the_closed_file(tmp_path):
    writer = WarcFileWriter(tmp_path)
    for n in range(3):
        write_capture(writer, n)
    info = writer.close()
    assert info.sha256 == hashlib.sha256((tmp_path / info.relpath).read_bytes()).hexdigest()


# -- concurrency: one writer per file ------------------------------------------------------


def test_two_writers_in_one_directory_never_collide(tmp_path):
    # Two sessions in one process (same host, same pid), opening in the same millisecond.
    a = WarcFileWriter(tmp_path, clock=fixed_clock())
    b = WarcFileWriter(tmp_path, clock=fixed_clock())
    write_capture(a, 1)
    write_capture(b, 2)
    infos = [a.close(), b.close()]
    assert infos[0].filename != infos[1].filename
    for info, n in zip(infos, (1, 2), strict=False):
        records = check_closed_warc(tmp_path / info.relpath)
        assert records[1]["headers"]["WARC-Target-URI"] == f"http://example.com/page/{n}"


def test_a_closed_file_is_never_replaced_by_a_later_writer(tmp_path):
    # The first writer has already closed (renamed) its file when the second one opens in
    # the same millisecond: the `.open` name is free again, the final name is not.
    a = WarcFileWriter(tmp_path, clock=fixed_clock())
    write_capture(a, 1)
    first = a.close()
    first_bytes = (tmp_path / first.relpath).read_bytes()
    b = WarcFileWriter(tmp_path, clock=fixed_clock())
    write_capture(b, 2)
    second = b.close()
    assert second.filename != first.filename
    assert (tmp_path / first.relpath).read_bytes() == first_bytes
    assert len(list((tmp_path / "warc").rglob("*.warc.gz"))) == 2


def test_writers_opening_at_the_same_time_with_the_real_clock(tmp_path):
    writers = [WarcFileWriter(tmp_path) for _ in range(20)]
    for n, writer in enumerate(writers):
        write_capture(writer, n)
    names = [w.close().filename for w in writers]
    assert len(set(names)) == 20


def test_files_left_by_an_earlier_process_with_the_same_pid_are_kept(tmp_path, monkeypatch):
    # A restarted container often gets the same pid; serials start again at 0.
    monkeypatch.setattr(warc_files, "_serials", itertools.count())
    directory = tmp_path / "warc" / "2024" / "05" / "06"
    directory.mkdir(parents=True)
    tail = f"{hostname_for_filenames()}-{os.getpid()}.warc.gz"
    closed = directory / f"newsarchive-20240506070809123-00000-{tail}"
    crashed = directory / f"newsarchive-20240506070809123-00001-{tail}{OPEN_SUFFIX}"
    closed.write_bytes(b"closed before")
    crashed.write_bytes(b"left by a crash")
    writer = WarcFileWriter(tmp_path, clock=fixed_clock())
    write_capture(writer)
    info = writer.close()
    assert NAME.match(info.filename)["serial"] == "00002"
    assert closed.read_bytes() == b"closed before"
    assert crashed.read_bytes() == b"left by a crash"
    check_closed_warc(tmp_path / info.relpath)


def test_index_fields_of_an_http_head_are_what_warcio_parser_reads():
    """The CDXJ entry's mime and status are read from the written HTTP head without warcio's
    parser for ASCII heads: on heads with folded lines, stray CR/LF, colons, padding and
    non-ASCII bytes they must equal what the parser (and so cdxj-indexer) reads."""
    import io
    import random

    from archive.warc_files import _HTTP_PARSER, _http_fields

    heads = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
        b"HTTP/1.1 404 Not Found\r\nX: y\r\ncontent-TYPE :  text/plain ; q=1  \r\n\r\n",
        b"HTTP/1.0 301\r\nContent-Type:\r\n\ttext/html\r\n more\r\nContent-Type: b\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nNoColon\r\nContent-Type: a\r\n",
        b"HTTP/1.1 200 OK\r\n\r\nContent-Type: after-the-head\r\n\r\n",
        b"  \r\nContent-Type: a\r\n\r\n",
        b"HTTP/1.1 200 \xe9t\xe9\r\nContent-Type: caf\xc3\xa9\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: \xe9\r\n\r\n",
    ]
    rng = random.Random(21)
    atoms = [" ", "\t", ":", "\r", "\n", "\r\n", "\x0b", "\x1c", "a", "Content-Type",
             "content-TYPE", "HTTP/1.1", "200", "OK", "text/html", ";", "é"]  # fmt: skip
    for _ in range(20_000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randrange(1, 25)))
        heads.append(text.encode("utf-8" if rng.random() < 0.5 else "latin-1"))
    for head in heads:
        try:
            http = _HTTP_PARSER.parse(io.BytesIO(head))
        except EOFError:
            continue
        assert _http_fields(head) == (http.get_header("Content-Type"), http.get_statuscode())
