"""A full disk for the WARC directory: a clear error, a non-zero exit, no corrupt file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from archive.catalog import Catalog
from tests.conftest import run_cli
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def small_warc_disk(data_dir: Path):
    """`<data dir>/warc` on a 20 KiB tmpfs: room for the first few captures, not for a crawl."""
    warc = data_dir / "warc"
    warc.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20k", "tmpfs", str(warc)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield warc
    subprocess.run(["umount", "-l", str(warc)], check=False)


def test_full_disk_stops_the_crawl_cleanly(serve_site, data_dir, mirror_config, small_warc_disk):
    site = serve_site("cnn-lite", gzip=False)
    # Pages ~7 KB each (gzip ~3 KB): 20 KiB fill up within the crawl.
    result = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert (
        last.startswith("error: the crawl stopped: cannot write to ")
        and "No space left on device" in last
    )
    summary = json.loads(result.stdout)
    assert summary["fatal_error"]
    # Every file that exists is closed and valid; nothing is left `.open`.
    records = check_archive(data_dir)
    assert any(r["type"] == "response" for r in records)
    # The catalog agrees with the files: every version points at a record that exists.
    verify = run_cli("verify", "--json", data_dir=data_dir)
    assert verify.returncode == 0, verify.stdout
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            versions = conn.exec_driver_sql("SELECT count(*) FROM versions").scalar_one()
    finally:
        catalog.close()
    assert versions < 6
