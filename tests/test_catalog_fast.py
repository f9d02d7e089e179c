"""The SQLite fast path stores and reads values exactly as SQLAlchemy does (archive/catalog_fast.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select, update

from archive import catalog_schema as t
from archive.catalog import Catalog

AT = datetime(2026, 11, 24, 23, 5, 7, 123456, tzinfo=UTC)
_INSERT_CAPTURE = insert(t.captures)
_INSERT_ARTICLE = insert(t.articles)
_INSERT_VERSION = insert(t.versions)
_UPDATE_ARTICLE = update(t.articles).where(t.articles.c.id == bindparam("_id"))
_LAST = (
    select(t.captures)
    .where(t.captures.c.url == bindparam("url"), t.captures.c.record_type == "response")
    .order_by(t.captures.c.id.desc())
    .limit(1)
)


def test_rows_written_fast_read_the_same_through_sqlalchemy(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    fast = catalog.fast
    assert fast.enabled
    record = {"text": "Ünïcode — “quotes”", "authors": ["A", "B"], "n": 1, "none": None}
    with catalog.writing() as conn:
        # Column defaults apply when a value is not given (latest_version 0, tracking true).
        fast.write(conn, _INSERT_ARTICLE, {"id": "a1", "site": "cnn-lite", "url": "https://x/1",
                                           "first_seen_at": AT, "last_seen_at": AT, "last_changed_at": AT, "title": None})  # fmt: skip
        fast.write(conn, _UPDATE_ARTICLE, {"_id": "a1", "next_check_at": AT, "tracking": False})
        first = fast.write(conn, _INSERT_CAPTURE, {"url": "https://x/1", "kind": "article", "fetched_at": AT,
                                                   "outcome": "new", "record_type": "response"})  # fmt: skip
        second = fast.write(conn, _INSERT_CAPTURE, {"url": "https://x/1", "kind": "article", "fetched_at": AT,
                                                    "outcome": "new", "record_type": "revisit"})  # fmt: skip
        fast.write(conn, _INSERT_VERSION, {"article_id": "a1", "version": 1, "content_sha256": "d",
                                           "change": "new", "captured_at": AT, "record": record})  # fmt: skip
    assert (first, second) == (1, 2)
    with catalog.engine.connect() as conn:
        article = dict(conn.execute(select(t.articles)).one()._mapping)
        version = dict(conn.execute(select(t.versions)).one()._mapping)
        raw = conn.exec_driver_sql(
            "SELECT first_seen_at, tracking, latest_version FROM articles"
        ).one()
        raw_record = conn.exec_driver_sql("SELECT record FROM versions").scalar_one()
    assert (
        article["latest_version"] == 0 and article["tracking"] is False and article["title"] is None
    )
    assert article["first_seen_at"] == AT.replace(tzinfo=None) == article["next_check_at"]
    assert version["record"] == record and version["captured_at"] == AT.replace(tzinfo=None)
    # The same storage SQLAlchemy itself writes.
    with catalog.engine.begin() as conn:
        conn.execute(insert(t.articles), {"id": "a2", "site": "cnn-lite", "url": "https://x/2",
                                          "first_seen_at": AT, "last_seen_at": AT, "last_changed_at": AT, "tracking": False})  # fmt: skip
        conn.execute(insert(t.versions), {"article_id": "a2", "version": 1, "content_sha256": "d",
                                          "change": "new", "captured_at": AT, "record": record})  # fmt: skip
        same = conn.exec_driver_sql(
            "SELECT first_seen_at, tracking, latest_version FROM articles WHERE id='a2'"
        ).one()
        same_record = conn.exec_driver_sql(
            "SELECT record FROM versions WHERE article_id='a2'"
        ).scalar_one()
    assert tuple(raw) == tuple(same) and raw_record == same_record
    catalog.close()


def test_reads_fast_equal_reads_through_sqlalchemy(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    with catalog.engine.begin() as conn:
        for kind in ("response", "revisit", "response", "request"):
            conn.execute(insert(t.captures), {"url": "https://x/1", "kind": "article", "fetched_at": AT,
                                              "outcome": "new", "record_type": kind, "status": 200})  # fmt: skip
        conn.execute(insert(t.articles), {"id": "a1", "site": "s", "url": "https://x/1", "tracking": True, "first_seen_at": AT, "last_seen_at": AT, "last_changed_at": AT,
                                          "next_check_at": AT})  # fmt: skip
    with catalog.engine.connect() as conn:
        expected = dict(conn.execute(_LAST, {"url": "https://x/1"}).one()._mapping)
        fast = catalog.fast.fetch_one(conn, _LAST, {"url": "https://x/1"})
        assert fast == expected and fast["id"] == 3  # literals (record_type, LIMIT) bound as given
        assert catalog.fast.fetch_one(conn, _LAST, {"url": "https://x/none"}) is None
    assert catalog.article("a1") == {
        **catalog.article("a1"),
        "tracking": True,
        "next_check_at": AT.replace(tzinfo=None),
    }
    assert catalog.versions("a1") == []
    catalog.close()


def test_batched_fast_writes_are_committed_with_the_batch(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    catalog.start_batching(3600)
    with catalog.writing() as conn:
        catalog.fast.write(
            conn, _INSERT_CAPTURE, {"url": "u", "kind": "page", "fetched_at": AT, "outcome": "x"}
        )
    other = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    assert other.count("captures") == 0  # not committed yet
    catalog.flush()
    assert other.count("captures") == 1
    with catalog.writing() as conn:
        catalog.fast.write(
            conn, _INSERT_CAPTURE, {"url": "u", "kind": "page", "fetched_at": AT, "outcome": "y"}
        )
    catalog.close()  # stop_batching commits
    assert other.count("captures") == 2
    other.close()


def test_a_missing_value_is_an_error_not_a_null(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite'}")
    with catalog.writing() as conn:
        try:
            catalog.fast.write(conn, _UPDATE_ARTICLE, {"title": "x"})  # no `_id`
        except KeyError as exc:
            assert "_id" in str(exc)
        else:
            raise AssertionError("an UPDATE without its key must not run")
    catalog.close()
