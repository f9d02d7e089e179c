"""Sentence-level alignment of two versions of a story's text, with moves and word marks.

`align(old_text, new_text)` returns a list of operations (plain dicts, JSON-ready), in the
order a reader meets them — the new text's order, with what left the old text in its old
place:

| op            | meaning                                         | old  | new  | words |
|---------------|-------------------------------------------------|------|------|-------|
| `equal`       | the sentence is unchanged                       | yes  | yes  |       |
| `insert`      | a new sentence                                  |      | yes  |       |
| `delete`      | a sentence that is gone                         | yes  |      |       |
| `replace`     | a sentence that was edited in place             | yes  | yes  | yes   |
| `move`        | a sentence now here that stood elsewhere before | yes  | yes  | if edited |
| `move_origin` | where a moved sentence stood before             | yes  |      |       |

Every op also has `old_index`/`new_index` (sentence numbers, None when absent) and
`old_paragraph`/`new_paragraph` (paragraph numbers). A moved paragraph is a run of `move`
ops (and a run of `move_origin` ops where it was), never a deletion plus an addition.
`words` is a list of `[tag, text]` with tag `equal`, `delete` or `insert`.

How: sentences are compared by their normalised text (content.normalize_text: quotes,
dashes, white space). A patience diff (sentences unique to both sides as anchors, the
longest increasing run of them, recursively between them; difflib's matcher inside small
gaps) pairs equal sentences; unmatched sentences found on both sides are moves; in each
gap the remaining sentences are paired with the most similar one (a monotone matching on
word overlap) as replacements; what is left are insertions, deletions, and moves with
edits (similar sentences in different gaps).

Cost: near-linear. Texts beyond `MAX_TEXT_CHARS` or `MAX_SENTENCES` keep their tail as one
last unit; the patience recursion has a work budget proportional to the input; pairwise
similarity runs only where old × new sentences of a gap stay under `PAIR_CAP` (else in
order), moves with edits under `MOVE_CAP`; word diffs only on sentences of at most
`MAX_SENTENCE_WORDS` words.
"""

from __future__ import annotations

import difflib
import html
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from functools import lru_cache
from typing import Any

from archive.content import normalize_text
from archive.sentences import Sentence, paragraphs, split_paragraph

MAX_TEXT_CHARS = 1_000_000
MAX_SENTENCES = 20_000
WORK_PER_SENTENCE = 40  # patience recursion: units of work per input sentence
SMALL_GAP = 10_000  # old × new sentences of a gap without anchors that difflib may match
PAIR_CAP = 2_500  # old × new sentences of one gap compared pairwise for replacements
MOVE_CAP = 2_500  # leftover deletions × insertions compared for moves with edits
PAIR_SIMILARITY = 0.5  # word overlap (Dice) for "the same sentence, edited in place"
MOVE_SIMILARITY = 0.6  # word overlap for "the same sentence, edited and moved"
MAX_SENTENCE_WORDS = 400  # longer sentences are replaced whole, without word marks

Op = dict[str, Any]
_WORD = re.compile(r"\w+")


def sentence_key(sentence: str) -> str:
    """What sentences are compared by: the text normalised (quotes, dashes, white space)."""
    return sentence if sentence.isascii() else normalize_text(sentence)


@lru_cache(maxsize=4096)
def _paragraph_units(paragraph: str) -> tuple[tuple[str, str], ...]:
    # Versions of a story share most paragraphs: each is split and keyed once (rebuilding
    # an index aligns every version with the one before, so every text is split twice).
    return tuple((s, sentence_key(s)) for s in split_paragraph(paragraph))


def _sentences(text: str | None) -> tuple[list[Sentence], list[str]]:
    """The text's sentences and their keys, capped (MAX_TEXT_CHARS, MAX_SENTENCES)."""
    text = text or ""
    head, tail = text[:MAX_TEXT_CHARS], text[MAX_TEXT_CHARS:]
    found: list[Sentence] = []
    keys: list[str] = []
    paras = paragraphs(head)
    for index, para in enumerate(paras):
        units = _paragraph_units(para) if len(para) <= 20_000 else tuple(
            (s, sentence_key(s)) for s in split_paragraph(para))  # fmt: skip
        for k, (sentence, key) in enumerate(units):
            if len(found) >= MAX_SENTENCES - 1:
                rest = " ".join([*(u[0] for u in units[k:]), *paras[index + 1 :], *tail.split()])
                found.append(Sentence(rest, index))
                keys.append(sentence_key(rest))
                return found, keys
            found.append(Sentence(sentence, index))
            keys.append(key)
    if tail.strip():
        rest = " ".join(tail.split())
        found.append(Sentence(rest, found[-1].paragraph + 1 if found else 0))
        keys.append(sentence_key(rest))
    return found, keys


