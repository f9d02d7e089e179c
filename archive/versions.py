"""Version tracking: decide what a capture means for its article, then record it.

Outcomes of a capture whose page was extracted:
- `new`: first version of a new article;
- `edit`: content differs from the latest version (a new version);
- `revert`: content equals an earlier, non-latest version (a new version, `reverted_to`);
- `unchanged`: same content as the latest version;
- `timestamp-only`: same content, only the page's `modified_at` moved (no version);
- `suspect`: the text collapsed (shrank by more than half or below a minimum) and a second
  fetch confirmed it: recorded, no version. `suspect-retry` asks the caller to fetch again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache, partial
from typing import Any

from sqlalchemy import bindparam, insert, update

from archive import catalog_schema as t
from archive import clock
from archive.catalog import Catalog
from archive.clock import utc
from archive.content import content_hash, normalize_authors, normalize_text
from archive.dates import record_precision, same_date
from archive.diffs import text_diff
from archive.exchange import RecordLocation
from archive.outbox import SUSPECT_EVENT, VERSION_EVENTS, version_payload, write_event
from archive.recheck import DEFAULT as DEFAULT_LADDER
from archive.recheck import RecheckLadder
from archive.records import JsonRecord
from archive.search_index import IndexedVersion, document, write_documents

VERSIONED_OUTCOMES = ("new", "edit", "revert")
_INSERT_ARTICLE = insert(t.articles)
_INSERT_VERSION = insert(t.versions)
_UPDATE_ARTICLE = update(t.articles).where(t.articles.c.id == bindparam("_id"))
_UPDATE_CAPTURE = update(t.captures).where(t.captures.c.id == bindparam("_id"))
_SEEN_AGAIN = update(t.articles).where(t.articles.c.id == bindparam("_id"))
_CHECKED = update(t.articles).where(t.articles.c.id == bindparam("_id"))
TRACKED_FIELDS = ("title", "authors", "text", "published_at", "modified_at")


@cache
def _insert_article_pg() -> Any:
    """Two workers may see a new article at once: the second insert waits for the first and
    does nothing. (Imported on first use: the PostgreSQL dialect costs ~40 ms of start-up.)"""
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert(t.articles).on_conflict_do_nothing(index_elements=["id"])


@dataclass
class Observation:
    """One successful extraction of an article page."""

    article_id: str
    site: str
    url: str
    normalized_url: str
    captured_at: datetime
    fields: dict[
        str, Any
    ]  # title, authors, text, language, section, published_at, modified_at, dates_source, canonical_url
    capture_id: int | None = None
    response: RecordLocation | None = None
    run_id: str | None = None
    retried: bool = False  # this is the confirming second fetch of a suspect page
    # The address policy this page was fetched under (AddressPolicy.spec); a new article
    # keeps it for good: its rechecks never fetch under a wider one.
    address_policy: str | None = None
    # The diff from the latest version, computed beforehand off the crawl's reactor thread
    # (pipelines/tracking.py): (that version's number, its text_diff). Used when the latest
    # version is still that one when the decision is made; computed here otherwise.
    diff_hint: tuple[int, dict[str, Any]] | None = None
    # `content.tracking_digests` of `fields` when the extraction worker computed them
    # (pipelines/extractor_pool.py): the content hash and the search words.
    content_sha256: str | None = None
    search_terms: list[str] | None = None


@dataclass
class Decision:
    outcome: str
    article_id: str
    version: int | None = None
    change: str | None = None
    changed_fields: list[str] = field(default_factory=list)
    reverted_to: int | None = None
    content_sha256: str = ""
    record: dict[str, Any] | None = None
    previous_version: int | None = None
    detail: str | None = None
    previous_record: dict[str, Any] | None = (
        None  # the version before (search indexing aligns with it)
    )
    # What the search index holds for the version (its edit types are the record's),
    # computed once when the record is made and written in the version's transaction.
    indexed: IndexedVersion | None = None

    @property
    def makes_version(self) -> bool:
        return self.outcome in VERSIONED_OUTCOMES


def extractor_columns(extractor: dict[str, Any] | None) -> dict[str, Any]:
    """A record's `extractor` (pipelines/extract/provenance.py) as the `versions` columns."""
    extractor = extractor or {}
    return {
        "extractor_parser": extractor.get("parser"),
        "extractor_rules": extractor.get("rules"),
        "extractor_version": extractor.get("newsarchive"),
        "trafilatura_version": extractor.get("trafilatura"),
    }


