"""Parsing HTML once with lxml, and reading element text the way a reader sees it."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

# huge_tree: without it libxml2 silently drops any element holding a text node or attribute
# over 10 MB (an inline data: image), and with it everything after that element.
# remove_comments/remove_pis: comments are never article text, and skipping them at parse
# time is cheaper than filtering later (trafilatura's own parser does the same).
_PARSER = lxml.html.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    remove_comments=True,
    remove_pis=True,
    huge_tree=True,
)

# Control characters no text uses (NUL, \x01 …; not tab, LF, FF, CR): a browser shows a page
# with a stray one as if it were not there, but libxml2 drops the text node that holds it.
# Found and removed by a regular expression: `str.translate` with a table visits every
# character in Python (~0.7 ms for a 10 KB page), and almost no page has one.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")

# lxml refuses str input that still carries an XML encoding declaration.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)

# libxml2 checks each new attribute against all earlier ones of the element: a tag with
# 100,000 attributes takes minutes to parse. Only tags longer than this are counted, so the
# check costs nothing on real pages (a long data: URI is one attribute, and fine).
_LONG_TAG = re.compile(r"<[a-zA-Z][^<>]{32768,}")
_ATTRIBUTE = re.compile(r"\s[^\s=/<>\"']+\s*=")
MAX_ATTRIBUTES_PER_TAG = 2000

# Elements whose text a reader never sees.
INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})


class MarkupTooComplexError(ValueError):
    """The markup would take unreasonably long to parse (a hostile or broken page)."""


def parse_html(text: str) -> HtmlElement:
    """Parse decoded HTML into a tree rooted at ``<html>``.

    Raises ``lxml.etree.ParserError`` for a document with no elements at all and
    ``MarkupTooComplexError`` for a tag with more than ``MAX_ATTRIBUTES_PER_TAG``
    attributes; lxml recovers from everything else (unclosed tags, stray bytes).
    """
    for long_tag in _LONG_TAG.finditer(text):
        count = len(_ATTRIBUTE.findall(long_tag.group()))
        if count > MAX_ATTRIBUTES_PER_TAG:
            raise MarkupTooComplexError(
                f"a tag at character {long_tag.start()} has {count} attributes "
                f"(limit {MAX_ATTRIBUTES_PER_TAG})"
            )
    text = _XML_DECLARATION.sub("", text, count=1)
    if _CONTROLS.search(text) is not None:
        text = _CONTROLS.sub("", text)
    return lxml.html.document_fromstring(text, parser=_PARSER)


def css(selector: str) -> CSSSelector:
    """Compile a CSS selector once (for module-level profile settings)."""
    return CSSSelector(selector, translator="html")


def collapse_whitespace(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) to one space and strip."""
    return " ".join(text.split())


def element_text(element: HtmlElement, skip_tags: frozenset[str] = INVISIBLE_TAGS) -> str:
    """Return the visible text of ``element`` on one line, whitespace collapsed.

    ``<br>`` counts as a space (``text_content()`` would glue the words on either side),
    and elements named in ``skip_tags`` are left out with their content.
    """
    parts: list[str] = []
    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        if event == "end":
            # The "end" event also fires for a skipped subtree, so tails are taken here.
            if node is not element and node.tail:
                parts.append(node.tail)
            continue
        tag = node.tag if isinstance(node.tag, str) else None
        if tag is None:  # comment or processing instruction: only its tail is text
            continue
        if tag in skip_tags and node is not element:
            walker.skip_subtree()
            continue
        if tag == "br":
            parts.append(" ")
        if node.text:
            parts.append(node.text)
    return collapse_whitespace("".join(parts))


def has_class(element: HtmlElement, name: str) -> bool:
    """Return True if ``element``'s class attribute contains the class ``name``."""
    return name in (element.get("class") or "").split()
