"""Full-text search over every version: indexing (`index_version`, `rebuild`) and `search`.

Each version is indexed with its title, authors and text, and with the sentences its edit
added and removed (archive/diff_align.py: as they are now and as they were), so "which
stories dropped this sentence" is `search(…, scope="removed")`. Tables: archive/search_schema.py;
query syntax: archive/search_query.py.

Ranking. A query is answered in steps that each do bounded work, so that a word found in
most of a million versions costs about as little as a rare one:
1. the newest `CANDIDATES` matching versions, within the site and date filters (newest
   first is the order both indexes walk cheaply: FTS5 row ids are capture times in
   milliseconds; PostgreSQL has a capture-time index);
2. those ranked by relevance and the page (`limit`, `offset`) cut from that order.
   PostgreSQL: `ts_rank` (title weight A, authors B, text D). SQLite: BM25 (title 10×,
   authors 4× the text) over the words that are not common — estimated in at most
   `RANK_MAX_DF` versions from their share of the newest `RANK_WINDOW` (one bounded count
   per word): BM25 gives a word in most documents little weight (FTS5 floors a negative
   IDF), yet its corpus statistics cost a pass over every match (~0.3 s for a word in all
   of 1,000,000 versions). A query of common words only comes newest first.
When fewer versions match than `CANDIDATES`, that is relevance ranking over all of them;
when more match, it ranks the newest (`SearchResults.capped` says so): a news archive is
searched for what it said lately more often than not, and a date filter reaches back.

Snippets: the best passage of the searched field (text, added or removed sentences) with
the matched words marked; HTML-escaped with `<mark>` (`snippet`), or as `[text, marked]`
parts (`snippet_parts`) for a terminal.
"""

from __future__ import annotations

import html
import json
import math
import multiprocessing
import os
import re
import secrets
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Engine, and_, bindparam, column, func, or_, select, table, text
from sqlalchemy.engine import Connection

from archive import catalog_schema as t
from archive import search_schema as schema
from archive.clock import iso_utc, utc
from archive.diff_align import added_removed, align
from archive.edit_types import classify_edit
from archive.outcomes import REEXTRACT
from archive.search_query import (
    ParsedQuery,
    Term,
    fts5_term,
    joined_authors,
    parse,
    site_token,
    to_fts5,
    to_tsquery,
    tokens,
)
from archive.search_query import vocabulary as vocabulary_of

CANDIDATES = 1000  # newest matching versions ranked per query
RANK_WINDOW = 2000  # newest versions a word's commonness is measured on
RANK_MAX_DF = 50_000  # words estimated in more versions do not weigh in the ranking (SQLite)
PHRASE_COST = 8  # a phrase's statistics cost per version, against a word's
INDEXED_PREFIX = 3  # the FTS5 prefix index's length (search_schema)
MAX_EXPANSION = 128  # words a longer prefix may stand for as an OR; beyond, FTS5's own prefix query
COLLISION_SLACK_MS = 60_000  # how far a shared millisecond may push a row id (SQLite)
MAX_LIMIT = 200
MAX_OFFSET = 10_000
SNIPPET_WORDS = 28
BM25_WEIGHTS = (10.0, 4.0, 1.0, 1.0, 1.0, 0.0)  # title, authors, text, added, removed, site
SCOPES = {"any": ("title", "authors", "text"), "added": ("added",), "removed": ("removed",)}
_SNIPPET_COLUMN = {"any": 2, "added": 3, "removed": 4}
_PG_VECTOR = {"any": "tsv", "added": "tsv_added", "removed": "tsv_removed"}
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# ts_headline's parser drops anything shaped like an HTML tag: < and > reach it as stand-ins.
_PG_BRACKETS = "translate({}, '<>', U&'\\FE64\\FE65')"
_PG_BRACKETS_BACK = str.maketrans("\ufe64\ufe65", "<>")
_DOCS = table("search_docs", column("article_id"), column("version"))


class SearchIndexNotReady(RuntimeError):
    """The index has not been built for this archive yet."""


@dataclass
class IndexedVersion:
    article_id: str
    version: int
    site: str
    captured_at: datetime
    title: str
    authors: str
    text: str
    added: str
    removed: str
    edit_types: list[str]
    terms: list[str] = field(
        default_factory=list
    )  # words for search_vocab (SQLite), not yet known there


@dataclass
class SearchHit:
    article_id: str
    version: int
    site: str
    url: str | None
    title: str
    captured_at: datetime
    rank: float  # higher is better; comparable within one result list only
    snippet: str  # escaped HTML, matches in <mark>
    snippet_parts: list[tuple[str, bool]]
    title_html: str  # escaped title, matches in <mark>
    edit_types: list[str]

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "snippet_parts"}
        data["captured_at"] = iso_utc(self.captured_at)
        data["snippet_parts"] = [list(p) for p in self.snippet_parts]
        return data


