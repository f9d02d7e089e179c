"""The catalog on PostgreSQL through the same code; Alembic migrations on both backends;
version creation under concurrency (docs/scaling.md)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, inspect, select, text, update

from archive import catalog_schema as t
from archive import migrations
from archive.catalog import Catalog
from archive.catalog_schema import metadata
from archive.repair import (
    crashed_runs,
    live_runs,
    mark_crashed_runs,
    missing_record_lines,
    records_path,
    repair_leftovers,
)
from archive.search_schema import include_name
from archive.versions import Observation, VersionTracker
from newsarchive.scheduling.runs import JobRunLog
from tests.conftest import MIRROR_CONFIG, SITES, run_cli
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(240)


def _schema_diff(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            # The search index's dialect-specific tables are not in the metadata (search_schema).
            opts = {"compare_type": True, "include_name": include_name}
            return compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    return request.getfixturevalue("postgres_url")


def test_head_constant_is_the_script_head():
    from alembic.script import ScriptDirectory

    assert (
        ScriptDirectory.from_config(migrations.alembic_config()).get_current_head()
        == migrations.HEAD
    )


def _migrated_engine(url: str, revision: str):  # noqa: ANN202
    """An engine on `url`, its database first migrated by Alembic to `revision`."""
    from alembic import command

    engine = create_engine(url)
    with engine.begin() as conn:
        config = migrations.alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return engine


def test_migrations_create_exactly_the_metadata(empty_db):
    engine = _migrated_engine(empty_db, "head")
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == migrations.HEAD
            )
    finally:
        engine.dispose()
    assert _schema_diff(empty_db) == []
    # Catalog() on a migrated database: nothing more to do, and it works.
    catalog = Catalog(empty_db)
    try:
        assert catalog.count("articles") == 0
    finally:
        catalog.close()


def test_catalog_on_an_empty_database_is_at_head(empty_db):
    Catalog(empty_db).close()
    assert _schema_diff(empty_db) == []
    engine = create_engine(empty_db)
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == migrations.HEAD
            )
    finally:
        engine.dispose()


def test_database_from_older_code_is_stamped(empty_db):
    engine = create_engine(empty_db)
    metadata.create_all(engine)  # what Catalog() did before the migrations
    engine.dispose()
    migrations._checked.discard(str(create_engine(empty_db).url))
    Catalog(empty_db).close()
    engine = create_engine(empty_db)
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == migrations.HEAD
            )
        assert "alembic_version" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _obs(article: str, text_: str) -> Observation:
    return Observation(
        article_id=article, site="cnn-lite", url=f"http://example.test/{article}",
        normalized_url=f"http://example.test/{article}", captured_at=datetime.now(UTC),
        fields={"title": f"Title {article}", "authors": ["A. Writer"], "text": text_},
    )  # fmt: skip


@pytest.mark.parametrize("batching", [False, True])
def test_racing_workers_make_one_version_per_content(postgres_url, batching):
    """Four catalogs (as four worker processes would have) capture the same 30 articles at
    the same moment, twice with the same content then with an edit: one version per content."""
    Catalog(postgres_url).close()  # migrate once
    workers = 4
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    body = "Paragraph one of a long enough article text. " * 10

    def worker() -> None:
        catalog = Catalog(postgres_url)
        if batching:
            catalog.start_batching(0.25)
        tracker = VersionTracker(catalog)
        try:
            for round_text in (body, body, body + " An edit."):
                barrier.wait()
                for n in range(30):
                    obs = _obs(f"a{n:03d}", round_text)
                    tracker.commit(obs, tracker.decide(obs))
                catalog.flush()
        except BaseException as exc:  # reported below
            errors.append(exc)
            barrier.abort()
        finally:
            catalog.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not errors, errors
    catalog = Catalog(postgres_url)
    try:
        versions = catalog.all_versions()
        assert len(versions) == 60
        per_article: dict[str, list] = {}
        for v in versions:
            per_article.setdefault(v["article_id"], []).append((v["version"], v["change"]))
        assert all(vs == [(1, "new"), (2, "edit")] for vs in per_article.values())
        assert all(a["latest_version"] == 2 for a in catalog.all_articles())
    finally:
        catalog.close()


def test_crawl_recheck_history_export_verify_on_postgres(serve_site, tmp_path, postgres_url):
    """The CLI end to end with `catalog_url = "postgresql+psycopg://…"`."""
    site = serve_site("cnn-lite")
    expected = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
    n = len(expected["articles"])
    config = tmp_path / "pg.toml"
    config.write_text(f'catalog_url = "{postgres_url}"\n' + MIRROR_CONFIG)
    data_dir = tmp_path / "data"

    first = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                    data_dir=data_dir, config=config)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["versions_new"] == n
    assert not (data_dir / "catalog.sqlite").exists()

    target = expected["articles"][0]
    page = site.root / target["path"].lstrip("/")
    page = page / "index.html" if page.is_dir() else page
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace(target["text_startswith"], "UPDATE: " + target["text_startswith"], 1),
                    encoding="utf-8")  # fmt: skip
    listed = run_cli("recheck", "--all", "--list", "--json", data_dir=data_dir, config=config)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)["due"]) == n
    recheck = run_cli(
        "recheck", "--all", "--no-progress", "--json", data_dir=data_dir, config=config
    )
    assert recheck.returncode == 0, recheck.stderr
    summary = json.loads(recheck.stdout)
    assert summary["versions_new"] == 1 and summary["unchanged"] == n - 1

    history = run_cli(
        "history", site.page(target["path"]), "--json", data_dir=data_dir, config=config
    )
    assert history.returncode == 0, history.stderr
    assert [v["version"] for v in json.loads(history.stdout)["versions"]] == [1, 2]
    out = tmp_path / "versions.jsonl"
    export = run_cli("export", "--format", "jsonl", "--out", str(out), "--view", "versions",
                     data_dir=data_dir, config=config)  # fmt: skip
    assert export.returncode == 0, export.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == n + 1
    verify = run_cli("verify", "--json", data_dir=data_dir, config=config)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    check_archive(Path(data_dir))
    catalog = Catalog(postgres_url)
    try:
        assert catalog.count("versions") == n + 1
        assert catalog.tracked_sites() == ["cnn-lite"]
    finally:
        catalog.close()


# -- runs carry their host: crash repair on a shared catalog (migration 0002) -------------


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _running_run(catalog: Catalog, run_id: str, *, host: str | None, pid: int, started: datetime,
                 data_dir: str | None = None) -> None:  # fmt: skip
    with catalog.engine.begin() as conn:
        conn.execute(insert(t.runs).values(id=run_id, command="crawl", sites=["cnn-lite"], pid=pid, host=host,
                                           started_at=started, status="running", data_dir=data_dir))  # fmt: skip


def _run_status(catalog: Catalog) -> dict[str, tuple[str, str | None]]:
    with catalog.engine.connect() as conn:
        return {
            r.id: (r.status, r.host)
            for r in conn.execute(select(t.runs.c.id, t.runs.c.status, t.runs.c.host))
        }


def test_start_run_records_this_host(empty_db):
    catalog = Catalog(empty_db)
    try:
        catalog.start_run("r-default", "crawl", ["cnn-lite"], os.getpid())  # the old signature
        catalog.start_run("r-named", "worker", [], 1, host="elsewhere.example")
        assert _run_status(catalog) == {"r-default": ("running", socket.gethostname()),
                                        "r-named": ("running", "elsewhere.example")}  # fmt: skip
    finally:
        catalog.close()


def test_crash_repair_judges_only_runs_of_this_host(empty_db, tmp_path):
    """Both runs have a dead pid and a version whose record line was lost; a cut records file
    each. Only the one of this host is repaired; the other host's run is reported, untouched."""
    data_dir = tmp_path / "data"
    catalog = Catalog(empty_db)
    started = datetime.now(UTC)
    try:
        for run_id, host in (
            ("run-here", socket.gethostname()),
            ("run-there", "other-machine.example"),
        ):
            _running_run(catalog, run_id, host=host, pid=_dead_pid(), started=started)
            tracker = VersionTracker(catalog)
            obs = _obs(f"art-{run_id}", "Some text long enough to be a version. " * 5)
            obs.run_id = run_id
            tracker.commit(obs, tracker.decide(obs))
            path = records_path(data_dir, run_id, started)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text('{"article_id": "cut sh', encoding="utf-8")  # a line cut by the crash
        there = records_path(data_dir, "run-there", started)

        assert crashed_runs(catalog) == {"run-here"}
        assert live_runs(catalog) == {"run-there"}, (
            "another host's run cannot be checked: presumed live"
        )
        report = repair_leftovers(data_dir, catalog, everything=False)
        assert report.runs_of_other_hosts == {"run-there": "other-machine.example"}
        assert _run_status(catalog) == {"run-here": ("crashed", socket.gethostname()),
                                        "run-there": ("running", "other-machine.example")}  # fmt: skip
        here_lines = (
            records_path(data_dir, "run-here", started).read_text(encoding="utf-8").splitlines()
        )
        assert [json.loads(line)["article_id"] for line in here_lines] == ["art-run-here"]
        assert there.read_text(encoding="utf-8") == '{"article_id": "cut sh', (
            "not trimmed, no line added"
        )
        # verify --repair (everything) leaves it alone too, and reports it.
        report = repair_leftovers(data_dir, catalog)
        assert report.record_lines_rewritten == 0
        assert report.runs_of_other_hosts == {"run-there": "other-machine.example"}
        assert there.read_text(encoding="utf-8") == '{"article_id": "cut sh'
        assert _run_status(catalog)["run-there"] == ("running", "other-machine.example")
    finally:
        catalog.close()


