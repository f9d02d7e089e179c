"""One feed document, ready to serve or write: the bytes, media type, ETag, Last-Modified.

Layout (RFC 5005 archived feeds, see query.py for the order and the horizon):
- archive page k (0 = oldest) holds the entries at positions k·N … k·N+N−1; it exists once
  full and settled, and never changes after, but for its `next-archive` link appearing
  when the next page fills;
- the subscription document holds the last full page and the partial page after it, newest
  first, and links (`prev-archive`) the page before those: following `prev-archive` from it
  reaches every entry exactly once.

Last-Modified is the moment the document last changed: the capture time of the newest
entry it holds (or whose page made it change) plus the settle time, when that entry
crossed the horizon. The ETag is a digest of the bytes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote

from sqlalchemy import Engine, select

from archive import catalog_schema as t
from newsarchive.feeds import atom, jsonfeed
from newsarchive.feeds.diff_html import change_html
from newsarchive.feeds.model import FeedItem, FeedPage
from newsarchive.feeds.query import EPOCH, Entry, Layout, Scope, entries, horizon_at, layout

FORMATS = {"atom": atom.MEDIA_TYPE, "json": jsonfeed.MEDIA_TYPE}
DEFAULT_PAGE_SIZE = 50
DEFAULT_SETTLE_SECONDS = 120.0

_KIND_TITLES = {"edit": "edited", "revert": "reverted", "new": "new article",
                "suspect": "text collapsed (suspect page)"}  # fmt: skip


class PageNotFound(LookupError):
    pass


class DocumentCache:
    """Built documents by what decides their content: a poll that finds the feed as it was
    costs the count of its entries, not the rendering of its diffs."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, FeedDocument] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> FeedDocument | None:
        with self._lock:
            doc = self._items.get(key)
            if doc is not None:
                self._items.move_to_end(key)
            return doc

    def put(self, key: Hashable, doc: FeedDocument) -> None:
        with self._lock:
            self._items[key] = doc
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass
class FeedDocument:
    body: bytes
    media_type: str
    etag: str  # quoted, strong
    last_modified: datetime
    pages: int = 0  # full archive pages of the feed

    @property
    def last_modified_http(self) -> str:
        return format_datetime(self.last_modified.replace(microsecond=0), usegmt=True)


def _title_of(entry: Entry) -> str:
    what = _KIND_TITLES.get(entry.kind, entry.kind)
    if entry.kind == "revert" and entry.reverted_to is not None:
        what = f"reverted to version {entry.reverted_to}"
    label = f"version {entry.version}, {what}" if entry.version is not None else what
    return f"{entry.title or entry.url} ({label})"


def _item(entry: Entry, base_url: str) -> FeedItem:
    article = f"{base_url}/articles/{quote(entry.article_id, safe='')}"
    if entry.version is not None and entry.version > 1:
        link = f"{article}?from={entry.version - 1}&to={entry.version}#diff"
    else:
        link = article
    if entry.record is not None:
        html = change_html(entry.record, entry.previous)
    else:
        from html import escape

        note = escape(entry.detail or "the extracted text collapsed; no version was recorded")
        html = f"<p>{note}</p>"
    categories = [("change", entry.kind)]
    categories += [("edit-type", e) for e in entry.edit_types]
    categories += [("field", f) for f in entry.changed_fields]
    facts = {
        "article_id": entry.article_id,
        "site": entry.site,
        "change": entry.kind,
        "version": entry.version,
        "capture_id": entry.capture_id,
        "reverted_to": entry.reverted_to,
        "changed_fields": entry.changed_fields,
        "edit_types": entry.edit_types,
        "captured_at": entry.captured_at.isoformat().replace("+00:00", "Z"),
    }
    return FeedItem(id=entry.entry_id, title=_title_of(entry), link=link, article_url=entry.url,
                    updated=entry.captured_at, content_html=html, categories=categories,
                    facts=facts)  # fmt: skip


def _article_title(engine: Engine, article_id: str) -> str:
    with engine.connect() as conn:
        row = conn.execute(
            select(t.articles.c.title, t.articles.c.url).where(t.articles.c.id == article_id)
        ).first()
    return (row.title or row.url) if row else article_id


def _at(engine: Engine, scope: Scope, lay: Layout, position: int) -> datetime | None:
    found = entries(engine, scope, lay.horizon, position, position + 1, lay.total)
    return found[0].captured_at if found else None


def build(engine: Engine, scope: Scope, fmt: str, *, base_url: str, page: int | None = None,
          page_size: int = DEFAULT_PAGE_SIZE, settle_seconds: float = DEFAULT_SETTLE_SECONDS,
          now: datetime | None = None, publish_url: str | None = None,
          static_stem: str | None = None, cache: DocumentCache | None = None) -> FeedDocument:  # fmt: skip
    """The subscription document (`page` None) or archive page `page` of `scope`; raises
    PageNotFound for a page not (yet) archived. `base_url`: the service (diff pages).
    `publish_url` and `static_stem`: the pages link each other as static files
    (model.static_name) under `publish_url`."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    base_url = base_url.rstrip("/")
    lay = layout(engine, scope, page_size, horizon_at(settle_seconds, now))
    settle = timedelta(seconds=settle_seconds)
    if page is None:
        start, stop = lay.subscription_start, lay.total
        prev, nxt = lay.subscription_prev, None
        changed_at = lay.newest_at
    else:
        if page < 0 or page >= lay.pages:
            raise PageNotFound(
                f"no archive page {page}: this feed has {lay.pages} full page(s) so far"
                + (f" (0…{lay.pages - 1})" if lay.pages else "")
            )
        start, stop = page * page_size, (page + 1) * page_size
        prev = page - 1 if page > 0 else None
        nxt = page + 1 if page + 1 < lay.pages else None
        changed_at = None
    # What decides the content besides the arguments: the settled entries (their number and
    # the newest) for the subscription document; whether the next page is full, for a page.
    state = (lay.total, lay.newest_at) if page is None else page + 1 < lay.pages
    key = (scope, fmt, base_url, page, page_size, settle_seconds, publish_url, static_stem, state)
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        return cached
    found = entries(engine, scope, lay.horizon, start, stop, lay.total)
    if page is not None:
        candidates = [e.captured_at for e in found]
        if nxt is not None:  # its next-archive link appeared when page + 1 filled
            filled = _at(engine, scope, lay, (page + 2) * page_size - 1)
            candidates += [filled] if filled else []
        changed_at = max(candidates) if candidates else None
    updated = changed_at + settle if changed_at is not None else EPOCH
    if scope.article_id is not None:  # as the newest entry shown has it (content follows entries)
        named = found[0].title if found and found[0].title else None
        title = f"newsarchive: changes to {named or _article_title(engine, scope.article_id)}"
    elif scope.site is not None:
        title = f"newsarchive: changes on {scope.site}"
    else:
        title = "newsarchive: changes"
    kinds = ", ".join(scope.kinds)
    description = f"New versions ({kinds}), newest first" + (
        f"; archive page {page} of the feed (oldest is 0)" if page is not None else ""
    )
    doc = FeedPage(scope=scope, base_url=base_url, title=title, description=description,
                   page_size=page_size, number=page, prev_page=prev, next_page=nxt,
                   updated=updated, items=[_item(e, base_url) for e in found],
                   publish_url=publish_url.rstrip("/") if publish_url else None,
                   static_stem=static_stem)  # fmt: skip
    body = atom.render(doc) if fmt == "atom" else jsonfeed.render(doc)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    built = FeedDocument(body, FORMATS[fmt], etag, updated, lay.pages)
    if cache is not None:
        cache.put(key, built)
    return built
