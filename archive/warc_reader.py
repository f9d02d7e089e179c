"""Read one WARC record by its pointer (file name, offset, length): from the local file when
it is there, else from S3 by byte range (the local copy was deleted after a verified upload).
The one way the archive reads a single record: the API and CLI (`read_response`), exports
(`read_member`: a WACZ's revisit originals, the site signals), verify (`first_record`).

Every record is its own gzip member (docs/warc.md), so the bytes [offset, offset + length) are
a complete, independently readable record.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from warcio.recordloader import ArcWarcRecord

from archive import catalog_schema as t
from archive.config import Config
from archive.s3_config import S3Config, make_s3_client, s3_config_of


class RecordUnavailable(Exception):
    """The record is neither in the data directory nor in S3."""


# `read_record_bytes` bound to a config: (file name, offset, length) -> the member's bytes.
FetchRange = Callable[[str, int, int], bytes]


def read_local_member(path: Path, offset: int, length: int) -> bytes:
    """The bytes [offset, offset + length) of a local WARC file."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        return stream.read(length)


def read_member(data_dir: Path, relpath: str | None, filename: str, offset: int, length: int,
                fetch: FetchRange | None) -> bytes:  # fmt: skip
    """The gzip member of one record: from `data_dir / relpath` when that file is there, else
    through `fetch` (S3 by byte range). Raises RecordUnavailable when neither can give it,
    or when what came back is not `length` bytes of a gzip member."""
    if relpath is not None and (data_dir / relpath).is_file():
        member = read_local_member(data_dir / relpath, offset, length)
    elif fetch is not None:
        member = fetch(filename, offset, length)
    else:
        raise RecordUnavailable(f"{filename} is not in {data_dir} and there is no S3 reader")
    if len(member) != length or member[:2] != b"\x1f\x8b":
        raise RecordUnavailable(f"{filename}: no whole record at offset {offset}")
    return member


def first_record(member: bytes, *, check_digests: bool = False) -> ArcWarcRecord:
    """The record a gzip member holds, read by warcio (its payload still to be read from
    `raw_stream`); StopIteration when there is none."""
    from warcio.archiveiterator import ArchiveIterator

    return next(iter(ArchiveIterator(io.BytesIO(member), check_digests=check_digests)))


# One boto3 client per `[s3]` setting, shared by every read of a process (clients are
# thread-safe): a WACZ export fetches a deleted WARC in many ranged reads, `verify` reads
# every record, and each would otherwise build a client and open a connection of its own.
_CLIENTS: dict[S3Config, Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _client_for(s3: S3Config) -> Any:
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(s3)
        if client is None:
            if len(_CLIENTS) >= 4:
                _CLIENTS.clear()
            client = _CLIENTS[s3] = make_s3_client(s3)
        return client


def _relpath_of(catalog: Any, filename: str) -> str | None:
    with catalog.engine.connect() as conn:
        rel = conn.execute(
            select(t.warc_files.c.relpath).where(t.warc_files.c.filename == filename)
        ).scalar()
    return str(rel) if rel else None


def read_record_bytes(
    config: Config, catalog: Any, filename: str, offset: int, length: int
) -> bytes:
    """The gzip member of one record: local file if present, else an S3 ranged GET."""
    relpath = _relpath_of(catalog, filename)
    if relpath is None:
        found = sorted((config.data_dir / "warc").rglob(filename))
        relpath = found[0].relative_to(config.data_dir).as_posix() if found else None
    if relpath and (config.data_dir / relpath).is_file():
        return read_local_member(config.data_dir / relpath, offset, length)
    s3 = s3_config_of(config)
    if s3 is None:
        raise RecordUnavailable(
            f"{filename} is not in {config.data_dir} and [s3] is not configured"
        )
    from archive.upload_state import UploadTable
    from archive.uploads import Publisher, one_line

    key = UploadTable(catalog.engine).uploaded_key(relpath) if relpath else None
    if key is None:
        raise RecordUnavailable(
            f"{filename} is not in {config.data_dir} and was never uploaded to S3"
        )
    try:
        publisher = Publisher(
            s3, config.data_dir, UploadTable(catalog.engine), client=_client_for(s3)
        )
        data = publisher.get_range(key, offset, length)
    except Exception as exc:
        raise RecordUnavailable(
            f"{filename} is not local and S3 could not be read: {one_line(exc)}"
        ) from exc
    if len(data) != length:
        raise RecordUnavailable(
            f"s3://{s3.bucket}/{key}: got {len(data)} bytes at {offset}, expected {length}"
        )
    return data


@dataclass
class ArchivedResponse:
    """An archived HTTP response: status line, headers in order, body with its content-coding
    removed (archive/content_coding.py: gzip, deflate, br, zstd).

    `headers` describe the body given: when it was decoded, `Content-Encoding` and
    `Content-Length` are kept as `X-Archive-Orig-…` and the decoded length is written.
    `stored_headers` are the headers exactly as the record holds them."""

    record_type: str
    target_uri: str
    status_line: str
    headers: list[tuple[str, str]]
    body: bytes
    stored_headers: list[tuple[str, str]] | None = None


def decoded_headers(headers: list[tuple[str, str]], body_length: int) -> list[tuple[str, str]]:
    """`headers` made true for a decoded body of `body_length` bytes."""
    out: list[tuple[str, str]] = []
    for name, value in headers:
        if name.lower() in ("content-encoding", "content-length"):
            out.append(("X-Archive-Orig-" + name, value))
        else:
            out.append((name, value))
    out.append(("Content-Length", str(body_length)))
    return out


def parse_response(member: bytes) -> ArchivedResponse:
    """Parse one gzip member holding a `response` (or `revisit`) record; raises
    `RecordUnavailable` when its body cannot be decoded (the reason in one line)."""
    from archive.content_coding import PayloadDecodingError, codings, decode_payload, header

    record = first_record(member)
    http = record.http_headers
    if http is None:
        raise RecordUnavailable(f"the record is a {record.rec_type} record without HTTP headers")
    stored = list(http.headers)
    raw = record.raw_stream.read()
    encoding = header(stored, "Content-Encoding")
    try:
        body = decode_payload(raw, encoding)
    except PayloadDecodingError as exc:
        raise RecordUnavailable(f"the archived body cannot be decoded ({exc})") from None
    return ArchivedResponse(
        record_type=record.rec_type,
        target_uri=record.rec_headers.get_header("WARC-Target-URI") or "",
        status_line=f"{http.protocol} {http.statusline}",
        headers=decoded_headers(stored, len(body)) if codings(encoding) else stored,
        body=body,
        stored_headers=stored,
    )


def read_response(config: Config, catalog: Any, pointer: dict[str, Any]) -> ArchivedResponse:
    """The response a JSON record's `warc` pointer names."""
    member = read_record_bytes(config, catalog, pointer["filename"], int(pointer["offset"]),
                               int(pointer["length"]))  # fmt: skip
    return parse_response(member)