def test_workers_of_one_host_repair_only_their_own_data_directory(empty_db, tmp_path):
    """Two workers on this machine share the catalog, each with its own data directory; both
    crashed with a version whose record line was lost. A crawl in one directory repairs its
    own run only — the other's line is neither written here nor reported missing here."""
    dirs = {"run-a": tmp_path / "worker-a", "run-b": tmp_path / "worker-b"}
    catalog = Catalog(empty_db)
    started = datetime.now(UTC)
    try:
        for run_id, data_dir in dirs.items():
            _running_run(catalog, run_id, host=socket.gethostname(), pid=_dead_pid(), started=started,
                         data_dir=str(data_dir.resolve()))  # fmt: skip
            tracker = VersionTracker(catalog)
            obs = _obs(f"art-{run_id}", "Some text long enough to be a version. " * 5)
            obs.run_id = run_id
            tracker.commit(obs, tracker.decide(obs))
        a, b = dirs["run-a"], dirs["run-b"]
        assert crashed_runs(catalog, a) == {"run-a"} and crashed_runs(catalog, b) == {"run-b"}
        assert [r["article_id"] for _p, r in missing_record_lines(a, catalog)] == ["art-run-a"]

        report = repair_leftovers(a, catalog, everything=False)
        assert report.record_lines_rewritten == 1
        assert report.runs_of_other_hosts == {"run-b": f"{socket.gethostname()}:{b.resolve()}"}
        assert [p.parent.parent.parent.parent.parent for p in a.rglob("*.jsonl")] == [a]
        assert not b.exists(), "nothing written into the other worker's directory"
        assert (
            _run_status(catalog)["run-a"][0] == "crashed"
            and _run_status(catalog)["run-b"][0] == "running"
        )

        report = repair_leftovers(b, catalog, everything=False)  # the other worker's next crawl
        assert report.record_lines_rewritten == 1 and report.runs_of_other_hosts == {}
        line = json.loads(records_path(b, "run-b", started).read_text(encoding="utf-8"))
        assert line["article_id"] == "art-run-b"
        assert missing_record_lines(a, catalog) == [] and missing_record_lines(b, catalog) == []
    finally:
        catalog.close()