@dataclass
class SearchResults:
    hits: list[SearchHit] = field(default_factory=list)
    candidates: int = 0  # matching versions ranked (at most CANDIDATES, or offset + limit)
    capped: bool = False  # more versions matched than were ranked: the newest were

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


# -- what a version contributes --------------------------------------------------------------
def document(article_id: str, version: int, record: Mapping[str, Any],
             previous_record: Mapping[str, Any] | None, *, captured_at: datetime | None = None,
             vocabulary: bool = False, known: set[str] | None = None,
             terms: Sequence[str] | None = None) -> IndexedVersion:  # fmt: skip
    """What the index holds for one version (its edit against `previous_record` included).
    `vocabulary`: list its words (SQLite's search_vocab), leaving out and adding to `known`;
    `terms`: those words as `search_query.vocabulary` gave them for this record's title,
    authors and text (computed beforehand by an extraction worker), else computed here."""
    cap = schema.MAX_INDEXED_CHARS
    added = removed = ""
    edit_types: list[str] = []
    # A re-extraction (`change: reextract`, archive/reextract.py) is the same capture read
    # by a newer extractor, not an edit by the newsroom: no added or removed sentences, no
    # edit types; its text is indexed (searches find the better reading).
    if previous_record is not None and record.get("change") != REEXTRACT:
        ops = align(previous_record.get("text"), record.get("text"))
        new_sentences, old_sentences = added_removed(ops)
        added, removed = "\n".join(new_sentences)[:cap], "\n".join(old_sentences)[:cap]
        edit_types = classify_edit(previous_record, record, ops=ops)
    if captured_at is None:
        stamp = record.get("captured_at")
        captured_at = (
            datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else datetime.now(UTC)
        )
    doc = IndexedVersion(
        article_id=article_id, version=int(version), site=str(record.get("site") or ""),
        captured_at=utc(captured_at), title=str(record.get("title") or "")[:cap],
        authors=joined_authors(record.get("authors"))[:cap], text=str(record.get("text") or "")[:cap],
        added=added, removed=removed, edit_types=edit_types,
    )  # fmt: skip
    if vocabulary:
        # Added and removed sentences hold no word that this or the previous text lacks.
        words = set(
            terms
            if terms is not None
            else vocabulary_of(record.get("title"), record.get("authors"), record.get("text"))
        )
        if known is not None:
            words -= known
            if len(known) > 2_000_000:
                known.clear()
            known |= words
        doc.terms = sorted(words)
    return doc


def index_version(conn: Connection, article_id: str, version: int, record: Mapping[str, Any],
                  previous_record: Mapping[str, Any] | None = None, *,
                  captured_at: datetime | None = None) -> list[str]:  # fmt: skip
    """Index one version inside the caller's transaction (the one inserting the version),
    replacing an earlier entry for it; returns its edit types. `record` is the version
    record, `previous_record` the article's previous version's (None for a first one)."""
    doc = document(article_id, version, record, previous_record, captured_at=captured_at,
                   vocabulary=conn.dialect.name == "sqlite")  # fmt: skip
    write_documents(conn, [doc])
    return doc.edit_types


def write_documents(conn: Connection, docs: Sequence[IndexedVersion]) -> None:
    if not docs:
        return
    if conn.dialect.name == "postgresql":
        _pg_write(conn, docs)
    else:
        _sqlite_write(conn, docs)


def _millis(moment: datetime) -> int:
    return int(utc(moment).timestamp() * 1000)


def _stamp(moment: datetime) -> str:
    """`search_docs.captured_at` on SQLite: ISO 8601 in UTC with microseconds (sorts as text)."""
    return utc(moment).isoformat(timespec="microseconds")


def _cursor(conn: Connection) -> Any:
    if not conn.in_transaction():
        conn.begin()
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    return dbapi.cursor()


_CONTENT_ROW = (
    "SELECT id, title, authors, text, added, removed, site FROM search_content WHERE id = ?"
)


