"""article ids from URLs with one spelling of their percent-encoding; no site_signals table

1. Article URLs are normalised with one spelling of their percent-encoding
   (archive/urls.py `normalize_path`, w3lib's canonicalize_url rule: `a%7Eb` is `a~b`,
   `%2f` is `%2F`, `é` is `%C3%A9`), and an article's id is derived from its normalised URL.
   Articles archived before were identified by the URL as spelt: this revision gives each
   article whose URL the rule spells otherwise the URL and id the rule gives now, and
   points its versions, captures and search-index entries at the new id (the JSON record
   of each version says the new `article_id` too). Other rows are left as they are.

   Where articles now share one id (the same story archived under two spellings), one row
   survives: the one that already has the new id, else the earliest seen among those with
   versions, else the earliest seen. A row without versions is merged into it (its captures
   re-pointed, first/last seen widened) and deleted. A row with versions of its own is NOT
   merged: versions are numbered per article and each records its diff from the previous
   one, so interleaving two histories would renumber versions and make their diffs and
   change types wrong. Such a row keeps its old id and URL, untouched, and stops being
   rechecked (`tracking` off: its URL now leads to the survivor, which receives every later
   capture); each is logged. Nothing archived is lost either way, and the upgrade never
   stops half-way on an archive with such pairs.

   Record files (records/*.jsonl) are never rewritten: their lines keep the id they were
   written with (archive/repair.py matches a line under both ids).

2. `site_signals` was read by exports but never written: it is dropped.

Downgrade re-creates `site_signals` (empty); ids stay as they are (the old spelling of a
merged URL is gone).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from archive.urls import article_id_for, normalize_url

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

_articles = sa.table(
    "articles",
    sa.column("id", sa.String),
    sa.column("url", sa.Text),
    sa.column("first_seen_at", sa.DateTime(timezone=True)),
    sa.column("last_seen_at", sa.DateTime(timezone=True)),
    sa.column("tracking", sa.Boolean),
)
_versions = sa.table(
    "versions",
    sa.column("article_id", sa.String),
    sa.column("version", sa.Integer),
    sa.column("record", sa.JSON),
)
_captures = sa.table("captures", sa.column("article_id", sa.String))
_search_docs = sa.table("search_docs", sa.column("article_id", sa.String))


def _earliest(row: dict[str, Any]) -> Any:
    return (row["first_seen_at"], row["id"])


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    has_search_docs = inspector.has_table("search_docs")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with_versions = {r[0] for r in conn.execute(sa.select(_versions.c.article_id).distinct()).all()}
    rows = conn.execute(
        sa.select(_articles.c.id, _articles.c.url, _articles.c.first_seen_at)
    ).mappings()
    for row in rows:
        new_url = normalize_url(row["url"])
        # A URL the rule leaves as it is keeps its row's id, whatever made that id.
        target = article_id_for(new_url) if new_url != row["url"] else row["id"]
        groups[target].append({**row, "new_url": new_url})
    full = sa.Table("articles", sa.MetaData(), autoload_with=conn)
    for new_id, members in groups.items():
        if all(m["url"] == m["new_url"] for m in members):
            continue  # one row, spelt as the rule spells it
        holder = [m for m in members if m["id"] == new_id]
        versioned = sorted((m for m in members if m["id"] in with_versions), key=_earliest)
        survivor = (holder or versioned or sorted(members, key=_earliest))[0]
        if survivor["id"] != new_id:
            _rename(conn, full, survivor["id"], new_id, survivor["new_url"], has_search_docs)
        elif survivor["url"] != survivor["new_url"]:
            conn.execute(_articles.update().where(_articles.c.id == new_id)
                         .values(url=survivor["new_url"]))  # fmt: skip
        for member in members:
            if member is survivor:
                continue
            if member["id"] in with_versions:
                conn.execute(_articles.update().where(_articles.c.id == member["id"])
                             .values(tracking=False))  # fmt: skip
                logger.warning("article %s (%s) is the same URL as article %s: kept apart with "
                               "its versions, no longer rechecked", member["id"], member["url"],
                               new_id)  # fmt: skip
            else:
                _merge_into(conn, member["id"], new_id)
    if inspector.has_table("site_signals"):
        op.drop_table("site_signals")


def _rename(conn: Any, full: sa.Table, old_id: str, new_id: str, new_url: str,
            has_search_docs: bool) -> None:  # fmt: skip
    """The article row under its new id and URL; everything that names it follows."""
    row = dict(conn.execute(sa.select(full).where(full.c.id == old_id)).mappings().one())
    conn.execute(full.insert().values({**row, "id": new_id, "url": new_url}))
    records = conn.execute(sa.select(_versions.c.version, _versions.c.record)
                           .where(_versions.c.article_id == old_id)).all()  # fmt: skip
    for version, record in records:
        if isinstance(record, dict):
            record = {**record, "article_id": new_id}
        conn.execute(_versions.update()
                     .where(_versions.c.article_id == old_id, _versions.c.version == version)
                     .values(article_id=new_id, record=record))  # fmt: skip
    conn.execute(_captures.update().where(_captures.c.article_id == old_id)
                 .values(article_id=new_id))  # fmt: skip
    if has_search_docs:
        conn.execute(_search_docs.update().where(_search_docs.c.article_id == old_id)
                     .values(article_id=new_id))  # fmt: skip
    conn.execute(full.delete().where(full.c.id == old_id))


def _merge_into(conn: Any, loser_id: str, survivor_id: str) -> None:
    """A row without versions folded into the survivor: its captures, its seen times."""
    a = _articles.c
    loser = conn.execute(sa.select(a.first_seen_at, a.last_seen_at)
                         .where(a.id == loser_id)).one()  # fmt: skip
    kept = conn.execute(sa.select(a.first_seen_at, a.last_seen_at)
                        .where(a.id == survivor_id)).one()  # fmt: skip
    conn.execute(_articles.update().where(a.id == survivor_id).values(
        first_seen_at=min(loser[0], kept[0]), last_seen_at=max(loser[1], kept[1])))  # fmt: skip
    conn.execute(_captures.update().where(_captures.c.article_id == loser_id)
                 .values(article_id=survivor_id))  # fmt: skip
    conn.execute(_articles.delete().where(a.id == loser_id))


def downgrade() -> None:
    op.create_table(
        "site_signals",
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site", "name"),
    )
