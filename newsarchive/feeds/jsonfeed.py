"""JSON Feed 1.1 documents (https://jsonfeed.org/version/1.1), written with `json`.

Paging: `next_url` names the next older page. The newsarchive facts of an item (change
class, version, edit types, changed fields) are in its `_newsarchive` extension object.
`<`, `>` and `&` are written as \\u escapes: the same strings, never markup in the bytes.
"""

from __future__ import annotations

import json
from typing import Any

from newsarchive.feeds.model import FeedPage

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"


def document(page: FeedPage) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": VERSION,
        "title": page.title,
        "home_page_url": page.home_url,
        "feed_url": page.current_url("json"),
        "description": page.description,
        "authors": [{"name": "newsarchive"}],
    }
    if page.prev_page is not None:
        doc["next_url"] = page.page_url("json", page.prev_page)
    doc["_newsarchive"] = {
        "page": page.number,
        "archive": page.is_archive,
        "page_size": page.page_size,
        "updated": page.updated_iso,
        "newer_url": page.page_url("json", page.next_page) if page.next_page is not None else None,
    }
    doc["items"] = [
        {
            "id": item.id,
            "url": item.link,
            "external_url": item.article_url,
            "title": item.title,
            "content_html": item.content_html,
            "date_published": item.updated_iso,
            "date_modified": item.updated_iso,
            "tags": [term for _, term in item.categories],
            "_newsarchive": item.facts,
        }
        for item in page.items
    ]
    return doc


def render(page: FeedPage) -> bytes:
    text = json.dumps(document(page), ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (text + "\n").encode("utf-8")
