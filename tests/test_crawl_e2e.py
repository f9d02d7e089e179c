"""End to end: the real CLI crawls fixture sites served on 127.0.0.1 into WARCs and records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from archive.catalog import Catalog
from archive.urls import article_id_for, normalize_url
from tests.conftest import SITES, run_cli
from tests.warc_assertions import check_archive, read_record_at

pytestmark = pytest.mark.timeout(300)


def _expected(site: str) -> dict:
    return json.loads((SITES / site / "expected.json").read_text(encoding="utf-8"))


def _records(data_dir: Path) -> list[dict]:
    lines = []
    for path in sorted((data_dir / "records").rglob("*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def _catalog(data_dir: Path) -> Catalog:
    return Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")


def _crawl(site, data_dir, config, *extra):
    result = run_cli("crawl", site.name if hasattr(site, "name") else site, *extra,
                     data_dir=data_dir, config=config)  # fmt: skip
    return result


@pytest.mark.parametrize("profile", ["cnn-lite", "npr-text"])
def test_crawl_fixture_site_end_to_end(profile, serve_site, data_dir, mirror_config):
    site = serve_site(profile)
    expected = _expected(profile)
    result = run_cli("crawl", profile, "--start-url", site.url, "--no-progress", "--json",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    n = len(expected["articles"])
    assert summary["articles_new"] == n
    assert summary["versions_new"] == n
    why = {x["why"] for x in expected["not_articles"]}
    if "404" in why:
        assert summary["errors"].get("http-404", 0) >= 1
    if "soft-404" in why:
        assert summary["errors"].get("soft-404") == 1

    # Exactly the expected articles, with the expected fields, one version each.
    records = _records(data_dir)
    by_url = {normalize_url(r["url"]): r for r in records}
    assert len(records) == n
    for article in expected["articles"]:
        record = by_url[normalize_url(site.page(article["path"]))]
        assert record["version"] == 1 and record["change"] == "new"
        assert record["site"] == profile
        assert record["title"] == article["title"]
        assert record["authors"] == article["authors"]
        assert record["published_at"] == article["published_at"]
        assert record["modified_at"] == article["modified_at"]
        assert record["text"].startswith(article["text_startswith"])
        assert record["text"].endswith(article["text_endswith"])
        assert record["article_id"] == article_id_for(record["url"])
        assert "See Full Web Article" not in record["text"]
        assert record["content_sha256"] and record["captured_at"].endswith("Z")
    for bad in expected["not_articles"]:
        assert normalize_url(site.page(bad["path"])) not in by_url

    # Valid closed WARCs; every record's pointer resolves to the response of its URL.
    warc_records = check_archive(data_dir)
    files = {p["file"].name: p["file"] for p in warc_records}
    for record in records:
        pointer = record["warc"]
        stored = read_record_at(files[pointer["filename"]], pointer["offset"])
        assert stored["type"] == "response"
        assert stored["headers"]["WARC-Record-ID"] == pointer["record_id"]
        assert stored["headers"]["WARC-Target-URI"] == record["url"]
        assert stored["http"].get_statuscode() == "200"
    # Every exchange is archived: robots.txt, the index, each article, the 404s; links the
    # profile skips (CNN's tracker and maps pages) are never fetched, and counted as such.
    uris = {r["headers"].get("WARC-Target-URI") for r in warc_records if r["type"] == "response"}
    assert site.page("/robots.txt") in uris
    assert site.url in uris
    for bad in expected["not_articles"]:
        assert (site.page(bad["path"]) in uris) == (bad["why"] != "skip-pattern"), bad
    found = next(r for r in summary["sites"] if r["site"] == profile)["discovery"]
    skipped = sum(1 for bad in expected["not_articles"] if bad["why"] == "skip-pattern")
    assert found["dropped"].get("skip-pattern", 0) == skipped and found["matched"] == n + len(
        expected["not_articles"]
    )
    resources = [r for r in warc_records if r["type"] == "conversion"]
    assert len(resources) == n
    assert all(re.fullmatch(r"urn:newsarchive:article:[0-9a-f]{16}", r["headers"]["WARC-Target-URI"])
               for r in resources)  # fmt: skip
    assert all(json.loads(r["body"])["title"] for r in resources)

    # The catalog agrees with the files.
    catalog = _catalog(data_dir)
    try:
        assert catalog.count("versions") == n
        assert catalog.count("articles") == n
        closed = catalog.warc_files("closed")
        assert {f["filename"] for f in closed} == set(files)
        assert all(f["sha256"] and f["size"] == files[f["filename"]].stat().st_size for f in closed)
    finally:
        catalog.close()


def test_recrawl_unchanged_then_one_paragraph_changed(serve_site, data_dir, mirror_config):
    site = serve_site("cnn-lite")
    expected = _expected("cnn-lite")
    first = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                    data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert first.returncode == 0, first.stderr
    n = len(expected["articles"])

    # Discovery leaves known articles to the recheck ladder…
    again = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                    data_dir=data_dir, config=mirror_config)  # fmt: skip
    summary = json.loads(again.stdout)
    assert summary["versions_new"] == 0 and summary["unchanged"] == 0

    # …and when asked to refetch an unchanged site, it creates no version.
    refetch = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--refetch", "--no-progress", "--json",
                      data_dir=data_dir, config=mirror_config)  # fmt: skip
    summary = json.loads(refetch.stdout)
    assert summary["versions_new"] == 0
    assert summary["unchanged"] == n
    assert len(_records(data_dir)) == n

    # One paragraph of one article changes: exactly one version 2, for that article only.
    target = expected["articles"][0]
    page = site.root / target["path"].lstrip("/")
    page = page / "index.html" if page.is_dir() else page
    html = page.read_text(encoding="utf-8")
    changed = html.replace(target["text_startswith"], "UPDATE: " + target["text_startswith"], 1)
    assert changed != html
    page.write_text(changed, encoding="utf-8")
    edited = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--refetch", "--no-progress", "--json",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    summary = json.loads(edited.stdout)
    assert summary["versions_new"] == 1
    assert summary["unchanged"] == n - 1
    records = _records(data_dir)
    assert len(records) == n + 1
    v2 = [r for r in records if r["version"] == 2]
    assert len(v2) == 1
    v2 = v2[0]
    assert normalize_url(v2["url"]) == normalize_url(site.page(target["path"]))
    assert v2["change"] == "edit" and v2["changed_fields"] == ["text"]
    assert v2["diff"]["from_version"] == 1
    assert v2["diff"]["chars_added"] == len("UPDATE:")
    assert v2["diff"]["chars_removed"] == 0
    assert "+UPDATE: " + target["text_startswith"] in v2["diff"]["unified"]

    history = run_cli("history", site.page(target["path"]), "--json", data_dir=data_dir)
    assert history.returncode == 0, history.stderr
    doc = json.loads(history.stdout)
    assert [v["version"] for v in doc["versions"]] == [1, 2]
    assert doc["article_id"] == v2["article_id"]
    check_archive(data_dir)


def test_scrapy_crawl_from_the_repository(serve_site, data_dir, tmp_path, mirror_config):
    """`scrapy crawl cnn-lite` works as well as the CLI (settings from scrapy.cfg)."""
    import os
    import subprocess

    from tests.conftest import BIN, REPO

    site = serve_site("cnn-lite")
    env = {
        **os.environ,
        "NEWSARCHIVE_DATA_DIR": str(data_dir),
        "NEWSARCHIVE_CONFIG": str(mirror_config),
    }
    result = subprocess.run(
        [str(BIN / "scrapy"), "crawl", "cnn-lite", "-a", f"start_url={site.url}", "-s", "LOG_LEVEL=WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(_records(data_dir)) == len(_expected("cnn-lite")["articles"])
    check_archive(data_dir)
