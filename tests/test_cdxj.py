"""CDXJ indexes of closed WARC files (archive/cdxj.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.cdxj import index_relpath, write_cdxj_index
from archive.warc_files import OPEN_SUFFIX, WarcFileWriter
from archive.warc_reader import parse_response
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