def _sqlite_write(conn: Connection, docs: Sequence[IndexedVersion]) -> None:
    cur = _cursor(conn)
    _indexed_count(cur)  # its row exists before these are counted in
    replaced = 0
    for doc in docs:  # an entry for the same version is replaced (a repeated write)
        row = cur.execute("SELECT id FROM search_docs WHERE article_id = ? AND version = ?",
                          (doc.article_id, doc.version)).fetchone()  # fmt: skip
        if row is not None:
            old = cur.execute(_CONTENT_ROW, (row[0],)).fetchone()
            if old is not None:
                cur.execute("INSERT INTO search_fts (search_fts, rowid, title, authors, text, added, removed, site) "
                            "VALUES ('delete', ?, ?, ?, ?, ?, ?, ?)", old)  # fmt: skip
            cur.execute("DELETE FROM search_docs WHERE id = ?", (row[0],))
            replaced += 1
    wanted = [_millis(d.captured_at) for d in docs]
    low, high = min(wanted), max(wanted) + len(docs) + 1000
    taken = {
        r[0]
        for r in cur.execute("SELECT id FROM search_docs WHERE id BETWEEN ? AND ?", (low, high))
    }
    doc_rows, fts_rows = [], []
    for doc, rowid in zip(docs, wanted, strict=True):
        # Two versions captured in the same millisecond: the later one takes the next id.
        while rowid in taken or (
            rowid > high
            and cur.execute("SELECT 1 FROM search_docs WHERE id = ?", (rowid,)).fetchone()
        ):
            rowid += 1
        taken.add(rowid)
        doc_rows.append((rowid, doc.article_id, doc.version, doc.site, _stamp(doc.captured_at), doc.title,
                         doc.authors, doc.added, doc.removed, json.dumps(doc.edit_types)))  # fmt: skip
        fts_rows.append(
            (rowid, doc.title, doc.authors, doc.text, doc.added, doc.removed, site_token(doc.site))
        )
    cur.executemany("INSERT INTO search_docs (id, article_id, version, site, captured_at, title, authors, added, "
                    "removed, edit_types) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", doc_rows)  # fmt: skip
    cur.executemany("INSERT INTO search_fts (rowid, title, authors, text, added, removed, site) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", fts_rows)  # fmt: skip
    cur.executemany(
        "INSERT OR IGNORE INTO search_vocab (term) VALUES (?)",
        [(w,) for d in docs for w in d.terms],
    )
    cur.execute(
        "UPDATE search_meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'docs'",
        (len(docs) - replaced,),
    )


_PG_UPSERT = text(
    """INSERT INTO search_docs (article_id, version, site, captured_at, title, authors, added, removed,
            edit_types, tsv, tsv_added, tsv_removed)
       VALUES (:article_id, :version, :site, :captured_at, :title, :authors, :added, :removed,
            CAST(:edit_types AS json),
            setweight(to_tsvector('simple', :w_title), 'A') || setweight(to_tsvector('simple', :w_authors), 'B')
                || setweight(to_tsvector('simple', :w_text), 'D'),
            to_tsvector('simple', :w_added), to_tsvector('simple', :w_removed))
       ON CONFLICT (article_id, version) DO UPDATE SET site = EXCLUDED.site,
            captured_at = EXCLUDED.captured_at, title = EXCLUDED.title, authors = EXCLUDED.authors,
            added = EXCLUDED.added, removed = EXCLUDED.removed, edit_types = EXCLUDED.edit_types,
            tsv = EXCLUDED.tsv, tsv_added = EXCLUDED.tsv_added, tsv_removed = EXCLUDED.tsv_removed"""
)


def _pg_write(conn: Connection, docs: Sequence[IndexedVersion]) -> None:
    def words(value: str) -> str:
        return " ".join(tokens(value))  # split and folded as the query's words are

    conn.execute(_PG_UPSERT, [
        {"article_id": d.article_id, "version": d.version, "site": d.site, "captured_at": d.captured_at,
         "title": d.title, "authors": d.authors, "added": d.added, "removed": d.removed,
         "edit_types": json.dumps(d.edit_types), "w_title": words(d.title), "w_authors": words(d.authors),
         "w_text": words(d.text), "w_added": words(d.added), "w_removed": words(d.removed)}
        for d in docs
    ])  # fmt: skip


# -- (re)building ----------------------------------------------------------------------------
BUILD_BATCH = 500
BUILD_IN_MIGRATION = (
    10_000  # migration 0005 indexes an archive this small at once; a larger one waits for rebuild
)
PARALLEL_FROM = 5_000  # versions from which rebuild starts worker processes


def _clear(conn: Connection) -> int:
    """Empty the index (creating it if missing); returns the number of versions to index."""
    schema.create_schema(conn)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
        conn.exec_driver_sql("DELETE FROM search_docs")
        conn.exec_driver_sql("DELETE FROM search_vocab")
        conn.exec_driver_sql("DELETE FROM search_meta WHERE key = 'docs'")
    else:
        conn.exec_driver_sql("TRUNCATE search_docs")
    return int(conn.execute(select(func.count()).select_from(t.versions)).scalar_one())


Row = tuple[str, int, Any, Any, Any]  # article id, number, captured at, record, previous record


