"""Text a site controls, made inert in the dataset card's Markdown.

A card is read in Markdown renderers (GitHub, Hugging Face, editors) that also render raw
HTML and links: a site's `X-Robots-Tag` of `<img src=x onerror=…>` or `[terms](javascript:…)`
must show as those characters, never become an element or a link. `md_text` makes any
string plain text on one line: `&`, `<`, `>` become entities and the characters that open
Markdown syntax inside a line (emphasis, code, links, images, tables, math, strikethrough)
are backslash-escaped, which CommonMark allows for any ASCII punctuation. Characters that
only mean something at the start of a line (`-`, `+`, `.`) are left alone: these values
never start one (they follow a label, or `### `).
"""

from __future__ import annotations

import re

_PUNCTUATION = frozenset("\\`*_[](){}!#|~^$")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9\-._~%!$&'()*+,;=:@/?#\[\]]+")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]+")


def md_text(value: object) -> str:
    """`value` as inert Markdown text on one line."""
    text = _LINE_BREAKS.sub(" ", str(value))
    out = []
    for char in text:
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _PUNCTUATION:
            out.append("\\" + char)
        elif ord(char) < 32 or ord(char) == 127:
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def md_code(value: object) -> str:
    """`value` as an inline code span (shown verbatim, never rendered), whatever backticks
    it holds."""
    text = _LINE_BREAKS.sub(" ", str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_url(url: object) -> str:
    """An http(s) URL as a Markdown autolink (`<https://…>`) when it is one plain URL;
    anything else (another scheme, spaces, `<`, `>`) as inert text."""
    text = str(url)
    if _SAFE_URL.fullmatch(text):
        return f"<{text}>"
    return md_text(text)
