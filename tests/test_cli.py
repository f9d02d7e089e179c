"""The command line: sites, on-demand archiving, history, configured sites, errors, demo."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MIRROR_CONFIG, SITES, run_cli
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(300)

CNN = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))


def _config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(MIRROR_CONFIG + "\n" + extra)
    return path


def test_sites_lists_builtin_and_configured(tmp_path, data_dir):
    config = _config(
        tmp_path,
        '[sites.my-mirror]\nextends = "cnn-lite"\nstart_urls = ["http://127.0.0.1:8000/"]\n',
    )
    result = run_cli("sites", data_dir=data_dir, config=config)
    assert result.returncode == 0, result.stderr
    for name in (
        "cnn-lite",
        "npr-text",
        "my-mirror",
        "li.card--lite > a",
        "a.topic-title",
        "http://127.0.0.1:8000/",
    ):
        assert name in result.stdout


@pytest.mark.parametrize(
    ("config_text", "message"),
    [
        ("[crawl]\ndownload_dealy = 0\n", "unknown setting 'download_dealy'"),
        ("[crawl]\nobey_robots = 'no'\n", "expected true or false"),
        (
            "[sites.x]\nstart_urls = ['http://a/']\n",
            "set article_links (CSS) and/or article_pattern",
        ),
        ("[sites.x]\nextends = 'bbc-lite'\nstart_urls = ['http://a/']\n", "not a built-in profile"),
        ("[crawl\n", "not valid TOML"),
    ],
)
def test_config_errors_are_one_line(tmp_path, data_dir, config_text, message):
    config = tmp_path / "bad.toml"
    config.write_text(config_text)
    result = run_cli("sites", data_dir=data_dir, config=config)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error:")


def test_unknown_site_and_missing_config(tmp_path, data_dir):
    result = run_cli("crawl", "bbc-lite", data_dir=data_dir)
    assert result.returncode == 2 and "unknown site 'bbc-lite'" in result.stderr
    result = run_cli("sites", data_dir=data_dir, config=tmp_path / "nope.toml")
    assert result.returncode == 2 and "config file not found" in result.stderr


def test_archive_on_demand_and_history(serve_site, data_dir, mirror_config):
    site = serve_site("cnn-lite")
    article = CNN["articles"][1]
    url = site.page(article["path"])
    missing = site.page(CNN["not_articles"][0]["path"])
    result = run_cli("archive", url, "--site", "cnn-lite", "--no-progress", "--json",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)["results"]
    assert row["outcome"] == "new" and row["version"] == 1 and row["article_id"]

    # Again, now unchanged; a missing page fails that URL (exit 1) without losing the other.
    result = run_cli("archive", url, missing, "--site", "cnn-lite", "--no-progress", "--json",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 1
    rows = {r["requested_url"]: r for r in json.loads(result.stdout)["results"]}
    assert rows[url]["outcome"] == "unchanged" and rows[url]["version"] == 1
    assert rows[missing]["outcome"] == "http-404" and rows[missing]["version"] is None
    assert result.stderr.strip().splitlines()[-1] == "error: 1 of 2 URL(s) could not be archived"

    history = run_cli("history", url, data_dir=data_dir)
    assert history.returncode == 0, history.stderr
    assert article["title"] in history.stdout and "new" in history.stdout
    by_id = run_cli("history", row["article_id"], "--json", data_dir=data_dir)
    doc = json.loads(by_id.stdout)
    assert (
        doc["article_id"] == row["article_id"]
        and doc["versions"][0]["authors"] == article["authors"]
    )
    unknown = run_cli("history", site.page("/nothing/here"), data_dir=data_dir)
    assert unknown.returncode == 1 and unknown.stderr.startswith(
        "error: no archived article matches"
    )
    check_archive(data_dir)


def test_archive_unknown_host_uses_generic_profile(serve_site, data_dir, mirror_config):
    site = serve_site("npr-text")
    url = site.page(
        json.loads((SITES / "npr-text" / "expected.json").read_text())["articles"][0]["path"]
    )
    result = run_cli(
        "archive", url, "--no-progress", "--json", data_dir=data_dir, config=mirror_config
    )
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)["results"]
    assert row["version"] == 1
    records = [
        json.loads(x)
        for p in (data_dir / "records").rglob("*.jsonl")
        for x in p.read_text().splitlines()
    ]
    assert records[0]["site"] == "generic" and records[0]["text"]


def test_archive_rejects_non_http_urls(data_dir):
    result = run_cli("archive", "file:///etc/passwd", data_dir=data_dir)
    assert result.returncode == 2 and "only http and https URLs can be archived" in result.stderr


def test_configured_site_with_sitemap_and_feed(serve_site, tmp_path, data_dir):
    site = serve_site("cnn-lite")
    articles = CNN["articles"]
    (site.root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(f"  <url><loc>{site.page(a['path'])}</loc></url>\n" for a in articles[:3])
        + "</urlset>\n"
    )
    (site.root / "feed.xml").write_text(
        '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>t</title>\n'
        + "".join(
            f"<item><title>x</title><link>{site.page(a['path'])}</link></item>\n"
            for a in articles[2:5]
        )
        + "</channel></rss>\n"
    )
    config = _config(
        tmp_path,
        f"""
