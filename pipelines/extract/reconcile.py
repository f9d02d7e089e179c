"""Reconciling trafilatura's two readings of a page: precise, and complete.

trafilatura with ``favor_precision`` leaves out what looks like boilerplate: link-heavy
paragraphs, short lines, headings at the end. On a full news page that is mostly menus,
teasers and "read more" links; on a text-only page it is part of the story (the lead-in of
a list, a one-line paragraph, the items of a digest that each carry a source link). Its
default reading keeps those, and more boilerplate with them.

``reconcile`` starts from the precise lines and takes back from the default reading:
- on a text-only page (``is_text_only``: no images, frames or media, little script, a small
  tree), every line: there is no boilerplate around the story to be afraid of;
- elsewhere, the lines the default reading has *between* two precise lines (inside the
  story), unless the page shows that line as mostly link text (a teaser headline);
- everything, when the precise reading is empty or a small part of the default one: it
  fastened on the wrong block (a reprint notice instead of the article).
"""

from __future__ import annotations

from difflib import SequenceMatcher

from lxml.html import HtmlElement

from .html_tree import collapse_whitespace

# The precise reading is trusted only when it holds at least this share of the default
# reading's words.
MIN_PRECISE_SHARE = 0.2
# A restored line must not be mostly link text on the page.
MAX_LINK_SHARE = 0.5
# A text-only page: no media, at most this many scripts and elements.
TEXT_ONLY_MAX_SCRIPTS = 2
TEXT_ONLY_MAX_ELEMENTS = 1500
_MEDIA = ("img", "picture", "video", "audio", "iframe", "svg", "canvas", "object", "embed")
# Elements whose text may be one line of trafilatura's output.
_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "dd", "dt", "td", "th",
           "pre", "figcaption", "a")  # fmt: skip
_MAX_BLOCKS = 20_000  # hostile pages: building the index stays bounded
_MAX_CHARS = 5_000_000


def is_text_only(tree: HtmlElement) -> bool:
    """A text-only page: no images, frames or media, at most a couple of scripts, small."""
    count = scripts = 0
    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        count += 1
        if count > TEXT_ONLY_MAX_ELEMENTS or tag in _MEDIA:
            return False
        if tag == "script" and (element.get("type") or "").lower() != "application/ld+json":
            scripts += 1
            if scripts > TEXT_ONLY_MAX_SCRIPTS or element.get("src"):
                return False
    return True


def _words(lines: list[str]) -> int:
    return sum(len(line.split()) for line in lines)


def reconcile(
    precise: list[str], full: list[str], tree: HtmlElement, *, text_only: bool
) -> list[str]:
    """The story's lines from the precise and the default reading (whitespace collapsed)."""
    if not full:
        return precise
    if not precise or _words(precise) < MIN_PRECISE_SHARE * _words(full):
        return full
    ops = SequenceMatcher(None, precise, full, autojunk=False).get_opcodes()
    equal = [i for i, op in enumerate(ops) if op[0] == "equal"]
    if not equal:
        return full if text_only else precise
    lines: list[str] = []
    if text_only:  # the default reading, and what only the precise one has
        for tag, p1, p2, f1, f2 in ops:
            lines += precise[p1:p2] if tag == "delete" else full[f1:f2]
        return _unique_adjacent(lines)
    links = _LinkShares(tree)
    for i, (tag, p1, p2, f1, f2) in enumerate(ops):
        lines += precise[p1:p2]
        if tag == "insert" and equal[0] < i < equal[-1]:
            lines += [line for line in full[f1:f2] if not links.mostly_links(line)]
    return _unique_adjacent(lines)


def _unique_adjacent(lines: list[str]) -> list[str]:
    return [line for i, line in enumerate(lines) if i == 0 or line != lines[i - 1]]


class _LinkShares:
    """How much of the page's element showing a line is link text (built on first use)."""

    def __init__(self, tree: HtmlElement) -> None:
        self.tree = tree
        self._shares: dict[str, float] | None = None

    def mostly_links(self, line: str) -> bool:
        if self._shares is None:
            self._shares = self._build()
        text = line[2:] if line.startswith("- ") else line
        share = self._shares.get(collapse_whitespace(text))
        return share is not None and share > MAX_LINK_SHARE

    def _build(self) -> dict[str, float]:
        shares: dict[str, float] = {}
        in_links = {node for link in self.tree.iter("a") for node in link.iter()}
        budget = _MAX_CHARS
        for n, element in enumerate(self.tree.iter(*_BLOCKS)):
            if n >= _MAX_BLOCKS or budget <= 0:
                break
            text = collapse_whitespace(element.text_content())
            budget -= len(text) + 1
            if not text or len(text) > 2000 or text in shares:
                continue
            if element in in_links:
                shares[text] = 1.0
                continue
            linked = sum(len(collapse_whitespace(a.text_content())) for a in element.iter("a"))
            shares[text] = linked / len(text)
        return shares
