"""Replay: the archive indexed with cdxj-indexer and served by pywb on 127.0.0.1 returns every
archived page's original body at each capture date (revisits included), and a redirecting
URL answers 3xx."""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(300)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes, dict]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=30) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


# pywb lives in its own virtual environment (it pins redis==2.10.6): scripts/bootstrap.sh
# makes .venv-pywb; NEWSARCHIVE_PYWB_BIN points elsewhere.
PYWB_BIN = Path(os.environ.get("NEWSARCHIVE_PYWB_BIN") or REPO / ".venv-pywb" / "bin")
BIN = Path(sys.executable).parent


@pytest.fixture
def pywb(tmp_path):
    if not (PYWB_BIN / "wayback").exists():
        pytest.fail(f"pywb is not installed in {PYWB_BIN}: run scripts/test (it installs it)")
    """A pywb collection in tmp_path; returns (add(warc_paths), base URL)."""
    root = tmp_path / "pywb"
    root.mkdir()
    subprocess.run(
        [str(PYWB_BIN / "wb-manager"), "init", "news"], cwd=root, check=True, capture_output=True
    )
    proc = None

    def start(warcs: list[Path]) -> str:
        nonlocal proc
        archive = root / "collections" / "news" / "archive"
        for warc in warcs:
            shutil.copy(warc, archive / warc.name)
        index = root / "collections" / "news" / "indexes" / "index.cdxj"
        subprocess.run([str(BIN / "cdxj-indexer"), "-s", "-o", str(index),
                        *[str(archive / w.name) for w in warcs]], check=True)  # fmt: skip
        port = _free_port()
        proc = subprocess.Popen([str(PYWB_BIN / "wayback"), "-b", "127.0.0.1", "-p", str(port)], cwd=root,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(base + "/")[0] == 200:
                    return base
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("pywb did not start")

    yield start
    if proc is not None:
        proc.terminate()
        proc.wait(10)


def _stamp(warc_date: str) -> str:
    return warc_date[:19].replace("-", "").replace("T", "").replace(":", "")


def _decoded(body: bytes, headers) -> bytes:
    if (headers.get_header("Content-Encoding") or "").lower() == "gzip":
        return gzip.decompress(body)
    return body


def test_pywb_replays_every_capture(serve_site, data_dir, mirror_config, pywb):
    site = serve_site("bad-input")
    assert run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress",
                   data_dir=data_dir, config=mirror_config).returncode == 0  # fmt: skip
    time.sleep(
        1.1
    )  # a second capture date for every page (WARC dates resolve to the second in replay)
    assert run_cli("crawl", "cnn-lite", "--start-url", site.url, "--refetch", "--no-progress",
                   data_dir=data_dir, config=mirror_config).returncode == 0  # fmt: skip
    records = check_archive(data_dir)
    warcs = sorted({r["file"] for r in records})
    base = pywb(warcs)

    responses = {r["headers"]["WARC-Record-ID"]: r for r in records if r["type"] == "response"}
    checked = revisits = redirects = 0
    for r in records:
        if r["type"] not in ("response", "revisit"):
            continue
        uri = r["headers"]["WARC-Target-URI"]
        original = responses[r["headers"]["WARC-Refers-To"]] if r["type"] == "revisit" else r
        status = original["http"].get_statuscode()
        if "WARC-Truncated" in original["headers"] or uri.endswith("/robots.txt"):
            continue
        got_status, body, headers = _get(
            f"{base}/news/{_stamp(r['headers']['WARC-Date'])}id_/{uri}"
        )
        if status.startswith("3"):
            assert 300 <= got_status < 400, (uri, got_status)
            redirects += 1
            continue
        if status != "200":
            continue
        assert got_status == 200, (uri, got_status)
        expected = _decoded(original["body"], original["http"])
        assert _decoded(body, _Headers(headers)) == expected, uri
        checked += 1
        revisits += r["type"] == "revisit"
    assert checked >= 8 and revisits >= 4 and redirects >= 2


class _Headers:
    def __init__(self, headers: dict) -> None:
        self._h = {k.lower(): v for k, v in headers.items()}

    def get_header(self, name: str) -> str | None:
        return self._h.get(name.lower())
