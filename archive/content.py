"""Content normalisation and the content hash that defines a version.

A version is defined by the *normalised extracted content*, never by raw bytes: a new ad
slot, a rotated CSRF token or a re-encoded quote must not invent a version.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from archive.search_query import vocabulary

# Typographic variants that editors (and CMS round-trips) swap without changing meaning.
_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u200b": "", "\ufeff": "", "\u00ad": "",
    }
)  # fmt: skip
_REPLACEMENTS = tuple((chr(code), str(rep or "")) for code, rep in _CHAR_MAP.items())

_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")

HASHED_FIELDS = ("title", "authors", "text")


def normalize_text(value: str | None) -> str:
    """NFKC, ASCII quotes and dashes, collapsed whitespace; paragraphs kept apart by one blank line."""
    if not value:
        return ""
    value = unicodedata.normalize("NFKC", value)
    # str.translate with a dict visits every character in Python (~50 µs per KB); a
    # substring test and replace per variant run in C.
    for char, replacement in _REPLACEMENTS:
        if char in value:
            value = value.replace(char, replacement)
    # str.split() collapses every run of whitespace (newlines within a paragraph included)
    # in C: this runs on every capture's text, so it must be cheap.
    paragraphs = (" ".join(para.split()) for para in _BLANK_LINES.split(value))
    return "\n\n".join(p for p in paragraphs if p)


def normalize_authors(authors: Sequence[str] | None) -> list[str]:
    return [a for a in (normalize_text(x) for x in authors or ()) if a]


def normalized_fields(title: str | None, authors: Sequence[str] | None, text: str | None) -> dict:
    """The normalised form of the fields that define a version."""
    return {
        "title": normalize_text(title),
        "authors": normalize_authors(authors),
        "text": normalize_text(text),
    }


def content_hash(title: str | None, authors: Sequence[str] | None, text: str | None) -> str:
    """SHA-256 (hex) of the normalised title, authors and text: the identity of a version."""
    payload = json.dumps(
        normalized_fields(title, authors, text), ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def tracking_digests(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What tracking computes from an extraction's title, authors and text besides storing
    them: the content hash and the search vocabulary (`search_query.vocabulary`). The crawl's
    extraction workers compute them beside the extraction, off the crawl's thread; the
    tracker computes them itself for a result that does not carry them."""
    title, authors, text = fields.get("title"), fields.get("authors"), fields.get("text")
    return {
        "content_sha256": content_hash(title, authors, text),
        "search_terms": vocabulary(title, list(authors or []), text or ""),
    }