def _read_rows(conn: Connection, after: tuple[Any, str, int] | None, size: int) -> list[Row]:
    """The next `size` versions by capture time (then article and number), each with the
    record of the version before it."""
    v = t.versions
    query = select(v.c.article_id, v.c.version, v.c.captured_at, v.c.record)
    if after is not None:
        at, article, number = after
        query = query.where(v.c.captured_at >= at, or_(
            v.c.captured_at > at,
            and_(v.c.captured_at == at, or_(v.c.article_id > article,
                                            and_(v.c.article_id == article, v.c.version > number)))))  # fmt: skip
    rows = conn.execute(
        query.order_by(v.c.captured_at, v.c.article_id, v.c.version).limit(size)
    ).all()
    wanted = [(r.article_id, r.version - 1) for r in rows if r.version > 1]
    previous: dict[tuple[str, int], Any] = {}
    if wanted:
        lookup = select(v.c.article_id, v.c.version, v.c.record).where(_any_key(v.c, wanted))
        previous = {(r.article_id, r.version): r.record for r in conn.execute(lookup)}
    return [(r.article_id, r.version, r.captured_at, r.record, previous.get((r.article_id, r.version - 1)))
            for r in rows]  # fmt: skip


_SEEN_WORDS: set[str] = (
    set()
)  # words a (re)build has listed for search_vocab already, in this process


def _documents(rows: list[Row], vocabulary: bool) -> list[IndexedVersion]:
    """The documents of a page of rows (run in a worker process by `rebuild`)."""
    return [document(a, n, record, before, captured_at=at, vocabulary=vocabulary, known=_SEEN_WORDS)
            for a, n, at, record, before in rows]  # fmt: skip


def _any_key(columns: Any, keys: Sequence[tuple[str, int]]) -> Any:
    """(article_id, version) in `keys`, as ORed equalities: SQLite (3.40) answers a row-value
    IN list with a scan of the table, an OR of key lookups with the primary key."""
    return or_(*[and_(columns.article_id == a, columns.version == n) for a, n in keys])


