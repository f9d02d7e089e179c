"""Terminal rendering of `archive` results and of an article's history: versions, and the
diff between two versions as the web page shows it (title, authors and dates that changed,
paragraphs added and removed, changed paragraphs with word-level marks).

Marks read without colour too, as `git diff --word-diff` writes them: `[-removed-]` and
`{+added+}` inside a changed paragraph; paragraphs start with `+` (added), `-` (removed),
`~` (changed) or a space (unchanged context). The counts are those of what is shown.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from rich.console import Console
from rich.text import Text

from archive.diffs import paragraphs
from newsarchive.cli_output import print_table

ADDED, REMOVED, HEADER = "green", "red", "cyan"
# A paragraph longer than this (in words) is shown as removed + added rather than aligned
# word by word: the alignment's cost grows with the product of both lengths. So does the
# pairing of replaced paragraphs: past MAX_PAIRINGS pairs to compare they pair in order.
MAX_WORDS_ALIGNED = 3000
MAX_PAIRINGS = 400
SAME_PARAGRAPH = 0.5  # share of words two paragraphs have in common to count as one, edited


def print_archive_results(console: Console, rows: list[dict[str, Any]]) -> None:
    table = []
    for row in rows:
        ok = row.get("version") is not None
        table.append([row["requested_url"], Text(str(row.get("outcome")), style="green" if ok else "red"),
                      row.get("article_id") or "", str(row.get("version") or ""), row.get("error") or ""])  # fmt: skip
    print_table(console, ["URL", "outcome", "article", "version", "note"], table)


def print_history(console: Console, history: dict[str, Any]) -> None:
    console.print(Text(history["title"] or history["url"], style="bold"), soft_wrap=True)
    console.print(
        f"{history['url']}  article {history['article_id']}  site {history['site']}", soft_wrap=True
    )
    console.print(f"first seen {history['first_seen_at']}, last seen {history['last_seen_at']}, "
                  f"last changed {history['last_changed_at']}", soft_wrap=True)  # fmt: skip
    rows = []
    for v in history["versions"]:
        diff = v.get("diff") or {}
        change = v["change"] + (f" → v{v['reverted_to']}" if v.get("reverted_to") else "")
        if v.get("reextract_of"):  # a newer extractor's reading of an earlier version's capture
            was = (v["reextract_of"].get("extractor") or {}).get("parser") or "unknown"
            now = (v.get("extractor") or {}).get("parser") or "unknown"
            change += f" of v{v['reextract_of'].get('version')} ({was} → {now})"
        warc = v.get("warc") or {}
        changed = [*(v.get("changed_fields") or []), *(v.get("changed_dates") or [])]
        types = v.get("edit_types")
        rows.append([str(v["version"]), v["captured_at"], change, ", ".join(changed),
                     ", ".join(types) if types else ("" if types is not None or v["version"] == 1 else "?"),
                     str(diff.get("chars_added", "")), str(diff.get("chars_removed", "")),
                     f"{warc.get('filename', '')}@{warc.get('offset', '')}"])  # fmt: skip
    print_table(
        console,
        [
            "version",
            "captured",
            "change",
            "changed",
            "edit types",
            "+chars",
            "-chars",
            "WARC record",
        ],
        rows,
    )
    versions = history["versions"]
    for older, newer in zip(versions, versions[1:], strict=False):
        console.print()
        print_diff(console, older, newer)


def _words(old: str, new: str) -> tuple[Text, int, int]:
    """`old` → `new` as one line with `[-removed-]` / `{+added+}` marks; characters added, removed."""
    return _marks(old.split(" "), new.split(" "), " ")


def _marks(a: list[str], b: list[str], sep: str) -> tuple[Text, int, int]:
    added = removed = 0
    parts: list[Text] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(Text(sep.join(a[i1:i2])))
            continue
        gone, came = sep.join(a[i1:i2]), sep.join(b[j1:j2])
        piece = Text()
        if gone:
            piece.append(f"[-{gone}-]", style=REMOVED)
            removed += len(gone)
        if came:
            piece.append(f"{{+{came}+}}", style=ADDED)
            added += len(came)
        parts.append(piece)
    return Text(sep).join(parts), added, removed


def _fields_changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changed = [
        f for f in ("title", "authors", "text") if (old.get(f) or None) != (new.get(f) or None)
    ]
    return changed + [f for f in ("published_at", "modified_at") if old.get(f) != new.get(f)]


@dataclass
class TextChanges:
    """Paragraph-aligned lines of a text diff and what they count."""

    lines: list[Text] = field(default_factory=list)
    chars_added: int = 0
    chars_removed: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0


def print_diff(console: Console, old: dict[str, Any], new: dict[str, Any]) -> None:
    """The diff from record `old` to record `new`, as the web page shows it: title, authors
    and dates that changed, then the text. The counts are those of what is shown: the
    title's words and the text's (a changed paragraph counts its changed words only)."""
    a, b = old["version"], new["version"]
    changed = _fields_changed(old, new)
    lines: list[Text] = []
    title_added = title_removed = 0
    if "title" in changed:
        marked, title_added, title_removed = _words(old.get("title") or "", new.get("title") or "")
        lines.append(Text.assemble(("title: ", "bold"), marked))
    if "authors" in changed:
        marked, _, _ = _marks(list(old.get("authors") or []) or ["(none)"],
                              list(new.get("authors") or []) or ["(none)"], ", ")  # fmt: skip
        lines.append(Text.assemble(("authors: ", "bold"), marked))
    for key, label in (("published_at", "published"), ("modified_at", "modified")):
        if key in changed:
            lines.append(Text.assemble((f"{label}: ", "bold"), (str(old.get(key) or "(none)"), REMOVED),
                                       " → ", (str(new.get(key) or "(none)"), ADDED)))  # fmt: skip
    text = text_changes(old.get("text"), new.get("text"))
    counts = (f"+{text.chars_added + title_added} / -{text.chars_removed + title_removed} chars"
              + (" (title and text)" if "title" in changed else "")
              + f"; paragraphs: {text.added} added, {text.removed} removed, {text.changed} changed")  # fmt: skip
    console.print(Text.assemble((f"version {a} → {b}", "bold"), f": changed {', '.join(changed) or 'nothing'}; "
                                f"{counts}"), soft_wrap=True)  # fmt: skip
    for line in lines:
        console.print(line, soft_wrap=True)
    if "text" not in changed:
        console.print("(no text change)")
        return
    for line in text.lines:
        console.print(line, soft_wrap=True)


def _similarity(old: str, new: str) -> float:
    matcher = difflib.SequenceMatcher(None, old.split(" "), new.split(" "), autojunk=False)
    return matcher.ratio() if matcher.quick_ratio() >= SAME_PARAGRAPH else 0.0


def _pair(old: list[str], new: list[str]) -> list[tuple[str | None, str | None]]:
    """Inside a block of replaced paragraphs: which old paragraph became which new one.

    Pairs keep their order and are at least `SAME_PARAGRAPH` alike; the rest are removed
    or added. (A paragraph inserted before an edited one is then shown as added, and the
    edited one with its word marks, rather than the insert shown as an edit of it.)"""
    if len(old) * len(new) > MAX_PAIRINGS:
        return list(zip_longest(old, new))
    n, m = len(old), len(new)
    sim = [[_similarity(o, w) for w in new] for o in old]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            pair = best[i + 1][j + 1] + sim[i][j] if sim[i][j] >= SAME_PARAGRAPH else -1.0
            best[i][j] = max(best[i + 1][j], best[i][j + 1], pair)
    pairs: list[tuple[str | None, str | None]] = []
    i = j = 0
    while i < n and j < m:
        if sim[i][j] >= SAME_PARAGRAPH and best[i][j] == best[i + 1][j + 1] + sim[i][j]:
            pairs.append((old[i], new[j]))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            pairs.append((old[i], None))
            i += 1
        else:
            pairs.append((None, new[j]))
            j += 1
    pairs += [(o, None) for o in old[i:]] + [(None, w) for w in new[j:]]
    return pairs


def text_changes(old_text: str | None, new_text: str | None, context: int = 1) -> TextChanges:
    """Paragraph-aligned lines: `@@ paragraph N @@` before each group of changes, `context`
    unchanged paragraphs around it, `+`/`-` whole paragraphs, `~` word-marked ones."""
    old_paras, new_paras = paragraphs(old_text), paragraphs(new_text)
    matcher = difflib.SequenceMatcher(None, old_paras, new_paras, autojunk=False)
    result = TextChanges()

    def added(p: str) -> None:
        result.lines.append(Text("+" + p, style=ADDED))
        result.added += 1
        result.chars_added += len(p)

    def removed(p: str) -> None:
        result.lines.append(Text("-" + p, style=REMOVED))
        result.removed += 1
        result.chars_removed += len(p)

    for group in matcher.get_grouped_opcodes(context):
        result.lines.append(Text(f"@@ paragraph {group[0][3] + 1} @@", style=HEADER))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                result.lines += [Text(" " + p) for p in old_paras[i1:i2]]
                continue
            for old, new in _pair(old_paras[i1:i2], new_paras[j1:j2]):
                if old is None:
                    added(str(new))
                elif new is None:
                    removed(old)
                elif max(old.count(" "), new.count(" ")) >= MAX_WORDS_ALIGNED:
                    removed(old)
                    added(new)
                else:
                    marked, plus, minus = _words(old, new)
                    result.lines.append(Text("~") + marked)
                    result.changed += 1
                    result.chars_added += plus
                    result.chars_removed += minus
    return result
