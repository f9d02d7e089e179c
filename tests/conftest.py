"""Shared fixtures: fixture sites served by a real HTTP server on 127.0.0.1, the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SITES = FIXTURES / "sites"
BIN = Path(sys.executable).parent

# The one place tests opt in to fetching loopback: every fixture server listens on
# 127.0.0.x, which the default address policy refuses (docs/security.md). A test of the
# policy itself builds its config with `mirror_config_text(allowed_networks=...)`.
LOOPBACK = ("127.0.0.0/8",)


def mirror_config_text(
    *, allowed_networks: tuple[str, ...] | list[str] = LOOPBACK, allow_private: bool = False
) -> str:
    """MIRROR_CONFIG with another address policy (e.g. `allowed_networks=()`: public only)."""
    policy = f"allowed_networks = {list(allowed_networks)!r}".replace("'", '"')
    if allow_private:
        policy += "\nallow_private_addresses = true"
    return _MIRROR_CONFIG.replace("{policy}", policy)


# Politeness off: these are our own sites on loopback. Timeouts short so that the slow
# and hanging pages of the bad-input site cost seconds, not minutes.
_MIRROR_CONFIG = """
[crawl]
{policy}
download_delay = 0
autothrottle = false
concurrent_requests_per_domain = 8
download_timeout = 2
retry_times = 1
max_redirects = 3
max_page_bytes = 100_000

[extract]
workers = 2
"""
MIRROR_CONFIG = mirror_config_text()


@dataclass
class ServedSite:
    root: Path
    url: str
    process: subprocess.Popen[bytes]

    def page(self, path: str) -> str:
        return self.url.rstrip("/") + path


@pytest.fixture
def serve_site(tmp_path: Path) -> Iterator:
    """`serve_site("cnn-lite")` copies tests/fixtures/sites/cnn-lite to a temporary folder
    (tests may change pages between crawls) and serves it with the project's server."""
    started: list[ServedSite] = []

    def start(name_or_path: str | Path, *, copy: bool = True, gzip: bool = False) -> ServedSite:
        source = (
            Path(name_or_path) if Path(name_or_path).is_absolute() else SITES / str(name_or_path)
        )
        root = source
        if copy:
            root = tmp_path / f"site-{len(started)}-{source.name}"
            shutil.copytree(source, root)
        port_file = tmp_path / f"port-{len(started)}"
        cmd = [
            sys.executable,
            "-m",
            "newsarchive.demo.server",
            str(root),
            "--port-file",
            str(port_file),
        ]
        if gzip:
            cmd.append("--gzip")
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"fixture server for {source} did not start")
            time.sleep(0.05)
        site = ServedSite(root, f"http://127.0.0.1:{port_file.read_text()}/", proc)
        started.append(site)
        return site

    yield start
    for site in started:
        site.process.terminate()
        try:
            site.process.wait(5)
        except subprocess.TimeoutExpired:
            site.process.kill()


@pytest.fixture
def mirror_config(tmp_path: Path) -> Path:
    path = tmp_path / "newsarchive.toml"
    path.write_text(MIRROR_CONFIG)
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def run_cli(*args: str, data_dir: Path, config: Path | None = None, timeout: float = 180,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run the real `newsarchive` command line in a child process."""
    cmd = [str(BIN / "newsarchive"), "--data-dir", str(data_dir)]
    if config is not None:
        cmd += ["--config", str(config)]
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    full_env.pop("NEWSARCHIVE_CONFIG", None)
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=REPO)  # fmt: skip


# Real PostgreSQL and Redis for the scale-out tests (tests/services.py).
from tests.services import postgres_server, postgres_url, redis_server, redis_url  # noqa: E402,F401
