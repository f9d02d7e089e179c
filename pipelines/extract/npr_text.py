"""The ``npr-text`` profile: story pages of text.npr.org (docs/extraction.md, "Parsers";
sample pages in tests/fixtures/sites/npr-text/)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from .authors import split_byline
from .dates import parse_eastern_datetime
from .generic import fill_from_trafilatura, offer_dates, run_trafilatura
from .html_tree import css, element_text
from .page_metadata import json_ld_article, json_ld_dates
from .result import (
    METHOD_PROFILE,
    NO_CONTENT,
    SOFT_404,
    SOURCE_JSON_LD,
    SOURCE_PAGE_DATELINE,
    ExtractionResult,
)


@dataclass(frozen=True)
class NprTextSelectors:
    """CSS selectors of the profile; ``story`` and ``title`` say "this is a story page"."""

    story: CSSSelector = css("div.story-container")
    title: CSSSelector = css("h1.story-title")
    head: CSSSelector = css("div.story-head")
    slug_links: CSSSelector = css("p.slug-line a")
    paragraphs: CSSSelector = css("div.paragraphs-container")
    # The shell around every page (also the whole of a soft 404).
    chrome_tags: frozenset[str] = frozenset(
        {"header", "footer", "nav", "script", "style", "noscript", "template", "head"}
    )


SELECTORS = NprTextSelectors()

# Visible text outside header/footer/nav below which a page without a story is the empty
# shell text.npr.org serves (status 200) for unknown story ids.
SHELL_MAX_CHARS = 200

# Byline and dateline are short lines; a long one is a paragraph that happens to start "By".
_HEAD_LINE_MAX_CHARS = 200
_BYLINE = re.compile(r"^by\s", re.IGNORECASE)
_RELATED = re.compile(r"^related (?:story|stories)\b", re.IGNORECASE)
_TEXT_BLOCKS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "li", "dt", "dd"})
_MAX_WRAPPER_DEPTH = 20
_LISTS = frozenset({"ul", "ol", "dl"})
_WRAPPERS = frozenset({"div", "section", "article", "main"})
_NOT_CONTENT = frozenset(
    {"script", "style", "noscript", "template", "figure", "img", "picture", "aside",
     "iframe", "button", "form", "input", "svg", "video", "audio"}
)  # fmt: skip


def extract_npr_text(tree: HtmlElement, *, url: str) -> ExtractionResult:
    """Extract a text.npr.org story page.

    Title, byline, dateline (→ ``published_at``) and paragraphs come from the profile's
    selectors. A page with neither story container nor title and hardly any text is
    NPR's empty shell for an unknown id (``problem="soft-404"``); one that has text is
    handed to trafilatura (``method="trafilatura"``).
    """
    story = SELECTORS.story(tree)
    titles = SELECTORS.title(tree)
    if not story and not titles:
        body_text = element_text(tree.body, SELECTORS.chrome_tags) if tree.body is not None else ""
        if len(body_text) < SHELL_MAX_CHARS:
            return ExtractionResult.failure(
                SOFT_404,
                "text.npr.org served its empty text-only shell (no div.story-container or "
                "h1.story-title): the story id is unknown.",
                method=METHOD_PROFILE,
            )

    result = ExtractionResult(method=METHOD_PROFILE)
    result.title = next((text for text in map(element_text, titles) if text), None)
    scope = SELECTORS.head(tree) or story or [tree]
    for paragraph in scope[0].iter("p"):
        # Byline and dateline are plain <p>s of the story head, never body paragraphs.
        if paragraph.get("class") or _in_body(paragraph):
            continue
        text = element_text(paragraph)
        if len(text) > _HEAD_LINE_MAX_CHARS:
            continue
        if not result.authors and _BYLINE.match(text):
            result.authors = split_byline(text)
            continue
        if result.published_at is None:
            moment = parse_eastern_datetime(text)
            if moment is not None:
                # The text site prints a single date: the story's publication.
                offer_dates(result, {"published_at": moment}, SOURCE_PAGE_DATELINE)
    offer_dates(result, json_ld_dates(json_ld_article(tree)), SOURCE_JSON_LD)
    result.section = _section(tree)

    containers = SELECTORS.paragraphs(tree)
    lines = [line for container in containers for line in _block_lines(container)]
    if lines:
        result.text = "\n\n".join(lines)
        return result

    found = run_trafilatura(tree, url=url)
    if found is None or not found.text:
        return ExtractionResult.failure(
            NO_CONTENT,
            "No div.paragraphs-container text on the page, and trafilatura found no main "
            "text either.",
            method=METHOD_PROFILE,
        )
    fill_from_trafilatura(result, found)
    return result


def _section(tree: HtmlElement) -> str | None:
    names = [element_text(link) for link in SELECTORS.slug_links(tree)]
    # The slug line reads "NPR > Section"; the leading "NPR" link is the site, not a section.
    names = [name for name in names if name and name.upper() != "NPR"]
    return names[-1] if names else None


def _in_body(paragraph: HtmlElement) -> bool:
    return any(
        "paragraphs-container" in (ancestor.get("class") or "").split()
        for ancestor in paragraph.iterancestors()
    )


def _block_lines(container: HtmlElement, depth: int = 0) -> list[str]:
    """Turn a container's children into text lines, one per paragraph or list item.

    A "Related Story:" block between two ``<hr>``s is left out with both rules.
    """
    if depth > _MAX_WRAPPER_DEPTH:
        # Real stories nest a few wrappers at most; hostile markup nests thousands.
        return [element_text(container)] if len(container) or container.text else []
    lines: list[str] = []
    _add_line(lines, container.text)
    children = list(container)
    index = 0
    while index < len(children):
        child = children[index]
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "hr":
            end = _related_block_end(children, index)
            if end is not None:
                index = end
        elif tag in _TEXT_BLOCKS:
            text = element_text(child)
            if not _RELATED.match(text):
                _add_line(lines, text)
        elif tag in _LISTS:
            for item in child:
                if isinstance(item.tag, str) and item.tag in ("li", "dt", "dd"):
                    _add_line(lines, element_text(item))
        elif tag in _WRAPPERS:
            lines.extend(_block_lines(child, depth + 1))
        elif tag and tag not in _NOT_CONTENT:
            _add_line(lines, element_text(child))
        _add_line(lines, children[index].tail)
        index += 1
    return lines


def _related_block_end(children: list[HtmlElement], start: int) -> int | None:
    """Return the index of the ``<hr>`` closing a "Related Story" block opened at ``start``."""
    for index in range(start + 1, len(children)):
        child = children[index]
        if child.tag == "hr":
            between = children[start + 1 : index]
            texts = [element_text(element) for element in between]
            texts += [" ".join((element.tail or "").split()) for element in children[start:index]]
            return index if any(_RELATED.match(text) for text in texts if text) else None
    return None


def _add_line(lines: list[str], text: str | None) -> None:
    if text:
        line = " ".join(text.split())
        if line:
            lines.append(line)