def _lis(anchors: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of anchors (sorted by old index) whose new indexes increase."""
    tails: list[int] = []  # new index ending the best run of each length
    tail_at: list[int] = []  # which anchor ends it
    back = [-1] * len(anchors)
    for k, (_, j) in enumerate(anchors):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos] = j
            tail_at[pos] = k
        back[k] = tail_at[pos - 1] if pos else -1
    out: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        out.append(anchors[k])
        k = back[k]
    out.reverse()
    return out


def match_equal(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Pairs (i, j) of equal keys, increasing on both sides (a patience diff, budgeted)."""
    pairs: list[tuple[int, int]] = []
    budget = WORK_PER_SENTENCE * (len(a) + len(b)) + 10_000
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            pairs.append((alo, blo))
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
            pairs.append((ahi, bhi))
        if alo == ahi or blo == bhi:
            continue
        budget -= (ahi - alo) + (bhi - blo)
        if budget < 0:
            continue  # out of budget: this gap stays unmatched (insertions and deletions)
        count_a = Counter(a[alo:ahi])
        count_b = Counter(b[blo:bhi])
        where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
        anchors = [(i, where_b[a[i]]) for i in range(alo, ahi)
                   if count_a[a[i]] == 1 and a[i] in where_b]  # fmt: skip
        if anchors:
            prev_a, prev_b = alo, blo
            for i, j in _lis(anchors):
                pairs.append((i, j))
                stack.append((prev_a, i, prev_b, j))
                prev_a, prev_b = i + 1, j + 1
            stack.append((prev_a, ahi, prev_b, bhi))
        elif (ahi - alo) * (bhi - blo) <= SMALL_GAP:
            matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            for block in matcher.get_matching_blocks():
                pairs.extend((alo + block.a + k, blo + block.b + k) for k in range(block.size))
    pairs.sort()
    return pairs


def _bag(text: str) -> Counter[str]:
    return Counter(w.lower() for w in _WORD.findall(text))


def _similarity(x: Counter[str], y: Counter[str]) -> float:
    total = sum(x.values()) + sum(y.values())
    return 2 * sum((x & y).values()) / total if total else 1.0


def _pair_gap(olds: list[int], news: list[int], bags_a: dict[int, Counter[str]],
              bags_b: dict[int, Counter[str]]) -> list[tuple[int, int]]:  # fmt: skip
    """Monotone pairs (old, new) of similar sentences within one gap."""
    if len(olds) * len(news) > PAIR_CAP:
        return [(i, j) for i, j in zip(olds, news, strict=False)
                if _similarity(bags_a[i], bags_b[j]) >= PAIR_SIMILARITY]  # fmt: skip
    k, n = len(olds), len(news)
    sim = [[_similarity(bags_a[i], bags_b[j]) for j in news] for i in olds]
    # best[x][y]: the best total similarity pairing olds[x:] with news[y:]
    best = [[0.0] * (n + 1) for _ in range(k + 1)]
    for x in range(k - 1, -1, -1):
        for y in range(n - 1, -1, -1):
            take = sim[x][y] + best[x + 1][y + 1] if sim[x][y] >= PAIR_SIMILARITY else -1.0
            best[x][y] = max(take, best[x + 1][y], best[x][y + 1])
    pairs, x, y = [], 0, 0
    while x < k and y < n:
        if sim[x][y] >= PAIR_SIMILARITY and best[x][y] == sim[x][y] + best[x + 1][y + 1]:
            pairs.append((olds[x], news[y]))
            x, y = x + 1, y + 1
        elif best[x][y] == best[x + 1][y]:
            x += 1
        else:
            y += 1
    return pairs


def word_diff(old: str, new: str) -> list[list[str]]:
    """`[[tag, text], …]` turning `old` into `new` word by word (tags equal/delete/insert)."""
    a, b = old.split(), new.split()
    if len(a) > MAX_SENTENCE_WORDS or len(b) > MAX_SENTENCE_WORDS:
        return [["delete", old], ["insert", new]]
    matcher = difflib.SequenceMatcher(None, [sentence_key(w) for w in a],
                                      [sentence_key(w) for w in b], autojunk=False)  # fmt: skip
    out: list[list[str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(["equal", " ".join(b[j1:j2])])
            continue
        if i2 > i1:
            out.append(["delete", " ".join(a[i1:i2])])
        if j2 > j1:
            out.append(["insert", " ".join(b[j1:j2])])
    return out


def align(old_text: str | None, new_text: str | None) -> list[Op]:
    """The operations turning `old_text` into `new_text` (see the module's docstring)."""
    old, a = _sentences(old_text)
    new, b = _sentences(new_text)
    equal = match_equal(a, b)
    matched_a = {i for i, _ in equal}
    matched_b = {j for _, j in equal}
    # Moves: a sentence left unmatched on both sides (out of order).
    waiting: dict[str, list[int]] = {}
    for j in range(len(b)):
        if j not in matched_b:
            waiting.setdefault(b[j], []).append(j)
    moves: dict[int, int] = {}  # old index → new index
    for i in range(len(a)):
        if i not in matched_a and waiting.get(a[i]):
            moves[i] = waiting[a[i]].pop(0)
    moved_to = {j: i for i, j in moves.items()}
    # Replacements: similar sentences within the same gap between equal pairs.
    anchors_a = [i for i, _ in equal]
    anchors_b = [j for _, j in equal]
    gaps: dict[int, tuple[list[int], list[int]]] = {}
    for i in range(len(a)):
        if i not in matched_a and i not in moves:
            gaps.setdefault(bisect_right(anchors_a, i), ([], []))[0].append(i)
    for j in range(len(b)):
        if j not in matched_b and j not in moved_to:
            gaps.setdefault(bisect_right(anchors_b, j), ([], []))[1].append(j)
    bags_a: dict[int, Counter[str]] = {}
    bags_b: dict[int, Counter[str]] = {}
    replaced: dict[int, int] = {}
    for olds, news in gaps.values():
        if olds and news:
            for i in olds:
                bags_a[i] = _bag(old[i].text)
            for j in news:
                bags_b[j] = _bag(new[j].text)
            replaced.update(_pair_gap(olds, news, bags_a, bags_b))
    # Moves with edits: a leftover sentence next to one that was matched, like the leftover
    # next to its counterpart (a moved paragraph with one sentence edited); then any
    # leftover deletion much like a leftover insertion elsewhere.
    replaced_b = set(replaced.values())
    left_a = [i for olds, _ in gaps.values() for i in olds if i not in replaced]
    left_b = {j for _, news in gaps.values() for j in news if j not in replaced_b}
    mapping = {**dict(equal), **replaced, **moves}
    edited_moves: set[int] = set()

    def similar(i: int, j: int, threshold: float) -> bool:
        if i not in bags_a:
            bags_a[i] = _bag(old[i].text)
        if j not in bags_b:
            bags_b[j] = _bag(new[j].text)
        return _similarity(bags_a[i], bags_b[j]) >= threshold

    def pair_move(i: int, j: int) -> None:
        moves[i], moved_to[j], mapping[i] = j, i, j
        edited_moves.add(i)
        left_b.discard(j)

    for order, step in ((sorted(left_a), -1), (sorted(left_a, reverse=True), 1)):
        for i in order:
            neighbour = mapping.get(i + step)
            if i not in moves and neighbour is not None and neighbour - step in left_b \
                    and similar(i, neighbour - step, PAIR_SIMILARITY):  # fmt: skip
                pair_move(i, neighbour - step)
    left_a = [i for i in left_a if i not in moves]
    if left_a and left_b and len(left_a) * len(left_b) <= MOVE_CAP:
        scored = sorted(((_similarity(bags_a.setdefault(i, _bag(old[i].text)),
                                      bags_b.setdefault(j, _bag(new[j].text))), i, j)
                         for i in left_a for j in left_b), reverse=True)  # fmt: skip
        for score, i, j in scored:
            if score < MOVE_SIMILARITY:
                break
            if i not in moves and j not in moved_to:
                pair_move(i, j)
    return _emit(old, new, equal, replaced, moves, moved_to, edited_moves)


def _emit(old: list[Sentence], new: list[Sentence], equal: list[tuple[int, int]],
          replaced: dict[int, int], moves: dict[int, int], moved_to: dict[int, int],
          edited_moves: set[int]) -> list[Op]:  # fmt: skip
    def op(kind: str, i: int | None, j: int | None) -> Op:
        return {
            "op": kind,
            "old": old[i].text if i is not None else None,
            "new": new[j].text if j is not None else None,
            "old_index": i,
            "new_index": j,
            "old_paragraph": old[i].paragraph if i is not None else None,
            "new_paragraph": new[j].paragraph if j is not None else None,
        }

    anchors = sorted(
        [(i, j, "equal") for i, j in equal] + [(i, j, "replace") for i, j in replaced.items()]
    )
    anchors.append((len(old), len(new), ""))
    ops: list[Op] = []
    next_a = next_b = 0
    for i, j, kind in anchors:
        for x in range(next_a, i):
            ops.append(op("move_origin", x, moves[x]) if x in moves else op("delete", x, None))
        for y in range(next_b, j):
            if y in moved_to:
                x = moved_to[y]
                item = op("move", x, y)
                if x in edited_moves:
                    item["words"] = word_diff(old[x].text, new[y].text)
                ops.append(item)
            else:
                ops.append(op("insert", None, y))
        if kind:
            item = op(kind, i, j)
            if kind == "replace":
                item["words"] = word_diff(old[i].text, new[j].text)
            ops.append(item)
        next_a, next_b = i + 1, j + 1
    return ops


def added_removed(ops: list[Op]) -> tuple[list[str], list[str]]:
    """The sentences an edit added (new or changed, as they are now) and removed (gone or
    changed, as they were). Moves without edits are neither."""
    added: list[str] = []
    removed: list[str] = []
    for item in ops:
        kind = item["op"]
        if kind in ("insert", "replace") or (kind == "move" and "words" in item):
            added.append(item["new"])
        if kind in ("delete", "replace") or (kind == "move" and "words" in item):
            removed.append(item["old"])
    return added, removed


# -- rendering -------------------------------------------------------------------------------
def _paragraph_of(item: Op) -> tuple[str, int]:
    if item["new_paragraph"] is not None and item["op"] != "move_origin":
        return ("new", item["new_paragraph"])
    return ("old", item["old_paragraph"])


def _paragraph_runs(ops: list[Op]) -> list[list[Op]]:
    """Ops grouped into displayed paragraphs: a new paragraph begins where the op's own
    paragraph (the new text's; the old text's for what left) changes."""
    runs: list[list[Op]] = []
    last: tuple[str, int] | None = None
    for item in ops:
        where = _paragraph_of(item)
        if not runs or where != last:
            runs.append([])
        runs[-1].append(item)
        last = where
    return runs


def to_html(ops: list[Op]) -> str:
    """The alignment as HTML: `<p>` per paragraph, `<del>`/`<ins>` for removed and added
    text, class `move` / `move-origin` for moved sentences. Every text is escaped."""
    out: list[str] = []
    for run in _paragraph_runs(ops):
        parts: list[str] = []
        for item in run:
            kind = item["op"]
            if kind == "equal":
                parts.append(html.escape(item["new"]))
            elif kind == "insert":
                parts.append(f"<ins>{html.escape(item['new'])}</ins>")
            elif kind == "delete":
                parts.append(f"<del>{html.escape(item['old'])}</del>")
            elif kind == "move_origin":
                parts.append(
                    f'<del class="move-origin" data-to="{item["new_index"]}">{html.escape(item["old"])}</del>'
                )
            else:
                body = _words_html(item["words"]) if "words" in item else html.escape(item["new"])
                if kind == "move":
                    parts.append(
                        f'<span class="move" data-from="{item["old_index"]}">{body}</span>'
                    )
                else:
                    parts.append(f'<span class="replace">{body}</span>')
        out.append("<p>" + " ".join(parts) + "</p>")
    return "\n".join(out)


def _words_html(words: list[list[str]]) -> str:
    tags = {"equal": "{}", "delete": "<del>{}</del>", "insert": "<ins>{}</ins>"}
    return " ".join(tags[tag].format(html.escape(text)) for tag, text in words)


def to_text(ops: list[Op]) -> str:
    """The alignment as plain text with markers: `[-removed-]`, `{+added+}`, a moved
    sentence as `{>sentence<}` where it is now and `[>sentence<]` where it was;
    paragraphs separated by blank lines."""
    out: list[str] = []
    for run in _paragraph_runs(ops):
        parts: list[str] = []
        for item in run:
            kind = item["op"]
            if kind == "equal":
                parts.append(item["new"])
            elif kind == "insert":
                parts.append("{+" + item["new"] + "+}")
            elif kind == "delete":
                parts.append("[-" + item["old"] + "-]")
            elif kind == "move_origin":
                parts.append("[>" + item["old"] + "<]")
            else:
                body = _words_text(item["words"]) if "words" in item else item["new"]
                parts.append("{>" + body + "<}" if kind == "move" else body)
        out.append(" ".join(parts))
    return "\n\n".join(out)


def _words_text(words: list[list[str]]) -> str:
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return " ".join(marks[tag].format(text) for tag, text in words)