def test_a_session_records_its_data_directory(empty_db, tmp_path):
    from archive.config import Config
    from archive.session import ArchiveSession

    config = Config(data_dir=tmp_path / "data", catalog_url=empty_db)
    session = ArchiveSession(config, command="crawl", sites=["cnn-lite"])
    try:
        with session.catalog.engine.connect() as conn:
            row = conn.execute(select(t.runs.c.host, t.runs.c.data_dir)).one()
        assert row.host == socket.gethostname() and row.data_dir == str(
            (tmp_path / "data").resolve()
        )
    finally:
        session.close("done")


def test_a_0001_catalog_upgrades_and_its_runs_count_as_this_hosts(empty_db):
    engine = _migrated_engine(empty_db, "0001")
    try:
        with engine.begin() as conn:
            assert "host" not in {c["name"] for c in inspect(conn).get_columns("runs")}
            conn.execute(text("INSERT INTO runs (id, command, sites, started_at, status, pid) "
                              "VALUES ('old-run', 'crawl', '[]', :at, 'running', :pid)"),
                         {"at": datetime.now(UTC), "pid": _dead_pid()})  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO job_runs (job_id, command, started_at, pid) "
                    "VALUES ('j', 'crawl x', :at, :pid)"
                ),
                {"at": datetime.now(UTC), "pid": _dead_pid()},
            )
    finally:
        engine.dispose()
    migrations._checked.discard(str(create_engine(empty_db).url))
    catalog = Catalog(empty_db)
    try:
        with catalog.engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == migrations.HEAD
            )
        assert _run_status(catalog) == {"old-run": ("running", None)}
        # A row from before the column has no host: it counts as this host's, as it did.
        assert crashed_runs(catalog) == {"old-run"}
        mark_crashed_runs(catalog)
        assert _run_status(catalog) == {"old-run": ("crashed", None)}
    finally:
        catalog.close()
    assert _schema_diff(empty_db) == []
    log = JobRunLog(empty_db)
    try:
        assert log.close_abandoned() == 1
    finally:
        log.close()


