"""A filtered WACZ replays every page it lists: the originals of its revisits travel with it."""

from __future__ import annotations

import json
import time
import zipfile
from datetime import UTC, datetime

import pytest

from tests.conftest import BIN, run_cli
from tests.test_replay import _get, _stamp, pywb  # noqa: F401 - pywb is a fixture

pytestmark = pytest.mark.timeout(300)

EDITED = "2026/05/05/politics/senate-panel-air-traffic-control-bill/index.html"


def test_filtered_wacz_replays_every_listed_page(
    serve_site, data_dir, mirror_config, tmp_path, pywb
):  # noqa: F811
    import subprocess

    site = serve_site("cnn-lite")
    first = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", data_dir=data_dir,
                    config=mirror_config)  # fmt: skip
    assert first.returncode == 0, first.stderr
    time.sleep(1.1)  # WARC dates resolve to the second in replay
    since = datetime.now(UTC).isoformat()
    page = site.root / EDITED
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace('<p class="paragraph--lite">', '<p class="paragraph--lite">UPDATE: ', 1),
                    encoding="utf-8")  # fmt: skip
    second = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--refetch", "--no-progress",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert second.returncode == 0, second.stderr
    out = tmp_path / "since.wacz"
    exported = run_cli("export", "--format", "wacz", "--since", since, "--out", str(out), "--no-progress",
                       data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert (
        subprocess.run(
            [str(BIN / "wacz"), "validate", "-f", str(out)], capture_output=True
        ).returncode
        == 0
    )

    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as z:
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
        warcs = [n for n in z.namelist() if n.startswith("archive/")]
        for name in warcs:
            z.extract(name, unpacked)
    # The second run's WARC (one page changed, the rest revisits) and a WARC of the originals
    # that the first run's file, left out by --since, holds.
    assert any("revisit-originals" in n for n in warcs), warcs
    assert len(pages) >= 5  # every article of the second run: one new version, the rest revisits
    base = pywb(sorted((unpacked / "archive").iterdir()))
    for entry in pages:
        status, body, _headers = _get(f"{base}/news/{_stamp(entry['ts'])}id_/{entry['url']}")
        assert status == 200, (entry["url"], status, body[:200])
        assert b"<html" in body.lower() and b"Original for revisit" not in body, entry["url"]
