"""The entries of a change feed, read from the catalog (SQLite or PostgreSQL).

An entry is a new version (`versions.change`: `edit`, `revert`, `new`) or a suspect capture
(`captures.outcome = 'suspect'`: the text collapsed, no version recorded). Only kinds in the
explicit allow-list `KINDS` are ever read: a kind added to the catalog later (a re-extraction,
say) stays out of every feed until it is added here.

Order and pages. Entries are ordered oldest first by (capture time, article id, version or
capture id): the feed's sequence. Page k holds the entries at positions k·N … k·N+N−1 of that
sequence (N: the page size), so a full page never changes. That holds only if no entry is
ever recorded with a capture time before one already shown, and a version is committed
shortly after its page was fetched, not at its capture instant: a feed therefore shows only
entries captured before the *horizon* (now − settle seconds). Past the horizon the sequence
only grows at its end, pages fill and never change again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, column, func, literal, select, table, union_all
from sqlalchemy.sql import Select

from archive import catalog_schema as t
from archive import clock
from archive.clock import utc

# Version kinds (versions.change) and capture kinds (captures.outcome) a feed may show.
VERSION_KINDS = ("edit", "revert", "new")
CAPTURE_KINDS = ("suspect",)
KINDS = VERSION_KINDS + CAPTURE_KINDS
DEFAULT_KINDS = ("edit", "revert")
OPTIONAL_KINDS = ("new", "suspect")  # `include=`: added to the defaults on request

_search_docs = table("search_docs", column("article_id"), column("version"), column("edit_types"))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadScope(ValueError):
    """A feed request the catalog cannot answer (unknown `include` kind, say)."""


def parse_include(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The kinds of a feed: the defaults plus `value` (comma-separated `new`, `suspect`; the
    defaults may be named too), in the allow-list's order. Anything else is BadScope."""
    names: list[str] = []
    for part in [value] if isinstance(value, str) else list(value or ()):
        names += [n.strip().lower() for n in part.split(",") if n.strip()]
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise BadScope(
            f"include takes {', '.join(OPTIONAL_KINDS)} (comma-separated), not {unknown[0][:40]!r}"
        )
    chosen = set(DEFAULT_KINDS) | set(names)
    return tuple(k for k in KINDS if k in chosen)


@dataclass(frozen=True)
class Scope:
    """Which entries a feed holds: all changes, one site's or one article's; which kinds."""

    site: str | None = None
    article_id: str | None = None
    kinds: tuple[str, ...] = DEFAULT_KINDS

    def __post_init__(self) -> None:
        if not self.kinds or any(k not in KINDS for k in self.kinds):
            raise BadScope(f"kinds must be among {', '.join(KINDS)}")

    @property
    def optional_kinds(self) -> tuple[str, ...]:
        """The kinds beyond the defaults (what `include=` names)."""
        return tuple(k for k in self.kinds if k not in DEFAULT_KINDS)


@dataclass
class Entry:
    """One feed entry: a version, or a suspect capture (version None, `capture_id` set)."""

    kind: str
    article_id: str
    site: str
    url: str
    captured_at: datetime
    title: str | None
    version: int | None = None
    capture_id: int | None = None
    changed_fields: list[str] = field(default_factory=list)
    edit_types: list[str] = field(default_factory=list)
    record: dict[str, Any] | None = None  # the version's record
    previous: dict[str, Any] | None = None  # the version before it (the diff's old side)
    reverted_to: int | None = None
    detail: str | None = None  # a suspect capture's note

    @property
    def entry_id(self) -> str:
        """Stable over base URLs and pages: a reader keys on it."""
        if self.version is not None:
            return f"urn:newsarchive:version:{self.article_id}:{self.version}"
        return f"urn:newsarchive:capture:{self.capture_id}"


@dataclass
class Layout:
    """Where a feed's settled entries fall: `total` of them, `pages` full archive pages."""

    total: int
    page_size: int
    horizon: datetime
    newest_at: datetime | None  # capture time of the newest settled entry

    @property
    def pages(self) -> int:
        return self.total // self.page_size

    @property
    def subscription_start(self) -> int:
        """The subscription document holds the last full page and the partial one after it
        (N to 2N−1 entries once there are N): a reader that never pages still sees the newest
        N, and no entry is in both the subscription document and a page it links."""
        return max(0, (self.pages - 1) * self.page_size)

    @property
    def subscription_prev(self) -> int | None:
        """The newest archive page the subscription document links (`prev-archive`)."""
        return self.pages - 2 if self.pages >= 2 else None


def _sequence(scope: Scope, horizon: datetime) -> Select[Any]:
    """(at, k1, k2, source) of every settled entry of `scope`, unordered."""
    v, a, c = t.versions, t.articles, t.captures
    parts: list[Select[Any]] = []
    version_kinds = [k for k in scope.kinds if k in VERSION_KINDS]
    if version_kinds:
        q = select(v.c.captured_at.label("at"), v.c.article_id.label("k1"),
                   v.c.version.label("k2"), literal("v").label("source"))  # fmt: skip
        q = q.where(v.c.change.in_(version_kinds), v.c.captured_at < horizon)
        if scope.article_id is not None:
            q = q.where(v.c.article_id == scope.article_id)
        if scope.site is not None:
            # The site's article ids as a set probed while scanning ix_versions_feed. (`|| ''`
            # keeps SQLite from driving the query by article id instead: a lookup of each
            # version's row, records and all.)
            site_ids = select(a.c.id).where(a.c.site == scope.site)
            q = q.where(v.c.article_id.concat("").in_(site_ids))
        parts.append(q)
    capture_kinds = [k for k in scope.kinds if k in CAPTURE_KINDS]
    if capture_kinds:
        q = select(c.c.fetched_at.label("at"), c.c.article_id.label("k1"),
                   c.c.id.label("k2"), literal("c").label("source"))  # fmt: skip
        q = q.where(c.c.outcome.in_(capture_kinds), c.c.article_id.is_not(None),
                    c.c.fetched_at < horizon)  # fmt: skip
        if scope.article_id is not None:
            q = q.where(c.c.article_id == scope.article_id)
        if scope.site is not None:
            q = q.where(c.c.site == scope.site)
        parts.append(q)
    return parts[0] if len(parts) == 1 else union_all(*parts).subquery().select()  # type: ignore[return-value]


