"""The [s3] config table and the upload state table (archive/s3_config.py, upload_state.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archive.catalog import Catalog
from archive.config import ConfigError
from archive.s3_config import parse_s3_config
from archive.upload_state import UploadTable, backoff_delay
from archive.uploads import file_digests


def test_s3_config_parses_and_builds_keys():
    assert parse_s3_config({}) is None
    cfg = parse_s3_config({"bucket": "b", "prefix": "/news/", "endpoint_url": "http://127.0.0.1:9000",
                           "region": "us-east-1", "delete_local_after_upload": True})  # fmt: skip
    assert cfg is not None and cfg.delete_local_after_upload
    assert cfg.key_for("warc/2026/05/05/x.warc.gz") == "news/warc/2026/05/05/x.warc.gz"
    assert cfg.key_for("index/x.warc.gz.cdxj") == "news/index/x.warc.gz.cdxj"
    bare = parse_s3_config({"bucket": "b"})
    assert (
        bare is not None
        and bare.key_for("records/2026/05/05/r.jsonl") == "records/2026/05/05/r.jsonl"
    )


@pytest.mark.parametrize("raw, message", [
    ({"bucket": "b", "buckt": "x"}, "unknown setting 'buckt'"),
    ({"bucket": "b", "aws_secret_access_key": "x"}, "credentials come from the AWS chain"),
    ({"prefix": "p"}, "'bucket' is required"),
    ({"bucket": "b", "delete_local_after_upload": "yes"}, "expected true or false"),
    ({"bucket": "b", "multipart_chunk_bytes": 1024}, "at least 5 MiB"),
])  # fmt: skip
def test_s3_config_errors(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_s3_config(raw)


def test_backoff_doubles_up_to_six_hours():
    assert [backoff_delay(n).total_seconds() for n in range(4)] == [30, 60, 120, 240]
    assert backoff_delay(30) == timedelta(hours=6)


def test_failed_files_wait_for_their_next_attempt(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    table = UploadTable(catalog.engine)
    assert table.register("warc/a.warc.gz", "warc", sha256="00", size=1)
    assert not table.register("warc/a.warc.gz", "warc")  # known: state kept
    table.register("index/a.warc.gz.cdxj", "index")
    now = datetime.now(UTC)
    next_at = table.mark_failed("warc/a.warc.gz", "boom", now=now)
    assert next_at == now + timedelta(seconds=30)
    assert [r["relpath"] for r in table.waiting(due_at=now)] == ["index/a.warc.gz.cdxj"]
    assert len(table.waiting()) == 2  # sync takes everything now
    assert len(table.waiting(due_at=now + timedelta(seconds=31))) == 2
    again = table.mark_failed("warc/a.warc.gz", "boom", now=now)
    assert again == now + timedelta(seconds=60) and table.get("warc/a.warc.gz")["attempts"] == 2
    table.mark_uploaded("index/a.warc.gz.cdxj", key="k", checksum="c", sha256="s", size=3)
    assert table.counts() == {"pending": 0, "uploaded": 1, "failed": 1}
    catalog.close()


def test_digests_match_s3_part_layout(tmp_path):
    import base64
    import hashlib

    path = tmp_path / "f"
    data = bytes(range(256)) * 41  # 10496 bytes: 3 parts of 4096 (the last short)
    path.write_bytes(data)
    parts = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    d = file_digests(path, part_size=4096)
    joined = b"".join(hashlib.sha256(p).digest() for p in parts)
    assert d.composite_b64 == base64.b64encode(hashlib.sha256(joined).digest()).decode() + "-3"
    assert d.sha256_hex == hashlib.sha256(data).hexdigest()
    md5s = b"".join(hashlib.md5(p).digest() for p in parts)
    assert d.etag == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    exact = tmp_path / "g"
    exact.write_bytes(data[:8192])  # an exact multiple: no empty last part
    assert file_digests(exact, part_size=4096).composite_b64.endswith("-2")
    single = file_digests(path, part_size=None)
    assert single.composite_b64 == "" and single.etag == f'"{hashlib.md5(data).hexdigest()}"'