def test_a_0002_catalog_gains_the_articles_address_policy(empty_db):
    """Articles archived before 0004 have no stored policy (NULL): the current one applies."""
    engine = _migrated_engine(empty_db, "0002")
    try:
        with engine.begin() as conn:
            assert "address_policy" not in {
                c["name"] for c in inspect(conn).get_columns("articles")
            }
            conn.execute(text("INSERT INTO articles (id, site, url, first_seen_at, last_seen_at, last_changed_at, "
                              "latest_version, tracking) VALUES ('old', 's', 'http://e.test/a', :at, :at, :at, 1, :t)"),
                         {"at": datetime.now(UTC), "t": True})  # fmt: skip
    finally:
        engine.dispose()
    migrations._checked.discard(str(create_engine(empty_db).url))
    catalog = Catalog(empty_db)
    try:
        [article] = catalog.all_articles()
        assert article["id"] == "old" and article["address_policy"] is None
    finally:
        catalog.close()
    assert _schema_diff(empty_db) == []


def test_a_starting_scheduler_closes_only_its_hosts_dead_job_runs(empty_db):
    log = JobRunLog(empty_db)
    try:
        dead_here = log.started("a", "crawl a")
        log.set_pid(dead_here, _dead_pid())
        live_here = log.started("b", "crawl b", pid=os.getpid())
        elsewhere = log.started("c", "crawl c", pid=_dead_pid())
        with log.catalog.engine.begin() as conn:
            conn.execute(
                update(t.job_runs)
                .where(t.job_runs.c.id == elsewhere)
                .values(host="other-machine.example")
            )
        assert log.close_abandoned() == 1
        ended = {r["id"]: r["ended_at"] is not None for r in log.recent()}
        assert ended == {dead_here: True, live_here: False, elsewhere: False}
        assert {r["host"] for r in log.recent() if r["id"] != elsewhere} == {socket.gethostname()}
    finally:
        log.close()


