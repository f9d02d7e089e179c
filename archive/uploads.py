"""Verified uploads of closed files to S3, and deletion of the local copy only after one.

Verification: every object is uploaded with `ChecksumAlgorithm="SHA256"` (botocore
computes it over the bytes it sends, S3 checks it on arrival and stores it). After the
upload, HeadObject(ChecksumMode=ENABLED) returns the stored checksum, which is compared
with one computed from the local file *before* the upload, in the same single read pass:

- single-part object: base64(SHA-256 of the file);
- multipart object: S3's composite checksum, base64(SHA-256 of the concatenated raw
  SHA-256 of each part) + "-<parts>"; the part size is the one s3transfer uses
  (TransferConfig chunk size through its `ChunksizeAdjuster`), so it is computed exactly
  without downloading anything;
- a service that stores no checksum (some S3-compatible ones): the ETag, MD5 of the file
  or, for multipart, MD5 of the parts' MD5s + "-<parts>", computed in the same pass.

A WARC file's SHA-256 is also recorded while it is written; a local file that no longer
matches it is not uploaded (bit rot, or someone edited it) and stays failed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.s3_config import S3Config, make_s3_client
from archive.upload_state import UploadTable
from archive.warc_files import OPEN_SUFFIX

logger = logging.getLogger(__name__)

_READ = 1024 * 1024
# Errors that say "S3 as a whole is out of reach", not "this file": after one of them the
# rest of the batch is not attempted (each would wait for its own timeouts).
_SERVICE_ERROR_NAMES = {"EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError",
                        "ReadTimeoutError", "NoCredentialsError", "PartialCredentialsError",
                        "ProxyConnectionError", "SSLError", "ConnectionError"}  # fmt: skip
_SERVICE_ERROR_CODES = ("NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                        "ExpiredToken", "InvalidToken", "AllAccessDisabled")  # fmt: skip


class VerificationError(Exception):
    """The object in S3 does not match the local file."""


@dataclass
class FileDigests:
    """Everything compared after an upload, from one read of the file."""

    size: int
    sha256_hex: str
    sha256_b64: str
    composite_b64: str  # "<b64>-<parts>" when uploaded in parts, else ""
    etag: str  # quoted hex MD5, or "<md5 of md5s>-<parts>"
    mtime_ns: int


def file_digests(path: Path, *, part_size: int | None) -> FileDigests:
    """Hash a file once; `part_size` is the multipart part size (None: single part)."""
    stat = path.stat()
    whole, whole_md5 = hashlib.sha256(), hashlib.md5()
    part_sha: list[bytes] = []
    part_md5: list[bytes] = []
    with open(path, "rb") as stream:
        while True:
            part = hashlib.sha256() if part_size else None
            pmd5 = hashlib.md5() if part_size else None
            remaining = part_size or -1
            got = 0
            while remaining != 0:
                chunk = stream.read(_READ if remaining < 0 else min(_READ, remaining))
                if not chunk:
                    break
                whole.update(chunk)
                whole_md5.update(chunk)
                if part is not None and pmd5 is not None:
                    part.update(chunk)
                    pmd5.update(chunk)
                got += len(chunk)
                if remaining > 0:
                    remaining -= len(chunk)
            if part is not None and pmd5 is not None and got:
                part_sha.append(part.digest())
                part_md5.append(pmd5.digest())
            if not part_size or got == 0 or remaining != 0:
                break
    composite = etag = ""
    if part_size and part_sha:
        composite = base64.b64encode(hashlib.sha256(b"".join(part_sha)).digest()).decode()
        composite += f"-{len(part_sha)}"
        etag = f'"{hashlib.md5(b"".join(part_md5)).hexdigest()}-{len(part_md5)}"'
    else:
        etag = f'"{whole_md5.hexdigest()}"'
    return FileDigests(size=stat.st_size, sha256_hex=whole.hexdigest(),
                       sha256_b64=base64.b64encode(whole.digest()).decode(),
                       composite_b64=composite, etag=etag, mtime_ns=stat.st_mtime_ns)  # fmt: skip


def is_service_error(exc: BaseException) -> bool:
    """True when the error is about S3 as a whole (unreachable, credentials, bucket)."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ in _SERVICE_ERROR_NAMES:
            return True
        if any(code in str(seen) for code in _SERVICE_ERROR_CODES):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class UploadResult:
    relpath: str
    state: str  # uploaded, failed, skipped (not attempted: S3 already unreachable)
    key: str = ""
    size: int = 0
    error: str | None = None
    deleted_local: bool = False