def diff_from(version: int, old_text: str | None, new_text: str | None) -> dict[str, Any]:
    """The `diff` of the version after `version` (bounded work: archive/diffs.py)."""
    return text_diff(old_text, new_text, from_version=version,
                     from_label=f"version {version}", to_label=f"version {version + 1}")  # fmt: skip


def _changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changed = []
    for name in TRACKED_FIELDS:
        a: Any
        b: Any
        if name == "authors":
            a, b = normalize_authors(old.get("authors")), normalize_authors(new.get("authors"))
        elif name in ("published_at", "modified_at"):
            if same_date(old.get(name), new.get(name)):
                continue
            a, b = old.get(name), new.get(name)
        else:
            a, b = normalize_text(old.get(name)), normalize_text(new.get(name))
        if a != b:
            changed.append(name)
    return changed


def extracted_fields(f: dict[str, Any]) -> dict[str, Any]:
    """The fields of a version record that the extractor made, from its result `f`, in the
    record's order: what a crawl and a re-extraction (archive/reextract.py) both record."""
    return {
        "title": f.get("title"),
        "authors": list(f.get("authors") or []),
        "text": f.get("text") or "",
        "language": f.get("language"),
        "section": f.get("section"),
        "published_at": f.get("published_at"),
        "modified_at": f.get("modified_at"),
        "dates_source": dict(f.get("dates_source") or {}),
        "dates_precision": record_precision(f),  # archive/dates.py: "second" or "day"
    }


