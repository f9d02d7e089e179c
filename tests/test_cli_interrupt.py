"""Ctrl-C during a crawl, sent as a terminal sends it (SIGINT to the whole process group)
to the real `newsarchive crawl` against a local site whose article pages answer slowly.

One Ctrl-C: acknowledged at once, the pages in flight finish and are archived. Two: the
downloads in flight are cut off instead of waited for. Three: quit at once. Every time the
summary says `interrupted`, the exit status is 130, and the archive verifies."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import BIN, MIRROR_CONFIG, REPO, SITES, run_cli
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(240)


def _slow_site(serve_site, tmp_path: Path, delay: float):
    root = tmp_path / "slow-site"
    shutil.copytree(SITES / "cnn-lite", root)
    routes = {}
    for page in root.rglob("index.html"):
        rel = page.relative_to(root)
        if rel != Path("index.html"):
            routes["/" + str(rel.parent)] = {"delay": delay, "body_file": str(rel)}
    (root / "_routes.json").write_text(json.dumps(routes))
    return serve_site(root, copy=False)


class Crawl:
    """`newsarchive crawl cnn-lite --start-url …` in its own process group, as a terminal runs it."""

    def __init__(self, site_url: str, data_dir: Path, config: Path) -> None:
        cmd = [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config),
               "crawl", "cnn-lite", "--start-url", site_url, "--no-progress", "--json"]  # fmt: skip
        env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
        env.pop("NEWSARCHIVE_CONFIG", None)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     cwd=REPO, start_new_session=True)  # fmt: skip
        self.lines: list[str] = []
        self.stdout = ""
        self.readers = [threading.Thread(target=self._read_stderr, daemon=True),
                        threading.Thread(target=self._read_stdout, daemon=True)]  # fmt: skip
        for reader in self.readers:
            reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if re.search(pattern, line):
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines[-40:]))

    def ctrl_c(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)

    def finish(self, timeout: float) -> dict:
        self.proc.wait(timeout)
        self.close()
        return json.loads(self.stdout) if self.stdout.strip() else {}

    def close(self) -> None:
        for reader in self.readers:
            reader.join(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def crawl_slowly(serve_site, tmp_path, data_dir):
    started: list[Crawl] = []

    def start(delay: float) -> Crawl:
        site = _slow_site(serve_site, tmp_path, delay)
        config = tmp_path / "slow.toml"
        config.write_text(MIRROR_CONFIG.replace("download_timeout = 2", "download_timeout = 120"))
        crawl = Crawl(site.url, data_dir, config)
        started.append(crawl)
        # The index page is archived: the article requests are being sent now.
        deadline = time.monotonic() + 60
        while not _index_captured(data_dir):
            assert crawl.proc.poll() is None and time.monotonic() < deadline, "\n".join(
                crawl.lines[-40:]
            )
            time.sleep(0.1)
        time.sleep(1.0)
        return crawl

    yield start
    for crawl in started:
        if crawl.proc.poll() is None:
            os.killpg(crawl.proc.pid, signal.SIGKILL)
            crawl.proc.wait()
        crawl.close()


def _index_captured(data_dir: Path) -> bool:
    catalog = data_dir / "catalog.sqlite"
    if not catalog.exists():
        return False
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as conn:
            n = conn.execute("SELECT count(*) FROM captures WHERE kind = 'index'").fetchone()[0]
        conn.close()
        return bool(n)
    except sqlite3.OperationalError:  # not created yet
        return False


def _verified(data_dir: Path) -> None:
    assert not list(data_dir.rglob("*.open")), "a WARC file was left open"
    verify = run_cli("verify", data_dir=data_dir)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    check_archive(data_dir)


def test_one_ctrl_c_is_acknowledged_at_once_and_lets_pages_in_flight_finish(crawl_slowly, data_dir):
    crawl = crawl_slowly(delay=6)
    crawl.ctrl_c()
    ack = crawl.wait_for(r"stopping: \d+ page\(s\) in flight")
    assert crawl.proc.poll() is None  # said while the pages in flight are still being fetched
    in_flight = int(re.search(r"stopping: (\d+) page", ack).group(1))
    assert in_flight >= 1
    assert "Ctrl-C again to stop now" in ack
    summary = crawl.finish(timeout=90)
    assert crawl.proc.returncode == 130
    assert summary["status"] == "interrupted"
    assert "connection-error" not in summary["errors"]  # the pages in flight were fetched, not cut
    assert summary["articles_new"] >= 1
    assert (
        crawl.lines[-1]
        == "error: interrupted (SIGINT): what was fetched is archived, the rest was not fetched"
    )
    _verified(data_dir)


def test_second_ctrl_c_cuts_downloads_off_and_still_closes_cleanly(crawl_slowly, data_dir):
    crawl = crawl_slowly(delay=90)  # far longer than the test would wait
    crawl.ctrl_c()
    crawl.wait_for(r"stopping: \d+ page\(s\) in flight")
    crawl.ctrl_c()
    cut = crawl.wait_for(r"stopping now: \d+ download\(s\) cut off")
    assert int(re.search(r"(\d+) download", cut).group(1)) >= 1
    summary = crawl.finish(timeout=60)  # not the 90 s the pages would take
    assert crawl.proc.returncode == 130
    assert summary["status"] == "interrupted"
    assert (
        summary["errors"].get("connection-error", 0) >= 1
    )  # each cut download is a recorded capture
    _verified(data_dir)


def test_third_ctrl_c_quits_at_once_and_repair_makes_it_whole(crawl_slowly, data_dir):
    crawl = crawl_slowly(delay=90)
    crawl.ctrl_c()
    crawl.wait_for(r"stopping: \d+ page\(s\) in flight")
    crawl.ctrl_c()
    crawl.wait_for(r"stopping now:")
    crawl.ctrl_c()
    crawl.finish(timeout=30)
    assert crawl.proc.returncode == 130
    crawl.wait_for(r"stopped at once: run `newsarchive --data-dir .* verify --repair`", timeout=5)
    repaired = run_cli("verify", "--repair", data_dir=data_dir)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    _verified(data_dir)


def _article_paths(root: Path) -> list[str]:
    return sorted(
        "/" + str(p.parent.relative_to(root)) for p in root.rglob("index.html") if p.parent != root
    )


def _make_slow(root: Path, delay: float) -> None:
    routes = {path: {"delay": delay, "body_file": path.lstrip("/") + "/index.html"}
              for path in _article_paths(root)}  # fmt: skip
    (root / "_routes.json").write_text(json.dumps(routes))


def _start(args: list[str], data_dir: Path, config: Path) -> Crawl:
    """Any `newsarchive` command in its own process group, read like Crawl's."""
    crawl = Crawl.__new__(Crawl)
    cmd = [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config), *args]
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
    env.pop("NEWSARCHIVE_CONFIG", None)
    crawl.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env, cwd=REPO, start_new_session=True)  # fmt: skip
    crawl.lines, crawl.stdout = [], ""
    crawl.readers = [threading.Thread(target=crawl._read_stderr, daemon=True),
                     threading.Thread(target=crawl._read_stdout, daemon=True)]  # fmt: skip
    for reader in crawl.readers:
        reader.start()
    return crawl


