"""Content normalisation and the content hash that defines a version (archive/content.py)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from archive.content import content_hash, normalize_authors, normalize_text, normalized_fields

TEXT = (
    "Officials said on Tuesday that the bridge would reopen next month.\n\n"
    "\u201cWe\u2019re on schedule,\u201d the mayor said \u2014 adding that crews had worked overnight."
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   \n\n \t ", ""),
        # typographic quotes, dashes and spaces become their plain forms
        ("\u201cHi,\u201d she said. It\u2019s \u2018fine\u2019.", "\"Hi,\" she said. It's 'fine'."),
        ("\u00abQuote\u00bb \u201eLow\u201f", '"Quote" "Low"'),
        ("2020\u20132024 \u2014 a\u2011b \u2212 c\u2010d", "2020-2024 - a-b - c-d"),
        ("a\u00a0b", "a b"),
        ("zero\u200bwidth\ufeff soft\u00adhyphen", "zerowidth softhyphen"),
        # NFKC: ligatures, full-width forms, ellipsis
        ("\ufb01nal \uff21\uff22\uff23 wait\u2026", "final ABC wait..."),
        # whitespace collapsed inside a paragraph; single line breaks are not paragraphs
        ("  many   spaces\tand\ttabs  ", "many spaces and tabs"),
        ("one line\nwrapped here", "one line wrapped here"),
        ("a\rb", "a b"),
        # paragraphs: one blank line between them, however they were separated
        ("first\n\nsecond", "first\n\nsecond"),
        ("first\n\n\n\n  second  \n", "first\n\nsecond"),
        ("first\n \t \nsecond", "first\n\nsecond"),
        ("first\r\n\r\nsecond\r\nstill second", "first\n\nsecond still second"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_text_is_idempotent():
    once = normalize_text(TEXT + "\n\n\u00a0 tail \u2014 end\u2026")
    assert normalize_text(once) == once


def test_normalize_authors_drops_empty_names():
    assert normalize_authors(["  Jane\u00a0Doe ", "", "   ", "Ren\u00e9 O\u2019Neil"]) == [
        "Jane Doe",
        "René O'Neil",
    ]
    assert normalize_authors(None) == []
    assert normalize_authors([]) == []


def test_normalized_fields():
    assert normalized_fields(" Title\u2019s ", ["A", ""], "x\n\n\ny") == {
        "title": "Title's",
        "authors": ["A"],
        "text": "x\n\ny",
    }


def test_content_hash_is_sha256_hex_of_the_normalised_fields():
    digest = content_hash("Title", ["Jane Doe"], "Text.")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    payload = json.dumps(
        {"authors": ["Jane Doe"], "text": "Text.", "title": "Title"},
        ensure_ascii=False,
        sort_keys=True,
    )
    assert digest == hashlib.sha256(payload.encode("utf-8")).hexdigest()
    assert content_hash("Title", ["Jane Doe"], "Text.") == digest  # stable


def test_cosmetic_differences_do_not_change_the_hash():
    base = content_hash("Bridge to reopen", ["Jane Doe"], TEXT)
    variants = [
        ("  Bridge  to reopen ", ["Jane\u00a0Doe"], TEXT),
        ("Bridge to reopen", ["Jane Doe", ""], TEXT.replace("\n\n", "\n\n\n\n")),
        (
            "Bridge to reopen",
            ["Jane Doe"],
            TEXT.replace("\u201c", '"')
            .replace("\u201d", '"')
            .replace("\u2019", "'")
            .replace("\u2014", "-"),
        ),
        ("Bridge to reopen", ["Jane Doe"], TEXT.replace(" ", "  ").replace("\n\n", " \r\n\r\n ")),
        ("Bridge to reopen", ["Jane Doe"], "\ufeff" + TEXT + "\n"),
    ]
    for title, authors, text in variants:
        assert content_hash(title, authors, text) == base, (title, authors, text)


def test_real_changes_change_the_hash():
    base = content_hash("Bridge to reopen", ["Jane Doe"], TEXT)
    changed = [
        ("Bridge to reopen in May", ["Jane Doe"], TEXT),
        ("Bridge to reopen", ["Jane Doe", "John Roe"], TEXT),
        ("Bridge to reopen", ["Jane Doe"], TEXT.replace("next month", "next week")),
        ("Bridge to reopen", ["Jane Doe"], TEXT.replace("\n\n", " ")),  # paragraphs merged
        ("Bridge to reopen", [], TEXT),
    ]
    for title, authors, text in changed:
        assert content_hash(title, authors, text) != base, (title, authors, text)


def test_fields_do_not_bleed_into_each_other():
    assert content_hash("A", [], "") != content_hash("", [], "A")
    assert content_hash("", ["A"], "") != content_hash("", [], "A")
    assert content_hash(None, None, None) == content_hash("", [], "")


def test_author_order_is_part_of_the_version():
    assert content_hash("T", ["Jane Doe", "John Roe"], "x") != content_hash(
        "T", ["John Roe", "Jane Doe"], "x"
    )
