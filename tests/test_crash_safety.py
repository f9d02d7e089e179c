"""kill -9 of a crawl at several points: `verify --repair` heals the data directory, `verify`
passes, and a rerun completes without duplicate versions or lost articles."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from archive.catalog import Catalog
from newsarchive.demo.run import SITE_ROOT
from tests.conftest import BIN, MIRROR_CONFIG, REPO, run_cli
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(300)

# Slow enough that a kill lands mid-crawl: every article answers after 300 ms, and a
# request starts every ~150 ms (a download delay; Scrapy 2.19 without one starts several
# at once whatever the per-domain concurrency): the crawl of 24 articles takes ~4 s.
SLOW_CONFIG = MIRROR_CONFIG.replace(
    "concurrent_requests_per_domain = 8", "concurrent_requests_per_domain = 2"
).replace("download_delay = 0", "download_delay = 0.15")


@pytest.fixture
def slow_site(serve_site, tmp_path):
    root = tmp_path / "slow-cnn"
    shutil.copytree(SITE_ROOT / "cnn-lite", root)
    routes = {}
    for page in root.rglob("index.html"):
        rel = page.relative_to(root)
        if rel == Path("index.html"):
            continue
        path = "/" + str(rel.parent)
        routes["/" + str(rel)] = {"delay": 0.3, "body_file": str(rel)}
        routes[path] = {"delay": 0.3, "body_file": str(rel)}
    (root / "_routes.json").write_text(json.dumps(routes))
    return serve_site(root, copy=False)


def _counts(data_dir: Path) -> tuple[int, int, int]:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT count(*) FROM versions").scalar_one()
            distinct = conn.exec_driver_sql(
                "SELECT count(DISTINCT article_id) FROM versions"
            ).scalar_one()
            articles = conn.exec_driver_sql("SELECT count(*) FROM articles").scalar_one()
    finally:
        catalog.close()
    return versions, distinct, articles


def _record_lines(data_dir: Path) -> list[dict]:
    return [json.loads(line) for p in (data_dir / "records").rglob("*.jsonl")
            for line in p.read_text(encoding="utf-8").splitlines()]  # fmt: skip


def _kill_crawl_after(
    seconds: float, site, data_dir: Path, config: Path, *, after_open: bool = True
) -> bool:
    """Start a crawl, SIGKILL it `seconds` after its first WARC file appeared (or after its
    start, without `after_open`); True if it was still running then."""
    cmd = [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config),
           "crawl", "cnn-lite", "--start-url", site.url, "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    if after_open:
        deadline = time.monotonic() + 60
        while not list((data_dir / "warc").rglob("*.open")) and proc.poll() is None:
            assert time.monotonic() < deadline, "the crawl never opened a WARC file"
            time.sleep(0.02)
    time.sleep(seconds)
    running = proc.poll() is None
    # The whole process group: the crawl and its extraction workers die at once.
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    return running


# Kill points: during start-up (no file yet), and 0, 0.4, 1.0 and 2.0 s after the first
# WARC file was opened (the whole crawl takes about 4 s).
@pytest.mark.parametrize("delay", [None, 0.0, 0.4, 1.0, 2.0])
def test_kill_9_then_repair_verify_and_rerun(slow_site, data_dir, tmp_path, delay):
    config = tmp_path / "slow.toml"
    config.write_text(SLOW_CONFIG)
    total = len([p for p in (slow_site.root).rglob("index.html")]) - 1

    if delay is None:
        running = _kill_crawl_after(0.3, slow_site, data_dir, config, after_open=False)
    else:
        running = _kill_crawl_after(delay, slow_site, data_dir, config)
    left_open = list((data_dir / "warc").rglob("*.open"))
    if delay is not None:  # the kill lands while a WARC file is being written
        assert running and left_open
    if not (data_dir / "catalog.sqlite").exists():
        # Killed during start-up, before anything was written: nothing to repair.
        assert not left_open and not list((data_dir / "warc").rglob("*.warc.gz"))
    else:
        _repair_and_verify(data_dir, left_open)

    rerun = run_cli("crawl", "cnn-lite", "--start-url", slow_site.url, "--no-progress", "--json",
                    data_dir=data_dir, config=config)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    versions, distinct, articles = _counts(data_dir)
    assert versions == distinct == articles == total
    lines = _record_lines(data_dir)
    assert len(lines) == total and len({(r["article_id"], r["version"]) for r in lines}) == total
    assert run_cli("verify", data_dir=data_dir).returncode == 0
    check_archive(data_dir)


def _repair_and_verify(data_dir: Path, left_open: list[Path]) -> None:
    if left_open:
        assert run_cli("verify", data_dir=data_dir).returncode == 1  # reported before repair
    repaired = run_cli("verify", "--repair", "--json", data_dir=data_dir)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    report = json.loads(repaired.stdout)
    assert report["ok"] and not report["problems"]
    # Nothing silently deleted: every WARC is either closed or set aside.
    assert not list((data_dir / "warc").rglob("*.open"))
    again = run_cli("verify", data_dir=data_dir)
    assert again.returncode == 0, again.stdout + again.stderr
    versions, distinct, _ = _counts(data_dir)
    assert versions == distinct  # no article has two versions of unchanged content
    assert len(_record_lines(data_dir)) == versions


def test_a_crawl_repairs_a_crashed_crawls_leftovers_first(slow_site, data_dir, tmp_path):
    config = tmp_path / "slow.toml"
    config.write_text(SLOW_CONFIG)
    _kill_crawl_after(0.8, slow_site, data_dir, config)
    left_open = list((data_dir / "warc").rglob("*.open"))
    rerun = run_cli("crawl", "cnn-lite", "--start-url", slow_site.url, "--no-progress", "--json",
                    data_dir=data_dir, config=config)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    if left_open:
        assert "repaired what a crashed run left" in rerun.stderr
    assert not list((data_dir / "warc").rglob("*.open"))
    result = run_cli("verify", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stdout
    check_archive(data_dir)


def test_verify_reports_damage(serve_site, data_dir, mirror_config):
    site = serve_site("cnn-lite")
    assert run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress",
                   data_dir=data_dir, config=mirror_config).returncode == 0  # fmt: skip
    assert run_cli("verify", data_dir=data_dir).returncode == 0
    warc = next((data_dir / "warc").rglob("*.warc.gz"))
    raw = bytearray(warc.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte in the middle of a record
    warc.write_bytes(bytes(raw))
    records = next((data_dir / "records").rglob("*.jsonl"))
    lines = records.read_text(encoding="utf-8").splitlines(keepends=True)
    records.write_text("".join(lines[:-1]) + lines[-1][:25], encoding="utf-8")  # a line cut short
    result = run_cli("verify", "--json", data_dir=data_dir)
    assert result.returncode == 1
    problems = json.loads(result.stdout)["problems"]
    assert any(warc.name in p for p in problems)
    assert any("cut short" in p for p in problems)
    assert result.stderr.strip().startswith("error:")
