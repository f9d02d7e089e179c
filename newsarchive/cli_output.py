"""Terminal output of the command line: the two consoles, one-line messages, and tables that
never cut what a user needs.

Rich reads `[...]` in a string as markup, and archived titles, URLs, regexes and config
names (`[sites.x]`) are full of brackets. Both consoles therefore have markup off: a string
prints exactly as written, and styling is done with `style=` and `Text`, never with markup.
"""

from __future__ import annotations

import json as jsonlib
import shlex
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

__all__ = ["command_line", "err", "error_line", "escape", "out", "print_table", "warning_line"]


class _Output(Console):
    """Standard output: `print_json` writes plain JSON (no colour, no re-wrapping) for scripts;
    rich's highlighter costs seconds on a large summary."""

    def print_json(
        self,
        json: str | None = None,  # rich's parameter name; the module is `jsonlib` here
        *,
        data: Any = None,
        indent: int | str | None = 2,
        **_: Any,
    ) -> None:
        value = jsonlib.loads(json) if json is not None else data
        text = jsonlib.dumps(value, indent=indent, ensure_ascii=False, default=str)
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


out = _Output(markup=False, highlight=False)
err = Console(stderr=True, markup=False, highlight=False)


def error_line(message: str, console: Console | None = None) -> None:
    """`error: <message>` on stderr, the message exactly as given (brackets included)."""
    (console or err).print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True)


def warning_line(message: str, console: Console | None = None) -> None:
    (console or err).print(Text.assemble(("warning:", "yellow"), " ", message), soft_wrap=True)


def _text(value: Any) -> Text:
    return value if isinstance(value, Text) else Text("" if value is None else str(value))


def print_table(
    console: Console, columns: list[str], rows: list[list[Any]], *, title: str | None = None
) -> None:
    """A table whose cells print whole. Cells wrap at spaces only; when the terminal is too
    narrow for the table without breaking a word (a URL, a regex, a timestamp), each row
    becomes a block of `column  value` lines instead, so nothing is cut and every value
    stays one piece to copy."""
    cells = [[_text(v) for v in row] for row in rows]
    shortest = [
        max([len(column), *(_longest_word(row[i]) for row in cells)])
        for i, column in enumerate(columns)
    ]
    natural = [
        max([len(column), *(_longest_line(row[i]) for row in cells)])
        for i, column in enumerate(columns)
    ]
    room = console.width - (3 * len(columns) + 1)  # rich's default box: borders and padding
    if sum(shortest) > room:
        _print_list(console, columns, cells, title=title)
        return
    table = Table(*columns, title=title, title_justify="left")
    if sum(natural) > room:
        # Every column gets its longest word, and the rest of the room in proportion to
        # what each still needs to print unwrapped: wrapping happens between words only.
        spare, wants = room - sum(shortest), [n - s for n, s in zip(natural, shortest, strict=True)]
        for column, least, want in zip(table.columns, shortest, wants, strict=True):
            column.width = least + want * spare // max(sum(wants), 1)
    for column in table.columns:
        column.overflow = "fold"  # never "…"
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _longest_word(text: Text) -> int:
    return max((len(word) for word in text.plain.split()), default=0)


def _longest_line(text: Text) -> int:
    return max((len(line) for line in text.plain.splitlines()), default=0)


def _print_list(
    console: Console, columns: list[str], rows: list[list[Text]], *, title: str | None
) -> None:
    if title:
        console.print(Text(title, style="italic"))
    label = max(len(c) for c in columns)
    for n, row in enumerate(rows):
        if n:
            console.print()
        for column, value in zip(columns, row, strict=True):
            line = Text(f"{column:<{label}}  ", style="bold")
            line.append_text(value)
            console.print(line, soft_wrap=True)


def command_line(*args: str) -> str:
    """A `newsarchive …` command line that works as printed in a fresh shell: the absolute
    path of this installation's `newsarchive` script (a fresh shell has no virtual
    environment on its PATH), every argument quoted for the shell."""
    script = Path(sys.executable).parent / "newsarchive"  # the venv's bin/, symlinks kept
    program = (
        [str(script.absolute())] if script.is_file() else [sys.executable, "-m", "newsarchive.cli"]
    )
    return shlex.join([*program, *args])
