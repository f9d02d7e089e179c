"""The search query language, and its translation to SQLite FTS5 and PostgreSQL tsquery.

Syntax (what users type; the same meaning on both backends):

| input              | matches versions that …                                  |
|--------------------|----------------------------------------------------------|
| `flood barrier`    | contain both words (anywhere in the searched fields)     |
| `"flood barrier"`  | contain the phrase                                       |
| `flood OR storm`   | contain either; `OR` (capitals) binds closer than AND: `dam flood OR storm` is dam AND (flood OR storm) |
| `-storm`, `-"storm surge"` | do not contain it (needs at least one other term) |
| `evacuat*`         | contain a word starting with it (`MIN_PREFIX` letters at least) |

Words are case- and accent-insensitive ("Cafe" finds "café") and split on anything but
letters and digits ("U.S." is the phrase "u s", "covid-19" the phrase "covid 19"). Other
punctuation, parentheses and stray operators are ignored. Every term reaches the database
as a quoted string of letters and digits: no input makes an FTS5 syntax error or changes
the query's structure. Too long a query (`MAX_QUERY_CHARS`, `MAX_TERMS`) or one with
nothing to look for raises `SearchQueryError` with a message for the user.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

MAX_QUERY_CHARS = 1000
MAX_TERMS = 24  # terms in a query (words, phrases, prefixes, exclusions)
MAX_PHRASE_WORDS = 32
MAX_INDEXED_CHARS = (
    200_000  # of a version's text (and of added/removed): hostile input stays bounded
)
MIN_PREFIX = 3  # letters before a `*` (the SQLite index keeps 3-letter prefixes); fewer match half the archive

_TOKEN = re.compile(r"[^\W_]+")
_LEXER = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class SearchQueryError(ValueError):
    """A query that cannot be searched; the message says why, for the user."""


def fold(text: str) -> str:
    """Lowercase without accents (NFKD, combining marks dropped): the form both indexes hold."""
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():
        return decomposed.lower()
    # This runs on the crawl path, for every new version: the distinct characters are
    # looked at once each, not every character of the text.
    marks = [c for c in set("".join(_NON_ASCII.findall(decomposed))) if unicodedata.combining(c)]
    if marks:
        decomposed = re.sub("[" + "".join(marks) + "]", "", decomposed)
    return decomposed.lower()


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")  # combining marks are never ASCII


def tokens(text: str) -> list[str]:
    """The words of a text as the indexes see them (folded; letters and digits)."""
    return _TOKEN.findall(fold(text))


def joined_authors(authors: Any) -> str:
    """A version's authors as the index holds them: one string."""
    return ", ".join(str(a) for a in authors or () if a)


def vocabulary(title: Any, authors: Any, text: Any) -> list[str]:
    """The distinct words of a version's indexed title, authors and text (each cut at
    MAX_INDEXED_CHARS), sorted: what it offers SQLite's `search_vocab`. Computed by the
    crawl's extraction workers (pipelines/extractor_pool.py), off the crawl's thread."""
    cap = MAX_INDEXED_CHARS
    words = set(tokens(str(title or "")[:cap]))
    words.update(tokens(joined_authors(authors)[:cap]))
    words.update(tokens(str(text or "")[:cap]))
    return sorted(words)


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool = False  # the last word is a prefix
    # The words the prefix stands for, when the index looked them up (SQLite: FTS5 merges
    # every matching word's postings for a prefix it has no prefix index of; an OR of
    # the words is read lazily, newest first).
    expansion: tuple[str, ...] | None = None


@dataclass
class ParsedQuery:
    groups: list[list[Term]] = field(
        default_factory=list
    )  # AND of groups; a group is an OR of terms
    excluded: list[Term] = field(default_factory=list)

    def terms(self) -> list[Term]:
        return [t for g in self.groups for t in g] + self.excluded


