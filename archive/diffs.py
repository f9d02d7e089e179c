"""Diffs between two versions of an article's text: statistics and a unified diff, in bounded time.

difflib's SequenceMatcher (with autojunk off, as an honest word diff needs) costs time in
proportion to the product of the two lengths, and more on repetitive text: one page of
16,000 repeated words took 65–77 s. So the exact alignment runs only while the product of
the lengths stays under `MAX_CELLS`, and one diff spends at most `BUDGET_CELLS` in all;
past that the alignment is approximate and linear-ish (`bounded_opcodes`): the common start
and end, then "patience" anchors (tokens found exactly once on each side, kept in order by a
longest increasing subsequence), then exact alignment of the small gaps between anchors
and a plain replacement of the big ones. Such a diff says so: `"approximate": true`.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

Opcode = tuple[str, int, int, int, int]

# Measured (benchmarks/diff_bound.py): SequenceMatcher spends ~0.15–0.2 µs per cell on the
# worst (repetitive) input, so one exact alignment costs at most ~50 ms, and a whole diff
# (every paragraph pair) at most ~0.3 s, whatever the text.
MAX_CELLS = 250_000
BUDGET_CELLS = 1_500_000


@dataclass
class Budget:
    """How much exact alignment one diff may still do; `approximate` once it ran out."""

    cells: int = BUDGET_CELLS
    approximate: bool = False

    def take(self, cells: int) -> bool:
        if cells > MAX_CELLS or cells > self.cells:
            self.approximate = True
            return False
        self.cells -= cells
        return True


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def bounded_opcodes(
    a: Sequence[Hashable], b: Sequence[Hashable], budget: Budget | None = None
) -> list[Opcode]:
    """SequenceMatcher(None, a, b, autojunk=False).get_opcodes() when that is affordable
    (the very same result); otherwise an approximate alignment in near-linear time."""
    budget = budget if budget is not None else Budget()
    n, m = len(a), len(b)
    if n * m == 0 or budget.take(n * m):
        return list(difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes())
    start = 0
    while start < min(n, m) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(n, m) - start and a[n - 1 - end] == b[m - 1 - end]:
        end += 1
    ops: list[Opcode] = [("equal", 0, start, 0, start)] if start else []
    ops += _anchored(a, b, start, n - end, start, m - end, budget)
    if end:
        ops.append(("equal", n - end, n, m - end, m))
    return _merged(ops)


def _gap(a: Sequence[Hashable], b: Sequence[Hashable], i1: int, i2: int, j1: int, j2: int,
         budget: Budget) -> list[Opcode]:  # fmt: skip
    if i1 == i2 and j1 == j2:
        return []
    if i1 == i2:
        return [("insert", i1, i1, j1, j2)]
    if j1 == j2:
        return [("delete", i1, i2, j1, j1)]
    if budget.take((i2 - i1) * (j2 - j1)):
        matcher = difflib.SequenceMatcher(None, a[i1:i2], b[j1:j2], autojunk=False)
        return [
            (op, x1 + i1, x2 + i1, y1 + j1, y2 + j1) for op, x1, x2, y1, y2 in matcher.get_opcodes()
        ]
    return [("replace", i1, i2, j1, j2)]


def _anchored(a: Sequence[Hashable], b: Sequence[Hashable], i1: int, i2: int, j1: int, j2: int,
              budget: Budget) -> list[Opcode]:  # fmt: skip
    """Patience alignment of a[i1:i2] and b[j1:j2]: unique common tokens as anchors, the gaps
    between them aligned exactly when small (one level: no recursion, linear-ish in all)."""
    count_a = Counter(a[i1:i2])
    count_b = Counter(b[j1:j2])
    where_b = {b[j]: j for j in range(j1, j2) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(i1, i2) if count_a[a[i]] == 1 and a[i] in where_b]
    ops: list[Opcode] = []
    pi, pj = i1, j1
    for i, j in _increasing(pairs):
        ops += _gap(a, b, pi, i, pj, j, budget)
        ops.append(("equal", i, i + 1, j, j + 1))
        pi, pj = i + 1, j + 1
    return ops + _gap(a, b, pi, i2, pj, j2, budget)


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of `pairs` (sorted by i) whose j increase too (patience sorting)."""
    tails: list[int] = []  # the j ending the best run of each length
    tail_index: list[int] = []
    previous = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_index.append(k)
        else:
            tails[pos] = j
            tail_index[pos] = k
        previous[k] = tail_index[pos - 1] if pos else -1
    run = []
    k = tail_index[-1] if tail_index else -1
    while k >= 0:
        run.append(pairs[k])
        k = previous[k]
    return run[::-1]


