"""The catalog: one SQLAlchemy Core code path for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, bindparam, create_engine, event, func, insert, select, update
from sqlalchemy.engine import Connection

from archive import catalog_schema as t
from archive.catalog_fast import FastStatements
from archive.records import json_for_catalog
from archive.warc_files import WarcFileInfo


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (history, serve) never block the crawl's writes; NORMAL is durable
    # across process crashes, which is what kill -9 tests.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


class CatalogNotWritable(Exception):
    """The catalog cannot be opened as asked; the message names the file and the cause."""


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///PATH` URL (None for other databases)."""
    return Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None


def catalog_writable(url: str) -> bool:
    """False when a SQLite catalog (or its directory) cannot be written: a read-only mount,
    a snapshot, someone else's files. Other databases: True (the server decides)."""
    path = sqlite_path(url)
    if path is None:
        return True
    folder = path.parent if path.parent.exists() else next(p for p in path.parents if p.exists())
    return os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _read_only_engine(url: str) -> Engine:
    """An engine that reads a SQLite catalog without writing a byte: `mode=ro`, and
    `immutable=1` when its directory cannot be written (SQLite could not create the
    -shm file a WAL database needs). A write-ahead log left by a crash holds committed rows
    that immutable mode would not see: then only `mode=ro`, which reads it through its -shm."""
    path = sqlite_path(url)
    assert path is not None
    if not path.is_file():
        raise CatalogNotWritable(f"{path}: no such catalog")
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    params = "mode=ro"
    if not os.access(path.parent, os.W_OK):
        if wal.is_file() and wal.stat().st_size > 0:
            if not shm.is_file():
                raise CatalogNotWritable(f"{path}: has a write-ahead log ({wal.name}) but no {shm.name}, in a "
                                         "directory that cannot be written: copy the catalog somewhere "
                                         "writable to read it")  # fmt: skip
        else:
            params += "&immutable=1"
    engine = create_engine(f"sqlite:///file:{quote(str(path.absolute()))}?{params}&uri=true",
                           json_serializer=json_for_catalog)  # fmt: skip
    event.listen(engine, "connect", _sqlite_read_pragmas)
    return engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, json_serializer=json_for_catalog)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if url.startswith("postgresql+psycopg:") or url.startswith("postgresql+psycopg_async:"):
            from archive.extras import require

            require("psycopg", "PostgreSQL catalog")  # the scale extra
        engine = create_engine(url, pool_pre_ping=True, json_serializer=json_for_catalog)
    return engine


_INSERT_CAPTURE = insert(t.captures)
_UPDATE_CAPTURE = update(t.captures).where(t.captures.c.id == bindparam("_id"))
_CAPTURE_BY_RECORD = (
    select(t.captures).where(t.captures.c.warc_record_id == bindparam("record_id")).limit(1)
)
_LAST_RESPONSE = (
    select(t.captures)
    .where(t.captures.c.url == bindparam("url"), t.captures.c.record_type == "response")
    .order_by(t.captures.c.id.desc())
    .limit(1)
)
_ARTICLE = select(t.articles).where(t.articles.c.id == bindparam("id"))
_VERSIONS = (
    select(t.versions)
    .where(t.versions.c.article_id == bindparam("article_id"))
    .order_by(t.versions.c.version)
)
_LATEST_VERSION = (
    select(t.versions.c.version, t.versions.c.content_sha256, t.versions.c.record)
    .where(t.versions.c.article_id == bindparam("article_id"))
    .order_by(t.versions.c.version.desc())
    .limit(1)
)


