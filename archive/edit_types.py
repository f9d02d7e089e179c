"""What kind of edit a new version is: `classify_edit(old_record, new_record)`.

The records are version records (archive/versions.py): `title`, `authors`, `text`
(paragraphs separated by blank lines), `published_at`, `modified_at`. The result is a list
of types in the order of `EDIT_TYPES`; an edit can be of several types ("append" and
"correction": an update at the end and a correction note). Definitions:

| type          | the new version …                                                           |
|---------------|-----------------------------------------------------------------------------|
| `headline`    | has another title (compared after normalisation: quotes, dashes, spaces)     |
| `byline`      | has other authors (names compared case-insensitively, order counts)          |
| `dates`       | gives another publication time (both versions give one)                      |
| `correction`  | adds, changes or drops a correction or editor's note (`CORRECTION_PATTERNS`: "Correction:", "Clarification:", "Editor's note:", "An earlier version of this story …", "This story has been updated/corrected …", "… regrets the error"); a paragraph that opens with one is a note as a whole |
| `append`      | adds sentences before the first or after the last sentence of the old text   |
| `insertion`   | adds sentences inside the text, and changes or removes none there            |
| `deletion`    | removes sentences, and adds or changes none inside the text                  |
| `reorder`     | moves sentences or paragraphs to another place                              |
| `numbers`     | changes figures only: every changed word is a number ("12" → "15", "twelve") |
| `minor`       | changes at most `MINOR_MAX_WORDS` words inside the text (typos, a word), or only punctuation, case or paragraphing |
| `substantive` | changes more than that inside the text, short of a rewrite                   |
| `rewrite`     | removes or changes at least `REWRITE_SHARE` of the old text's words, and adds text |
| `stealth`     | changed title, authors or text while the page's own modified time did not move (both versions give the same one) |

"Inside the text" means everything but the sentences added at the top or end (`append`)
and moved without edits (`reorder`); correction notes count only as `correction`. The size
of a change is counted in words by the sentence alignment (archive/diff_align.py): a
replaced sentence counts the words its word diff changes, an added or removed sentence all
of its words. `rewrite` replaces the size types and `append`/`insertion`/`deletion`/`reorder`
(most of the story is new: the parts say little). A first version (no old record) or an
unchanged one has no types.

Cost: that of the alignment (near-linear, capped; see archive/diff_align.py) plus a pass over
its operations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from archive.content import normalize_authors, normalize_text
from archive.diff_align import Op, align
from archive.outcomes import REEXTRACT

EDIT_TYPES = ("headline", "byline", "dates", "correction", "append", "insertion", "deletion",
              "reorder", "numbers", "minor", "substantive", "rewrite", "stealth")  # fmt: skip
MINOR_MAX_WORDS = 6  # changed words inside the text for a `minor` edit
REWRITE_SHARE = 0.5  # share of the old text's words removed or changed for a `rewrite`

CORRECTION_PATTERNS = (
    r"^(?:correction|corrections|clarification|editor['\u2019]?s['\u2019]? note|update and correction)\s*[:.\-\u2013\u2014]",
    r"\ban? (?:earlier|previous|prior) version of this (?:story|article|report|post|piece|headline)\b",
    r"\bthis (?:story|article|report|post|piece) (?:has been|was|is being) (?:updated|corrected|amended|revised|clarified)\b",  # noqa: E501
    r"\b(?:regrets|regret) the errors?\b",
)
_CORRECTION = re.compile("|".join(CORRECTION_PATTERNS), re.IGNORECASE | re.MULTILINE)
# Every pattern holds one of these: a substring test (C speed) spares the regex most texts.
_HINTS = ("correction", "clarification", "editor", "version of this", "this story", "this article",
          "this report", "this post", "this piece", "regret")  # fmt: skip


def _may_hold_note(text: str) -> bool:
    lowered = text.lower()
    return any(hint in lowered for hint in _HINTS)


_NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
    ninety hundred hundreds thousand thousands million millions billion billions trillion
    dozen dozens half percent""".split()
)
_STRIP = "\"'()[]{}.,;:!?%$€£"


def _is_number(word: str) -> bool:
    bare = word.strip(_STRIP).lower()
    return (
        any(c.isdigit() for c in bare) or bare in _NUMBER_WORDS or bare.rstrip("s") in _NUMBER_WORDS
    )


def is_correction_note(sentence: str) -> bool:
    """Whether a sentence reads as a correction or editor's note."""
    return _may_hold_note(sentence) and _CORRECTION.search(" ".join(sentence.split())) is not None


def _note_flags(ops: list[Op], side: str) -> dict[int, bool]:
    """Sentence index → is part of a note, on one side ("old"/"new"): a sentence matching a
    pattern, and every sentence of a paragraph that opens with one."""
    sentences = sorted({(item[f"{side}_index"], item[f"{side}_paragraph"], item[side])
                        for item in ops if item[f"{side}_index"] is not None})  # fmt: skip
    flags: dict[int, bool] = {}
    if not _may_hold_note("\n".join(text for _, _, text in sentences)):
        return flags  # one scan of the whole side: most texts hold no note
    note_paragraph = None
    last_paragraph = None
    for index, paragraph, text in sentences:
        opens = paragraph != last_paragraph
        last_paragraph = paragraph
        matches = is_correction_note(text)
        if opens:
            note_paragraph = paragraph if matches else None
        flags[index] = matches or note_paragraph == paragraph
    return flags


def _words(text: str | None) -> int:
    return len((text or "").split())


