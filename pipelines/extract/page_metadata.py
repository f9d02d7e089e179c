"""Page-level metadata any site may carry: language, canonical URL, JSON-LD, ``<meta>`` tags."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from lxml.html import HtmlElement

from .dates import parse_machine_datetime
from .html_tree import collapse_whitespace

# schema.org types whose datePublished/dateModified describe the page's story.
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "AnalysisNewsArticle",
        "ReportageNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "LiveBlogPosting",
        "BlogPosting",
        "Report",
        "WebPage",
    }
)

# <meta> keys (property, name or itemprop; lowercased) that carry each date, best first.
META_DATE_KEYS: dict[str, tuple[str, ...]] = {
    "published_at": (
        "article:published_time",
        "datepublished",
        "og:published_time",
        "pubdate",
        "publishdate",
        "parsely-pub-date",
        "sailthru.date",
        "dc.date.issued",
        "dcterms.created",
        "dc.date",
        "date",
    ),
    "modified_at": (
        "article:modified_time",
        "datemodified",
        "og:updated_time",
        "lastmod",
        "dcterms.modified",
        "last-modified",
    ),
}

_LANGUAGE_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")


def html_language(tree: HtmlElement, meta: dict[str, str]) -> str | None:
    """Return the primary language subtag, lowercased ("en-US" → "en"), or None.

    Looks at ``<html lang>``, then ``<meta http-equiv="content-language">``, then
    ``og:locale``.
    """
    candidates = (
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        tree.get("xml:lang"),
        meta.get("content-language"),
        meta.get("og:locale"),
    )
    for value in candidates:
        if value:
            match = _LANGUAGE_TAG.match(value.split(",", 1)[0])
            if match:
                return match.group(1).lower()
    return None


def canonical_url(tree: HtmlElement, url: str) -> str | None:
    """Return ``<link rel=canonical href>`` resolved against ``url``, or None."""
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            try:
                return urljoin(url, href)
            except ValueError:  # e.g. an invalid IPv6 literal in the href
                return None
    return None


def meta_values(tree: HtmlElement) -> dict[str, str]:
    """Map each ``<meta>`` key (property, name, itemprop or http-equiv; lowercased) to its
    first non-empty content, plus ``<time itemprop=...>`` datetimes."""
    values: dict[str, str] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if not content or not content.strip():
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = element.get(attribute)
            if key:
                values.setdefault(key.strip().lower(), content.strip())
    for element in tree.iter("time"):
        key, moment = element.get("itemprop"), element.get("datetime")
        if key and moment and moment.strip():
            values.setdefault(key.strip().lower(), moment.strip())
    return values


def meta_dates(meta: dict[str, str]) -> dict[str, str]:
    """Return ``{"published_at": utc, "modified_at": utc}`` (either may be missing) from meta."""
    found: dict[str, str] = {}
    for field, keys in META_DATE_KEYS.items():
        for key in keys:
            value = meta.get(key)
            moment = parse_machine_datetime(value) if value else None
            if moment:
                found[field] = moment
                break
    return found


def json_ld_article(tree: HtmlElement) -> dict[str, Any] | None:
    """Return the first JSON-LD object of an article type (see ``ARTICLE_TYPES``), or None.

    Invalid JSON-LD blocks are skipped: sites ship them broken often enough.
    """
    fallback: dict[str, Any] | None = None
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):
            continue
        for node in _json_ld_nodes(data):
            types = node.get("@type")
            names = {types} if isinstance(types, str) else set(types or ())
            if names & (ARTICLE_TYPES - {"WebPage"}):
                return node
            if "WebPage" in names and fallback is None:
                fallback = node
    return fallback


def json_ld_dates(article: dict[str, Any] | None) -> dict[str, str]:
    """Return ``datePublished``/``dateModified`` of a JSON-LD article as UTC strings."""
    found: dict[str, str] = {}
    if not article:
        return found
    for field, key in (("published_at", "datePublished"), ("modified_at", "dateModified")):
        value = article.get(key)
        moment = parse_machine_datetime(value) if isinstance(value, str) else None
        if moment:
            found[field] = moment
    return found


def json_ld_authors(article: dict[str, Any] | None) -> list[str]:
    """Return the names of a JSON-LD article's ``Person`` authors (organisations left out)."""
    if not article:
        return []
    authors = article.get("author")
    items = authors if isinstance(authors, list) else [authors]
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            name = item
        elif isinstance(item, dict) and item.get("@type", "Person") == "Person":
            value = item.get("name")
            name = value if isinstance(value, str) else ""
        else:
            continue
        name = collapse_whitespace(name or "")
        if name and name not in names:
            names.append(name)
    return names


def _json_ld_nodes(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    # Depth-limited: the graph is untrusted input.
    if depth > 8:
        return
    if isinstance(data, list):
        for item in data:
            yield from _json_ld_nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _json_ld_nodes(graph, depth + 1)
