"""The ``generic`` parser: trafilatura on the whole page, also the fallback of every profile."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from .authors import split_byline
from .dates import parse_machine_datetime
from .html_tree import collapse_whitespace
from .page_metadata import json_ld_article, json_ld_dates, meta_dates, meta_values
from .reconcile import is_text_only, reconcile
from .result import (
    METHOD_TRAFILATURA,
    NO_CONTENT,
    SOURCE_HTMLDATE,
    SOURCE_JSON_LD,
    SOURCE_META,
    ExtractionResult,
)


@dataclass
class TrafilaturaArticle:
    """What trafilatura found on a page, already in our shapes (text in paragraphs)."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    text: str = ""
    date: str | None = None  # htmldate gives a day: ``YYYY-MM-DD``


class NeedsTrafilatura(Exception):
    """Raised instead of running trafilatura while a fast (profile-only) extraction runs."""


# Set while `extract_fast` runs: trafilatura is the slow path, left to the worker pool.
FAST_ONLY: ContextVar[bool] = ContextVar("newsarchive_extract_fast_only", default=False)


def run_trafilatura(tree: HtmlElement, *, url: str) -> TrafilaturaArticle | None:
    """Extract the main text and metadata of ``tree`` with trafilatura; None if it finds none.

    trafilatura reads the page twice, with ``favor_precision`` and without (with
    ``favor_recall`` on a text-only page); ``reconcile`` keeps the precise reading and takes
    back what it dropped inside the story (all of it on a text-only page). Metadata come
    from the precise reading. trafilatura works on copies: the caller's tree is left as it was.
    """
    if FAST_ONLY.get():
        raise NeedsTrafilatura(url)
    text_only = is_text_only(tree)
    precise = _bare_extraction(tree, url=url, focus="precision")
    # A text-only page has no boilerplate to fear: its complete reading is the recall one,
    # which also keeps sub-headings.
    full = _bare_extraction(
        tree, url=url, focus="recall" if text_only else "balanced", metadata=False
    )
    if precise is None and full is None:
        return None
    document = precise if precise is not None else _bare_extraction(tree, url=url, focus="balanced")
    title = collapse_whitespace(document.title) if document is not None and document.title else None
    lines = reconcile(
        _body_lines(precise, title), _body_lines(full, title), tree, text_only=text_only
    )
    author = document.author if document is not None else None
    date = document.date if document is not None else None
    return TrafilaturaArticle(
        title=title or None,
        authors=split_byline(author) if author else [],
        text="\n\n".join(lines),
        date=parse_machine_datetime(date) if date else None,
    )


def _bare_extraction(tree: HtmlElement, *, url: str, focus: str, metadata: bool = True) -> Any:
    # Imported here, not at the top: the crawl process reads profile pages without it and
    # leaves trafilatura to the extraction workers (importing it costs ~0.3 s of start-up).
    import trafilatura

    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=metadata,
        include_comments=False,
        include_tables=True,
        favor_precision=focus == "precision",
        favor_recall=focus == "recall",
    )
    return None if document is None or isinstance(document, dict) else document


def _body_lines(document: Any, title: str | None) -> list[str]:
    """The text's non-empty lines, whitespace collapsed, without the headline."""
    if document is None:
        return []
    lines = [collapse_whitespace(line) for line in (document.text or "").split("\n")]
    lines = [line for line in lines if line]
    # trafilatura keeps the page's <h1> near the top; the headline is not body text.
    if title and title in lines[:3]:
        lines.remove(title)
    return lines


def lines_to_paragraphs(lines: list[str]) -> str:
    """Collapse whitespace in each line, drop empty ones, join with a blank line."""
    paragraphs = (collapse_whitespace(line) for line in lines)
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def offer_dates(result: ExtractionResult, dates: dict[str, str], source: str) -> None:
    """Set each date in ``dates`` on ``result`` unless that field already has one."""
    for field_name, value in dates.items():
        if getattr(result, field_name) is None:
            setattr(result, field_name, value)
            result.dates_source[field_name] = source


def fill_from_trafilatura(result: ExtractionResult, found: TrafilaturaArticle) -> None:
    """Take trafilatura's text, and any title/authors/date ``result`` lacks."""
    result.text = found.text
    result.method = METHOD_TRAFILATURA
    if not result.title:
        result.title = found.title
    if not result.authors:
        result.authors = list(found.authors)
    if found.date and result.published_at is None:
        result.published_at = found.date
        result.dates_source["published_at"] = SOURCE_HTMLDATE


def extract_generic(tree: HtmlElement, *, url: str) -> ExtractionResult:
    """Extract an article from any page with trafilatura (the ``generic`` parser).

    Dates come from JSON-LD, then ``<meta>``, then htmldate (via trafilatura); the section
    from ``article:section``.
    """
    result = ExtractionResult(method=METHOD_TRAFILATURA)
    found = run_trafilatura(tree, url=url)
    if found is None or not found.text:
        return ExtractionResult.failure(
            NO_CONTENT, "trafilatura found no main text on the page.", method=METHOD_TRAFILATURA
        )
    meta = meta_values(tree)
    offer_dates(result, json_ld_dates(json_ld_article(tree)), SOURCE_JSON_LD)
    offer_dates(result, meta_dates(meta), SOURCE_META)
    fill_from_trafilatura(result, found)
    section = meta.get("article:section")
    result.section = collapse_whitespace(section) if section else None
    return result