def _body_changes(
    ops: list[Op], note_old: dict[int, bool], note_new: dict[int, bool]
) -> dict[str, Any]:
    """Counts over the non-note operations."""

    def is_note(item: Op) -> bool:
        return bool(note_old.get(item["old_index"]) or note_new.get(item["new_index"]))

    body = [item for item in ops if not is_note(item)]
    has_old = [k for k, item in enumerate(body) if item["op"] not in ("insert",)]
    first, last = (has_old[0], has_old[-1]) if has_old else (len(body), -1)
    stats = {"edge_insert": 0, "mid_insert": 0, "deleted": 0, "replaced": 0, "moved": 0,
             "changed_words": 0, "removed_words": 0, "added_words": 0, "old_words": 0,
             "numbers_only": True}  # fmt: skip
    for k, item in enumerate(body):
        kind = item["op"]
        stats["old_words"] += _words(item["old"]) if kind != "move" else 0
        if kind == "insert":
            words = _words(item["new"])
            stats["added_words"] += words
            if k < first or k > last:
                stats["edge_insert"] += 1
            else:
                stats["mid_insert"] += 1
                stats["changed_words"] += words
                stats["numbers_only"] = False
        elif kind == "delete":
            words = _words(item["old"])
            stats["deleted"] += 1
            stats["removed_words"] += words
            stats["changed_words"] += words
            stats["numbers_only"] = False
        elif kind == "move_origin":
            stats["moved"] += 1
        elif kind in ("replace", "move") and "words" in item:
            stats["replaced"] += 1
            removed = [w for tag, text in item["words"] if tag == "delete" for w in text.split()]
            added = [w for tag, text in item["words"] if tag == "insert" for w in text.split()]
            stats["removed_words"] += len(removed)
            stats["added_words"] += len(added)
            stats["changed_words"] += max(len(removed), len(added)) or 1
            if not (removed or added) or not all(_is_number(w) for w in removed + added) \
                    or len(removed) != len(added):  # fmt: skip
                stats["numbers_only"] = False
    return stats


def _paragraphing_changed(ops: list[Op]) -> bool:
    """Same sentences, other paragraph breaks."""
    pairs = [
        (item["old_paragraph"], item["new_paragraph"]) for item in ops if item["op"] == "equal"
    ]
    return any(
        (a1 == a2) != (b1 == b2) for (a1, b1), (a2, b2) in zip(pairs, pairs[1:], strict=False)
    )


def _text_types(ops: list[Op]) -> list[str]:
    note_old, note_new = _note_flags(ops, "old"), _note_flags(ops, "new")
    found: list[str] = []
    notes_before = [normalize_text(item["old"]) for item in ops
                    if item["old_index"] is not None and note_old.get(item["old_index"])]  # fmt: skip
    notes_after = [normalize_text(item["new"]) for item in ops
                   if item["new_index"] is not None and note_new.get(item["new_index"])]  # fmt: skip
    if sorted(notes_before) != sorted(notes_after):
        found.append("correction")
    s = _body_changes(ops, note_old, note_new)
    inside = s["mid_insert"] + s["deleted"] + s["replaced"]
    if s["old_words"] and s["removed_words"] >= REWRITE_SHARE * s["old_words"] and s["added_words"]:
        return [*found, "rewrite"]
    if s["edge_insert"]:
        found.append("append")
    if s["mid_insert"] and not s["deleted"] and not s["replaced"]:
        found.append("insertion")
    if s["deleted"] and not s["mid_insert"] and not s["replaced"]:
        found.append("deletion")
    if s["moved"]:
        found.append("reorder")
    if s["replaced"] and not s["deleted"] and not s["mid_insert"] and s["numbers_only"]:
        found.append("numbers")
    elif s["replaced"] or (s["mid_insert"] and s["deleted"]):
        found.append("minor" if s["changed_words"] <= MINOR_MAX_WORDS else "substantive")
    if not found and not inside and _paragraphing_changed(ops):
        found.append("minor")
    return found


def classify_edit(old_record: Mapping[str, Any] | None, new_record: Mapping[str, Any],
                  *, ops: list[Op] | None = None) -> list[str]:  # fmt: skip
    """The edit types of `new_record` over `old_record` (see the module's docstring).

    `ops`: the alignment of the two texts when the caller has it already (search indexing
    aligns them too); computed here otherwise.
    """
    if old_record is None or new_record.get("change") == REEXTRACT:
        return []  # a re-extraction is a newer reading of the same capture, not an edit
    found: set[str] = set()
    if normalize_text(old_record.get("title")) != normalize_text(new_record.get("title")):
        found.add("headline")
    old_authors = [a.casefold() for a in normalize_authors(old_record.get("authors"))]
    if old_authors != [a.casefold() for a in normalize_authors(new_record.get("authors"))]:
        found.add("byline")
    old_text, new_text = (
        normalize_text(old_record.get("text")),
        normalize_text(new_record.get("text")),
    )
    if old_text != new_text:
        found.update(
            _text_types(ops if ops is not None else align(old_text, new_text)) or ["minor"]
        )
    content_changed = bool(found)
    published = old_record.get("published_at"), new_record.get("published_at")
    if all(published) and published[0] != published[1]:
        found.add("dates")
    modified = old_record.get("modified_at"), new_record.get("modified_at")
    if content_changed and all(modified) and modified[0] == modified[1]:
        found.add("stealth")
    return [name for name in EDIT_TYPES if name in found]
