"""Checks every closed WARC file must pass (docs/warc.md: gzip -t, warcio check, reading back)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

BIN = Path(sys.executable).parent


def warc_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "warc").rglob("*.warc.gz"))


def open_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "warc").rglob("*.open"))


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every record as a dict: type, headers, http status/headers, raw stored body, offset."""
    records = []
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            body = record.raw_stream.read()
            records.append({
                "type": record.rec_type,
                "headers": dict(record.rec_headers.headers),
                "warc_headers": record.rec_headers,
                "http": record.http_headers,
                "body": body,
                "offset": iterator.get_record_offset(),
            })  # fmt: skip
    return records


def read_record_at(path: Path, offset: int) -> dict[str, Any]:
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return {"type": record.rec_type, "headers": dict(record.rec_headers.headers),
                "http": record.http_headers, "body": record.raw_stream.read()}  # fmt: skip


def check_closed_warc(path: Path) -> list[dict[str, Any]]:
    """gzip -t, warcio check, and the structural rules; returns the records."""
    assert not path.name.endswith(".open")
    subprocess.run(["gzip", "-t", str(path)], check=True)
    check = subprocess.run(
        [str(BIN / "warcio"), "check", "-v", str(path)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # Every record is its own gzip member: reading member by member gives each record.
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    records = read_records(path)
    assert records and records[0]["type"] == "warcinfo"
    assert records[0]["headers"].get("WARC-Filename") == path.name
    warcinfo_id = records[0]["headers"]["WARC-Record-ID"]
    by_id = {r["headers"]["WARC-Record-ID"]: r for r in records}
    for r in records:
        h = r["headers"]
        assert r["warc_headers"].protocol == "WARC/1.1", r["warc_headers"].protocol
        if r["type"] != "warcinfo":
            assert h.get("WARC-Warcinfo-ID") == warcinfo_id
            assert "#" not in h["WARC-Target-URI"] and "<" not in h["WARC-Target-URI"]
            assert "." in h["WARC-Date"], "WARC-Date needs microseconds"
        if r["type"] == "response":
            length = r["http"].get_header("Content-Length")
            if length is not None:
                assert int(length) == len(r["body"]), (h["WARC-Target-URI"], length, len(r["body"]))
            assert r["http"].get_header("Transfer-Encoding") is None
            assert h["WARC-Payload-Digest"].startswith("sha1:")
        if r["type"] == "request" and "WARC-Concurrent-To" in h:
            response = by_id[h["WARC-Concurrent-To"]]
            assert response["type"] in ("response", "revisit")
            assert response["headers"]["WARC-Target-URI"] == h["WARC-Target-URI"]
            assert response["headers"]["WARC-Date"] == h["WARC-Date"]
    responses = [r for r in records if r["type"] in ("response", "revisit")]
    for resp in responses:
        rid = resp["headers"]["WARC-Record-ID"]
        assert any(r["type"] == "request" and r["headers"].get("WARC-Concurrent-To") == rid
                   for r in records), f"response {rid} has no request"  # fmt: skip
    gzip.decompress(raw)  # the whole file is a valid multi-member gzip stream
    return records


def replayable(warc: bytes) -> bool:
    """The WARC (its bytes) holds a record a CDXJ index lists (a response or revisit), not
    only warcinfo, requests and the articles' conversion records (docs/warc.md)."""
    import io

    return any(r.rec_type in ("response", "revisit", "resource", "metadata")
               for r in ArchiveIterator(io.BytesIO(warc)))  # fmt: skip


def check_archive(data_dir: Path) -> list[dict[str, Any]]:
    """All WARC files of a data directory are closed and valid; returns all their records."""
    assert open_files(data_dir) == [], "an .open WARC file was left behind"
    files = warc_files(data_dir)
    assert files, "no WARC file was written"
    records = []
    for path in files:
        for record in check_closed_warc(path):
            record["file"] = path
            records.append(record)
    return records
