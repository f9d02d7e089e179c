"""Bylines to people: "By A, B and C, CNN" → ["A", "B", "C"]."""

from __future__ import annotations

import re
from collections.abc import Collection

# Organisations that end bylines but are not authors (compared lowercased). Any item whose
# first word is "CNN" is one too: CNN has more desks than we want to list.
ORGANISATIONS: frozenset[str] = frozenset(
    {
        "cnn",
        "cnn business",
        "cnn politics",
        "reuters",
        "the associated press",
        "associated press",
        "ap",
        "afp",
        "agence france-presse",
        "bloomberg",
        "npr",
        "npr news",
        "staff",
    }
)

_BY_PREFIX = re.compile(
    r"^(?:(?:written|opinion|analysis|commentary|reported)\s+)?by\b\s*:?\s*", re.IGNORECASE
)
_SEPARATORS = re.compile(r"\s*(?:;|,|\band\b|&|\|)\s*", re.IGNORECASE)
_FOR_PREFIX = re.compile(r"^(?:for|from)\s+", re.IGNORECASE)
# Byline neighbours that extractors glue on ("By A | Posted March 12"): never a person.
_NOT_A_NAME = re.compile(
    r"\d|^(?:posted|updated|published|last updated|photos?|video|illustrations?)\b"
    # what is left of a date once an extractor took its digits: "Tomas Lindqvist; November"
    r"|^(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$",
    re.IGNORECASE,
)
# Generational suffixes split off by the comma in "Martin Luther King, Jr.".
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_EDGE_PUNCTUATION = " \t\"'“”‘’:-–—·•"


def split_byline(byline: str, *, organisations: Collection[str] = ORGANISATIONS) -> list[str]:
    """Split a byline into the people it names, in order, without duplicates.

    Strips a leading "By", splits on commas, semicolons, "and" and "&", joins name
    suffixes ("Jr.") back onto the name before them, and drops organisations (see
    ``ORGANISATIONS``; compared case-insensitively, also as "for <organisation>") and
    items that are dates or labels ("Posted March 12", "Updated").
    """
    collapsed = _BY_PREFIX.sub("", " ".join(byline.split()))
    people: list[str] = []
    for raw in _SEPARATORS.split(collapsed):
        item = raw.strip(_EDGE_PUNCTUATION)
        if not item:
            continue
        if item.lower() in _NAME_SUFFIXES and people:
            people[-1] = f"{people[-1]} {item}"
            continue
        if _is_organisation(item, organisations) or _NOT_A_NAME.search(item):
            continue
        people.append(item)
    unique: list[str] = []
    for person in people:
        if person not in unique:
            unique.append(person)
    return unique


def _is_organisation(item: str, organisations: Collection[str]) -> bool:
    name = _FOR_PREFIX.sub("", item).lower()
    return name in organisations or name.split(" ", 1)[0] == "cnn"