[sites.cnn-mirror]
extends = "cnn-lite"
start_urls = []
sitemaps = ["{site.page("/sitemap.xml")}"]
feeds = ["{site.page("/feed.xml")}"]
""",
    )
    result = run_cli(
        "crawl", "cnn-mirror", "--no-progress", "--json", data_dir=data_dir, config=config
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["articles_new"] == 5
    records = [
        json.loads(x)
        for p in (data_dir / "records").rglob("*.jsonl")
        for x in p.read_text().splitlines()
    ]
    assert {r["site"] for r in records} == {"cnn-mirror"}
    assert sorted(r["title"] for r in records) == sorted(a["title"] for a in articles[:5])


def test_max_articles(serve_site, data_dir, mirror_config):
    site = serve_site("cnn-lite")
    result = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--max-articles", "2", "--no-progress",
                     "--json", data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["articles_new"] == 2


def _free_port_pair() -> int:
    """A port N with N+1 free too (the demo serves its two sample sites on N and N+1), below
    the kernel's ephemeral range: the test runs the demo twice on the same pair, and a port
    the kernel hands out as a client's source port could be taken in between."""
    import random

    low = 20000
    try:
        low = min(
            low, int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]) - 2000
        )
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(200):
        port = random.randrange(max(low - 10000, 1024), low - 1)
        with socket.socket() as first, socket.socket() as second:
            try:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two consecutive free ports")


def test_demo_crawls_the_bundled_sample_sites(data_dir, tmp_path):
    port = _free_port_pair()
    result = run_cli("demo", "--no-progress", "--port", str(port), data_dir=data_dir)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "new versions" in result.stdout
    records = [
        json.loads(x)
        for p in (data_dir / "records").rglob("*.jsonl")
        for x in p.read_text().splitlines()
    ]
    # 40 articles, then the demo edits one story and archives it again: its version 2.
    assert len(records) == 41
    assert {r["site"] for r in records} == {"cnn-lite", "npr-text"}
    (v2,) = [r for r in records if r["version"] == 2]
    assert v2["change"] == "edit" and v2["diff"]["paragraphs_added"] == 1
    assert "+UPDATE: The full Senate" in result.stdout
    check_archive(data_dir)

    # The `next:` hint works as printed in a fresh shell: another folder, a bare PATH.
    (hint,) = [
        line[len("next: ") :] for line in result.stdout.splitlines() if line.startswith("next: ")
    ]
    fresh = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", "HOME=" + str(tmp_path), "sh", "-c", hint],
                           capture_output=True, text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    assert fresh.returncode == 0, (hint, fresh.stderr)
    assert v2["title"] in fresh.stdout and "version 1 → 2" in fresh.stdout

    # Run it again: the same URLs, so the same articles; nothing new, the edit comes back as a revert.
    again = run_cli("demo", "--no-progress", "--port", str(port), data_dir=data_dir)
    assert again.returncode == 0, again.stderr
    records = [
        json.loads(x)
        for p in (data_dir / "records").rglob("*.jsonl")
        for x in p.read_text().splitlines()
    ]
    assert len({r["article_id"] for r in records}) == 40
    edited = sorted(
        (r for r in records if r["article_id"] == v2["article_id"]), key=lambda r: r["version"]
    )
    # v3: the original page again (a revert to v1); v4: the demo's edit again (a revert to v2).
    assert [(r["change"], r.get("reverted_to")) for r in edited] == [("new", None), ("edit", None), ("revert", 1),
                                                                    ("revert", 2)]  # fmt: skip


def test_demo_on_a_busy_port_fails_clearly(data_dir):
    port = _free_port_pair()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port + 1))
        busy.listen()
        result = run_cli("demo", "--no-progress", "--port", str(port), data_dir=data_dir)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot serve the sample npr-text site on 127.0.0.1:{port + 1}: "
                                    "Address already in use; free the port, or run the demo on two other ports")  # fmt: skip
    assert result.stderr.count("\n") == 1
    assert not (data_dir / "catalog.sqlite").exists()  # nothing crawled
