"""Reading the archive for the HTTP service: article lists, one article, recent changes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Text, and_, cast, exists, or_, select

from archive import catalog_schema as t
from archive.clock import iso_utc
from archive.outcomes import REEXTRACT
from archive.search_index import matching_articles

a, v = t.articles, t.versions


@dataclass
class ArticleFilter:
    site: str | None = None
    since: datetime | None = None  # a version captured at or after
    until: datetime | None = None  # a version captured at or before
    q: str | None = (
        None  # a search (archive/search_query.py) over every version's title, authors, text
    )


class BadCursor(ValueError):
    pass


def encode_cursor(changed_at: Any, article_id: str) -> str:
    # The exact instant (shown instants are to the second): pages never skip nor repeat.
    raw = json.dumps([iso_utc(changed_at, timespec="microseconds"), article_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MAX_CURSOR_LENGTH = 512


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """What `encode_cursor` made, or BadCursor for anything else (however deep, long or odd:
    a hand-made cursor must be a 400, never a 500)."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (
            isinstance(value, list) and len(value) == 2 and all(isinstance(x, str) for x in value)
        ):
            raise ValueError("not two strings")
        changed = datetime.fromisoformat(value[0])
        if changed.tzinfo is None:
            raise ValueError("no time zone")
        return changed, value[1]
    except (ValueError, TypeError, AttributeError, RecursionError, OverflowError, UnicodeError):
        raise BadCursor(f"not a cursor from this API: {cursor[:80]!r}") from None


def article_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "article_id": row["id"],
        "site": row["site"],
        "url": row["url"],
        "title": row["title"],
        "latest_version": row["latest_version"],
        "first_seen_at": iso_utc(row["first_seen_at"]),
        "last_changed_at": iso_utc(row["last_changed_at"]),
        "last_seen_at": iso_utc(row["last_seen_at"]),
        "links": {"api": f"/api/articles/{row['id']}", "page": f"/articles/{row['id']}"},
    }


def list_articles(engine: Engine, flt: ArticleFilter, *, limit: int, cursor: str | None = None,
                  after: tuple[datetime, str] | None = None) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """Articles that have versions, most recently changed first; (items, next cursor).
    `after`: a decoded `cursor` (BadCursor for a bad one)."""
    if cursor and after is None:
        after = decode_cursor(cursor)
    query = select(a).where(a.c.latest_version > 0)
    if flt.site:
        query = query.where(a.c.site == flt.site)
    window = [v.c.article_id == a.c.id]
    if flt.since:
        window.append(v.c.captured_at >= flt.since)
    if flt.until:
        window.append(v.c.captured_at <= flt.until)
    if flt.since or flt.until:
        query = query.where(exists().where(and_(*window)))
    if flt.q:
        # The search index, not a scan: the articles of the newest matching versions
        # (search_index.CANDIDATES of them), in this list's order.
        ids = matching_articles(engine, flt.q, site=flt.site, since=flt.since, until=flt.until)
        if not ids:
            return [], None
        query = query.where(a.c.id.in_(ids))
    if after is not None:
        changed, article_id = after
        query = query.where(or_(a.c.last_changed_at < changed,
                                and_(a.c.last_changed_at == changed, a.c.id < article_id)))  # fmt: skip
    query = query.order_by(a.c.last_changed_at.desc(), a.c.id.desc()).limit(limit + 1)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor(rows[-1]["last_changed_at"], rows[-1]["id"]) if more and rows else None
    )
    return [article_item(r) for r in rows], next_cursor


def version_summary(record: dict[str, Any]) -> dict[str, Any]:
    diff = record.get("diff") or {}
    return {
        "version": record["version"],
        "change": record.get("change"),
        "changed_fields": record.get("changed_fields") or [],
        "captured_at": record.get("captured_at"),
        "title": record.get("title"),
        "chars_added": diff.get("chars_added"),
        "chars_removed": diff.get("chars_removed"),
    }


@dataclass
class ChangeFilter:
    """Which versions the recent-changes page lists."""

    site: str | None = None
    edit_type: str | None = None  # one of archive.edit_types.EDIT_TYPES
    since: datetime | None = None  # captured at or after
    until: datetime | None = None  # captured at or before
    edits_only: bool = False  # leave out first versions


