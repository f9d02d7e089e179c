"""Diffs between two versions of an article's text (archive/diffs.py)."""

from __future__ import annotations

import json

from archive.diffs import paragraphs, text_diff

P1 = "The council voted on Monday to close the old library."
P2 = "Residents had campaigned for months to keep it open."
P3 = "A new branch is planned for 2026."


def join(*paras: str) -> str:
    return "\n\n".join(paras)


def test_paragraphs():
    assert paragraphs(join(P1, "  ", P2) + "\n\n") == [P1, P2]
    assert paragraphs(None) == []
    assert paragraphs("") == []


def test_identical_texts_have_an_empty_diff():
    diff = text_diff(join(P1, P2), join(P1, P2), from_version=3)
    assert diff == {
        "from_version": 3,
        "chars_added": 0,
        "chars_removed": 0,
        "paragraphs_added": 0,
        "paragraphs_removed": 0,
        "unified": "",
    }


def test_added_paragraph():
    diff = text_diff(join(P1, P2), join(P1, P2, P3), from_version=1)
    assert diff["chars_added"] == len(P3)
    assert diff["chars_removed"] == 0
    assert (diff["paragraphs_added"], diff["paragraphs_removed"]) == (1, 0)
    assert f"+{P3}" in diff["unified"].splitlines()


def test_removed_paragraph():
    diff = text_diff(join(P1, P2, P3), join(P1, P3), from_version=2)
    assert diff["chars_removed"] == len(P2)
    assert diff["chars_added"] == 0
    assert (diff["paragraphs_added"], diff["paragraphs_removed"]) == (0, 1)
    assert f"-{P2}" in diff["unified"].splitlines()


def test_edited_sentence_counts_the_changed_words_not_the_whole_paragraph():
    edited = P1.replace("Monday", "Tuesday")
    diff = text_diff(join(P1, P2), join(edited, P2), from_version=1)
    assert diff["chars_removed"] == len("Monday")
    assert diff["chars_added"] == len("Tuesday")
    assert (diff["paragraphs_added"], diff["paragraphs_removed"]) == (1, 1)
    lines = diff["unified"].splitlines()
    assert f"-{P1}" in lines and f"+{edited}" in lines
    assert f" {P2}" in lines  # one line of context


def test_replacing_one_paragraph_by_two():
    new_a, new_b = "The council voted on Monday.", "It will close the old library."
    diff = text_diff(join(P3, P1, P3), join(P3, new_a, new_b, P3), from_version=1)
    assert (diff["paragraphs_added"], diff["paragraphs_removed"]) == (2, 1)
    assert diff["chars_added"] > 0 and diff["chars_removed"] > 0
    # Characters are counted by words: no more than the texts hold.
    assert diff["chars_removed"] <= len(P1)
    assert diff["chars_added"] <= len(new_a) + len(new_b)


def test_from_empty_and_to_empty():
    grown = text_diff(None, join(P1, P2), from_version=1)
    assert grown["chars_added"] == len(P1) + len(P2) and grown["chars_removed"] == 0
    assert grown["paragraphs_added"] == 2
    emptied = text_diff(join(P1, P2), "", from_version=1)
    assert emptied["chars_removed"] == len(P1) + len(P2) and emptied["chars_added"] == 0
    assert emptied["paragraphs_removed"] == 2


def test_unified_diff_labels():
    default = text_diff(P1, P2, from_version=4)["unified"].splitlines()
    assert default[:2] == ["--- version 4", "+++ new"]
    labelled = text_diff(P1, P2, from_version=4, from_label="version 4", to_label="version 5")
    assert labelled["unified"].splitlines()[:2] == ["--- version 4", "+++ version 5"]
    assert labelled["from_version"] == 4


def test_diff_is_json_serialisable():
    diff = text_diff(join(P1, P2), join(P2, P3), from_version=1)
    assert json.loads(json.dumps(diff)) == diff


# -- bounded work: hostile, repetitive texts ------------------------------------------------

import difflib  # noqa: E402
import random  # noqa: E402

import pytest  # noqa: E402

from archive.diffs import MAX_CELLS, Budget, bounded_opcodes, unified  # noqa: E402


def _valid(a, b, ops):
    """The opcodes turn a into b, cover both sequences in order, and `equal` is equal."""
    i = j = 0
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (i, j) and i2 >= i1 and j2 >= j1
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
        i, j = i2, j2
    assert (i, j) == (len(a), len(b))


@pytest.mark.parametrize("seed", range(30))
def test_bounded_opcodes_are_always_a_valid_alignment(seed):
    rng = random.Random(seed)
    alphabet = list("abcdefgh")[: rng.randint(1, 8)]
    n, m = rng.randint(0, 3000), rng.randint(0, 3000)
    a = [rng.choice(alphabet) for _ in range(n)]
    b = (
        a[: rng.randint(0, n)]
        + [rng.choice(alphabet) for _ in range(rng.randint(0, 50))]
        + a[rng.randint(0, n) :]
    )
    b = b[:m] if rng.random() < 0.3 else b
    budget = Budget(cells=rng.choice([0, 10_000, 1_000_000]))
    _valid(a, b, bounded_opcodes(a, b, budget))


def test_small_inputs_get_exactly_difflibs_alignment():
    rng = random.Random(1)
    for _ in range(50):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 200))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 200))]
        budget = Budget()
        assert (
            bounded_opcodes(a, b, budget)
            == difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        )
        assert not budget.approximate


def test_a_hostile_page_of_16000_repeated_words_falls_back_to_the_linear_alignment():
    """The page that took 65–77 s: the exact alignment is never attempted (no timing here:
    the budget decides, see benchmarks/diff_bound.py for the figures)."""
    old = " ".join(["word"] * 16_000)
    new = " ".join(["word"] * 8_000 + ["changed"] + ["word"] * 8_000)
    assert 16_000 * 16_001 > MAX_CELLS
    diff = text_diff(old, new, from_version=1)
    assert diff["approximate"] is True
    assert diff["chars_added"] >= len("changed") and diff["paragraphs_added"] == 1
    many = "\n\n".join(["same paragraph"] * 16_000)
    more = "\n\n".join(["same paragraph"] * 8_000 + ["a new one"] + ["same paragraph"] * 8_000)
    diff = text_diff(many, more, from_version=1)
    assert (
        diff["approximate"] is True
        and diff["paragraphs_added"] == 1
        and diff["paragraphs_removed"] == 0
    )
    assert "+a new one" in diff["unified"]


def test_the_fallback_unified_diff_has_difflibs_format():
    a = ["p1", "p2", "p3", "p4", "p5", "p6"]
    b = ["p1", "p2", "x", "p4", "p5", "p6", "p7"]
    codes = difflib.SequenceMatcher(None, a, b).get_opcodes()
    expected = "\n".join(
        difflib.unified_diff(a, b, fromfile="version 1", tofile="version 2", lineterm="", n=1)
    )
    assert unified(a, b, codes, fromfile="version 1", tofile="version 2") == expected
    assert (
        unified(a, a, difflib.SequenceMatcher(None, a, a).get_opcodes(), fromfile="x", tofile="y")
        == ""
    )