class VersionTracker:
    """Compares an observation with the article's versions in the catalog and records the result.

    `min_text_chars` and `collapse_ratio` define a collapsed extraction (`suspect`).
    `events`: write the notification events (archive/outbox.py) in the version's
    transaction (`version.new`/`edit`/`revert`, `capture.suspect`).
    """

    def __init__(self, catalog: Catalog, *, ladder: RecheckLadder = DEFAULT_LADDER,
                 min_text_chars: int = 100, collapse_ratio: float = 0.5,
                 events: bool = False) -> None:  # fmt: skip
        self.catalog = catalog
        self.events = events
        self.ladder = ladder
        self.min_text_chars = min_text_chars
        self.collapse_ratio = collapse_ratio
        self._vocabulary: set[str] = set()  # words committed to search_vocab by this tracker

    def decide(self, obs: Observation) -> Decision:
        """What this observation is; reads the catalog, writes nothing."""
        f = obs.fields
        digest = obs.content_sha256 or content_hash(f.get("title"), f.get("authors"), f.get("text"))
        versions = self.catalog.versions(obs.article_id)
        if not versions:
            return self._versioned(obs, "new", 1, digest, None, [], None)
        latest = versions[-1]
        latest_record = latest["record"]
        if digest == latest["content_sha256"]:
            # The article row follows timestamp-only changes; the version record does not.
            article = self.catalog.article(obs.article_id)
            known_modified = article["modified_at"] if article else latest_record.get("modified_at")
            if f.get("modified_at") and not same_date(f.get("modified_at"), known_modified):
                return Decision("timestamp-only", obs.article_id, content_sha256=digest,
                                previous_version=latest["version"])  # fmt: skip
            return Decision("unchanged", obs.article_id, content_sha256=digest,
                            previous_version=latest["version"])  # fmt: skip
        old_len = len(normalize_text(latest_record.get("text")))
        new_len = len(normalize_text(f.get("text")))
        collapsed = new_len < old_len * self.collapse_ratio or (
            new_len < self.min_text_chars <= old_len
        )
        if collapsed:
            detail = f"text shrank from {old_len} to {new_len} characters"
            outcome = "suspect" if obs.retried else "suspect-retry"
            return Decision(outcome, obs.article_id, content_sha256=digest,
                            previous_version=latest["version"], detail=detail)  # fmt: skip
        earlier = next((v for v in versions[:-1] if v["content_sha256"] == digest), None)
        changed = _changed(latest_record, f)
        if earlier is not None:
            return self._versioned(obs, "revert", latest["version"] + 1, digest, latest, changed,
                                   earlier["version"])  # fmt: skip
        return self._versioned(obs, "edit", latest["version"] + 1, digest, latest, changed, None)

    def _versioned(
        self,
        obs: Observation,
        change: str,
        version: int,
        digest: str,
        previous: dict[str, Any] | None,
        changed: list[str],
        reverted_to: int | None,
    ) -> Decision:
        f = obs.fields
        record: dict[str, Any] = {
            "article_id": obs.article_id,
            "site": obs.site,
            "url": obs.url,
            "canonical_url": f.get("canonical_url"),
            "version": version,
            "change": change,
            "changed_fields": [c for c in changed if c in ("title", "authors", "text")]
            if change != "new" else [],
            **extracted_fields(f),
            "captured_at": clock.iso_utc(obs.captured_at),
            "content_sha256": digest,
            "warc": obs.response.to_dict() if obs.response else None,
            "run_id": obs.run_id,
            "extractor": dict(f["extractor"]) if f.get("extractor") else None,
        }  # fmt: skip
        if change != "new":
            record["changed_dates"] = [c for c in changed if c in ("published_at", "modified_at")]
        if reverted_to is not None:
            record["reverted_to"] = reverted_to
        if previous is not None:
            hint = obs.diff_hint
            if hint is not None and hint[0] == previous["version"]:
                record["diff"] = hint[1]
            else:
                record["diff"] = diff_from(
                    previous["version"], previous["record"].get("text"), f.get("text")
                )
        # The search index's document aligns the edit and types it: the record keeps those
        # types, and the same document is indexed when the version is written (_write).
        indexed = document(
            obs.article_id, version, record, previous["record"] if previous else None,
            captured_at=obs.captured_at,
            vocabulary=getattr(self.catalog, "dialect", "sqlite") == "sqlite", terms=obs.search_terms,
        )  # fmt: skip
        record["edit_types"] = list(indexed.edit_types)
        return Decision(change, obs.article_id, version=version, change=change,
                        changed_fields=record["changed_fields"], reverted_to=reverted_to,
                        content_sha256=digest, record=JsonRecord(record),
                        previous_version=previous["version"] if previous else None,
                        previous_record=previous["record"] if previous else None,
                        indexed=indexed)  # fmt: skip

    def _next_check(self, last_changed_at: datetime | None, at: datetime) -> datetime | None:
        return self.ladder.next_check(utc(last_changed_at) or at, at)

    def seen_again(self, article: dict[str, Any]) -> None:
        """An article seen unchanged (its row already read): last seen now, next check by the ladder."""
        at = clock.now()
        with self.catalog.begin() as conn:
            self.catalog.fast.write(conn, _SEEN_AGAIN, {
                "_id": article["id"], "last_seen_at": at,
                "next_check_at": self._next_check(article["last_changed_at"], at),
            })  # fmt: skip

    def checked(self, article_id: str) -> None:
        """A known article was fetched but gave no content (an error, a soft 404, a suspect
        page): it is checked again by the ladder, not on every run."""
        with self.catalog.begin() as conn:
            article = self.catalog.article(article_id, conn)
            if article is None:
                return
            at = clock.now()
            self.catalog.fast.write(conn, _CHECKED, {
                "_id": article_id, "next_check_at": self._next_check(article["last_changed_at"], at),
            })  # fmt: skip

    def commit(self, obs: Observation, decision: Decision) -> Decision:
        """Record the decision: version row, article state and capture outcome, in one transaction.

        The WARC records it points at must already be flushed (the writer does so).
        Statements take their values as parameters: built once, compiled once (hot path).

        Returns the decision recorded: on PostgreSQL several workers share the catalog, and
        another one may have recorded a version of the same article since `decide`. The
        primary key (article_id, version) lets only one of them have a given version: the
        loser's SAVEPOINT is rolled back (only this page, not the batch it is part of),
        it decides again with what the winner committed (same content: `unchanged`) and
        records that.
        """
        if getattr(self.catalog, "dialect", "sqlite") != "postgresql":
            with self.catalog.begin() as conn:
                self._write(conn, obs, decision)
            return decision
        from sqlalchemy.exc import DBAPIError, IntegrityError

        with self.catalog.begin() as conn:
            for attempt in range(8):
                try:
                    with conn.begin_nested():
                        self._write(conn, obs, decision)
                    return decision
                except DBAPIError as exc:
                    # unique violation (23505) or a deadlock between two batches (40P01)
                    code = getattr(exc.orig, "sqlstate", None)
                    if not isinstance(exc, IntegrityError) and code != "40P01" or attempt == 7:
                        raise
                decision = self.decide(obs)
                if decision.outcome == "suspect-retry":
                    decision.outcome = "suspect"
        return decision  # pragma: no cover

    def _unlisted_words(self, doc: IndexedVersion) -> IndexedVersion:
        """`doc` with only the words that this tracker's earlier versions have not listed in
        SQLite's search_vocab (a version has ~500; after the first pages of a crawl most are
        listed). A word counts as listed once the batch that inserted it is committed: a
        batch rolled back takes its words with it and they are inserted again later."""
        listed = self._vocabulary
        fresh = [w for w in doc.terms if w not in listed]
        if len(listed) > 1_000_000:  # bounded memory on a very long run
            listed.clear()
        self.catalog.after_commit(partial(listed.update, fresh))
        return replace(doc, terms=fresh)

    def _write(self, conn: Any, obs: Observation, decision: Decision) -> None:
        f = obs.fields
        now = clock.now()
        response = obs.response
        fast = self.catalog.fast
        postgres = conn.dialect.name == "postgresql"
        article = self.catalog.article(obs.article_id, conn)
        last_changed = (
            now if decision.makes_version else utc(article["last_changed_at"]) if article else now
        )
        values: dict[str, Any] = {"last_seen_at": now, "fetch_url": obs.url,
                                  "next_check_at": self._next_check(last_changed, now)}  # fmt: skip
        if decision.makes_version:
            values.update(
                latest_version=decision.version, last_changed_at=now, title=f.get("title"),
                published_at=f.get("published_at"), modified_at=f.get("modified_at"),
            )  # fmt: skip
        elif decision.outcome == "timestamp-only":
            values["modified_at"] = f.get("modified_at")
        if article is None:
            # A new article's row is inserted in its final state. On PostgreSQL another
            # worker may insert it first (the insert then does nothing): update it below.
            fast.write(conn, _insert_article_pg() if postgres else _INSERT_ARTICLE, {
                "id": obs.article_id, "site": obs.site, "url": obs.normalized_url,
                "first_seen_at": now, "last_changed_at": now, "latest_version": 0,
                "title": f.get("title"), "tracking": True,
                "published_at": f.get("published_at"), "modified_at": f.get("modified_at"),
                "address_policy": obs.address_policy,
                **values,
            })  # fmt: skip
        if decision.makes_version:
            assert decision.record is not None and decision.version is not None
            fast.write(conn, _INSERT_VERSION, {
                "article_id": obs.article_id, "version": decision.version,
                "content_sha256": decision.content_sha256, "change": decision.change,
                "captured_at": obs.captured_at, "capture_id": obs.capture_id, "run_id": obs.run_id,
                "warc_filename": response.filename if response else None,
                "warc_offset": response.offset if response else None,
                "warc_length": response.length if response else None,
                "warc_record_id": response.record_id if response else None,
                "record": decision.record,
                "edit_types": decision.record.get("edit_types"),
                **extractor_columns(decision.record.get("extractor")),
            })  # fmt: skip
            # The search index follows the version, in this transaction.
            indexed = decision.indexed
            if indexed is None:
                indexed = document(obs.article_id, decision.version, decision.record,
                                   decision.previous_record, captured_at=obs.captured_at,
                                   vocabulary=not postgres)  # fmt: skip
            if indexed.terms and getattr(self.catalog, "batching", False):
                indexed = self._unlisted_words(indexed)
            write_documents(conn, [indexed])
            if self.events:  # the outbox: the event commits (or rolls back) with the version
                write_event(conn, VERSION_EVENTS[decision.outcome],
                            version_payload(decision.record, indexed.edit_types, decision.previous_record),
                            site=obs.site, article_id=obs.article_id, version=decision.version,
                            at=now, fast=fast)  # fmt: skip
        elif decision.outcome == "suspect" and self.events:
            write_event(conn, SUSPECT_EVENT, {
                "article_id": obs.article_id, "site": obs.site, "url": obs.url,
                "title": f.get("title"), "detail": decision.detail,
                "latest_version": decision.previous_version, "captured_at": clock.iso_utc(obs.captured_at),
                "run_id": obs.run_id,
            }, site=obs.site, article_id=obs.article_id, version=decision.previous_version,
                at=now, fast=fast)  # fmt: skip
        if article is not None or postgres:
            fast.write(conn, _UPDATE_ARTICLE, {**values, "_id": obs.article_id})
        if obs.capture_id is not None:
            fast.write(conn, _UPDATE_CAPTURE, {
                "_id": obs.capture_id, "outcome": decision.outcome, "article_id": obs.article_id,
                "version": decision.version or decision.previous_version, "error": decision.detail,
            })  # fmt: skip
