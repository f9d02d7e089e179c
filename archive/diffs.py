"""Diffs between two versions of an article's text: statistics and a unified diff."""

from __future__ import annotations

import difflib
from typing import Any


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def _char_changes(old: str, new: str) -> tuple[int, int]:
    """Characters added and removed between two paragraphs, by a word-level alignment."""
    old_words, new_words = old.split(" "), new.split(" ")
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete"):
            removed += len(" ".join(old_words[i1:i2]))
        if op in ("replace", "insert"):
            added += len(" ".join(new_words[j1:j2]))
    return added, removed


def text_diff(old_text: str | None, new_text: str | None, *, from_version: int,
              from_label: str = "", to_label: str = "") -> dict[str, Any]:  # fmt: skip
    """`{"from_version", "chars_added", "chars_removed", "paragraphs_added",
    "paragraphs_removed", "unified"}` from the old text to the new one.

    Paragraphs are aligned first; a replaced paragraph counts as one removed and one added,
    and its characters are counted by a word-level alignment so that an edited sentence
    does not count as a whole new paragraph of characters.
    """
    old_paras, new_paras = paragraphs(old_text), paragraphs(new_text)
    chars_added = chars_removed = paras_added = paras_removed = 0
    matcher = difflib.SequenceMatcher(None, old_paras, new_paras, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        old_chunk, new_chunk = old_paras[i1:i2], new_paras[j1:j2]
        paras_removed += len(old_chunk)
        paras_added += len(new_chunk)
        if op == "replace":
            for k in range(max(len(old_chunk), len(new_chunk))):
                a, r = _char_changes(
                    old_chunk[k] if k < len(old_chunk) else "",
                    new_chunk[k] if k < len(new_chunk) else "",
                )
                chars_added += a
                chars_removed += r
        else:
            chars_removed += sum(len(p) for p in old_chunk)
            chars_added += sum(len(p) for p in new_chunk)
    unified = "\n".join(
        difflib.unified_diff(
            old_paras, new_paras,
            fromfile=from_label or f"version {from_version}", tofile=to_label or "new",
            lineterm="", n=1,
        )
    )  # fmt: skip
    return {
        "from_version": from_version,
        "chars_added": chars_added,
        "chars_removed": chars_removed,
        "paragraphs_added": paras_added,
        "paragraphs_removed": paras_removed,
        "unified": unified,
    }