class Catalog:
    """Articles, versions, captures, runs and WARC files (see `catalog_schema`)."""

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        """`read_only`: open a SQLite catalog without writing anything (no migration, no WAL
        files; see `catalog_writable`); it must already be at the newest revision."""
        self.url = url
        self.read_only = read_only
        if read_only and sqlite_path(url) is not None:
            self.engine = _read_only_engine(url)
            self._check_revision()
        else:
            self.engine = make_engine(url)
            from archive.migrations import upgrade

            upgrade(self.engine)  # Alembic: to the newest revision (once per process and URL)
        self.dialect = self.engine.dialect.name
        self.fast = FastStatements(self.engine.dialect)  # the crawl's per-page statements
        self._batch: Connection | None = None
        self._batch_opened = 0.0
        self._after_commit: list[Callable[[], None]] = []
        self.batch_seconds = 0.25

    def close(self) -> None:
        self.stop_batching()
        self.engine.dispose()

    def _check_revision(self) -> None:
        from sqlalchemy import inspect, text

        from archive.migrations import HEAD

        with self.engine.connect() as conn:
            found = (conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                     if inspect(conn).has_table("alembic_version") else None)  # fmt: skip
        if found != HEAD:
            self.engine.dispose()
            raise CatalogNotWritable(f"{sqlite_path(self.url)}: read-only, and written by another version of "
                                     f"newsarchive (catalog revision {found or 'none'}, this version reads "
                                     f"{HEAD}): open it once where it can be written to migrate it")  # fmt: skip

    # -- batched writes --------------------------------------------------------------------
    # A crawl writes several rows per page; one transaction per row would cost more than
    # the fetch. In batching mode every read and write goes through one connection whose
    # transaction is committed every `batch_seconds` (and on `flush`). WARC records are
    # always written before the rows that point at them, so a crash loses at most the
    # last fraction of a second of rows, never leaves a row pointing at nothing, and
    # `verify --repair` registers the orphaned records.
    def start_batching(self, seconds: float = 0.25) -> None:
        if self._batch is None:
            self._batch = self.engine.connect()
            self._batch_opened = time.monotonic()
            self.batch_seconds = seconds

    def flush(self) -> None:
        """Commit the batch, then run what waited for it (record lines)."""
        if self._batch is None:
            return
        self._batch.commit()
        self._batch_opened = time.monotonic()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def stop_batching(self) -> None:
        if self._batch is None:
            return
        try:
            self.flush()
        finally:
            self._batch.close()
            self._batch = None

    @property
    def batching(self) -> bool:
        return self._batch is not None

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once what was written so far is committed (at once if not batching)."""
        if self._batch is None:
            callback()
        else:
            self._after_commit.append(callback)

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection to write with: the batch, or a transaction of its own."""
        if self._batch is None:
            with self.engine.begin() as conn:
                yield conn
            return
        try:
            yield self._batch
        except BaseException:
            # The batch's transaction is unusable now: what it held is lost (its WARC
            # records stay; verify --repair registers them), and so are the record lines
            # that waited for it.
            self._batch.rollback()
            self._after_commit = []
            raise
        if time.monotonic() - self._batch_opened >= self.batch_seconds:
            self.flush()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to read with; in batching mode it sees the batch's own writes."""
        if self._batch is not None:
            yield self._batch
            return
        with self.engine.connect() as conn:
            yield conn

    def begin(self) -> Any:
        return self.writing()

    # -- runs ----------------------------------------------------------------------------
    def start_run(self, run_id: str, command: str, sites: list[str], pid: int, *,
                  host: str | None = None, data_dir: Path | str | None = None) -> None:  # fmt: skip
        """Record a run as `running`. `host` (default: this machine's name), `data_dir` (where
        its files go) and `pid` let crash repair tell a crashed run of this data directory
        from a live one, or one of another worker or host (archive/repair.py)."""
        with self.writing() as conn:
            conn.execute(
                insert(t.runs).values(
                    id=run_id, command=command, sites=sites, pid=pid, host=host or socket.gethostname(),
                    data_dir=str(Path(data_dir).resolve()) if data_dir is not None else None,
                    started_at=datetime.now(UTC), status="running",
                )
            )  # fmt: skip

    def finish_run(self, run_id: str, status: str, summary: Mapping[str, Any]) -> None:
        with self.writing() as conn:
            conn.execute(
                update(t.runs)
                .where(t.runs.c.id == run_id)
                .values(ended_at=datetime.now(UTC), status=status, summary=dict(summary))
            )

    def run_outcomes(self, run_id: str) -> dict[tuple[str, str], int]:
        """(kind, outcome) → number of captures in the run."""
        query = (
            select(t.captures.c.kind, t.captures.c.outcome, func.count())
            .where(t.captures.c.run_id == run_id)
            .group_by(t.captures.c.kind, t.captures.c.outcome)
        )
        with self.reading() as conn:
            return {(k, o): n for k, o, n in conn.execute(query)}

    # -- WARC files ----------------------------------------------------------------------
    def warc_opened(self, info: WarcFileInfo, run_id: str | None) -> None:
        with self.writing() as conn:
            conn.execute(
                insert(t.warc_files).values(
                    filename=info.filename, relpath=info.relpath, run_id=run_id,
                    status="open", opened_at=info.opened_at,
                )
            )  # fmt: skip

    def warc_closed(self, info: WarcFileInfo, status: str = "closed") -> None:
        with self.writing() as conn:
            conn.execute(
                update(t.warc_files)
                .where(t.warc_files.c.filename == info.filename)
                .values(
                    status=status, closed_at=info.closed_at, size=info.size,
                    records=info.records, sha256=info.sha256,
                )
            )  # fmt: skip

    def warc_files(self, status: str | None = None) -> list[dict[str, Any]]:
        query = select(t.warc_files).order_by(t.warc_files.c.opened_at)
        if status:
            query = query.where(t.warc_files.c.status == status)
        with self.reading() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- captures ------------------------------------------------------------------------
    def add_capture(self, conn: Connection | None = None, **values: Any) -> int:
        if conn is None:
            with self.writing() as own:
                return self.add_capture(own, **values)
        return self.fast.write(conn, _INSERT_CAPTURE, values)

    def update_capture(
        self, capture_id: int, conn: Connection | None = None, **values: Any
    ) -> None:
        if conn is None:
            with self.writing() as own:
                return self.update_capture(capture_id, own, **values)
        self.fast.write(conn, _UPDATE_CAPTURE, {**values, "_id": capture_id})
        return None

    def capture(self, capture_id: int) -> dict[str, Any] | None:
        with self.reading() as conn:
            row = conn.execute(select(t.captures).where(t.captures.c.id == capture_id)).first()
        return dict(row._mapping) if row else None

    def capture_by_record_id(self, record_id: str) -> dict[str, Any] | None:
        with self.reading() as conn:
            row = conn.execute(_CAPTURE_BY_RECORD, {"record_id": record_id}).first()
        return dict(row._mapping) if row else None

    def last_response_for_url(self, url: str) -> dict[str, Any] | None:
        """The newest full `response` record stored for a URL (the target of a revisit)."""
        with self.reading() as conn:
            return self.fast.fetch_one(conn, _LAST_RESPONSE, {"url": url})

    # -- articles and versions -----------------------------------------------------------
    def article(self, article_id: str, conn: Connection | None = None) -> dict[str, Any] | None:
        if conn is not None:
            return self.fast.fetch_one(conn, _ARTICLE, {"id": article_id})
        with self.reading() as own:
            return self.fast.fetch_one(own, _ARTICLE, {"id": article_id})

    def article_by_url(self, normalized_url: str) -> dict[str, Any] | None:
        with self.reading() as conn:
            row = conn.execute(select(t.articles).where(t.articles.c.url == normalized_url)).first()
        return dict(row._mapping) if row else None

    def known_article_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        if not ids:
            return set()
        with self.reading() as conn:
            return set(
                conn.execute(select(t.articles.c.id).where(t.articles.c.id.in_(ids))).scalars()
            )

    def versions(self, article_id: str, conn: Connection | None = None) -> list[dict[str, Any]]:
        if conn is not None:
            return self.fast.fetch_all(conn, _VERSIONS, {"article_id": article_id})
        with self.reading() as own:
            return self.fast.fetch_all(own, _VERSIONS, {"article_id": article_id})

    def latest_version_row(self, article_id: str) -> dict[str, Any] | None:
        """The article's newest version (number, content hash, record), or None."""
        with self.reading() as conn:
            return self.fast.fetch_one(conn, _LATEST_VERSION, {"article_id": article_id})

    def count(self, table: str) -> int:
        with self.reading() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(t.metadata.tables[table])
                ).scalar_one()
            )

    def all_versions(self) -> list[dict[str, Any]]:
        query = select(t.versions).order_by(t.versions.c.article_id, t.versions.c.version)
        with self.reading() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def all_articles(self) -> list[dict[str, Any]]:
        with self.reading() as conn:
            return [
                dict(r._mapping) for r in conn.execute(select(t.articles).order_by(t.articles.c.id))
            ]

    # -- rechecks -----------------------------------------------------------------------
    def tracked_sites(self) -> list[str]:
        query = select(t.articles.c.site).where(t.articles.c.tracking.is_(True)).distinct()
        with self.reading() as conn:
            return sorted(conn.execute(query).scalars())

    def due_articles(
        self, at: datetime | None, *, site: str, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """A site's tracked articles due at `at` (None: all of them), most overdue first.

        Served by the index (site, tracking, next_check_at): no scan of every article.
        """
        query = select(t.articles).where(t.articles.c.site == site, t.articles.c.tracking.is_(True))
        if at is not None:
            query = query.where(t.articles.c.next_check_at <= at)
        query = query.order_by(t.articles.c.next_check_at)
        if limit is not None:
            query = query.limit(limit)
        with self.reading() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def upcoming_count(self, at: datetime, site: str) -> int:
        query = (
            select(func.count())
            .select_from(t.articles)
            .where(
                t.articles.c.site == site,
                t.articles.c.tracking.is_(True),
                t.articles.c.next_check_at > at,
            )
        )
        with self.reading() as conn:
            return int(conn.execute(query).scalar_one())

    def set_tracking(
        self, tracking: bool, *, article_id: str | None = None, site: str | None = None
    ) -> int:
        """Start or stop rechecking one article or a whole site; returns how many changed."""
        query = update(t.articles).values(tracking=tracking)
        if article_id is not None:
            query = query.where(t.articles.c.id == article_id)
        elif site is not None:
            query = query.where(t.articles.c.site == site)
        else:
            raise ValueError("set_tracking needs an article_id or a site")
        with self.writing() as conn:
            return int(conn.execute(query).rowcount)