def encode_change_cursor(captured_at: Any, article_id: str, version: int) -> str:
    raw = json.dumps(
        [iso_utc(captured_at, timespec="microseconds"), article_id, int(version)]
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_change_cursor(cursor: str) -> tuple[datetime, str, int]:
    """What `encode_change_cursor` made, or BadCursor."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
                and isinstance(value[1], str) and type(value[2]) is int):  # fmt: skip
            raise ValueError("not a change cursor")
        at = datetime.fromisoformat(value[0])
        if at.tzinfo is None:
            raise ValueError("no time zone")
        return at, value[1], value[2]
    except (ValueError, TypeError, AttributeError, RecursionError, OverflowError, UnicodeError):
        raise BadCursor(f"not a cursor from this page: {cursor[:80]!r}") from None


def edit_types_of(row: dict[str, Any], record: dict[str, Any]) -> list[str] | None:
    """A version's edit types: its catalog column, else its record (None: not computed)."""
    types = row.get("edit_types")
    if types is None:
        types = record.get("edit_types")
    return list(types) if types is not None else None


def recent_changes(engine: Engine, *, limit: int = 50, site: str | None = None,
                   flt: ChangeFilter | None = None,
                   after: tuple[datetime, str, int] | None = None) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """The newest versions across the archive (the index page), newest first, one keyset
    page at a time (no OFFSET: a page costs the same however deep); (items, next cursor).
    Re-extractions (`change: reextract`) are left out: the newsroom changed nothing."""
    flt = flt or ChangeFilter(site=site)
    query = (select(v.c.article_id, v.c.version, v.c.change, v.c.captured_at, v.c.record, v.c.edit_types,
                    a.c.site, a.c.url, a.c.title.label("article_title"))
             .join(a, a.c.id == v.c.article_id).where(v.c.change != REEXTRACT))  # fmt: skip
    if flt.site:
        query = query.where(a.c.site == flt.site)
    if flt.since:
        query = query.where(v.c.captured_at >= flt.since)
    if flt.until:
        query = query.where(v.c.captured_at <= flt.until)
    if flt.edits_only:
        query = query.where(v.c.version > 1)
    if flt.edit_type:
        # The JSON list as text holds the quoted name (a closed vocabulary: no wildcards).
        query = query.where(cast(v.c.edit_types, Text).like(f'%"{flt.edit_type}"%'))
    if after is not None:
        at, article_id, number = after
        query = query.where(or_(
            v.c.captured_at < at,
            and_(v.c.captured_at == at, or_(v.c.article_id < article_id,
                                            and_(v.c.article_id == article_id, v.c.version < number)))))  # fmt: skip
    query = query.order_by(v.c.captured_at.desc(), v.c.article_id.desc(), v.c.version.desc())
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query.limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    out = []
    for row in rows:
        record = row["record"] or {}
        diff = record.get("diff") or {}
        out.append({"article_id": row["article_id"], "version": row["version"], "change": row["change"],
                    "captured_at": iso_utc(row["captured_at"]), "site": row["site"], "url": row["url"],
                    "title": record.get("title") or row["article_title"],
                    "authors": list(record.get("authors") or []),
                    "changed_fields": record.get("changed_fields") or [],
                    "edit_types": edit_types_of(row, record),
                    "chars_added": diff.get("chars_added"), "chars_removed": diff.get("chars_removed")})  # fmt: skip
    last = rows[-1] if rows else None
    cursor = (
        encode_change_cursor(last["captured_at"], last["article_id"], last["version"])
        if more and last
        else None
    )
    return out, cursor


def search_hit(hit: Any) -> dict[str, Any]:
    """A search result for the API: `archive.search_index.SearchHit` with its links."""
    data = hit.to_dict()
    data["links"] = {"api": f"/api/articles/{hit.article_id}/versions/{hit.version}",
                     "page": f"/articles/{hit.article_id}?to={hit.version}"}  # fmt: skip
    return data
