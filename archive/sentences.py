"""Sentences of news text: a splitter that knows the abbreviations of English news copy.

A story's text is paragraphs separated by blank lines (the record's `text`). A sentence ends
at `.`, `!`, `?` or `…` (closing quotes and brackets stay with it) followed by white space
and a capital letter, a digit or an opening quote — unless the word before the period is

- a title or an abbreviation that never ends a sentence (Mr., Sen., Gen., Jan., Inc., No.),
- a single initial (George W. Bush, J. K. Rowling),
- an acronym written with periods (U.S., U.N., D.C., a.m.) followed by a word that does not
  usually open a sentence ("U.S. officials said" is one sentence, "in the U.S. The next"
  two).

Decimals ("3.5 percent"), times ("5:30") and URLs have no space after the period and never
split. The cost is linear in the text's length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Lowercase, without the final period. Words that end a sentence often ("etc.") are absent.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof sen sens rep reps gov govs gen lt col sgt cpl pvt capt cmdr cmdt adm maj
    brig pres supt det insp atty rev fr msgr sr jr st ste hon amb sec
    messrs mme mlle
    jan feb mar apr jun jul aug sep sept oct nov dec
    inc corp co ltd llc plc bros dept univ assn
    no nos vs v approx est fig vol ch pp op al
    ave blvd rd hwy mt ft
    ala ariz ark calif colo conn del fla ga ill ind kan ky la md mass mich minn miss mo mont neb
    nev okla ore pa tenn tex va vt wash wis wyo
    """.split()
)

# After an acronym with periods ("U.S.", "p.m."), these words start a new sentence.
SENTENCE_STARTERS = frozenset(
    """
    the a an he she it they we i you his her its their our there this that these those
    but and so yet or nor if when while after before as in on at for with by from since
    officials police authorities president however meanwhile still also now then
    """.split()
)

_BOUNDARY = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*(?=\s+)")
_NEXT = re.compile(r"\s+([\"'\u201c\u2018\u00ab(\[]*)(\S+)?")
_ACRONYM = re.compile(r"(?:[A-Za-z]\.){2,}$")
_INITIAL = re.compile(r"(?:^|[^\w.])[A-Z]$")
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    paragraph: int  # index of its paragraph in the text (0-based)


def paragraphs(text: str | None) -> list[str]:
    """The text's paragraphs (separated by blank lines), white space inside collapsed."""
    return [p for p in (" ".join(part.split()) for part in _BLANK_LINES.split(text or "")) if p]


def _ends_sentence(paragraph: str, match: re.Match[str]) -> bool:
    after = _NEXT.match(paragraph, match.end())
    if after is None:
        return False
    opener, word = after.group(1), after.group(2) or ""
    first = word[:1]
    if not (first.isupper() or first.isdigit() or opener):
        return False
    punctuation = match.group(0)
    if not punctuation.startswith(".") or punctuation.startswith(".."):
        return True  # ! ? … and ellipses end sentences
    window = paragraph[max(0, match.start() - 40) : match.start()].rsplit(None, 1)
    token = (
        window[-1] if window and not paragraph[match.start() - 1 : match.start()].isspace() else ""
    )
    bare = token.lstrip("\"'(\u201c\u2018[")
    if bare.lower() in ABBREVIATIONS:
        return False
    if _INITIAL.search(token):
        return False  # "George W. Bush"
    if _ACRONYM.search(bare + "."):
        # "U.S. officials" vs "in the U.S. The". A closing quote after it ends the sentence.
        if punctuation != ".":
            return True
        return word.strip("\"'\u201c\u2018(").lower() in SENTENCE_STARTERS
    return True


def _spans(paragraph: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        if _ends_sentence(paragraph, match):
            if paragraph[start : match.end()].strip():
                spans.append((start, match.end()))
            start = match.end()
    if paragraph[start:].strip():
        spans.append((start, len(paragraph)))
    return spans


def split_paragraph(paragraph: str) -> list[str]:
    """The sentences of one paragraph (white space already collapsed)."""
    return [paragraph[a:b].strip() for a, b in _spans(paragraph)]


def split_sentences(text: str | None, *, max_sentences: int | None = None) -> list[Sentence]:
    """Every sentence of the text with its paragraph index, in order.

    With `max_sentences`, everything from the last of them on is one final "sentence" (a
    hostile text of a million short sentences costs no more than the cap).
    """
    out: list[Sentence] = []
    paras = paragraphs(text)
    for index, para in enumerate(paras):
        for a, b in _spans(para):
            if max_sentences is not None and len(out) >= max_sentences - 1:
                out.append(Sentence(" ".join([para[a:].strip(), *paras[index + 1 :]]), index))
                return out
            out.append(Sentence(para[a:b].strip(), index))
    return out