def parse(query: str) -> ParsedQuery:
    """The query's structure (see the module's docstring)."""
    if len(query) > MAX_QUERY_CHARS:
        raise SearchQueryError(f"the query is too long (at most {MAX_QUERY_CHARS} characters)")
    parsed = ParsedQuery()
    join_next = False  # the previous item was OR
    count = 0
    for match in _LEXER.finditer(query.replace("\u201c", '"').replace("\u201d", '"')):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        prefix = False
        if bare is not None:
            if bare in ("OR", "|"):
                join_next = bool(parsed.groups)
                continue
            if bare.startswith("-") and len(bare) > 1:
                negated, bare = "-", bare[1:]
            if bare.endswith("*"):
                bare, prefix = bare.rstrip("*"), True
            words = tokens(bare)
        else:
            words = tokens(phrase)
        if not words:
            continue
        if len(words) > MAX_PHRASE_WORDS:
            raise SearchQueryError(f"a phrase can have at most {MAX_PHRASE_WORDS} words")
        if prefix and len(words[-1]) < MIN_PREFIX:
            raise SearchQueryError(
                f"a prefix needs at least {MIN_PREFIX} letters before the *: {match.group(0)!r}"
            )
        count += 1
        if count > MAX_TERMS:
            raise SearchQueryError(f"too many terms (at most {MAX_TERMS})")
        term = Term(tuple(words), prefix)
        if negated:
            parsed.excluded.append(term)
            join_next = False
        elif join_next:
            parsed.groups[-1].append(term)
            join_next = False
        else:
            parsed.groups.append([term])
    if not parsed.groups:
        if parsed.excluded:
            raise SearchQueryError(
                "nothing to search for: exclusions (-word) need a word to look for"
            )
        raise SearchQueryError('nothing to search for: give a word or a "phrase"')
    return parsed


# -- SQLite FTS5 ---------------------------------------------------------------------------
def fts5_term(term: Term) -> str:
    """One term as an FTS5 phrase (or an OR of the phrases its expanded prefix stands for)."""
    if term.prefix and term.expansion:
        head = term.words[:-1]
        phrases = ['"' + " ".join((*head, word)) + '"' for word in term.expansion]
        return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"
    return '"' + " ".join(term.words) + '"' + (" *" if term.prefix else "")


def _fts_group(group: list[Term]) -> str:
    return (
        fts5_term(group[0])
        if len(group) == 1
        else "(" + " OR ".join(fts5_term(t) for t in group) + ")"
    )


def to_fts5(parsed: ParsedQuery, columns: tuple[str, ...], *, site_token: str | None = None) -> str:
    """An FTS5 MATCH expression over `columns`, optionally AND a site's token in `site`."""
    expr = " AND ".join(_fts_group(g) for g in parsed.groups)
    for term in parsed.excluded:
        expr += " NOT " + fts5_term(term)
    out = "{" + " ".join(columns) + "} : (" + expr + ")"
    if site_token is not None:
        out = f'({out}) AND ({{site}} : "{site_token}")'
    return out


def site_token(site: str) -> str:
    """The single indexed word that stands for a site (its name in hex: no tokenizer splits it)."""
    return "x" + site.encode("utf-8").hex()


# -- PostgreSQL tsquery ----------------------------------------------------------------------
def _ts_term(term: Term) -> str:
    words = [f"'{w}'" for w in term.words]  # letters and digits only: nothing to escape
    if term.prefix:
        words[-1] += ":*"
    return words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")"


def to_tsquery(parsed: ParsedQuery) -> str:
    """A tsquery text (cast with `::tsquery`, its lexemes taken as they are)."""
    parts = []
    for group in parsed.groups:
        parts.append(
            _ts_term(group[0])
            if len(group) == 1
            else "(" + " | ".join(_ts_term(t) for t in group) + ")"
        )
    parts += ["!" + _ts_term(t) for t in parsed.excluded]
    return " & ".join(parts)
