"""Search results in the terminal: a table with the matched words highlighted.

Archived titles and text are hostile input: they go into `rich.text.Text` pieces, never
through markup (the consoles have markup off), and control characters are dropped, so a
title holding `[bold]` or an escape sequence prints as the characters it is. Highlights
are styles on the pieces the index marked (archive/search_index.py `snippet_parts`).
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from archive.search_index import SearchResults

HIGHLIGHT = "bold black on yellow"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(value: str | None) -> str:
    """Archived text for a terminal: control characters (escape sequences) become spaces."""
    return _CONTROL.sub(" ", value or "")


def highlighted(parts: list[tuple[str, bool]]) -> Text:
    text = Text()
    for piece, hit in parts:
        text.append(clean(piece), style=HIGHLIGHT if hit else None)
    return text


def print_results(console: Console, query: str, results: SearchResults) -> None:
    """The results table and a summary line."""
    if not results.hits:
        console.print(Text.assemble("no versions match ", (clean(query), "bold")), soft_wrap=True)
        return
    table = Table(show_lines=True, title_justify="left")
    for name in ("#", "captured", "site", "article", "version", "edit types"):
        table.add_column(name, overflow="fold")
    for n, hit in enumerate(results, 1):
        article = Text(clean(hit.title) or clean(hit.url), style="bold")
        article.append("\n")
        article.append_text(highlighted(hit.snippet_parts))
        article.append(f"\n{clean(hit.url)}", style="dim")
        captured = hit.captured_at.strftime("%Y-%m-%d %H:%M")
        table.add_row(str(n), captured, clean(hit.site), article,
                      f"{hit.version} ({clean(hit.article_id)})", ", ".join(hit.edit_types))  # fmt: skip
    console.print(table)
    more = " (the newest were ranked: narrow with --since/--until)" if results.capped else ""
    console.print(f"{len(results)} shown of {results.candidates} matching version(s){more}",
                  soft_wrap=True)  # fmt: skip