def test_a_0005_catalog_gets_one_article_per_percent_encoded_url(empty_db):
    """0006: articles archived under another spelling of their URL's percent-encoding get the
    id the URL has now (versions, captures, search entries follow); a same-URL row without
    versions is merged into the one that has them; two rows with versions are kept apart."""
    import hashlib

    from archive import search_index
    from archive.clock import utc
    from archive.urls import article_id_for

    def old_id(url: str) -> str:  # before 0006: the hash of the URL as spelt
        return hashlib.sha256(url.encode()).hexdigest()[:16]

    at = datetime(2026, 5, 1, tzinfo=UTC)
    renamed, loose, holder, apart, kept = (
        "http://e.test/a%7Eb", "http://e.test/x%7ey", "http://e.test/x~y",
        "http://e.test/p%7Eq", "http://e.test/p~q",
    )  # fmt: skip
    engine = _migrated_engine(empty_db, "0005")
    try:
        with engine.begin() as conn:
            for n, (url, versions) in enumerate(
                [(renamed, 2), (loose, 0), (holder, 1), (apart, 1), (kept, 1)]
            ):
                aid = old_id(url)
                conn.execute(insert(t.articles).values(id=aid, site="s", url=url, first_seen_at=at.replace(day=1 + n),
                             last_seen_at=at.replace(day=10 + n), last_changed_at=at, latest_version=versions,
                             tracking=True))  # fmt: skip
                for v in range(1, versions + 1):
                    record = {"article_id": aid, "url": url, "version": v, "title": f"Story {n}",
                              "text": f"Words of story {n}, version {v}.", "authors": [], "site": "s",
                              "captured_at": "2026-05-01T00:00:00Z", "change": "new" if v == 1 else "edit"}  # fmt: skip
                    conn.execute(insert(t.versions).values(article_id=aid, version=v, content_sha256=str(v) * 64,
                                 change=record["change"], captured_at=at, record=record))  # fmt: skip
                conn.execute(insert(t.captures).values(url=url, kind="article", fetched_at=at, outcome="new",
                                                       article_id=aid))  # fmt: skip
            search_index.build_in_transaction(conn)
    finally:
        engine.dispose()
    assert old_id(renamed) != article_id_for(renamed) and old_id(kept) == article_id_for(kept)
    migrations._checked.discard(str(create_engine(empty_db).url))
    catalog = Catalog(empty_db)
    try:
        articles = {a["id"]: a for a in catalog.all_articles()}
        new = article_id_for(renamed)
        assert articles[new]["url"] == "http://e.test/a~b" and old_id(renamed) not in articles
        versions = catalog.versions(new)
        assert [v["version"] for v in versions] == [1, 2]
        assert all(v["record"]["article_id"] == new for v in versions)
        # the merge: the row without versions is gone, its capture and seen times moved
        assert old_id(loose) not in articles and article_id_for(loose) == old_id(holder)
        merged = articles[old_id(holder)]
        assert utc(merged["first_seen_at"]) == at.replace(day=2)  # the merged row's
        assert utc(merged["last_seen_at"]) == at.replace(day=12)  # the survivor's
        # kept apart: both rows with versions stay; the other spelling is no longer rechecked
        assert articles[old_id(apart)]["url"] == apart and not articles[old_id(apart)]["tracking"]
        assert articles[old_id(kept)]["tracking"] and article_id_for(apart) == old_id(kept)
        with catalog.engine.connect() as conn:
            owners = dict(conn.execute(select(t.captures.c.url, t.captures.c.article_id)).all())
            tables = inspect(conn).get_table_names()
        assert owners[renamed] == new and owners[loose] == old_id(holder)
        assert owners[apart] == old_id(apart)
        assert "site_signals" not in tables
        hits = search_index.search(catalog.engine, "story")
        assert {h.article_id for h in hits} == {new, old_id(holder), old_id(apart), old_id(kept)}
    finally:
        catalog.close()
    assert _schema_diff(empty_db) == []
