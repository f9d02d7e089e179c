"""The notifications outbox: events written with what they tell of, delivered later.

An event (`notify_events`) is inserted in the very transaction that records a version
(archive/versions.py) or a suspect capture, so a crash after the commit never loses one and
a rolled-back version never announces anything. Delivery happens elsewhere and later
(newsarchive/notify/runner.py, `newsarchive notify run`): the runner fans each new event
out into one `notify_deliveries` row per matching target (`dispatch`), then sends what is
due, recording every attempt (`notify_attempts`). The crawl never waits on a receiver.

Event ids (`evt_` + 12 hex digits of milliseconds, a sequence, random digits) sort by time and
are the Standard Webhooks `webhook-id`: the receiver's idempotency key.

A runner claims a delivery before sending it by moving its `next_attempt_at` forward by a
lease (`claim`): two runners never send it at once, and one killed mid-delivery leaves it
due again once the lease has passed (at-least-once: the receiver deduplicates by id).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from archive import catalog_schema as t
from archive import clock
from archive.event_types import (  # noqa: F401 - the outbox's vocabulary, re-exported
    EVENT_TYPES,
    SITE_HEALTHY,
    SITE_UNHEALTHY,
    SUSPECT_EVENT,
    TEST_EVENT,
    VERSION_EVENTS,
)

DIFF_EXCERPT_CHARS = 600  # of the unified diff, in a version event's payload
_INSERT_EVENT = insert(t.notify_events)


_last = [0, 0]  # the last id's milliseconds and sequence number in this process
_id_lock = threading.Lock()


def new_event_id(at: datetime | None = None) -> str:
    """`evt_` + milliseconds (12 hex digits) + a sequence number within the millisecond (4)
    + 48 random bits: unique, and ordered by creation within a process."""
    millis = int((at or clock.now()).timestamp() * 1000)
    with _id_lock:
        if millis <= _last[0]:
            millis, seq = _last[0], _last[1] + 1
        else:
            seq = 0
        _last[:] = [millis, seq]
    return f"evt_{millis:012x}{seq:04x}{secrets.token_hex(6)}"


def events_wanted(notify: Any) -> bool:
    """Version events are written only when someone will receive them: `[notify]` (the
    loaded table, archive/notify_config.py) names at least one webhook or channel.
    (Site-health events are always written: rare, and shown by `newsarchive runs`.)"""
    return bool(getattr(notify, "webhooks", None) or getattr(notify, "channels", None))


def write_event(conn: Connection, type_: str, payload: Mapping[str, Any], *, site: str | None = None,
                article_id: str | None = None, version: int | None = None,
                at: datetime | None = None, fast: Any = None) -> str:  # fmt: skip
    """Insert one event inside the caller's transaction; returns its id. `fast`: the
    catalog's FastStatements (the crawl's hot path on SQLite)."""
    moment = at or clock.now()
    event_id = new_event_id(moment)
    row = {"id": event_id, "type": type_, "created_at": moment, "site": site,
           "article_id": article_id, "version": version, "payload": dict(payload)}  # fmt: skip
    if fast is not None:
        fast.write(conn, _INSERT_EVENT, row)
    else:
        conn.execute(_INSERT_EVENT, row)
    return event_id


def _excerpt(unified: str | None, limit: int = DIFF_EXCERPT_CHARS) -> str:
    """The changed lines of a unified diff (no headers), cut at `limit` characters."""
    lines = [
        line
        for line in (unified or "").splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    text = "\n".join(lines)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def version_payload(record: Mapping[str, Any], edit_types: Iterable[str],
                    previous_record: Mapping[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """What a `version.*` event says: the article, the version, the change class, the edit
    types (archive/edit_types.py), the changed fields and a short diff."""
    diff = record.get("diff") or {}
    payload: dict[str, Any] = {
        "article_id": record.get("article_id"), "site": record.get("site"),
        "url": record.get("url"), "canonical_url": record.get("canonical_url"),
        "version": record.get("version"), "change": record.get("change"),
        "edit_types": list(edit_types), "changed_fields": list(record.get("changed_fields") or []),
        "title": record.get("title"), "captured_at": record.get("captured_at"),
        "run_id": record.get("run_id"),
    }  # fmt: skip
    if previous_record is not None and previous_record.get("title") != record.get("title"):
        payload["previous_title"] = previous_record.get("title")
    if record.get("reverted_to") is not None:
        payload["reverted_to"] = record["reverted_to"]
    if diff:
        payload["diff"] = {k: diff.get(k) for k in ("from_version", "chars_added", "chars_removed",
                                                     "paragraphs_added", "paragraphs_removed")}  # fmt: skip
        payload["diff"]["excerpt"] = _excerpt(diff.get("unified"))
    return payload


class Outbox:
    """The outbox tables of one catalog, for the delivering side (and `notify log`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- fan-out ---------------------------------------------------------------------------
    def dispatch(self, targets_of: Callable[[dict[str, Any]], list[str]], *,
                 limit: int = 1000, at: datetime | None = None) -> int:  # fmt: skip
        """Give each event not yet dispatched one pending delivery per target that wants it
        (`targets_of(event)` → target names) and mark it dispatched, in one transaction per
        batch. Returns the number of deliveries created."""
        try:
            return self._dispatch(targets_of, limit, at or clock.now())
        except IntegrityError:  # another runner dispatched the same events first (SQLite)
            return 0

    def _dispatch(self, targets_of: Callable[[dict[str, Any]], list[str]], limit: int,
                  now: datetime) -> int:  # fmt: skip
        e, d = t.notify_events.c, t.notify_deliveries
        created = 0
        with self.engine.begin() as conn:
            # PostgreSQL: rows another runner is dispatching are skipped, not waited for.
            rows = conn.execute(
                select(t.notify_events).where(e.dispatched_at.is_(None)).order_by(e.id).limit(limit)
                .with_for_update(skip_locked=True)
            ).mappings().all()  # fmt: skip
            if not rows:
                return 0
            deliveries = [
                {"event_id": row["id"], "target": target, "state": "pending", "attempts": 0,
                 "next_attempt_at": now}
                for row in rows for target in dict.fromkeys(targets_of(dict(row)))
            ]  # fmt: skip
            if deliveries:
                conn.execute(insert(d), deliveries)
                created = len(deliveries)
            conn.execute(
                update(t.notify_events).where(e.id.in_([r["id"] for r in rows])).values(dispatched_at=now)
            )  # fmt: skip
        return created

    # -- delivering ------------------------------------------------------------------------
    def due(self, *, at: datetime | None = None, target: str | None = None,
            limit: int = 500) -> list[dict[str, Any]]:  # fmt: skip
        """Pending deliveries whose time has come, oldest event first, each with its event."""
        now = at or clock.now()
        d, e = t.notify_deliveries.c, t.notify_events.c
        query = (
            select(
                d.id,
                d.event_id,
                d.target,
                d.attempts,
                d.next_attempt_at,
                e.type,
                e.created_at,
                e.site,
                e.article_id,
                e.version,
                e.payload,
            )  # fmt: skip
            .join_from(t.notify_deliveries, t.notify_events, d.event_id == e.id)
            .where(d.state == "pending", or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now))
            .order_by(d.event_id, d.id)
            .limit(limit)
        )
        if target is not None:
            query = query.where(d.target == target)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def next_due_at(self) -> datetime | None:
        """When the earliest pending delivery is due (None: nothing pending)."""
        d = t.notify_deliveries.c
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.min(d.next_attempt_at)).where(d.state == "pending")
            ).scalar()

    def claim(
        self, ids: Iterable[int], lease_seconds: float, *, at: datetime | None = None
    ) -> list[int]:
        """Take these due deliveries for `lease_seconds` (their next attempt moves past the
        lease); returns the ids this runner got. A runner killed while sending leaves them
        due again when the lease ends."""
        now = at or clock.now()
        d = t.notify_deliveries.c
        got = []
        with self.engine.begin() as conn:
            for delivery_id in ids:
                result = conn.execute(
                    update(t.notify_deliveries)
                    .where(
                        d.id == delivery_id,
                        d.state == "pending",
                        or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now),
                    )  # fmt: skip
                    .values(next_attempt_at=now + timedelta(seconds=lease_seconds))
                )
                if result.rowcount == 1:
                    got.append(delivery_id)
        return got

    def record(self, delivery_ids: Iterable[int], *, ok: bool, status: int | None, error: str | None,
               duration_ms: int, at: datetime | None = None, retry_at: datetime | None = None,
               digest_size: int | None = None) -> None:  # fmt: skip
        """Record one attempt for each delivery (a digest message: one attempt per event it
        held) and its consequence: delivered; pending again at `retry_at`; or failed for
        good (`ok` false and no `retry_at`)."""
        now = at or clock.now()
        ids = list(delivery_ids)
        if not ids:
            return
        d = t.notify_deliveries.c
        with self.engine.begin() as conn:
            conn.execute(insert(t.notify_attempts), [
                {"delivery_id": i, "attempted_at": now, "status": status, "error": error,
                 "duration_ms": duration_ms, "digest_size": digest_size} for i in ids
            ])  # fmt: skip
            values: dict[str, Any] = {"attempts": d.attempts + 1, "last_error": error}
            if ok:
                values.update(state="delivered", delivered_at=now, next_attempt_at=None)
            elif retry_at is not None:
                values.update(next_attempt_at=retry_at)
            else:
                values.update(state="failed", next_attempt_at=None)
            conn.execute(update(t.notify_deliveries).where(d.id.in_(ids)).values(**values))

    # -- reading ---------------------------------------------------------------------------
    def log(self, *, limit: int = 50, target: str | None = None,
            event_type: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """The newest attempts first: time, target, event, HTTP status, error, duration."""
        a, d, e = t.notify_attempts.c, t.notify_deliveries.c, t.notify_events.c
        query = (
            select(
                a.attempted_at,
                d.target,
                d.event_id,
                e.type,
                e.site,
                e.article_id,
                e.version,
                a.status,
                a.error,
                a.duration_ms,
                a.digest_size,
                d.state,
                d.attempts,
            )  # fmt: skip
            .join_from(t.notify_attempts, t.notify_deliveries, a.delivery_id == d.id)
            .join(t.notify_events, d.event_id == e.id)
            .order_by(a.attempted_at.desc(), a.id.desc())
            .limit(limit)
        )
        if target is not None:
            query = query.where(d.target == target)
        if event_type is not None:
            query = query.where(e.type == event_type)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def counts(self) -> dict[str, int]:
        """Deliveries by state, and events not yet dispatched (`undispatched`)."""
        d, e = t.notify_deliveries.c, t.notify_events.c
        with self.engine.connect() as conn:
            states = {
                s: n for s, n in conn.execute(select(d.state, func.count()).group_by(d.state))
            }
            states["undispatched"] = conn.execute(
                select(func.count()).select_from(t.notify_events).where(e.dispatched_at.is_(None))
            ).scalar_one()
        return states

    def events(self, *, types: Iterable[str] | None = None, site: str | None = None,
               limit: int = 50) -> list[dict[str, Any]]:  # fmt: skip
        """The newest events first (optionally of these types, of this site)."""
        e = t.notify_events.c
        query = select(t.notify_events).order_by(e.created_at.desc(), e.id.desc()).limit(limit)
        conditions: list[Any] = []
        if types is not None:
            conditions.append(e.type.in_(list(types)))
        if site is not None:
            conditions.append(e.site == site)
        if conditions:
            query = query.where(and_(*conditions))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]