def _merged(ops: list[Opcode]) -> list[Opcode]:
    out: list[Opcode] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if out and out[-1][0] == op[0] == "equal":
            tag, i1, _, j1, _ = out[-1]
            out[-1] = (tag, i1, op[2], j1, op[4])
        elif out and out[-1][0] != "equal" and op[0] != "equal":
            _, i1, _, j1, _ = out[-1]
            i2, j2 = op[2], op[4]
            out[-1] = (
                "replace" if i2 > i1 and j2 > j1 else "delete" if i2 > i1 else "insert",
                i1,
                i2,
                j1,
                j2,
            )
        else:
            out.append(op)
    return out


def _grouped(codes: list[Opcode], n: int) -> Iterator[list[Opcode]]:
    """difflib.SequenceMatcher.get_grouped_opcodes over given opcodes."""
    codes = list(codes) or [("equal", 0, 1, 0, 1)]
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - n), i2, max(j1, j2 - n), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > n + n:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if not length else start + 1},{length}"


def unified(
    a: list[str], b: list[str], codes: list[Opcode], *, fromfile: str, tofile: str, n: int = 1
) -> str:
    """difflib.unified_diff's text (lineterm="") for the alignment `codes`."""
    lines: list[str] = []
    for group in _grouped(codes, n):
        if not lines:
            lines += [f"--- {fromfile}", f"+++ {tofile}"]
        first, last = group[0], group[-1]
        lines.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [" " + x for x in a[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                lines += ["-" + x for x in a[i1:i2]]
            if tag in ("replace", "insert"):
                lines += ["+" + x for x in b[j1:j2]]
    return "\n".join(lines)


def _char_changes(old: str, new: str, budget: Budget) -> tuple[int, int]:
    """Characters added and removed between two paragraphs, by a word-level alignment."""
    old_words, new_words = old.split(" "), new.split(" ")
    added = removed = 0
    for op, i1, i2, j1, j2 in bounded_opcodes(old_words, new_words, budget):
        if op in ("replace", "delete"):
            removed += len(" ".join(old_words[i1:i2]))
        if op in ("replace", "insert"):
            added += len(" ".join(new_words[j1:j2]))
    return added, removed


def text_diff(old_text: str | None, new_text: str | None, *, from_version: int,
              from_label: str = "", to_label: str = "") -> dict[str, Any]:  # fmt: skip
    """`{"from_version", "chars_added", "chars_removed", "paragraphs_added",
    "paragraphs_removed", "unified"}` from the old text to the new one, plus
    `"approximate": true` when the texts were too large or repetitive for an exact
    alignment within the budget (see the module docstring).

    Paragraphs are aligned first; a replaced paragraph counts as one removed and one added,
    and its characters are counted by a word-level alignment so that an edited sentence
    does not count as a whole new paragraph of characters.
    """
    old_paras, new_paras = paragraphs(old_text), paragraphs(new_text)
    budget = Budget()
    chars_added = chars_removed = paras_added = paras_removed = 0
    codes = bounded_opcodes(old_paras, new_paras, budget)
    for op, i1, i2, j1, j2 in codes:
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
                    budget,
                )
                chars_added += a
                chars_removed += r
        else:
            chars_removed += sum(len(p) for p in old_chunk)
            chars_added += sum(len(p) for p in new_chunk)
    fromfile, tofile = from_label or f"version {from_version}", to_label or "new"
    if budget.approximate:
        text = unified(old_paras, new_paras, codes, fromfile=fromfile, tofile=tofile)
    else:  # as it always was (difflib's own choices), for texts small enough
        text = "\n".join(difflib.unified_diff(old_paras, new_paras, fromfile=fromfile, tofile=tofile,
                                              lineterm="", n=1))  # fmt: skip
    diff: dict[str, Any] = {
        "from_version": from_version,
        "chars_added": chars_added,
        "chars_removed": chars_removed,
        "paragraphs_added": paras_added,
        "paragraphs_removed": paras_removed,
        "unified": text,
    }
    if budget.approximate:
        diff["approximate"] = True
    return diff
