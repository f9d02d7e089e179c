"""Reading the archive for the HTTP service: article lists, one article, recent changes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, exists, func, or_, select

from archive import catalog_schema as t
from archive.catalog import utc
from archive.outcomes import REEXTRACT

a, v = t.articles, t.versions


def iso(value: Any) -> str | None:
    value = utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


@dataclass
class ArticleFilter:
    site: str | None = None
    since: datetime | None = None  # a version captured at or after
    until: datetime | None = None  # a version captured at or before
    q: str | None = None  # in the title, or the text of any version (case-insensitive)


class BadCursor(ValueError):
    pass


def encode_cursor(changed_at: Any, article_id: str) -> str:
    raw = json.dumps([iso(changed_at), article_id]).encode()
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


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Case-insensitive search means the same on both backends: PostgreSQL's lower() follows the
# database's locale (every letter with a UTF-8 one), SQLite's only knows A-Z, so on SQLite
# the query lower-cases with Python's str.lower, registered on the connection that runs it.
_SQLITE_LOWER = "newsarchive_lower"


def _lower_function(engine: Engine) -> Any:
    return getattr(func, _SQLITE_LOWER) if engine.dialect.name == "sqlite" else func.lower


def _py_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _prepare(conn: Any) -> None:
    if conn.dialect.name == "sqlite":
        conn.connection.driver_connection.create_function(
            _SQLITE_LOWER, 1, _py_lower, deterministic=True
        )


def article_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "article_id": row["id"],
        "site": row["site"],
        "url": row["url"],
        "title": row["title"],
        "latest_version": row["latest_version"],
        "first_seen_at": iso(row["first_seen_at"]),
        "last_changed_at": iso(row["last_changed_at"]),
        "last_seen_at": iso(row["last_seen_at"]),
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
        pattern = _like(flt.q)
        lower = _lower_function(engine)
        text = lower(v.c.record["text"].as_string())
        query = query.where(or_(
            lower(a.c.title).like(pattern, escape="\\"),
            exists().where(and_(v.c.article_id == a.c.id, text.like(pattern, escape="\\"))),
        ))  # fmt: skip
    if after is not None:
        changed, article_id = after
        query = query.where(or_(a.c.last_changed_at < changed,
                                and_(a.c.last_changed_at == changed, a.c.id < article_id)))  # fmt: skip
    query = query.order_by(a.c.last_changed_at.desc(), a.c.id.desc()).limit(limit + 1)
    with engine.connect() as conn:
        _prepare(conn)
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


def recent_changes(
    engine: Engine, *, limit: int = 50, site: str | None = None
) -> list[dict[str, Any]]:
    """The newest versions across the archive (the index page), newest first. Re-extractions
    (`change: reextract`) are left out: the newsroom changed nothing."""
    query = (select(v.c.article_id, v.c.version, v.c.change, v.c.captured_at, v.c.record, a.c.site, a.c.url,
                    a.c.title.label("article_title"))
             .join(a, a.c.id == v.c.article_id).where(v.c.change != REEXTRACT)
             .order_by(v.c.captured_at.desc(), v.c.article_id, v.c.version.desc()).limit(limit))  # fmt: skip
    if site:
        query = query.where(a.c.site == site)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    out = []
    for row in rows:
        diff = row["record"].get("diff") or {}
        out.append({"article_id": row["article_id"], "version": row["version"], "change": row["change"],
                    "captured_at": iso(row["captured_at"]), "site": row["site"], "url": row["url"],
                    "title": row["record"].get("title") or row["article_title"],
                    "changed_fields": row["record"].get("changed_fields") or [],
                    "chars_added": diff.get("chars_added"), "chars_removed": diff.get("chars_removed")})  # fmt: skip
    return out
