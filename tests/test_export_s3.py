"""WACZ export of WARC files that live only in S3 (deleted locally after a verified upload),
against moto's S3 server as a real HTTP server on 127.0.0.1: each one is fetched by range,
checked against the SHA-256 recorded at upload and packaged; one that cannot be fetched
fails the export with one line and no output file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import zipfile
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from archive.catalog import Catalog
from archive.config import load_config
from archive.export import ExportRequest, WarcUnavailable, export_dataset
from archive.warc_reader import read_record_bytes
from tests.conftest import BIN, SITES, run_cli
from tests.s3_server import BUCKET, MotoServer
from tests.test_s3_publish import aws_env, crawl, moto, write_config  # noqa: F401 - fixtures
from tests.warc_assertions import replayable

pytestmark = pytest.mark.timeout(120)

CNN = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))["articles"]


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "wacz"), "validate", "-f", str(path)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def _warc_objects(server: MotoServer) -> dict[str, bytes]:
    """The uploaded WARC objects by file name."""
    return {key.rsplit("/", 1)[1]: body for key, body in server.objects().items()
            if key.startswith("news/warc/")}  # fmt: skip


def _article_captures(data_dir: Path) -> int:
    with closing(sqlite3.connect(data_dir / "catalog.sqlite")) as db:
        row = db.execute("SELECT count(*) FROM captures WHERE kind='article' AND version IS NOT NULL "
                         "AND record_type IN ('response', 'revisit')").fetchone()  # fmt: skip
    return int(row[0])


def _export(data_dir: Path, config: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("export", "--format", "wacz", "--out", str(out), "--no-progress",
                   data_dir=data_dir, config=config, timeout=60)  # fmt: skip


@pytest.fixture
def s3_only_archive(moto: MotoServer, serve_site: Any, data_dir: Path, tmp_path: Path) -> Path:
    """cnn-lite crawled into several WARC files, every one uploaded and deleted locally."""
    site = serve_site("cnn-lite")
    config = write_config(tmp_path / "c.toml", moto, warc="max_file_bytes = 15_000",
                          s3="delete_local_after_upload = true\nmax_attempts = 1\n"
                             "connect_timeout_seconds = 1")  # fmt: skip
    result = crawl(site, data_dir, config)
    assert result.returncode == 0, result.stderr
    assert list((data_dir / "warc").rglob("*.warc.gz")) == []  # deleted after verified uploads
    assert len(_warc_objects(moto)) >= 2  # rotated: several WARCs to fetch
    return config


def test_wacz_export_fetches_warcs_that_live_only_in_s3(moto, s3_only_archive, data_dir, tmp_path):
    config = s3_only_archive
    uploaded = _warc_objects(moto)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "archive.wacz"
    result = _export(data_dir, config, out)
    assert result.returncode == 0, result.stderr
    assert f"{len(uploaded)} WARC file(s) ({len(uploaded)} fetched from S3)" in result.stdout
    # Only the package and its card: the downloads beside it are gone.
    assert sorted(p.name for p in out_dir.iterdir()) == ["archive.wacz", "archive.wacz.md"]
    assert "warc_files_from_s3" in (out_dir / "archive.wacz.md").read_text()
    assert list((data_dir / "warc").rglob("*.warc.gz")) == []  # nothing restored locally
    validated = _validate(out)
    assert validated.returncode == 0 and "Validation succeeded" in validated.stdout, (
        validated.stdout + validated.stderr
    )
    with zipfile.ZipFile(out) as z:
        packaged = {
            n.removeprefix("archive/"): z.read(n) for n in z.namelist() if n.startswith("archive/")
        }
        assert all(z.getinfo(f"archive/{n}").compress_type == zipfile.ZIP_STORED for n in packaged)
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()]
        index = z.read("indexes/index.cdx").decode().splitlines()
    assert packaged == uploaded  # every WARC, byte for byte the uploaded object
    assert pages[0]["format"] == "json-pages-1.0"
    assert len(pages) - 1 == _article_captures(data_dir) >= len(CNN)
    assert {p["title"] for p in pages[1:]} == {a["title"] for a in CNN}
    indexed = {json.loads(line.split(" ", 2)[2])["url"] for line in index}
    assert {p["url"] for p in pages[1:]} <= indexed
    assert {json.loads(line.split(" ", 2)[2])["filename"] for line in index} == {
        name for name, warc in uploaded.items() if replayable(warc)
    }

    # S3 down: one readable line, a non-zero status, and no output file (nor anything else).
    moto.stop()
    failed_out = out_dir / "down.wacz"
    down = _export(data_dir, config, failed_out)
    assert down.returncode == 1, down.stdout + down.stderr
    assert down.stderr.startswith("error:") and down.stderr.strip().count("\n") == 0, down.stderr
    assert "S3" in down.stderr and ".warc.gz" in down.stderr
    assert "WarcUnavailable" not in down.stderr  # the message, not the exception's name
    assert sorted(p.name for p in out_dir.iterdir()) == ["archive.wacz", "archive.wacz.md"]


def test_wacz_export_in_process_chunks_progress_and_checksum(moto, s3_only_archive, data_dir, tmp_path,
                                                            monkeypatch):  # fmt: skip
    """Ranged reads smaller than a WARC (the memory bound), progress steps for each, and a
    fetched WARC whose bytes differ from the upload's SHA-256 is refused."""
    config = load_config(s3_only_archive, data_dir)
    uploaded = _warc_objects(moto)
    catalog = Catalog(config.resolved_catalog_url)
    reads: list[tuple[str, int, int]] = []
    download_dirs: set[str] = set()

    def fetch(name: str, offset: int, length: int) -> bytes:
        reads.append((name, offset, length))
        download_dirs.update(p.name for p in tmp_path.glob(".chunks.wacz.*.warcs-*"))
        return read_record_bytes(config, catalog, name, offset, length)

    steps: list[tuple[int, int]] = []
    chunk = 4096
    monkeypatch.setattr("archive.export.wacz.DOWNLOAD_CHUNK", chunk)
    try:
        out = tmp_path / "chunks.wacz"
        request = ExportRequest(format="wacz", out=out, fetch_record=fetch)
        result = export_dataset(
            catalog, data_dir, request, progress=lambda n, total: steps.append((n, total))
        )
        # Each WARC in ranged reads of at most `chunk` bytes (the dataset card also reads the
        # archived robots.txt by its pointer: a record, not a whole file).
        expected_reads = [(name, start, min(chunk, len(body) - start))
                          for name, body in uploaded.items() for start in range(0, len(body), chunk)]  # fmt: skip
        wanted = set(expected_reads)
        assert sorted(r for r in reads if r in wanted) == sorted(expected_reads)
        assert len(expected_reads) > len(uploaded)  # several reads per WARC
        expected_reads_n = len(expected_reads)
        assert download_dirs and not list(
            tmp_path.glob(".chunks.wacz*")
        )  # beside the output, then gone
        assert sum(n for n, _ in steps) == steps[-1][1]  # the bar ends full
        assert steps[-1][1] == result.stats.rows + len(uploaded) + expected_reads_n
        with zipfile.ZipFile(out) as z:
            assert {n.removeprefix("archive/"): z.read(n) for n in z.namelist()
                    if n.startswith("archive/")} == uploaded  # fmt: skip

        # An object that is not what was uploaded (same size, other bytes) is refused.
        name, body = next(iter(uploaded.items()))
        key = next(k for k in moto.object_keys() if k.endswith(name))
        moto.client().put_object(Bucket=BUCKET, Key=key, Body=bytes(reversed(body)))
        bad = tmp_path / "bad.wacz"
        with pytest.raises(WarcUnavailable, match="does not match the SHA-256 recorded at upload"):
            export_dataset(
                catalog, data_dir, ExportRequest(format="wacz", out=bad, fetch_record=fetch)
            )
        assert sorted(p.name for p in tmp_path.iterdir() if "bad.wacz" in p.name) == []
    finally:
        catalog.close()


def test_wacz_export_refuses_a_warc_neither_local_nor_uploaded(
    moto, s3_only_archive, data_dir, tmp_path
):
    """A WARC missing locally whose upload the catalog does not record as verified: refused
    before anything is written, without asking S3."""
    with closing(sqlite3.connect(data_dir / "catalog.sqlite")) as db, db:
        relpath = db.execute(
            "SELECT relpath FROM uploads WHERE kind = 'warc' ORDER BY relpath"
        ).fetchone()[0]
        db.execute("UPDATE uploads SET state = 'failed' WHERE relpath = ?", (relpath,))
    moto.stop()
    out = tmp_path / "x.wacz"
    result = _export(data_dir, s3_only_archive, out)
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and result.stderr.strip().count("\n") == 0, (
        result.stderr
    )
    assert Path(relpath).name in result.stderr and "its upload failed" in result.stderr
    assert not out.exists() and not (tmp_path / "x.wacz.md").exists()
