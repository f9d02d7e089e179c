"""The ``cnn-lite`` profile: article pages of lite.cnn.com (docs/extraction.md, "Parsers";
sample pages in tests/fixtures/sites/cnn-lite/)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from .authors import split_byline
from .dates import parse_page_timestamp
from .generic import fill_from_trafilatura, offer_dates, run_trafilatura
from .html_tree import css, element_text, has_class
from .page_metadata import json_ld_article, json_ld_authors, json_ld_dates
from .result import (
    METHOD_PROFILE,
    NO_CONTENT,
    SOURCE_JSON_LD,
    SOURCE_PAGE_TIMESTAMP,
    ExtractionResult,
)


@dataclass(frozen=True)
class CnnLiteSelectors:
    """CSS selectors of the profile; ``paragraphs`` is the one that says "this is an article"."""

    headline: CSSSelector = css("h2.headline")
    byline: CSSSelector = css("p.byline--lite")
    timestamp: CSSSelector = css("p.timestamp--lite")
    paragraphs: CSSSelector = css("article.article--lite p.paragraph--lite")
    # Not content, although it may carry the paragraph class or wrap paragraphs.
    source_class: str = "source--lite"
    editor_note_classes: frozenset[str] = frozenset(
        {"editor-note--lite", "editor-note", "editors-note", "editor-note__content"}
    )


SELECTORS = CnnLiteSelectors()

_TITLE_SUFFIX = re.compile(r"\s*\|\s*CNN\b.*$")
# `/2024/02/02/politics/slug`, or an undated story `/travel/slug`.
_SECTION_IN_PATH = re.compile(r"^/(?:\d{4}/\d{2}/\d{2}/)?([A-Za-z][^/]*)/[^/]+")
# The boilerplate link that closes every lite article.
_FULL_ARTICLE_LINK = re.compile(r"^see (?:the )?full (?:web )?article\W*$", re.IGNORECASE)
_EDITORS_NOTE = re.compile(r"^editor[’']?s[’']? note\b", re.IGNORECASE)
_SOURCE_LINE = re.compile(r"^source:\s*\S.{0,40}$", re.IGNORECASE)


def extract_cnn_lite(tree: HtmlElement, *, url: str) -> ExtractionResult:
    """Extract a lite.cnn.com article page.

    Title, byline, timestamp and paragraphs come from the profile's selectors; JSON-LD
    dates fill whichever date the page timestamp does not give. When no article paragraph
    matches, the text comes from trafilatura (``method="trafilatura"``).
    """
    result = ExtractionResult(method=METHOD_PROFILE)
    result.title = _title(tree)
    byline = SELECTORS.byline(tree)
    if byline:
        result.authors = split_byline(element_text(byline[0]))

    for element in SELECTORS.timestamp(tree):
        parsed = parse_page_timestamp(element_text(element))
        if parsed is not None:
            field_name, moment = parsed
            offer_dates(result, {field_name: moment}, SOURCE_PAGE_TIMESTAMP)
    article = json_ld_article(tree)
    offer_dates(result, json_ld_dates(article), SOURCE_JSON_LD)
    if not result.authors:
        result.authors = [
            person for name in json_ld_authors(article) for person in split_byline(name)
        ]
    result.section = section_from_url(url)

    paragraphs = _paragraphs(tree)
    if paragraphs:
        result.text = "\n\n".join(paragraphs)
        return result

    found = run_trafilatura(tree, url=url)
    if found is None or not found.text:
        return ExtractionResult.failure(
            NO_CONTENT,
            "No article.article--lite p.paragraph--lite paragraphs on the page, and "
            "trafilatura found no main text either.",
            method=METHOD_PROFILE,
        )
    fill_from_trafilatura(result, found)
    return result


def section_from_url(url: str) -> str | None:
    """Return the section of a CNN article URL (``/2024/02/02/politics/…`` → "politics";
    an undated ``/travel/…`` → "travel")."""
    match = _SECTION_IN_PATH.match(urlsplit(url).path)
    return match.group(1).lower() if match else None


def _title(tree: HtmlElement) -> str | None:
    for headline in SELECTORS.headline(tree):
        text = element_text(headline)
        if text:
            return text
    title = tree.find(".//title")
    if title is not None:
        text = _TITLE_SUFFIX.sub("", element_text(title))
        return text or None
    return None


def _paragraphs(tree: HtmlElement) -> list[str]:
    kept: list[str] = []
    notes = _editor_notes(tree)
    for paragraph in SELECTORS.paragraphs(tree):
        if has_class(paragraph, SELECTORS.source_class) or (
            notes and _in_editor_note(paragraph, notes)
        ):
            continue
        text = element_text(paragraph)
        if not text or _is_boilerplate(text):
            continue
        kept.append(text)
    return kept


# Elements whose class attribute contains an editor's-note class name as a substring: a
# superset of those that have it as a class, found in C (most pages have none at all).
_NOTE_CANDIDATES = etree.XPath(
    "//*["
    + " or ".join(f"contains(@class, '{c}')" for c in sorted(SELECTORS.editor_note_classes))
    + "]"
)


def _editor_notes(tree: HtmlElement) -> set[HtmlElement]:
    """The elements of an editor's note on the page (by their class, exactly)."""
    return {
        element for element in _NOTE_CANDIDATES(tree)
        if SELECTORS.editor_note_classes.intersection((element.get("class") or "").split())
    }  # fmt: skip


def _in_editor_note(paragraph: HtmlElement, notes: set[HtmlElement]) -> bool:
    return paragraph in notes or any(element in notes for element in paragraph.iterancestors())


def _is_boilerplate(text: str) -> bool:
    return bool(
        _FULL_ARTICLE_LINK.match(text) or _EDITORS_NOTE.match(text) or _SOURCE_LINE.match(text)
    )
