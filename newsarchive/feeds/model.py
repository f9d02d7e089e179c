"""What a feed document holds, whatever its format: its scope, page, links and items."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from archive.clock import iso_utc
from newsarchive.feeds.query import Scope

# Characters XML 1.0 cannot carry (lxml refuses them): archived text may hold any.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str | None) -> str:
    return _NOT_XML.sub("\ufffd", text or "")


def feed_path(scope: Scope, fmt: str) -> str:
    """The service path of a scope's feed: /feeds/changes.atom, /feeds/sites/S.json, …"""
    if scope.article_id is not None:
        return f"/feeds/articles/{quote(scope.article_id, safe='')}.{fmt}"
    if scope.site is not None:
        return f"/feeds/sites/{quote(scope.site, safe='')}.{fmt}"
    return f"/feeds/changes.{fmt}"


def static_name(stem: str, fmt: str, number: int | None) -> str:
    """The file of a static feed document: `changes.atom`, `changes.page-0.atom`."""
    return f"{stem}.{fmt}" if number is None else f"{stem}.page-{number}.{fmt}"


@dataclass
class FeedItem:
    id: str
    title: str
    link: str  # the service's diff page
    article_url: str  # the article on its site
    updated: datetime
    content_html: str
    categories: list[tuple[str, str]]  # (scheme name: change, edit-type, field; term)
    facts: dict[str, Any]

    @property
    def updated_iso(self) -> str:
        return iso_utc(self.updated) or ""


@dataclass
class FeedPage:
    """One document: the subscription document (`number` None) or archive page `number`."""

    scope: Scope
    base_url: str  # no trailing slash
    title: str
    description: str
    page_size: int
    number: int | None
    prev_page: int | None  # older archive page linked (`prev-archive`, JSON `next_url`)
    next_page: int | None  # newer archive page linked (`next-archive`)
    updated: datetime
    items: list[FeedItem] = field(default_factory=list)
    # Static files (`newsarchive feed --publish-url`): the pages are files named after the
    # subscription document's (`changes.atom`, `changes.page-3.atom`) under `publish_url`.
    publish_url: str | None = None
    static_stem: str | None = None

    @property
    def is_archive(self) -> bool:
        return self.number is not None

    @property
    def updated_iso(self) -> str:
        return iso_utc(self.updated) or ""

    @property
    def feed_id(self) -> str:
        """The same for the subscription document and its archive pages, whatever the base URL."""
        if self.scope.article_id is not None:
            what = f"article:{quote(self.scope.article_id, safe='')}"
        elif self.scope.site is not None:
            what = f"site:{quote(self.scope.site, safe='')}"
        else:
            what = "changes"
        kinds = self.scope.optional_kinds
        return f"urn:newsarchive:feed:{what}" + (f":include:{','.join(kinds)}" if kinds else "")

    @property
    def home_url(self) -> str:
        if self.scope.article_id is not None:
            return f"{self.base_url}/articles/{quote(self.scope.article_id, safe='')}"
        if self.scope.site is not None:
            return f"{self.base_url}/?{urlencode({'site': self.scope.site})}"
        return f"{self.base_url}/"

    def page_url(self, fmt: str, number: int | None) -> str:
        if self.publish_url is not None and self.static_stem is not None:
            return f"{self.publish_url}/{static_name(self.static_stem, fmt, number)}"
        params: dict[str, str] = {}
        if self.scope.optional_kinds:
            params["include"] = ",".join(self.scope.optional_kinds)
        if number is not None:
            params["page"] = str(number)
        query = urlencode(params, safe=",")
        return self.base_url + feed_path(self.scope, fmt) + (f"?{query}" if query else "")

    def current_url(self, fmt: str) -> str:
        return self.page_url(fmt, None)

    def self_url(self, fmt: str) -> str:
        return self.page_url(fmt, self.number)

    def scheme_url(self, name: str) -> str:
        return f"urn:newsarchive:{name}"
