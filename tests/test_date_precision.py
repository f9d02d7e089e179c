"""Dates keep the precision the page gives them: a day without a time is stored as a day,
never as an invented midnight, in the JSON records, the catalog and every export format;
records written before that are still read right."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from archive.catalog import Catalog
from archive.dates import as_day, as_instant, precision_of, record_precision, same_date
from archive.export.rows import latest_row, versions_row
from archive.urls import article_id_for, normalize_url
from archive.versions import Observation, VersionTracker
from pipelines.extract import extract_article
from tests.conftest import run_cli

pytestmark = pytest.mark.timeout(300)

PAGES = Path(__file__).parent / "fixtures" / "pages"
STORY = PAGES / "generic-text-only-list-lead-in.html"  # "Thursday, April 8, 2021 • 9:12 PM EDT"


def test_a_day_is_never_an_invented_midnight():
    body = STORY.read_bytes()
    generic = extract_article(body, url="https://text.harbortext.example/985359077", parser="generic",
                              content_type="text/html; charset=utf-8")  # fmt: skip
    # trafilatura (htmldate) finds only the day: it stays a day.
    assert (
        generic.published_at == "2021-04-08" and generic.dates_source["published_at"] == "htmldate"
    )
    # The NPR profile reads the dateline's time: 9:12 PM EDT is already the next day in UTC,
    # which is why a midnight-UTC guess would be the wrong day.
    npr = extract_article(body, url="https://text.npr.org/985359077", parser="npr-text",
                          content_type="text/html; charset=utf-8")  # fmt: skip
    assert npr.published_at == "2021-04-09T01:12:00Z"


def test_precision_of_stored_values_old_and_new():
    assert precision_of("2021-04-08") == "day"
    assert precision_of("2021-04-09T01:12:00Z") == "second"
    assert (
        precision_of("2021-04-08T00:00:00Z", "htmldate") == "day"
    )  # written before precision was kept
    assert precision_of("2021-04-08T00:00:00Z", "json-ld") == "second"  # a page may say midnight
    assert precision_of(None) is None
    assert record_precision(
        {"published_at": "2021-04-08", "modified_at": "2021-04-09T01:12:00Z"}
    ) == {"published_at": "day", "modified_at": "second"}
    assert as_day("2021-04-08T00:00:00Z", "htmldate") == date(2021, 4, 8)
    assert as_instant("2021-04-08T00:00:00Z", "htmldate") is None
    assert as_instant("2021-04-09T01:12:00Z") == datetime(2021, 4, 9, 1, 12, tzinfo=UTC)
    assert same_date("2021-04-08", "2021-04-08T00:00:00Z") and not same_date(
        "2021-04-08", "2021-04-09T01:12:00Z"
    )


def test_an_old_midnight_record_read_again_as_a_day_is_unchanged(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        tracker = VersionTracker(catalog)
        url = "https://valleytext.example/2025/08/14/school-calendar"

        def observe(published: str, modified: str, text: str, hour: int):
            at = datetime(2025, 8, 14, hour, tzinfo=UTC)
            capture = catalog.add_capture(run_id="r", site="valley", url=url, kind="article", fetched_at=at,
                                          status=200, outcome="fetched", record_type="response")  # fmt: skip
            obs = Observation(article_id=article_id_for(url), site="valley", url=url, normalized_url=normalize_url(url),
                              captured_at=at, capture_id=capture, run_id="r",
                              fields={"title": "Calendar", "authors": [], "text": text, "published_at": published,
                                      "modified_at": modified,
                                      "dates_source": {"published_at": "htmldate", "modified_at": "meta"}})  # fmt: skip
            decision = tracker.decide(obs)
            return tracker.commit(obs, decision)

        text = "The county school board adopted a new calendar on Wednesday. " * 3
        # What older code stored: midnights it invented.
        first = observe("2025-08-14T00:00:00Z", "2025-08-15T00:00:00Z", text, 1)
        assert first.record["dates_precision"] == {"published_at": "day", "modified_at": "second"}
        again = observe("2025-08-14", "2025-08-15", text, 2)
        assert again.outcome == "unchanged"  # not timestamp-only: the same dates, now as days
        edited = observe("2025-08-14", "2025-08-15", text + "Classes begin on Sept. 2.", 3)
        assert edited.outcome == "edit" and edited.record["changed_dates"] == []
        assert edited.record["published_at"] == "2025-08-14"
        assert edited.record["dates_precision"] == {"published_at": "day", "modified_at": "day"}
        assert catalog.article(article_id_for(url))["published_at"] == "2025-08-14"
    finally:
        catalog.close()


def _serve(root: Path, port_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, "-m", "newsarchive.demo.server", str(root), "--port-file", str(port_file)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 20
    while not port_file.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "fixture server did not start"
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port_file.read_text()}/"


def test_records_catalog_and_exports_say_which_precision(tmp_path, data_dir):
    root = tmp_path / "site"
    (root / "985359077").mkdir(parents=True)
    shutil.copy(STORY, root / "985359077" / "index.html")
    (root / "index.html").write_text('<html><body><ul><li><a class="topic-title" href="/985359077">Flood plan</a>'
                                     "</li></ul></body></html>")  # fmt: skip
    proc, url = _serve(root, tmp_path / "port")
    try:
        config = tmp_path / "site.toml"
        config.write_text(f"""
