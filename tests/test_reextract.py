"""`newsarchive reextract`: an archive made with an older parser rule is read again with
today's, from the WARC files (local, or S3 by byte range), never from the network.

The "older rule" is a config override of the `cnn-lite` site that reads its pages with
the `generic` parser (trafilatura keeps the editor's notes the cnn-lite rules drop);
today's config is the built-in profile. Everything runs through the real CLI in child
processes, against the fixture site on 127.0.0.1 and moto's S3 server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BIN, MIRROR_CONFIG, SITES, run_cli
from tests.test_s3_publish import aws_env, moto, write_config  # noqa: F401 - fixtures

pytestmark = pytest.mark.timeout(300)

TRAVEL = SITES / "cnn-lite" / "travel" / "night-trains-europe-comeback-intl" / "index.html"
EDITORS_NOTE = "Editor’s Note: Prices and schedules in this story were accurate"


def _old_config(path: Path, start_url: str, base: str = MIRROR_CONFIG) -> Path:
    """The site read by the older rule: the generic parser instead of cnn-lite's rules."""
    path.write_text(base + f'\n[sites.cnn-lite]\nparser = "generic"\nstart_urls = ["{start_url}"]\n'
                           'article_links = "li.card--lite > a"\n')  # fmt: skip
    return path


def _new_config(path: Path, base: str = MIRROR_CONFIG) -> Path:
    path.write_text(base)
    return path


