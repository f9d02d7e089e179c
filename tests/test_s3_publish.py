"""Publishing to S3 against moto's S3 server, a real HTTP server on 127.0.0.1 reached through
`endpoint_url`: crawls upload every closed file, outages lose nothing, `sync` catches up,
an unverified upload never costs a local file, a deleted WARC is read back by range."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from archive.catalog import Catalog
from archive.s3_config import parse_s3_config
from archive.upload_state import UploadTable
from archive.uploads import Publisher
from tests.conftest import BIN, MIRROR_CONFIG, REPO, SITES, run_cli
from tests.s3_server import BUCKET, MotoServer, aws_test_env
from tests.warc_assertions import check_archive, replayable

pytestmark = pytest.mark.timeout(120)

ARTICLE = "/2026/05/05/politics/senate-panel-air-traffic-control-bill"


@pytest.fixture
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = aws_test_env(tmp_path)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # run_cli's children inherit them
    return env


@pytest.fixture
def moto(aws_env: dict[str, str]) -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


def write_config(
    path: Path, server: MotoServer, *, warc: str = "", s3: str = "", crawl: str = ""
) -> Path:
    text = MIRROR_CONFIG
    if crawl:
        text = text.replace("download_timeout = 2\n", crawl)
    text += f"\n[warc]\n{warc}\n"
    text += (f'\n[s3]\nbucket = "{BUCKET}"\nprefix = "news/"\nendpoint_url = "{server.url}"\n'
             f'region = "us-east-1"\n{s3}\n')  # fmt: skip
    path.write_text(text)
    return path


def local_files(data_dir: Path) -> dict[str, bytes]:
    """Every closed WARC, index and records file, by its expected object key."""
    found = {}
    for sub, pattern in (("warc", "*.warc.gz"), ("index", "*.cdxj"), ("records", "*.jsonl")):
        for path in (data_dir / sub).rglob(pattern):
            found["news/" + path.relative_to(data_dir).as_posix()] = path.read_bytes()
    return found


def upload_rows(data_dir: Path) -> list[dict[str, Any]]:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            from sqlalchemy import select

            from archive import catalog_schema as t

            return [dict(r._mapping) for r in conn.execute(select(t.uploads))]
    finally:
        catalog.close()


def crawl(site: Any, data_dir: Path, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json", *extra,
                   data_dir=data_dir, config=config)  # fmt: skip


def test_crawl_uploads_every_closed_file_byte_for_byte(moto, serve_site, data_dir, tmp_path):
    site = serve_site("cnn-lite")
    config = write_config(tmp_path / "c.toml", moto, warc="max_file_bytes = 15_000")
    result = crawl(site, data_dir, config)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    check_archive(data_dir)
    local = local_files(data_dir)
    warcs = [k for k in local if k.startswith("news/warc/")]
    assert len(warcs) >= 2, "the small max_file_bytes should rotate files during the crawl"
    assert len([k for k in local if k.startswith("news/index/")]) == len(warcs)
    assert len([k for k in local if k.startswith("news/records/")]) == 1
    # Keys: <prefix>/warc/YYYY/MM/DD/<file>, <prefix>/index/<file>.cdxj, <prefix>/records/…
    assert all(k.count("/") == 5 for k in warcs)
    assert moto.objects() == local
    assert summary["uploads"]["uploaded"] == len(local)
    assert summary["uploads"]["pending"] == 0
    rows = upload_rows(data_dir)
    assert {r["state"] for r in rows} == {"uploaded"} and len(rows) == len(local)
    assert all(r["checksum"] and r["uploaded_at"] and r["key"] for r in rows)
    # Each index names its WARC by file name and points at real records (a file that rotation
    # left with only articles' conversion records has an empty index: they never replay).
    for key in warcs:
        name = key.rsplit("/", 1)[1]
        lines = local[f"news/index/{name}.cdxj"].decode().splitlines()
        assert bool(lines) == replayable(local[key]) and all(
            json.loads(line.split(" ", 2)[2])["filename"] == name for line in lines
        )
    # Nothing to do afterwards.
    again = run_cli("sync", "--json", "--no-progress", data_dir=data_dir, config=config)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["uploaded"] == 0


def test_s3_down_crawl_completes_and_sync_uploads_later(moto, serve_site, data_dir, tmp_path):
    site = serve_site("cnn-lite")
    config = write_config(tmp_path / "c.toml", moto, warc="max_file_bytes = 15_000",
                          s3="delete_local_after_upload = true")  # fmt: skip
    moto.stop()
    started = time.monotonic()
    result = crawl(site, data_dir, config)
    crawl_seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "stay pending" in result.stderr and "newsarchive sync" in result.stderr
    summary = json.loads(result.stdout)
    local = local_files(data_dir)
    assert summary["uploads"]["uploaded"] == 0
    assert summary["uploads"]["pending"] == len(local) >= 5
    check_archive(data_dir)  # nothing lost, and nothing deleted: no upload was verified
    assert {r["state"] for r in upload_rows(data_dir)} <= {"pending", "failed"}
    assert crawl_seconds < 30

    # Still down: sync fails with exit 1 and a one-line reason, files untouched.
    down = run_cli("sync", "--no-progress", data_dir=data_dir, config=config)
    assert down.returncode == 1
    assert "could not connect" in down.stderr.lower()
    assert local_files(data_dir) == local

    moto.start()  # same port; moto starts empty: the bucket is recreated
    dry = run_cli("sync", "--dry-run", "--json", data_dir=data_dir, config=config)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)["files"]
    assert {"news/" + f["relpath"] for f in planned} == set(local)
    assert moto.object_keys() == []
    up = run_cli("sync", "--json", "--no-progress", data_dir=data_dir, config=config)
    assert up.returncode == 0, up.stderr
    report = json.loads(up.stdout)
    assert report["uploaded"] == len(local) and report["pending"] == 0
    assert moto.objects() == local
    # Deleted only now, after verified uploads (delete_local_after_upload in the config).
    assert report["deleted_local"] == len(local)
    assert local_files(data_dir) == {}


def verified_warc_uploads(data_dir: Path) -> int:
    """WARC files the running crawl has recorded as uploaded (read-only: it owns the catalog)."""
    path = data_dir / "catalog.sqlite"
    if not path.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as db:
            row = db.execute(
                "SELECT count(*) FROM uploads WHERE state = 'uploaded' AND relpath LIKE 'warc/%'"
            ).fetchone()
    except sqlite3.OperationalError:  # not created yet, or busy
        return 0
    return int(row[0])


def test_server_stopped_mid_crawl_between_rotations(moto, serve_site, data_dir, tmp_path):
    """The S3 server stops answering (SIGSTOP) after the first WARC upload while the crawl
    still rotates files; the crawl completes, later files stay pending, `sync` sends them."""
    site = serve_site("cnn-lite")
    expected = json.loads((SITES / "cnn-lite" / "expected.json").read_text())
    routes = {}
    for i, article in enumerate(expected["articles"]):
        page = article["path"].strip("/") + "/index.html"
        routes[article["path"]] = {"delay": 0.5 + 0.4 * i, "body_file": page,
                                   "headers": {"Content-Type": "text/html; charset=utf-8"}}  # fmt: skip
    (site.root / "_routes.json").write_text(json.dumps(routes))
    config = write_config(tmp_path / "c.toml", moto, warc="max_file_bytes = 1",
                          crawl="download_timeout = 10\n",
                          s3="connect_timeout_seconds = 1\nread_timeout_seconds = 1\nmax_attempts = 1\n"
                             "close_timeout_seconds = 30")  # fmt: skip
    cmd = [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config),
           "crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json"]  # fmt: skip
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    try:
        # Wait for a WARC upload the crawl has verified and recorded, not merely for the object
        # to appear: moto stores it before answering, and pausing in between fails that upload.
        deadline = time.monotonic() + 30
        while not verified_warc_uploads(data_dir):
            assert proc.poll() is None and time.monotonic() < deadline, "no upload during the crawl"
            time.sleep(0.05)
        moto.pause()
        stdout, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
        moto.resume()
    assert proc.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["uploads"]["uploaded"] >= 1
    assert summary["uploads"]["pending"] >= 2
    assert "stay pending" in stderr
    check_archive(data_dir)
    local = local_files(data_dir)
    states = {r["relpath"]: r["state"] for r in upload_rows(data_dir)}
    assert (
        len(states) == len(local) and "uploaded" in states.values() and "failed" in states.values()
    )

    up = run_cli("sync", "--json", "--no-progress", data_dir=data_dir, config=config)
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["pending"] == 0
    assert moto.objects() == local  # every closed file, byte for byte
    assert {r["state"] for r in upload_rows(data_dir)} == {"uploaded"}


def test_response_read_back_by_range_after_local_copy_deleted(moto, serve_site, data_dir, tmp_path):
    site = serve_site("cnn-lite")
    (site.root / "robots.txt").write_text("User-agent: GPTBot\nDisallow: /\n")
    config = write_config(tmp_path / "c.toml", moto, s3="delete_local_after_upload = true")
    result = crawl(site, data_dir, config)
    assert result.returncode == 0, result.stderr
    assert list((data_dir / "warc").rglob("*.warc.gz")) == []  # deleted after verified uploads
    assert json.loads(result.stdout)["uploads"]["deleted_local"] >= 3
    shown = subprocess.run(
        [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config),
         "history", site.page(ARTICLE), "--response", "1"],
        capture_output=True, env={**os.environ, "COLUMNS": "200"}, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    head, _, body = shown.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Type: text/html" in head
    assert body == (site.root / ARTICLE.strip("/") / "index.html").read_bytes()
    headers = run_cli("history", site.page(ARTICLE), "--response", "1", "--headers-only",
                      data_dir=data_dir, config=config)  # fmt: skip
    assert (
        headers.returncode == 0
        and headers.stdout.startswith("HTTP/1.1 200 OK")
        and "<html" not in headers.stdout
    )
    # export's dataset card reads the archived robots.txt from S3 by range.
    out = tmp_path / "export" / "news.jsonl"
    out.parent.mkdir()
    exported = run_cli("export", "--format", "jsonl", "--out", str(out), "--no-progress",
                       data_dir=data_dir, config=config)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert "GPTBot" in (tmp_path / "export" / "news.jsonl.md").read_text()
    # verify reads every version's response record from S3 by range (no local WARC left).
    verified = run_cli("verify", "--json", data_dir=data_dir, config=config)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["pointers"] >= 6
    moto.stop()  # neither local nor reachable: one line, exit 1
    gone = run_cli(
        "history", site.page(ARTICLE), "--response", "1", data_dir=data_dir, config=config
    )
    assert gone.returncode == 1 and gone.stderr.startswith("error:") and "S3" in gone.stderr


# -- verification, in-process Publisher against the same real server ------------------------
def _publisher(tmp_path: Path, moto: MotoServer, **s3: Any) -> tuple[Publisher, Path]:
    data_dir = tmp_path / "pub"
    (data_dir / "warc").mkdir(parents=True)
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    cfg = parse_s3_config({"bucket": BUCKET, "prefix": "p", "endpoint_url": moto.url, "region": "us-east-1",
                           "delete_local_after_upload": True, **s3})  # fmt: skip
    assert cfg is not None
    return Publisher(cfg, data_dir, UploadTable(catalog.engine)), data_dir


def test_tampered_local_file_is_not_uploaded_nor_deleted(moto, tmp_path):
    import hashlib

    publisher, data_dir = _publisher(tmp_path, moto)
    path = data_dir / "warc" / "a.warc.gz"
    path.write_bytes(b"original bytes" * 100)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    publisher.table.register("warc/a.warc.gz", "warc", sha256=sha, size=path.stat().st_size)
    path.write_bytes(b"bit rot bytes!" * 100)  # same size, different content
    result = publisher.upload(publisher.table.get("warc/a.warc.gz"))
    assert result.state == "failed" and "no longer matches" in (result.error or "")
    assert path.read_bytes() == b"bit rot bytes!" * 100
    row = publisher.table.get("warc/a.warc.gz")
    assert row["state"] == "failed" and row["attempts"] == 1 and row["next_attempt_at"] is not None
    assert moto.object_keys() == []


def test_wrong_checksum_from_server_keeps_local_file(moto, tmp_path):
    publisher, data_dir = _publisher(tmp_path, moto)
    path = data_dir / "records.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 50)
    publisher.table.register("records.jsonl", "records")
    real_head = publisher.client.head_object

    def lying_head(**kwargs: Any) -> dict[str, Any]:
        head = dict(real_head(**kwargs))
        head["ChecksumSHA256"] = "AAAA" + head["ChecksumSHA256"][4:]
        return head

    publisher.client.head_object = lying_head
    result = publisher.upload(publisher.table.get("records.jsonl"))
    assert result.state == "failed" and "checksum" in (result.error or "")
    assert path.exists() and not result.deleted_local
    publisher.client.head_object = real_head
    result = publisher.upload(publisher.table.get("records.jsonl"))
    assert result.state == "uploaded" and result.deleted_local and not path.exists()


def test_multipart_upload_verified_by_composite_checksum(moto, tmp_path):
    publisher, data_dir = _publisher(tmp_path, moto, multipart_threshold_bytes=5 * 1024 * 1024,
                                     multipart_chunk_bytes=5 * 1024 * 1024)  # fmt: skip
    path = data_dir / "warc" / "big.warc.gz"
    payload = os.urandom(11 * 1024 * 1024 + 123)
    path.write_bytes(payload)
    publisher.table.register("warc/big.warc.gz", "warc")
    result = publisher.upload(publisher.table.get("warc/big.warc.gz"))
    assert result.state == "uploaded", result.error
    row = publisher.table.get("warc/big.warc.gz")
    assert row["checksum"].endswith("-3")  # composite SHA-256 of 3 parts, verified
    assert moto.objects() == {"p/warc/big.warc.gz": payload}
    assert result.deleted_local and not path.exists()


def test_unreachable_s3_fails_fast_and_keeps_files(aws_env, tmp_path):
    server = MotoServer()  # never started: connection refused
    publisher, data_dir = _publisher(tmp_path, server, max_attempts=1)
    for name in ("a", "b"):
        (data_dir / f"{name}.jsonl").write_text("{}\n")
        publisher.table.register(f"{name}.jsonl", "records")
    first = publisher.upload(publisher.table.get("a.jsonl"))
    second = publisher.upload(publisher.table.get("b.jsonl"))
    assert first.state == "failed" and "Could not connect" in (first.error or "")
    assert second.state == "skipped"  # not attempted once S3 proved unreachable
    assert (data_dir / "a.jsonl").exists() and (data_dir / "b.jsonl").exists()
    assert publisher.table.counts() == {"pending": 1, "uploaded": 0, "failed": 1}


def test_sync_without_s3_config_is_a_usage_error(data_dir, mirror_config):
    (data_dir / "catalog.sqlite").touch()
    result = run_cli("sync", data_dir=data_dir, config=mirror_config)
    assert result.returncode == 2 and "[s3]" in result.stderr
