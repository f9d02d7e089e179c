"""A version's changes as a short HTML fragment for a feed entry: the changed paragraphs
with removed words in <del> and added words in <ins>.

Archived text is hostile input: every archived string goes through `html.escape`, and the
only markup in the fragment is the fixed set of tags written here. The alignment work is
bounded (archive/diffs.py), and so is the fragment's length.
"""

from __future__ import annotations

from html import escape
from typing import Any

from archive.content import normalize_authors
from archive.diffs import Budget, bounded_opcodes, paragraphs

MAX_FRAGMENT_CHARS = 20_000  # a feed entry; the diff page has the whole of it
MAX_PARAGRAPH_CHARS = 4_000


def _clip(text: str) -> str:
    return text if len(text) <= MAX_PARAGRAPH_CHARS else text[:MAX_PARAGRAPH_CHARS] + " …"


def _words(old: str, new: str, budget: Budget) -> str:
    """One paragraph edited: the words both share, <del> the removed, <ins> the added."""
    a, b = _clip(old).split(" "), _clip(new).split(" ")
    parts: list[str] = []
    for op, i1, i2, j1, j2 in bounded_opcodes(a, b, budget):
        if op == "equal":
            parts.append(escape(" ".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(' '.join(a[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(' '.join(b[j1:j2]))}</ins>")
    return " ".join(parts)


def _field(label: str, old: str, new: str, budget: Budget) -> str:
    return f"<p><b>{escape(label)}:</b> {_words(old, new, budget)}</p>"


def change_html(record: dict[str, Any], previous: dict[str, Any] | None) -> str:
    """The fragment for a version: what changed from `previous` (None: a first version,
    whose opening paragraphs are shown)."""
    budget = Budget()
    if previous is None:
        shown = paragraphs(record.get("text"))[:3]
        body = "".join(f"<p>{escape(_clip(p))}</p>" for p in shown)
        return body or "<p><i>(no text)</i></p>"
    out: list[str] = []
    if (previous.get("title") or "") != (record.get("title") or ""):
        out.append(_field("Title", previous.get("title") or "", record.get("title") or "", budget))
    old_by = ", ".join(normalize_authors(previous.get("authors")))
    new_by = ", ".join(normalize_authors(record.get("authors")))
    if old_by != new_by:
        out.append(_field("By", old_by, new_by, budget))
    old_paras, new_paras = paragraphs(previous.get("text")), paragraphs(record.get("text"))
    for op, i1, i2, j1, j2 in bounded_opcodes(old_paras, new_paras, budget):
        if op == "equal":
            if i2 > i1 and out:
                out.append("<p>…</p>")
            continue
        olds, news = old_paras[i1:i2], new_paras[j1:j2]
        for k in range(max(len(olds), len(news))):
            old = olds[k] if k < len(olds) else None
            new = news[k] if k < len(news) else None
            if old is None:
                out.append(f"<p><ins>{escape(_clip(new or ''))}</ins></p>")
            elif new is None:
                out.append(f"<p><del>{escape(_clip(old))}</del></p>")
            else:
                out.append(f"<p>{_words(old, new, budget)}</p>")
    while out and out[-1] == "<p>…</p>":
        out.pop()
    html = "".join(out) or "<p><i>(no change in the text: see the changed fields)</i></p>"
    if len(html) > MAX_FRAGMENT_CHARS:
        # Cut between paragraphs, never inside a tag or an entity.
        cut = html.rfind("</p>", 0, MAX_FRAGMENT_CHARS)
        html = html[: cut + 4 if cut > 0 else 0] + "<p>… (more on the diff page)</p>"
    return html