def _finish(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
    schema.set_state(conn, "ready")


def rebuild(engine: Engine, progress_callback: Callable[[int, int], None] | None = None, *,
            batch_size: int = BUILD_BATCH, workers: int | None = None) -> int:  # fmt: skip
    """(Re)build the index of every version in the catalog, oldest capture first, one
    transaction per batch; `progress_callback(done, total)` after each. Versions the crawl
    indexes meanwhile are kept. Returns the number of versions read.

    Aligning each version with the one before costs about as much as indexing it: with
    `workers` (default: the CPUs but one, at most 4; 0: none) worker processes do that
    while this one reads and writes the catalog (the database has one writer). Archives
    under PARALLEL_FROM versions are done in this process."""
    with engine.begin() as conn:
        total = _clear(conn)
        schema.set_state(conn, "building")
    vocabulary = engine.dialect.name == "sqlite"
    _SEEN_WORDS.clear()
    if workers is None:
        workers = min(4, (os.cpu_count() or 1) - 1)
    pool = None
    if workers > 0 and total >= PARALLEL_FROM:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    done = 0
    after: tuple[Any, str, int] | None = None
    pending: deque[Any] = deque()
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < (workers + 1 if pool else 1):
                with engine.connect() as conn:
                    rows = _read_rows(conn, after, batch_size)
                if not rows:
                    exhausted = True
                    break
                after = (rows[-1][2], rows[-1][0], rows[-1][1])
                pending.append(pool.submit(_documents, rows, vocabulary) if pool else rows)
            if not pending:
                break
            item = pending.popleft()
            docs = item.result() if pool else _documents(item, vocabulary)
            with engine.begin() as conn:
                present = _already_indexed(conn, docs)
                write_documents(conn, [d for d in docs if (d.article_id, d.version) not in present])
                _fill_edit_types(conn, docs)
            done += len(docs)
            if progress_callback is not None:
                progress_callback(done, total)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    with engine.begin() as conn:
        _finish(conn)
    return done


def build_in_transaction(conn: Connection, *, batch_size: int = BUILD_BATCH) -> int:
    """Build the whole index inside the caller's transaction (a migration on a small archive)."""
    _clear(conn)
    _SEEN_WORDS.clear()
    done = 0
    after: tuple[Any, str, int] | None = None
    while rows := _read_rows(conn, after, batch_size):
        write_documents(conn, _documents(rows, conn.dialect.name == "sqlite"))
        done += len(rows)
        after = (rows[-1][2], rows[-1][0], rows[-1][1])
    _finish(conn)
    return done


_FILL_TYPES = (
    t.versions.update()
    .where(t.versions.c.article_id == bindparam("_a"), t.versions.c.version == bindparam("_v"),
           t.versions.c.edit_types.is_(None))
    .values(edit_types=bindparam("_types"))
)  # fmt: skip


def _fill_edit_types(conn: Connection, docs: Sequence[IndexedVersion]) -> None:
    """Versions recorded before their records kept edit types (migration 0008 on an archive
    whose index was pending) take the ones the index computed."""
    conn.execute(_FILL_TYPES, [{"_a": d.article_id, "_v": d.version, "_types": d.edit_types}
                               for d in docs])  # fmt: skip


def _already_indexed(conn: Connection, docs: Sequence[IndexedVersion]) -> set[tuple[str, int]]:
    keys = [(d.article_id, d.version) for d in docs]
    query = select(_DOCS.c.article_id, _DOCS.c.version).where(_any_key(_DOCS.c, keys))
    return {(a, n) for a, n in conn.execute(query)}


# -- searching -------------------------------------------------------------------------------
def _moment(value: datetime | date | str | None, *, end: bool) -> datetime | None:
    """A filter bound: a date means its whole day (UTC); naive times are UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value or " " in value.strip() \
            else date.fromisoformat(value)  # fmt: skip
    if not isinstance(value, datetime):
        start = datetime.combine(value, time.min, tzinfo=UTC)
        return start + timedelta(days=1) - timedelta(microseconds=1) if end else start
    return utc(value)


class _Marks:
    """Highlight markers unique to one query (archived text cannot forge them)."""

    def __init__(self) -> None:
        nonce = secrets.token_hex(6)
        self.open, self.close = f"\x02{nonce}[", f"]{nonce}\x03"

    def parts(self, marked: str | None) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        for chunk in (marked or "").split(self.open):
            if self.close in chunk:
                hit, rest = chunk.split(self.close, 1)
                out.append((hit, True))
                chunk = rest
            if chunk:
                out.append((chunk, False))
        # Paragraph breaks and runs of spaces read as one space in a snippet; control
        # characters go; PostgreSQL's stand-ins for < and > (see _pg_search) come back.
        cleaned = [
            (_SPACES.sub(" ", _CONTROL.sub("", s).translate(_PG_BRACKETS_BACK)), hit)
            for s, hit in out
        ]
        return [(s, hit) for s, hit in cleaned if s]

    @staticmethod
    def html(parts: list[tuple[str, bool]]) -> str:
        return "".join(
            f"<mark>{html.escape(s)}</mark>" if hit else html.escape(s) for s, hit in parts
        )


def search(engine_or_conn: Engine | Connection, query: str, *, site: str | None = None,
           since: datetime | date | str | None = None, until: datetime | date | str | None = None,
           scope: str = "any", limit: int = 20, offset: int = 0) -> SearchResults:  # fmt: skip
    """Versions matching `query` (archive/search_query.py), best first (see the module's
    docstring for the ranking). `scope`: "any" (title, authors, text), "added" or "removed"
    (what an edit added or removed). `since`/`until`: capture time bounds, inclusive (a
    date: its whole day, UTC). Raises SearchQueryError for a query that cannot be searched,
    SearchIndexNotReady before the index is built."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    parsed = parse(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    low, high = _moment(since, end=False), _moment(until, end=True)
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return _search(conn, parsed, site, low, high, scope, limit, offset)
    return _search(engine_or_conn, parsed, site, low, high, scope, limit, offset)


def _search(conn: Connection, parsed: ParsedQuery, site: str | None, low: datetime | None,
            high: datetime | None, scope: str, limit: int, offset: int) -> SearchResults:  # fmt: skip
    if schema.state_if_exists(conn) != "ready":
        raise SearchIndexNotReady("the search index is not built for this archive yet: "
                                  "run `newsarchive search --rebuild`")  # fmt: skip
    if low is not None and high is not None and low > high:
        return SearchResults()
    want = max(CANDIDATES, offset + limit)
    if conn.dialect.name == "postgresql":
        return _pg_search(conn, parsed, site, low, high, scope, limit, offset, want)
    return _sqlite_search(conn, parsed, site, low, high, scope, limit, offset, want)


def _sqlite_search(conn: Connection, parsed: ParsedQuery, site: str | None, low: datetime | None,
                   high: datetime | None, scope: str, limit: int, offset: int, want: int) -> SearchResults:  # fmt: skip
    cur = _cursor(conn)
    parsed = _expand_prefixes(cur, parsed)
    match = to_fts5(parsed, SCOPES[scope], site_token=site_token(site) if site else None)
    # Row ids are capture times in ms, later by a few ms where captures share one: the id
    # range finds the candidates, their exact capture times decide at the edges.
    lo = _millis(low) if low is not None else -(2**63)
    hi = _millis(high) + COLLISION_SLACK_MS if high is not None else 2**63 - 1
    exact, bounds = "", ()  # type: tuple[str, tuple[str, ...]]
    if low is not None or high is not None:
        exact = " AND d.captured_at BETWEEN ? AND ?"
        bounds = (_stamp(low) if low is not None else "", _stamp(high) if high is not None else "~")
    ranking = _ranking_groups(cur, parsed, scope)
    # Ranked: the newest `want` matches are the candidates. Newest first (every word
    # common): the page itself is all there is to find, and one more tells if more match.
    count = want if ranking else offset + limit + 1
    ids = [r[0] for r in cur.execute(
        "SELECT f.rowid FROM search_fts f" + (" JOIN search_docs d ON d.id = f.rowid" if exact else "") +
        f" WHERE search_fts MATCH ? AND f.rowid BETWEEN ? AND ?{exact} ORDER BY f.rowid DESC LIMIT ?",
        (match, lo, hi, *bounds, count))]  # fmt: skip
    results = SearchResults(
        candidates=min(len(ids), count if ranking else offset + limit), capped=len(ids) == count
    )
    if not ids:
        return results
    if ranking:
        # BM25 over the candidates alone (their ids); its corpus statistics cost what the
        # ranking words' matches number, and those are few. `+rowid IN`: a filter on one
        # scan — as a constraint SQLite would run the full-text query once per id, and
        # FTS5 would compute BM25's statistics (or merge a prefix's words) each time.
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        reduced = to_fts5(ParsedQuery(groups=ranking), SCOPES[scope])
        ranked = cur.execute(
            f"SELECT rowid, bm25(search_fts, {weights}) AS score FROM search_fts WHERE search_fts MATCH ? "
            f"AND rowid BETWEEN ? AND ? AND +rowid IN ({', '.join('?' * len(ids))}) "
            "ORDER BY score, rowid DESC LIMIT ? OFFSET ?",
            (reduced, ids[-1], ids[0], *ids, limit, offset)).fetchall()  # fmt: skip
    else:
        ranked = [(rowid, 0.0) for rowid in ids[offset : offset + limit]]
    if not ranked:
        return results
    marks = _Marks()
    page = [r[0] for r in ranked]
    placeholders = ", ".join("?" * len(page))
    rows = cur.execute(
        f"SELECT f.rowid, highlight(search_fts, 0, ?, ?), snippet(search_fts, {_SNIPPET_COLUMN[scope]}, ?, ?, ?, ?), "
        "d.article_id, d.version, d.site, d.captured_at, d.title, d.edit_types, a.url "
        "FROM search_fts f JOIN search_docs d ON d.id = f.rowid LEFT JOIN articles a ON a.id = d.article_id "
        f"WHERE search_fts MATCH ? AND f.rowid BETWEEN ? AND ? AND +f.rowid IN ({placeholders})",
        (marks.open, marks.close, marks.open, marks.close, "\u2026", SNIPPET_WORDS, match, min(page), max(page), *page),
    ).fetchall()  # fmt: skip
    by_id = {r[0]: r for r in rows}
    for rowid, score in ranked:
        r = by_id.get(rowid)
        if r is None:
            continue
        parts = marks.parts(r[2])
        title_parts = marks.parts(r[1]) if r[1] else [(r[7], False)]
        results.hits.append(SearchHit(
            article_id=r[3], version=r[4], site=r[5], url=r[9], title=r[7],
            captured_at=utc(datetime.fromisoformat(r[6])), rank=-float(score), snippet=_Marks.html(parts),
            snippet_parts=parts, title_html=_Marks.html(title_parts), edit_types=json.loads(r[8]),
        ))  # fmt: skip
    return results


def matching_articles(engine_or_conn: Engine | Connection, query: str, *, site: str | None = None,
                      since: datetime | date | str | None = None,
                      until: datetime | date | str | None = None, scope: str = "any",
                      versions: int = CANDIDATES) -> list[str]:  # fmt: skip
    """The articles of the newest `versions` versions matching `query` (newest first, each
    once): the article list's `q=` filter, bounded work whatever the query. Raises as
    `search` does."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    parsed = parse(query)
    low, high = _moment(since, end=False), _moment(until, end=True)
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return _matching_articles(conn, parsed, site, low, high, scope, versions)
    return _matching_articles(engine_or_conn, parsed, site, low, high, scope, versions)


def _matching_articles(conn: Connection, parsed: ParsedQuery, site: str | None,
                       low: datetime | None, high: datetime | None, scope: str,
                       versions: int) -> list[str]:  # fmt: skip
    if schema.state_if_exists(conn) != "ready":
        raise SearchIndexNotReady("the search index is not built for this archive yet: "
                                  "run `newsarchive search --rebuild`")  # fmt: skip
    if low is not None and high is not None and low > high:
        return []
    if conn.dialect.name == "postgresql":
        filters = [f"{_PG_VECTOR[scope]} @@ CAST(:tsq AS tsquery)"]
        params: dict[str, Any] = {"tsq": to_tsquery(parsed), "want": versions}
        for clause, name, value in (("site = :site", "site", site), ("captured_at >= :low", "low", low),
                                    ("captured_at <= :high", "high", high)):  # fmt: skip
            if value:
                filters.append(clause)
                params[name] = value
        rows = conn.execute(text(f"SELECT article_id FROM search_docs WHERE {' AND '.join(filters)} "
                                 "ORDER BY captured_at DESC LIMIT :want"), params).all()  # fmt: skip
    else:
        cur = _cursor(conn)
        parsed = _expand_prefixes(cur, parsed)
        match = to_fts5(parsed, SCOPES[scope], site_token=site_token(site) if site else None)
        lo = _millis(low) if low is not None else -(2**63)
        hi = _millis(high) + COLLISION_SLACK_MS if high is not None else 2**63 - 1
        exact, bounds = "", cast(tuple[str, ...], ())
        if low is not None or high is not None:
            exact = " AND d.captured_at BETWEEN ? AND ?"
            bounds = (
                _stamp(low) if low is not None else "",
                _stamp(high) if high is not None else "~",
            )
        rows = cur.execute(
            "SELECT d.article_id FROM search_fts f JOIN search_docs d ON d.id = f.rowid WHERE search_fts "
            f"MATCH ? AND f.rowid BETWEEN ? AND ?{exact} ORDER BY f.rowid DESC LIMIT ?",
            (match, lo, hi, *bounds, versions)).fetchall()  # fmt: skip
    return list(dict.fromkeys(r[0] for r in rows))


def _expand_prefixes(cur: Any, parsed: ParsedQuery) -> ParsedQuery:
    """Prefixes longer than the FTS5 prefix index's become the words they start (from
    search_vocab), when there are at most MAX_EXPANSION of them."""

    def expand(term: Term) -> Term:
        stem = term.words[-1]
        if not term.prefix or len(stem) <= INDEXED_PREFIX or ord(stem[-1]) >= 0x10FFFF:
            return term
        upper = stem[:-1] + chr(ord(stem[-1]) + 1)
        words = [r[0] for r in cur.execute("SELECT term FROM search_vocab WHERE term >= ? AND term < ? "
                                           "ORDER BY term LIMIT ?", (stem, upper, MAX_EXPANSION + 1))]  # fmt: skip
        return replace(term, expansion=tuple(words)) if 0 < len(words) <= MAX_EXPANSION else term

    return ParsedQuery(groups=[[expand(t) for t in g] for g in parsed.groups],
                       excluded=[expand(t) for t in parsed.excluded])  # fmt: skip


def _ranking_groups(cur: Any, parsed: ParsedQuery, scope: str) -> list[list[Term]]:
    """The query's groups whose BM25 statistics are cheap. FTS5 computes them with a pass
    over every version that holds each phrase's words: a group is kept when its terms
    together cost at most RANK_MAX_DF — a word (or a prefix's words) its estimated number
    of versions, a phrase PHRASE_COST times that of its rarest word (positions are read
    for each). Numbers of versions are estimated from the matches among the newest
    RANK_WINDOW (one bounded count each). BM25 gives common words little weight anyway."""
    total = _indexed_count(cur)
    start = cur.execute(
        "SELECT id FROM search_docs ORDER BY id DESC LIMIT 1 OFFSET ?", (RANK_WINDOW - 1,)
    ).fetchone()
    scale = total / RANK_WINDOW if start is not None else 1.0
    lowest = start[0] if start else -(2**63)
    columns = "{" + " ".join(SCOPES[scope]) + "} : "
    counted: dict[str, float] = {}

    def estimate(expr: str) -> float:
        if expr not in counted:
            found = cur.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH ? AND rowid >= ?",
                                (columns + expr, lowest)).fetchone()[0]  # fmt: skip
            counted[expr] = found * scale
        return counted[expr]

    def cost(term: Term) -> float:
        if term.prefix and term.expansion is None and len(term.words[-1]) > INDEXED_PREFIX:
            return math.inf  # FTS5 merges every word it starts: left to the filter
        if len(term.words) > 1:
            each = [estimate(f'"{word}"') for word in term.words[:-1]]
            each.append(
                estimate(fts5_term(replace(term, words=term.words[-1:])))
            )  # a prefix's words, maybe
            return PHRASE_COST * min(each)
        return estimate(fts5_term(term))

    return [group for group in parsed.groups if sum(cost(term) for term in group) <= RANK_MAX_DF]


def _indexed_count(cur: Any) -> int:
    row = cur.execute("SELECT value FROM search_meta WHERE key = 'docs'").fetchone()
    if row is None:  # an index built before the count was kept: count once
        count = cur.execute("SELECT count(*) FROM search_docs").fetchone()[0]
        cur.execute("INSERT INTO search_meta (key, value) VALUES ('docs', ?)", (str(count),))
        return int(count)
    return int(row[0])


def _pg_search(conn: Connection, parsed: ParsedQuery, site: str | None, low: datetime | None,
               high: datetime | None, scope: str, limit: int, offset: int, want: int) -> SearchResults:  # fmt: skip
    vector = _PG_VECTOR[scope]
    filters = [f"{vector} @@ q.query"]
    params: dict[str, Any] = {"tsq": to_tsquery(parsed), "want": want, "limit": limit, "offset": offset,
                              "rank_tsq": to_tsquery(ParsedQuery(groups=parsed.groups))}  # fmt: skip
    if site:
        filters.append("site = :site")
        params["site"] = site
    if low is not None:
        filters.append("captured_at >= :low")
        params["low"] = low
    if high is not None:
        filters.append("captured_at <= :high")
        params["high"] = high
    ranked = conn.execute(text(
        f"""WITH q AS (SELECT CAST(:tsq AS tsquery) AS query, CAST(:rank_tsq AS tsquery) AS positive),
            candidates AS (SELECT article_id, version, captured_at, {vector} AS vec FROM search_docs, q
                           WHERE {' AND '.join(filters)} ORDER BY captured_at DESC LIMIT :want)
            SELECT c.article_id, c.version, ts_rank(c.vec, q.positive) AS score,
                   (SELECT count(*) FROM candidates) AS n
            FROM candidates c, q ORDER BY score DESC, c.captured_at DESC LIMIT :limit OFFSET :offset"""),
        params).all()  # fmt: skip
    count = int(ranked[0].n) if ranked else _pg_count(conn, vector, filters, params)
    results = SearchResults(candidates=count, capped=count == want)
    if not ranked:
        return results
    marks = _Marks()
    field_sql = _PG_BRACKETS.format({"any": f"left(v.record->>'text', {schema.MAX_INDEXED_CHARS})",
                                     "added": "d.added", "removed": "d.removed"}[scope])  # fmt: skip
    # Whole text: the best two passages; added/removed sentences: short, one passage.
    options = (f"StartSel={marks.open}, StopSel={marks.close}, MaxWords={SNIPPET_WORDS}, MinWords=12, "
               f"MaxFragments={2 if scope == 'any' else 0}, FragmentDelimiter=\" \u2026 \"")  # fmt: skip
    keys = [(r.article_id, r.version) for r in ranked]
    rows = conn.execute(text(
        f"""WITH q AS (SELECT CAST(:tsq AS tsquery) AS query)
            SELECT d.article_id, d.version, d.site, d.captured_at, d.title, d.edit_types, a.url,
                   ts_headline('simple', {_PG_BRACKETS.format("d.title")}, q.query, :title_options) AS title_hl,
                   ts_headline('simple', coalesce({field_sql}, ''), q.query, :options) AS snippet
            FROM search_docs d JOIN versions v ON v.article_id = d.article_id AND v.version = d.version
            LEFT JOIN articles a ON a.id = d.article_id, q
            WHERE (d.article_id, d.version) IN ({', '.join(f'(:a{i}, :v{i})' for i in range(len(keys)))})"""),
        {"tsq": params["rank_tsq"], "options": options,
         "title_options": f"StartSel={marks.open}, StopSel={marks.close}, HighlightAll=true",
         **{f"a{i}": a for i, (a, _) in enumerate(keys)}, **{f"v{i}": n for i, (_, n) in enumerate(keys)}},
    ).all()  # fmt: skip
    by_key = {(r.article_id, r.version): r for r in rows}
    for item in ranked:
        r = by_key.get((item.article_id, item.version))
        if r is None:
            continue
        parts, title_parts = marks.parts(r.snippet), marks.parts(r.title_hl)
        results.hits.append(SearchHit(
            article_id=r.article_id, version=r.version, site=r.site, url=r.url, title=r.title,
            captured_at=utc(r.captured_at), rank=float(item.score), snippet=_Marks.html(parts),
            snippet_parts=parts, title_html=_Marks.html(title_parts),
            edit_types=r.edit_types if isinstance(r.edit_types, list) else json.loads(r.edit_types or "[]"),
        ))  # fmt: skip
    return results


def _pg_count(conn: Connection, vector: str, filters: list[str], params: dict[str, Any]) -> int:
    """Candidates when the page is past the end (offset beyond them)."""
    return int(conn.execute(text(
        f"""WITH q AS (SELECT CAST(:tsq AS tsquery) AS query)
            SELECT count(*) FROM (SELECT 1 FROM search_docs, q WHERE {' AND '.join(filters)}
                                  ORDER BY captured_at DESC LIMIT :want) c"""), params).scalar_one())  # fmt: skip