def _crawl(site_url: str, data_dir: Path, config: Path, *extra: str) -> dict[str, Any]:
    result = run_cli("crawl", "cnn-lite", "--start-url", site_url, "--no-progress", "--json", *extra,
                     data_dir=data_dir, config=config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _reextract(data_dir: Path, config: Path, *args: str, timeout: float = 180) -> dict[str, Any]:
    result = run_cli("reextract", "--json", *args, data_dir=data_dir, config=config,
                     timeout=timeout)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _db(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "catalog.sqlite")


def _rows(data_dir: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(_db(data_dir)) as db:
        return db.execute(sql, params).fetchall()


def _record_lines(data_dir: Path) -> list[dict[str, Any]]:
    lines = []
    for path in sorted((data_dir / "records").rglob("*.jsonl")):
        lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def _snapshot(data_dir: Path) -> dict[str, Any]:
    """What a dry run must leave as it was."""
    return {
        "versions": _rows(data_dir, "SELECT article_id, version, change, record FROM versions ORDER BY 1, 2"),
        "articles": _rows(data_dir, "SELECT * FROM articles ORDER BY id"),
        "runs": _rows(data_dir, "SELECT id, status FROM runs ORDER BY id"),
        "search": _rows(data_dir, "SELECT article_id, version, edit_types FROM search_docs ORDER BY 1, 2"),
        "records": {p.name: p.read_bytes() for p in (data_dir / "records").rglob("*.jsonl")},
    }  # fmt: skip


# -- the older rule, re-extracted with today's ----------------------------------------------
def test_an_archive_made_with_an_older_rule_is_reextracted_with_todays(
    serve_site: Any, data_dir: Path, tmp_path: Path
) -> None:
    site = serve_site("cnn-lite")
    old = _old_config(tmp_path / "old.toml", site.url)
    new = _new_config(tmp_path / "new.toml")
    _crawl(site.url, data_dir, old)
    before = _rows(
        data_dir, "SELECT article_id, record, extractor_parser, extractor_rules FROM versions"
    )
    assert before and all(parser == "generic" and rules for _a, _r, parser, rules in before)
    old_records = {a: json.loads(r) for a, r, _p, _x in before}
    assert all(r["extractor"]["parser"] == "generic" for r in old_records.values())
    noted = [a for a, r in old_records.items() if EDITORS_NOTE in r["text"]]
    assert len(noted) == 1  # the travel story: generic keeps its editor's note

    # Dry run: the count and a sample of word diffs, nothing written.
    snapshot = _snapshot(data_dir)
    dry = _reextract(data_dir, new, "--dry-run")
    assert dry["dry_run"] is True and dry["run_id"] is None
    assert dry["examined"] == len(before) and dry["changed"] == 1
    assert dry["unchanged"] == len(before) - 1 and dry["failed"] == dry["unreadable"] == 0
    (sample,) = dry["sample"]
    assert sample["article_id"] == noted[0] and sample["changed_fields"] == ["text"]
    assert sample["from_extractor"] == "generic" and sample["to_extractor"] == "cnn-lite"
    assert sample["text"].startswith("[-Editor’s Note:") and "-]" in sample["text"]
    assert _snapshot(data_dir) == snapshot
    human = run_cli("reextract", "--dry-run", "--no-progress", data_dir=data_dir, config=new)
    assert human.returncode == 0, human.stderr
    assert "dry run: nothing written" in human.stdout and "would change" in human.stdout
    assert "(generic → cnn-lite)" in human.stdout and "[-Editor’s Note:" in human.stdout
    assert _snapshot(data_dir) == snapshot

    # The run: one new version, marked reextract, pointing at the same capture.
    report = _reextract(data_dir, new)
    assert report["status"] == "done" and report["changed"] == 1 and report["run_id"]
    rows = _rows(data_dir, "SELECT version, change, record, extractor_parser, extractor_rules, run_id, "
                           "warc_record_id, capture_id FROM versions WHERE article_id = ? ORDER BY version",
                 noted[0])  # fmt: skip
    assert [(r[0], r[1]) for r in rows] == [(1, "new"), (2, "reextract")]
    first, second = json.loads(rows[0][2]), json.loads(rows[1][2])
    assert second["change"] == "reextract" and EDITORS_NOTE not in second["text"]
    assert second["text"] in first["text"]  # the same story, without the note
    assert second["extractor"]["parser"] == "cnn-lite" == rows[1][3]
    assert second["extractor"]["rules"] == rows[1][4] != rows[0][4]
    assert second["reextract_of"]["version"] == 1
    assert second["reextract_of"]["capture_id"] == rows[0][7] == rows[1][7]
    assert second["reextract_of"]["extractor"] == first["extractor"]
    assert second["warc"] == first["warc"] and rows[1][6] == rows[0][6]
    assert second["captured_at"] == first["captured_at"] and rows[1][5] == report["run_id"]
    assert second["diff"]["from_version"] == 1 and second["diff"]["chars_removed"] > 0
    # Not an edit: no edit types, nothing added or removed for search; the article's last
    # change (the recheck ladder) did not move.
    (search,) = _rows(data_dir, "SELECT edit_types, added, removed FROM search_docs "
                                "WHERE article_id = ? AND version = 2", noted[0])  # fmt: skip
    assert json.loads(search[0]) == [] and search[1] == search[2] == ""
    (article,) = _rows(data_dir, "SELECT latest_version, first_seen_at, last_changed_at FROM articles "
                                 "WHERE id = ?", noted[0])  # fmt: skip
    assert article[0] == 2 and article[1] == article[2]
    lines = [r for r in _record_lines(data_dir) if r["run_id"] == report["run_id"]]
    assert lines == [second]  # its line in the run's records file, the catalog's record
    (run,) = _rows(
        data_dir, "SELECT command, status, summary FROM runs WHERE id = ?", report["run_id"]
    )
    assert run[:2] == ("reextract", "done") and json.loads(run[2])["counts"]["changed"] == 1
    assert run_cli("verify", data_dir=data_dir, config=new).returncode == 0
    history = run_cli("history", noted[0], data_dir=data_dir, config=new)
    assert "reextract of v1 (generic → cnn-lite)" in history.stdout, history.stdout

    # The exports say it too, and the dataset card lists both extractors.
    out = tmp_path / "versions.jsonl"
    exported = run_cli("export", "--format", "jsonl", "--view", "versions", "--out", str(out),
                       "--no-progress", data_dir=data_dir, config=new)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    rows_out = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    mine = [r for r in rows_out if r["article_id"] == noted[0]]
    assert [(r["change"], r["extractor_parser"], r["reextract_of"]) for r in mine] == [
        ("new", "generic", None), ("reextract", "cnn-lite", 1)]  # fmt: skip
    assert all(r["extractor_rules"] and r["trafilatura_version"] for r in rows_out)
    card = (tmp_path / "versions.jsonl.md").read_text(encoding="utf-8")
    assert "## Extractors" in card and "reextract 1" in card
    assert f"| generic · rules {first['extractor']['rules']} · newsarchive " in card
    assert f"| cnn-lite · rules {second['extractor']['rules']} · newsarchive " in card
    latest = tmp_path / "latest.jsonl"
    assert run_cli("export", "--format", "jsonl", "--out", str(latest), "--no-progress",
                   data_dir=data_dir, config=new).returncode == 0  # fmt: skip
    (row,) = [json.loads(x) for x in latest.read_text().splitlines() if noted[0] in x]
    assert row["change"] == "reextract" and row["extractor"]["parser"] == "cnn-lite"

    # The service's recent changes leave it out: the newsroom changed nothing.
    from archive.catalog import Catalog
    from newsarchive.serve.queries import recent_changes

    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        changes, _ = recent_changes(catalog.engine, limit=100)
    finally:
        catalog.close()
    assert changes and all(c["change"] != "reextract" for c in changes)

    # Feeds and notifications leave it out too: a config with the feeds' settle window off
    # and a webhook target; the feed of every kind on request has the article's version 1
    # only, and a second reextract writes no event for a notification to carry.
    announced = tmp_path / "announced.toml"
    announced.write_text(new.read_text() + '\n[serve]\nfeed_settle_seconds = 0\n\n'
                         '[[notify.webhooks]]\nname = "hook"\nurl = "https://hooks.example.org/x"\n'
                         'secret_env = "NEWSARCHIVE_TEST_HOOK_SECRET"\n')  # fmt: skip
    feed_file = tmp_path / "changes.json"
    fed = run_cli("feed", "--format", "json", "--include", "new,suspect", "--article", noted[0],
                  "--out", str(feed_file), data_dir=data_dir, config=announced)  # fmt: skip
    assert fed.returncode == 0, fed.stderr
    items = json.loads(feed_file.read_text(encoding="utf-8"))["items"]
    assert [(i["_newsarchive"]["version"], i["_newsarchive"]["change"]) for i in items] == [
        (1, "new")
    ]
    events_before = _rows(data_dir, "SELECT count(*) FROM notify_events")
    suffix = announced.read_text()[len(new.read_text()) :]
    back = tmp_path / "old-announced.toml"
    back.write_text(old.read_text() + suffix)
    # Back to the older rule and forward again, with a target: two more versions, no event.
    assert _reextract(data_dir, back)["changed"] == 1
    assert _reextract(data_dir, announced)["changed"] == 1
    assert _rows(data_dir, "SELECT change FROM versions WHERE article_id = ? ORDER BY version",
                 noted[0]) == [("new",), ("reextract",), ("reextract",), ("reextract",)]  # fmt: skip
    assert _rows(data_dir, "SELECT count(*) FROM notify_events") == events_before

    # Again: nothing new. And the next crawl finds the story unchanged (no false edit).
    again = _reextract(data_dir, new)
    assert again["changed"] == 0 and again["unchanged"] == len(before)
    summary = _crawl(site.url, data_dir, new, "--refetch")
    assert _rows(data_dir, "SELECT count(*) FROM versions WHERE change = 'edit'") == [(0,)], summary
    assert _rows(data_dir, "SELECT latest_version FROM articles WHERE id = ?", noted[0]) == [(4,)]


def test_reextract_refuses_while_a_crawl_writes_and_checks_its_options(
    serve_site: Any, data_dir: Path, tmp_path: Path
) -> None:
    site = serve_site("cnn-lite")
    old = _old_config(tmp_path / "old.toml", site.url)
    new = _new_config(tmp_path / "new.toml")
    _crawl(site.url, data_dir, old)
    # A crawl of this data directory, alive (this test's own process stands for it).
    with closing(_db(data_dir)) as db:
        db.execute("INSERT INTO runs (id, command, sites, started_at, status, pid, host, data_dir) "
                   "VALUES ('live-crawl', 'crawl', '[]', '2026-12-03 10:00:00', 'running', ?, ?, ?)",
                   (os.getpid(), os.uname().nodename, str(data_dir.resolve())))  # fmt: skip
        db.commit()
    snapshot = _snapshot(data_dir)
    refused = run_cli("reextract", "--no-progress", data_dir=data_dir, config=new)
    assert refused.returncode == 1
    assert "a crawl is writing to this archive (crawl run live-crawl" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert _snapshot(data_dir) == snapshot
    # A dry run only reads: it may run beside the crawl.
    assert _reextract(data_dir, new, "--dry-run")["changed"] == 1
    # And the other way round: no crawl while a reextract run writes.
    with closing(_db(data_dir)) as db:
        db.execute("UPDATE runs SET status = 'done' WHERE id = 'live-crawl'")
        db.execute("UPDATE runs SET command = 'reextract', status = 'running' WHERE id = (SELECT id FROM runs "
                   "WHERE command = 'crawl' AND id != 'live-crawl' LIMIT 1)")  # fmt: skip
        db.execute("UPDATE runs SET pid = ?, host = ? WHERE command = 'reextract'",
                   (os.getpid(), os.uname().nodename))  # fmt: skip
        db.commit()
    crawl = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", data_dir=data_dir,
                    config=new)  # fmt: skip
    assert (
        crawl.returncode == 1
        and "is writing to this archive: crawl when it has finished" in crawl.stderr
    )
    assert _snapshot(data_dir)["versions"] == snapshot["versions"]
    with closing(_db(data_dir)) as db:
        db.execute("UPDATE runs SET status = 'done' WHERE command = 'reextract'")
        db.commit()
    bad = run_cli("reextract", "--parser", "nope", data_dir=data_dir, config=new)
    assert bad.returncode == 1 and "unknown parser 'nope'" in bad.stderr
    # --parser: the sites today's parser reads; --site: only those.
    assert _reextract(data_dir, new, "--parser", "npr-text", "--dry-run")["examined"] == 0
    assert _reextract(data_dir, new, "--parser", "cnn-lite", "--dry-run")["changed"] == 1
    unknown = run_cli("reextract", "--site", "nowhere", data_dir=data_dir, config=new)
    assert unknown.returncode == 2 and "unknown site 'nowhere'" in unknown.stderr
    # --until before the captures: nothing selected.
    assert _reextract(data_dir, new, "--until", "2000-01-01", "--dry-run")["examined"] == 0


# -- kill -9 mid-run, then a rerun -------------------------------------------------------------
def _big_site(root: Path, n: int) -> Path:
    """An index of `n` cnn-lite stories, each with an editor's note (dropped by today's rules)."""
    template = TRAVEL.read_text(encoding="utf-8")
    index = (SITES / "cnn-lite" / "index.html").read_text(encoding="utf-8")
    shutil.rmtree(root, ignore_errors=True)
    cards = []
    for i in range(n):
        slug = f"travel/night-train-{i:04d}"
        page = template.replace("Night trains are making a comeback in Europe.",
                                f"Night train {i} is making a comeback in Europe.")  # fmt: skip
        page = page.replace("After years of cuts,", f"After {i + 3} years of cuts,")
        (root / slug).mkdir(parents=True)
        (root / slug / "index.html").write_text(page, encoding="utf-8")
        cards.append(f'<li class="card--lite"><a href="/{slug}">Night train {i}</a></li>')
    head = index.split("<body", 1)[0]
    (root / "index.html").write_text(head + "<body><ul>" + "".join(cards) + "</ul></body></html>",
                                     encoding="utf-8")  # fmt: skip
    return root


def _start_reextract(data_dir: Path, config: Path) -> subprocess.Popen[bytes]:
    """The CLI in a child process, in batches of 4, Ctrl-C as a terminal would send it."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("NEWSARCHIVE_CONFIG", None)
    return subprocess.Popen(
        [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config), "reextract",
         "--batch-size", "4", "--no-progress", "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


def _wait_for_reextracted(data_dir: Path, child: subprocess.Popen[bytes], count: int) -> None:
    """Until `count` reextract versions are committed (or the child ends)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        try:
            done = _rows(data_dir, "SELECT count(*) FROM versions WHERE change = 'reextract'")[0][0]
        except sqlite3.OperationalError:
            done = 0
        if done >= count:
            return
        time.sleep(0.01)


def test_kill_9_mid_run_loses_nothing_and_the_rerun_completes(
    serve_site: Any, data_dir: Path, tmp_path: Path
) -> None:
    n = 240
    site = serve_site(_big_site(tmp_path / "big-site", n), copy=False)
    old = _old_config(tmp_path / "old.toml", site.url)
    new = _new_config(tmp_path / "new.toml")
    _crawl(site.url, data_dir, old)
    assert _rows(data_dir, "SELECT count(*) FROM versions") == [(n,)]

    child = _start_reextract(data_dir, new)
    # Killed once a few batches are committed (the run's cursor has moved), mid-run.
    _wait_for_reextracted(data_dir, child, 12)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    (run_id, status, summary) = _rows(
        data_dir, "SELECT id, status, summary FROM runs WHERE command = 'reextract'")[0]  # fmt: skip
    assert status == "running" and json.loads(summary)["cursor"]
    killed_at = _rows(data_dir, "SELECT count(*) FROM versions WHERE change = 'reextract'")[0][0]
    assert 12 <= killed_at < n

    # Ctrl-C on the rerun: it stops after its batch, says `interrupted`, exit status 130.
    child = _start_reextract(data_dir, new)
    _wait_for_reextracted(data_dir, child, killed_at + 8)
    child.send_signal(signal.SIGINT)
    child.wait(60)
    assert child.returncode == 130
    assert _rows(data_dir, "SELECT id, status FROM runs WHERE command = 'reextract'") == [
        (run_id, "interrupted")]  # fmt: skip
    assert _rows(data_dir, "SELECT count(*) FROM versions WHERE change = 'reextract'")[0][0] < n

    report = _reextract(data_dir, new)
    assert report["resumed"] is True and report["run_id"] == run_id and report["status"] == "done"
    assert report["changed"] == n and report["unchanged"] == 0
    # Every article exactly once more: version 2, a reextract; no duplicate, none missing.
    assert _rows(data_dir, "SELECT version, change, count(*) FROM versions GROUP BY version, change "
                           "ORDER BY version") == [(1, "new", n), (2, "reextract", n)]  # fmt: skip
    assert _rows(data_dir, "SELECT DISTINCT latest_version FROM articles") == [(2,)]
    assert _rows(data_dir, "SELECT status FROM runs WHERE command = 'reextract'") == [("done",)]
    # Every new version has its one record line (lost lines were rewritten, none twice).
    lines = [
        (r["article_id"], r["version"]) for r in _record_lines(data_dir) if r["run_id"] == run_id
    ]
    assert len(lines) == len(set(lines)) == n
    verified = run_cli("verify", data_dir=data_dir, config=new)
    assert verified.returncode == 0, verified.stdout + verified.stderr


# -- S3-only WARCs, read by range ----------------------------------------------------------------
def test_warcs_kept_only_in_s3_are_read_by_range(moto: Any, serve_site: Any, data_dir: Path,
                                                 tmp_path: Path) -> None:  # fmt: skip
    site = serve_site("cnn-lite")
    base = write_config(tmp_path / "base.toml", moto, warc="max_file_bytes = 15_000",
                        s3="delete_local_after_upload = true\nmax_attempts = 1\n"
                           "connect_timeout_seconds = 1").read_text()  # fmt: skip
    old = _old_config(tmp_path / "old.toml", site.url, base)
    new = _new_config(tmp_path / "new.toml", base)
    _crawl(site.url, data_dir, old)
    assert list((data_dir / "warc").rglob("*.warc.gz")) == []  # deleted after verified uploads
    versions = _rows(data_dir, "SELECT count(*) FROM versions")[0][0]
    report = _reextract(data_dir, new)
    assert report["unreadable"] == 0 and report["failed"] == 0, report["problems"]
    assert report["examined"] == versions and report["changed"] == 1
    assert list((data_dir / "warc").rglob("*.warc.gz")) == []  # read by range, not restored
    (record,) = _rows(data_dir, "SELECT record FROM versions WHERE change = 'reextract'")
    assert EDITORS_NOTE not in json.loads(record[0])["text"]
    # Without S3, the same records cannot be read: said per article, nothing written.
    offline = _new_config(tmp_path / "offline.toml")
    dry = _reextract(data_dir, offline, "--dry-run")
    assert dry["unreadable"] == versions and dry["changed"] == 0
    assert "[s3] is not configured" in dry["problems"][0]


# -- both catalog backends ---------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: Any, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    return request.getfixturevalue("postgres_url")  # type: ignore[no-any-return]


def test_versions_from_before_provenance_read_as_unknown(empty_db: str) -> None:
    """A 0005 catalog gains the four columns, NULL for its versions: "unknown"."""
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, inspect, text

    from archive import migrations
    from archive.catalog import Catalog
    from archive.export.rows import extractor_label, latest_row, versions_row
    from tests.test_postgres_catalog import _migrated_engine, _schema_diff

    engine = _migrated_engine(empty_db, "0005")
    try:
        with engine.begin() as conn:
            assert "extractor_parser" not in {
                c["name"] for c in inspect(conn).get_columns("versions")
            }
            at = datetime.now(UTC)
            conn.execute(text("INSERT INTO articles (id, site, url, first_seen_at, last_seen_at, last_changed_at, "
                              "latest_version, tracking) VALUES ('old', 's', 'http://e.test/a', :at, :at, :at, 1, :t)"),
                         {"at": at, "t": True})  # fmt: skip
            conn.execute(text("INSERT INTO versions (article_id, version, content_sha256, change, captured_at, record) "
                              "VALUES ('old', 1, 'x', 'new', :at, :r)"),
                         {"at": at, "r": json.dumps({"url": "http://e.test/a", "text": "t"})})  # fmt: skip
    finally:
        engine.dispose()
    migrations._checked.discard(str(create_engine(empty_db).url))
    catalog = Catalog(empty_db)
    try:
        (row,) = catalog.all_versions()
        assert [row[c] for c in ("extractor_parser", "extractor_rules", "extractor_version",
                                 "trafilatura_version")] == [None] * 4  # fmt: skip
        raw = {**row, "site": "s"}
        assert (
            latest_row(raw)["extractor"] is None and versions_row(raw)["extractor_parser"] is None
        )
        assert extractor_label(None) == "unknown: made before provenance was recorded"
    finally:
        catalog.close()
    assert _schema_diff(empty_db) == []


def test_reextract_from_python_on_postgres(
    serve_site: Any, tmp_path: Path, postgres_url: str
) -> None:
    """`newsarchive.reextract(...)` with a shared PostgreSQL catalog (`catalog_url`)."""
    import newsarchive

    site = serve_site("cnn-lite")
    base = f'catalog_url = "{postgres_url}"\n' + MIRROR_CONFIG
    old = _old_config(tmp_path / "old.toml", site.url, base)
    new = _new_config(tmp_path / "new.toml", base)
    data_dir = tmp_path / "data"
    _crawl(site.url, data_dir, old)
    dry = newsarchive.reextract(data_dir, config=new, dry_run=True)
    assert dry["changed"] == 1 and dry["run_id"] is None
    seen: list[tuple[int, int]] = []
    report = newsarchive.reextract(
        data_dir, config=new, progress=lambda n, total: seen.append((n, total))
    )
    assert report["changed"] == 1 and report["status"] == "done"
    assert sum(n for n, _ in seen) == report["examined"] == seen[0][1]
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT change, extractor_parser, record FROM versions "
                                     "WHERE change = 'reextract'")).all()  # fmt: skip
            edit_types = conn.execute(text("SELECT d.edit_types FROM search_docs d JOIN versions v ON "
                                           "v.article_id = d.article_id AND v.version = d.version "
                                           "WHERE v.change = 'reextract'")).scalar()  # fmt: skip
    finally:
        engine.dispose()
    (row,) = rows
    record = row[2] if isinstance(row[2], dict) else json.loads(row[2])
    assert row[1] == "cnn-lite" and record["reextract_of"]["extractor"]["parser"] == "generic"
    assert edit_types == []
    assert newsarchive.reextract(data_dir, config=new)["changed"] == 0
