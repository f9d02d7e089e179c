"""The outbox: events are written in the version's own transaction (one per version, even
with racing workers on PostgreSQL; none when the transaction rolls back); migration 0007 on
SQLite and PostgreSQL; fan-out by event type and site."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, text

from archive import migrations
from archive.catalog import Catalog
from archive.outbox import Outbox, write_event
from archive.versions import Observation, VersionTracker

pytestmark = pytest.mark.timeout(240)
BODY = "Paragraph one of a long enough article text. " * 10


def _obs(article: str, text_: str, title: str | None = None) -> Observation:
    return Observation(
        article_id=article, site="cnn-lite", url=f"http://example.test/{article}",
        normalized_url=f"http://example.test/{article}", captured_at=datetime.now(UTC),
        fields={"title": title or f"Title {article}", "authors": ["A. Writer"], "text": text_},
    )  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    return request.getfixturevalue("postgres_url")


def test_one_event_per_version_with_racing_workers(catalog_url):
    """Four catalogs record the same 20 articles at once, then an edit: one version.new and
    one version.edit event per article, none for the losers of each race."""
    Catalog(catalog_url).close()
    workers = 4 if catalog_url.startswith("postgresql") else 1
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker() -> None:
        catalog = Catalog(catalog_url)
        catalog.start_batching(0.25)
        tracker = VersionTracker(catalog, events=True)
        try:
            for round_text in (BODY, BODY, BODY + " An edit."):
                barrier.wait()
                for n in range(20):
                    obs = _obs(f"a{n:03d}", round_text)
                    tracker.commit(obs, tracker.decide(obs))
                catalog.flush()
        except BaseException as exc:
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
    catalog = Catalog(catalog_url)
    try:
        events = Outbox(catalog.engine).events(limit=1000)
        keys = sorted((e["article_id"], e["version"], e["type"]) for e in events)
        assert keys == sorted([(f"a{n:03d}", 1, "version.new") for n in range(20)]
                              + [(f"a{n:03d}", 2, "version.edit") for n in range(20)])  # fmt: skip
        edit = next(e for e in events if e["type"] == "version.edit")
        assert edit["payload"]["edit_types"] and edit["payload"]["diff"]["chars_added"] > 0
        assert edit["payload"]["diff"]["excerpt"].startswith(("+", "-"))
    finally:
        catalog.close()


def test_a_rolled_back_version_announces_nothing(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        tracker = VersionTracker(catalog, events=True)
        obs = _obs("a001", BODY)
        decision = tracker.decide(obs)
        with pytest.raises(RuntimeError), catalog.begin() as conn:
            tracker._write(conn, obs, decision)
            raise RuntimeError("the process dies before the commit")
        assert Outbox(catalog.engine).events() == []
        assert catalog.versions("a001") == []
        tracker.commit(obs, decision)
        assert [e["type"] for e in Outbox(catalog.engine).events()] == ["version.new"]
    finally:
        catalog.close()


def test_events_off_writes_none(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        tracker = VersionTracker(catalog)
        obs = _obs("a001", BODY)
        tracker.commit(obs, tracker.decide(obs))
        assert Outbox(catalog.engine).events() == []
    finally:
        catalog.close()


def test_suspect_capture_is_an_event(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        tracker = VersionTracker(catalog, events=True)
        tracker.commit(_obs("a001", BODY), tracker.decide(_obs("a001", BODY)))
        collapsed = _obs("a001", "Paragraph one.")
        collapsed.retried = True
        decision = tracker.decide(collapsed)
        assert decision.outcome == "suspect"
        tracker.commit(collapsed, decision)
        suspect = Outbox(catalog.engine).events(types=["capture.suspect"])
        assert len(suspect) == 1 and "shrank" in suspect[0]["payload"]["detail"]
        assert suspect[0]["version"] == 1
    finally:
        catalog.close()


def test_fan_out_by_type_and_site(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        with catalog.engine.begin() as conn:
            write_event(conn, "version.edit", {}, site="cnn-lite")
            write_event(conn, "version.new", {}, site="cnn-lite")
            write_event(conn, "version.edit", {}, site="npr-text")
        outbox = Outbox(catalog.engine)

        def targets(event):
            wanted = ["webhook:all"]
            if event["type"] == "version.edit" and event["site"] == "cnn-lite":
                wanted.append("channel:cnn-edits")
            return wanted

        assert outbox.dispatch(targets) == 4
        assert outbox.dispatch(targets) == 0  # dispatched once
        assert [d["target"] for d in outbox.due(target="channel:cnn-edits")] == [
            "channel:cnn-edits"
        ]
        assert len(outbox.due(target="webhook:all")) == 3
        ids = [d["id"] for d in outbox.due(target="webhook:all")]
        assert outbox.claim(ids, 60) == ids
        assert outbox.claim(ids, 60) == []  # leased: a second runner gets none
    finally:
        catalog.close()


def test_a_0005_sqlite_catalog_upgrades_to_head_with_the_outbox(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config = migrations.alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0005")
        assert "notify_events" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    Catalog(url).close()
    engine = create_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        assert {"notify_events", "notify_deliveries", "notify_attempts"} <= names
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == migrations.HEAD
            )
    finally:
        engine.dispose()


def test_two_runners_at_once_send_each_event_once(catalog_url, tmp_path, monkeypatch):
    """Two runners over one catalog (the scheduler's job and a manual `notify run`): the
    claims let only one of them send each delivery; the receiver sees no duplicate."""
    from archive.config import parse_config
    from newsarchive.notify.config import notify_config_of
    from newsarchive.notify.runner import NotifyRunner
    from tests.notify_receiver import Receiver
    from tests.test_notify_webhooks import SECRET

    monkeypatch.setenv("HOOK_SECRET", SECRET)
    receiver = Receiver(secret=SECRET).start()
    catalog = Catalog(catalog_url)
    try:
        with catalog.engine.begin() as conn:
            ids = [write_event(conn, "version.edit", {"n": n}, site="cnn-lite") for n in range(40)]
        raw = {"crawl": {"allowed_networks": ["127.0.0.0/8"]}, "catalog_url": catalog_url,
               "notify": {"webhooks": [{"url": receiver.url, "secret_env": "HOOK_SECRET"}]}}  # fmt: skip
        config = parse_config(raw, data_dir=tmp_path)
        notify = notify_config_of(config)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait()
                NotifyRunner(config, notify, catalog.engine).run_until_idle()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        assert not errors, errors
        assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(ids)
        assert all(r.signed_ok for r in receiver.requests)
        assert Outbox(catalog.engine).counts() == {"delivered": 40, "undispatched": 0}
    finally:
        catalog.close()
        receiver.stop()