def horizon_at(settle_seconds: float, now: datetime | None = None) -> datetime:
    return (now or clock.now()) - timedelta(seconds=settle_seconds)


def layout(engine: Engine, scope: Scope, page_size: int, horizon: datetime) -> Layout:
    """Count the settled entries of `scope` (one query)."""
    seq = _sequence(scope, horizon).subquery()
    with engine.connect() as conn:
        total, newest = conn.execute(select(func.count(), func.max(seq.c.at))).one()
    return Layout(int(total or 0), page_size, horizon, _aware(newest))


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's max() over a union returns the stored text
        value = datetime.fromisoformat(value)
    return utc(value)


def entries(engine: Engine, scope: Scope, horizon: datetime, start: int, stop: int,
            total: int | None = None) -> list[Entry]:  # fmt: skip
    """The entries at positions start … stop−1 of the sequence, newest first. With `total`
    (the layout's), a page nearer the newest end is read from that end: the subscription
    document skips two pages, not the whole sequence."""
    if stop <= start:
        return []
    seq = _sequence(scope, horizon).subquery()
    keys_query = select(seq.c.at, seq.c.k1, seq.c.k2, seq.c.source)
    order = (seq.c.at, seq.c.k1, seq.c.k2, seq.c.source)
    from_end = total is not None and total - stop < start
    if from_end:
        assert total is not None
        keys_query = keys_query.order_by(*(c.desc() for c in order)).offset(max(0, total - stop))
    else:
        keys_query = keys_query.order_by(*order).offset(start)
    keys_query = keys_query.limit(stop - start)
    with engine.connect() as conn:
        keys = conn.execute(keys_query).all()
        version_keys = [(k1, k2) for _, k1, k2, source in keys if source == "v"]
        capture_ids = [k2 for _, _, k2, source in keys if source == "c"]
        by_version = _versions(conn, version_keys)
        by_capture = _captures(conn, capture_ids)
    out = []
    for _, k1, k2, source in keys if from_end else reversed(keys):
        entry = by_version.get((k1, k2)) if source == "v" else by_capture.get(k2)
        if entry is not None:
            out.append(entry)
    return out


def _json_list(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [str(x) for x in value] if isinstance(value, list) else []


def _versions(conn: Any, keys: list[tuple[str, int]]) -> dict[tuple[str, int], Entry]:
    if not keys:
        return {}
    v, a = t.versions, t.articles
    prev = v.alias("prev")
    found: dict[tuple[str, int], Entry] = {}
    # A few hundred keys at most (two pages): one query per article keeps the IN lists short.
    by_article: dict[str, list[int]] = {}
    for article_id, version in keys:
        by_article.setdefault(article_id, []).append(version)
    for article_id, numbers in by_article.items():
        query = (
            select(v.c.article_id, v.c.version, v.c.change, v.c.captured_at, v.c.record,
                   prev.c.record.label("previous"), a.c.site, a.c.url, a.c.title,
                   _search_docs.c.edit_types)
            .join(a, a.c.id == v.c.article_id)
            .outerjoin(prev, and_(prev.c.article_id == v.c.article_id,
                                  prev.c.version == v.c.version - 1))
            .outerjoin(_search_docs, and_(_search_docs.c.article_id == v.c.article_id,
                                          _search_docs.c.version == v.c.version))
            .where(v.c.article_id == article_id, v.c.version.in_(numbers))
        )  # fmt: skip
        for row in conn.execute(query):
            record = row.record if isinstance(row.record, dict) else {}
            captured = utc(row.captured_at) or EPOCH
            found[(row.article_id, row.version)] = Entry(
                kind=row.change, article_id=row.article_id, site=row.site, url=row.url,
                captured_at=captured, title=record.get("title") or row.title,
                version=row.version, changed_fields=_json_list(record.get("changed_fields")),
                edit_types=_json_list(row.edit_types), record=record,
                previous=row.previous if isinstance(row.previous, dict) else None,
                reverted_to=record.get("reverted_to") if isinstance(record.get("reverted_to"), int) else None,
            )  # fmt: skip
    return found


def _captures(conn: Any, ids: list[int]) -> dict[int, Entry]:
    if not ids:
        return {}
    c, a = t.captures, t.articles
    query = (select(c.c.id, c.c.article_id, c.c.fetched_at, c.c.outcome, c.c.error, c.c.url,
                    a.c.site, a.c.title)
             .join(a, a.c.id == c.c.article_id).where(c.c.id.in_(ids)))  # fmt: skip
    return {
        row.id: Entry(
            kind=row.outcome,
            article_id=row.article_id,
            site=row.site,
            url=row.url,
            captured_at=utc(row.fetched_at) or EPOCH,
            title=row.title,
            capture_id=row.id,
            detail=row.error,
        )  # fmt: skip
        for row in conn.execute(query)
    }


def article_exists(engine: Engine, article_id: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(select(t.articles.c.id).where(t.articles.c.id == article_id)).first()
            is not None
        )


def site_exists(engine: Engine, site: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(select(t.articles.c.id).where(t.articles.c.site == site).limit(1)).first()
            is not None
        )