[crawl]
allowed_networks = ["127.0.0.0/8"]
download_delay = 0
autothrottle = false
download_timeout = 5
[sites.harbor-text]
start_urls = ["{url}"]
article_links = "a.topic-title"
""")
        result = run_cli(
            "crawl", "harbor-text", "--no-progress", "--json", data_dir=data_dir, config=config
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["articles_new"] == 1
    finally:
        proc.terminate()
        proc.wait(5)
    (line,) = [
        json.loads(x)
        for p in (data_dir / "records").rglob("*.jsonl")
        for x in p.read_text().splitlines()
    ]
    assert line["published_at"] == "2021-04-08" and line["dates_precision"] == {
        "published_at": "day"
    }

    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        assert catalog.article(line["article_id"])["published_at"] == "2021-04-08"
        # A record written before precision was kept: htmldate's day as midnight, no dates_precision.
        legacy = dict(catalog.versions(line["article_id"])[0])
        old = {k: v for k, v in line.items() if k != "dates_precision"}
        old.update(
            article_id="0123456789abcdef",
            url=url + "old-story",
            published_at="2020-01-02T00:00:00Z",
            modified_at="2020-01-03T04:05:06Z",
            dates_source={"published_at": "htmldate", "modified_at": "meta"},
        )
        seen = legacy["captured_at"].replace(tzinfo=None)  # as SQLAlchemy stores it in SQLite
        with catalog.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO articles (id, site, url, first_seen_at, last_seen_at, last_changed_at, latest_version,"
                " published_at, tracking) VALUES (?, 'harbor-text', ?, ?, ?, ?, 1, ?, 1)",
                (old["article_id"], old["url"], str(seen), str(seen), str(seen), old["published_at"]))  # fmt: skip
            conn.exec_driver_sql(
                "INSERT INTO versions (article_id, version, content_sha256, change, captured_at, record)"
                " VALUES (?, 1, ?, 'new', ?, ?)",
                (
                    old["article_id"],
                    legacy["content_sha256"],
                    str(seen + timedelta(seconds=1)),
                    json.dumps(old),
                ),
            )
    finally:
        catalog.close()

    exports = {}
    for fmt in ("parquet", "jsonl", "csv"):
        for view in ("latest", "versions"):
            out = tmp_path / f"out-{view}.{fmt}"
            done = run_cli("export", "--format", fmt, "--view", view, "--out", str(out), "--no-progress",
                           data_dir=data_dir, config=config)  # fmt: skip
            assert done.returncode == 0, done.stderr
            exports[fmt, view] = out
    table = pq.read_table(exports["parquet", "latest"]).to_pylist()
    by_id = {r["article_id"]: r for r in table}
    new, legacy_row = by_id[line["article_id"]], by_id["0123456789abcdef"]
    assert new["published_at"] is None and new["published_date"] == date(2021, 4, 8)
    assert new["dates_precision"] == {"published_at": "day", "modified_at": None}
    assert legacy_row["published_at"] is None and legacy_row["published_date"] == date(2020, 1, 2)
    assert legacy_row["modified_at"] == datetime(2020, 1, 3, 4, 5, 6, tzinfo=UTC)
    assert legacy_row["modified_date"] is None
    assert legacy_row["dates_precision"] == {"published_at": "day", "modified_at": "second"}
    versions = {
        r["article_id"]: r for r in pq.read_table(exports["parquet", "versions"]).to_pylist()
    }
    assert versions[line["article_id"]]["published_date"] == date(2021, 4, 8)
    rows = {
        r["article_id"]: r
        for r in map(json.loads, exports["jsonl", "latest"].read_text().splitlines())
    }
    assert rows[line["article_id"]]["published_at"] is None
    assert rows[line["article_id"]]["published_date"] == "2021-04-08"
    assert rows["0123456789abcdef"]["modified_at"] == "2020-01-03T04:05:06Z"
    with exports["csv", "versions"].open(encoding="utf-8", newline="") as fh:
        csv_rows = {r["article_id"]: r for r in csv.DictReader(fh)}
    assert csv_rows[line["article_id"]]["published_date"] == "2021-04-08"
    assert csv_rows[line["article_id"]]["published_at"] == ""
    card = Path(str(exports["parquet", "latest"]) + ".md").read_text(encoding="utf-8")
    assert "never an invented midnight" in card and "| `published_date` | date32 |" in card
    assert "published (as the pages declare): 2020-01-02 to 2021-04-08" in card


def test_export_rows_of_a_record_with_a_time():
    record = {"published_at": "2021-04-09T01:12:00Z", "dates_source": {"published_at": "page:dateline"},
              "dates_precision": {"published_at": "second"}}  # fmt: skip
    raw = {"article_id": "a", "site": "s", "version": 1, "change": "new", "record": record,
           "captured_at": datetime(2021, 4, 9, 2, tzinfo=UTC), "warc_filename": None}  # fmt: skip
    row = latest_row(raw)
    assert (
        row["published_at"] == datetime(2021, 4, 9, 1, 12, tzinfo=UTC)
        and row["published_date"] is None
    )
    assert versions_row(raw)["published_at"] == row["published_at"]