class Publisher:
    """Uploads data-directory files to `[s3]` with verification and records each outcome
    in the `uploads` table. Reads `S3Config` (bucket, prefix, endpoint_url, region,
    multipart_*, delete_local_after_upload). Thread-safe enough for one worker thread plus
    readers; once S3 proves unreachable, `unreachable` holds the error and later files are
    skipped (left pending) until `reset()`.
    """

    def __init__(self, s3: S3Config, data_dir: Path, table: UploadTable, *,
                 delete_local: bool | None = None, client: Any = None) -> None:  # fmt: skip
        self.s3 = s3
        self.data_dir = Path(data_dir)
        self.table = table
        self.delete_local = s3.delete_local_after_upload if delete_local is None else delete_local
        self._client = client
        self._lock = threading.Lock()
        self.unreachable: str | None = None

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = make_s3_client(self.s3)
            return self._client

    def reset(self) -> None:
        self.unreachable = None

    def _transfer_config(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(multipart_threshold=self.s3.multipart_threshold_bytes,
                              multipart_chunksize=self.s3.multipart_chunk_bytes)  # fmt: skip

    def part_size_for(self, size: int) -> int | None:
        """The part size s3transfer will use for a file of `size` bytes (None: one PUT)."""
        if size < self.s3.multipart_threshold_bytes:
            return None
        from s3transfer.utils import ChunksizeAdjuster

        return int(ChunksizeAdjuster().adjust_chunksize(self.s3.multipart_chunk_bytes, size))

    def upload(
        self, row: dict[str, Any], progress: Callable[[int], None] | None = None
    ) -> UploadResult:
        """Upload one `uploads` row's file, verify it, record the outcome; never raises for
        an S3 or file problem (the result says what happened)."""
        relpath = row["relpath"]
        key = self.s3.key_for(relpath)
        if self.unreachable:
            self.table.note_skipped(relpath, self.unreachable)
            return UploadResult(relpath, "skipped", key, error=f"not attempted: {self.unreachable}")
        try:
            digests = self._upload_verified(row, key, progress)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, none stops a crawl
            error = one_line(exc)
            if is_service_error(exc):
                self.unreachable = error
            self.table.mark_failed(relpath, error)
            logger.debug("upload of %s failed: %s", relpath, error)
            return UploadResult(relpath, "failed", key, error=error)
        self.table.mark_uploaded(relpath, key=key, checksum=digests.composite_b64 or digests.sha256_b64,
                                 sha256=digests.sha256_hex, size=digests.size)  # fmt: skip
        result = UploadResult(relpath, "uploaded", key, size=digests.size)
        if self.delete_local:
            result.deleted_local = self._delete_local(relpath, digests)
        return result

    def _upload_verified(self, row: dict[str, Any], key: str,
                         progress: Callable[[int], None] | None) -> FileDigests:  # fmt: skip
        relpath = row["relpath"]
        if relpath.endswith(OPEN_SUFFIX):
            raise ValueError(f"{relpath} is still being written (.open): never uploaded")
        path = self.data_dir / relpath
        if not path.is_file():
            raise FileNotFoundError(f"local file missing: {path}")
        size = path.stat().st_size
        digests = file_digests(path, part_size=self.part_size_for(size))
        if row.get("kind") == "warc" and row.get("sha256") and row["sha256"] != digests.sha256_hex:
            raise VerificationError(f"{relpath} no longer matches the SHA-256 recorded when it was "
                                    f"written ({row['sha256'][:12]}…, now {digests.sha256_hex[:12]}…): "
                                    "not uploaded; check the disk")  # fmt: skip
        self.client.upload_file(str(path), self.s3.bucket, key, Callback=progress,
                                ExtraArgs={"ChecksumAlgorithm": "SHA256"},
                                Config=self._transfer_config())  # fmt: skip
        self.verify_object(key, digests)
        return digests

    def verify_object(self, key: str, digests: FileDigests) -> str:
        """Compare the stored object with the local digests; returns the checksum compared."""
        head = self.client.head_object(Bucket=self.s3.bucket, Key=key, ChecksumMode="ENABLED")
        if int(head.get("ContentLength", -1)) != digests.size:
            raise VerificationError(f"{key}: S3 holds {head.get('ContentLength')} bytes, "
                                    f"the local file {digests.size}")  # fmt: skip
        remote = head.get("ChecksumSHA256")
        if remote:
            # Multipart: AWS answers "<composite>-<parts>"; some services (moto) leave out
            # the part count. Both are compared with the composite we computed.
            expected = digests.composite_b64 or digests.sha256_b64
            if "-" not in remote and "-" in expected:
                expected = expected.rsplit("-", 1)[0]
            if remote != expected:
                raise VerificationError(f"{key}: S3 SHA-256 checksum {remote} ≠ local {expected}")
            return str(remote)
        etag = str(head.get("ETag", ""))
        if etag != digests.etag:
            raise VerificationError(
                f"{key}: no SHA-256 checksum stored and ETag {etag} ≠ local {digests.etag}"
            )
        return etag

    def _delete_local(self, relpath: str, digests: FileDigests) -> bool:
        """Delete only the exact bytes that were verified: same size and mtime as hashed."""
        path = self.data_dir / relpath
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        if stat.st_size != digests.size or stat.st_mtime_ns != digests.mtime_ns:
            logger.warning("%s changed after its upload was verified: local copy kept", relpath)
            return False
        path.unlink()
        self.table.mark_local_deleted(relpath)
        return True

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        """Bytes [offset, offset + length) of an object (a WARC record by its pointer)."""
        response = self.client.get_object(Bucket=self.s3.bucket, Key=key,
                                          Range=f"bytes={offset}-{offset + length - 1}")  # fmt: skip
        data: bytes = response["Body"].read()
        return data
