"""An article's history: the article and all its versions, found by URL or id."""

from __future__ import annotations

from typing import Any

from archive.catalog import Catalog
from archive.clock import iso_utc
from archive.diffs import text_diff
from archive.urls import article_id_for, normalize_url


class ArticleNotFound(LookupError):
    pass


def find_article(catalog: Catalog, url_or_id: str) -> dict[str, Any]:
    """The article row for an article id or any URL that normalises to a known article."""
    candidates = [url_or_id] if "/" not in url_or_id else []
    if "://" in url_or_id:
        candidates.append(article_id_for(url_or_id))
    for candidate in candidates:
        row = catalog.article(candidate)
        if row:
            return row
    if "://" in url_or_id:
        row = catalog.article_by_url(normalize_url(url_or_id))
        if row:
            return row
    raise ArticleNotFound(f"no archived article matches {url_or_id!r}")


def article_history(catalog: Catalog, url_or_id: str) -> dict[str, Any]:
    """`{"article_id", "site", "url", "first_seen_at", "last_seen_at", …, "versions": [records]}`."""
    article = find_article(catalog, url_or_id)
    versions = catalog.versions(article["id"])
    return {
        "article_id": article["id"],
        "site": article["site"],
        "url": article["url"],
        "title": article["title"],
        "first_seen_at": iso_utc(article["first_seen_at"]),
        "last_seen_at": iso_utc(article["last_seen_at"]),
        "last_changed_at": iso_utc(article["last_changed_at"]),
        "latest_version": article["latest_version"],
        "published_at": article["published_at"],
        "modified_at": article["modified_at"],
        "tracking": bool(article["tracking"]),
        "versions": [with_edit_types(v["record"], v.get("edit_types")) for v in versions],
    }


def with_edit_types(record: dict[str, Any], column: list[str] | None) -> dict[str, Any]:
    """A version's JSON record; one recorded before records kept their edit types gets the
    catalog's (`versions.edit_types`, migration 0008) when they are known."""
    if "edit_types" not in record and column is not None:
        return {**record, "edit_types": list(column)}
    return record


def diff_between(history: dict[str, Any], a: int, b: int) -> dict[str, Any]:
    """The diff from version `a` to version `b` (any two, either order)."""
    by_number = {v["version"]: v for v in history["versions"]}
    for n in (a, b):
        if n not in by_number:
            raise ArticleNotFound(f"article {history['article_id']} has no version {n} "
                                  f"(it has 1..{history['latest_version']})")  # fmt: skip
    return text_diff(by_number[a]["text"], by_number[b]["text"], from_version=a,
                     from_label=f"version {a}", to_label=f"version {b}")  # fmt: skip