def _count(data_dir: Path, sql: str) -> int:
    catalog = data_dir / "catalog.sqlite"
    if not catalog.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as conn:
            n = int(conn.execute(sql).fetchone()[0])
        conn.close()
        return n
    except sqlite3.OperationalError:
        return 0


def _interrupt_in_flight(cmd: Crawl, data_dir: Path, ready_sql: str, before: int) -> dict:
    """Wait until the command has captured something new (its requests are going out), then
    Ctrl-C once: acknowledged, the pages in flight finish, exit 130, the archive verifies."""
    deadline = time.monotonic() + 60
    while _count(data_dir, ready_sql) <= before:
        assert cmd.proc.poll() is None and time.monotonic() < deadline, "\n".join(cmd.lines[-40:])
        time.sleep(0.1)
    time.sleep(1.0)
    cmd.ctrl_c()
    cmd.wait_for(r"stopping: \d+ page\(s\) in flight")
    summary = cmd.finish(timeout=90)
    assert cmd.proc.returncode == 130, "\n".join(cmd.lines[-20:])
    assert cmd.lines[-1].startswith("error: interrupted (SIGINT)")
    _verified(data_dir)
    return summary


def test_ctrl_c_during_archive_of_urls(serve_site, tmp_path, data_dir):
    """`newsarchive archive URL…` answers Ctrl-C like a crawl: what was fetched is archived."""
    site = serve_site("cnn-lite")
    _make_slow(site.root, delay=5)
    urls = [site.page(p) for p in _article_paths(site.root)[:4]]
    config = tmp_path / "slow.toml"
    config.write_text(MIRROR_CONFIG.replace("download_timeout = 2", "download_timeout = 120"))
    cmd = _start(
        ["archive", "--site", "cnn-lite", "--no-progress", "--json", *urls], data_dir, config
    )
    try:
        _interrupt_in_flight(cmd, data_dir, "SELECT count(*) FROM captures", 0)
    finally:
        if cmd.proc.poll() is None:
            os.killpg(cmd.proc.pid, signal.SIGKILL)
        cmd.close()


def test_ctrl_c_during_recheck(serve_site, tmp_path, data_dir):
    """`newsarchive recheck --all` over slow article pages: one Ctrl-C lets the pages in flight
    finish, exits 130, and the archive verifies."""
    site = serve_site("cnn-lite")
    config = tmp_path / "slow.toml"
    config.write_text(MIRROR_CONFIG.replace("download_timeout = 2", "download_timeout = 120"))
    first = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                    data_dir=data_dir, config=config)  # fmt: skip
    assert first.returncode == 0, first.stderr
    _make_slow(site.root, delay=5)
    before = _count(data_dir, "SELECT count(*) FROM captures")
    cmd = _start(["recheck", "--all", "--no-progress", "--json"], data_dir, config)
    try:
        _interrupt_in_flight(cmd, data_dir, "SELECT count(*) FROM captures", before)
    finally:
        if cmd.proc.poll() is None:
            os.killpg(cmd.proc.pid, signal.SIGKILL)
        cmd.close()
