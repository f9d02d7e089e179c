"""Edit types recorded with each version (issue 18): the JSON record, the catalog's
`versions.edit_types` column (migration 0008, backfilled from the search index), the
records file, and `rebuild` filling rows an index still pending left empty."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert, select, text

from archive import catalog_schema as t
from archive import migrations, search_index, search_schema
from archive.catalog import Catalog
from archive.history import article_history
from archive.search_index import index_version, rebuild
from archive.versions import Observation, VersionTracker

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
BODY = ("The council approved the budget on Monday. The vote was 7 to 2.\n\n"
        "The plan raises spending on schools and parks.")  # fmt: skip
EDITS = [  # (title, text, modified_at) of versions 1, 2, 3
    ("Council approves budget", BODY, "2025-03-04T09:00:00Z"),
    ("Council approves $2 billion budget", BODY, "2025-03-04T10:00:00Z"),
    (
        "Council approves $2 billion budget",
        BODY.replace("7 to 2", "6 to 3"),
        "2025-03-04T10:00:00Z",
    ),
]
EXPECTED = [[], ["headline"], ["numbers", "stealth"]]


@pytest.fixture
def catalog(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    yield catalog
    catalog.close()


def _observe(tracker: VersionTracker, k: int) -> Observation:
    title, body, modified = EDITS[k]
    return Observation(article_id="budget", site="cnn-lite", url="https://x.test/budget",
                       normalized_url="https://x.test/budget", captured_at=T0 + timedelta(hours=k),
                       fields={"title": title, "authors": ["A. Writer"], "text": body,
                               "modified_at": modified})  # fmt: skip


def test_each_version_keeps_its_edit_types_in_record_catalog_and_index(catalog, monkeypatch):
    calls = []
    real = search_index.classify_edit
    monkeypatch.setattr(search_index, "classify_edit",
                        lambda *a, **k: calls.append(1) or real(*a, **k))  # fmt: skip
    tracker = VersionTracker(catalog)
    records = []
    for k in range(len(EDITS)):
        obs = _observe(tracker, k)
        decision = tracker.commit(obs, tracker.decide(obs))
        records.append(decision.record)
    # Computed once per edit (the record's types are the index's), not again when indexing.
    assert len(calls) == 2
    assert [r["edit_types"] for r in records] == EXPECTED
    rows = catalog.versions("budget")
    assert [r["edit_types"] for r in rows] == EXPECTED
    assert [r["record"]["edit_types"] for r in rows] == EXPECTED  # the stored JSON record
    with catalog.engine.connect() as conn:
        indexed = conn.execute(text("SELECT edit_types FROM search_docs ORDER BY version")).all()
    assert [json.loads(r[0]) for r in indexed] == EXPECTED


def _insert_old(url: str, revision: str, *, index: bool) -> None:
    """A catalog at `revision` (before 0008) holding the three versions, indexed or not."""
    from alembic import command

    engine = create_engine(url)
    with engine.begin() as conn:
        config = migrations.alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.execute(text(
            "INSERT INTO articles (id, site, url, first_seen_at, last_seen_at, last_changed_at, "
            "latest_version, title, tracking) VALUES ('budget', 'cnn-lite', 'https://x.test/budget', "
            ":t, :t, :t, 3, :title, :tracking)"), {"t": T0, "title": EDITS[-1][0], "tracking": True})  # fmt: skip
        if search_schema.exists(conn):
            search_schema.set_state(conn, "ready" if index else "pending")
        previous = None
        for number, (title, body, modified) in enumerate(EDITS, 1):
            at = T0 + timedelta(hours=number)
            record = {"article_id": "budget", "site": "cnn-lite", "version": number, "title": title,
                      "authors": ["A. Writer"], "text": body, "modified_at": modified,
                      "captured_at": at.isoformat().replace("+00:00", "Z")}  # fmt: skip
            value = ":record" if conn.dialect.name == "sqlite" else "CAST(:record AS json)"
            conn.execute(text(
                "INSERT INTO versions (article_id, version, content_sha256, change, captured_at, record) "
                f"VALUES ('budget', :n, :h, 'edit', :at, {value})"),
                {"n": number, "h": str(number), "at": at, "record": json.dumps(record)})  # fmt: skip
            if index:
                index_version(conn, "budget", number, record, previous, captured_at=at)
            previous = record
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    return (
        f"sqlite:///{tmp_path / 'old.sqlite'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )


@pytest.mark.parametrize("index", [True, False], ids=["index-ready", "index-pending"])
def test_migration_0008_backfills_edit_types_from_the_index(empty_db_url, index):
    url = empty_db_url
    _insert_old(url, "0005", index=index)
    catalog = Catalog(url)  # migrates to HEAD
    try:
        with catalog.engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == migrations.HEAD
            )
        types = [r["edit_types"] for r in catalog.versions("budget")]
        if index:
            assert types == EXPECTED
        else:
            # The index is still to be built: first versions are known, edits wait for it.
            assert types == [[], None, None]
            rebuild(catalog.engine)
            assert [r["edit_types"] for r in catalog.versions("budget")] == EXPECTED
        # Records written before they kept edit types are read with the catalog's.
        assert [r["edit_types"] for r in article_history(catalog, "budget")["versions"]] == EXPECTED
    finally:
        catalog.close()


def test_versions_column_round_trips_on_the_sqlalchemy_path(catalog):
    with catalog.engine.begin() as conn:
        conn.execute(insert(t.articles).values(
            id="a", site="s", url="https://x.test/a", first_seen_at=T0, last_seen_at=T0,
            last_changed_at=T0, latest_version=1))  # fmt: skip
        conn.execute(insert(t.versions).values(
            article_id="a", version=1, content_sha256="x", change="new", captured_at=T0,
            record={"text": ""}, edit_types=["minor", "stealth"]))  # fmt: skip
        stored = conn.execute(select(t.versions.c.edit_types)).scalar_one()
    assert stored == ["minor", "stealth"]
