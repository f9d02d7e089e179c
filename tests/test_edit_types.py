"""Edit types (archive/edit_types.py): the labelled version pairs of
tests/fixtures/edit_types, the definitions' boundaries, bounded cost."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

from archive.edit_types import EDIT_TYPES, MINOR_MAX_WORDS, classify_edit, is_correction_note

REPO = Path(__file__).resolve().parents[1]
PAIRS = sorted((REPO / "tests" / "fixtures" / "edit_types").glob("*.json"))


def _report_module():
    spec = importlib.util.spec_from_file_location(
        "edit_types_report", REPO / "scripts" / "edit_types_report.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.parametrize("path", PAIRS, ids=[p.stem for p in PAIRS])
def test_labelled_pair(path):
    case = json.loads(path.read_text(encoding="utf-8"))
    assert classify_edit(case["old"], case["new"]) == case["edit_types"], case["description"]


def test_the_labelled_set_covers_every_type_at_least_twice_and_scores_perfectly(capsys):
    assert len(PAIRS) >= 30
    expected = [t for p in PAIRS for t in json.loads(p.read_text(encoding="utf-8"))["edit_types"]]
    assert {t: expected.count(t) for t in EDIT_TYPES if expected.count(t) < 2} == {}
    report = _report_module()
    result = report.evaluate()
    with capsys.disabled():
        print("\n" + report.format_report(result))
    assert result["pairs"] == len(PAIRS) and result["mismatches"] == []
    assert all(c["precision"] == 1 and c["recall"] == 1 for c in result["types"].values())


def _record(text, **fields):
    return {"title": "A title", "authors": ["A Writer"], "text": text,
            "published_at": "2025-01-01T10:00:00Z", "modified_at": "2025-01-01T10:00:00Z", **fields}  # fmt: skip


BASE = ("The council met on Tuesday night to vote on the budget for next year. "
        "Members argued for three hours before the vote.\n\n"
        "The budget passed by a vote of 7 to 2. It includes money for road repairs.")  # fmt: skip


def test_first_and_unchanged_versions_have_no_types():
    assert classify_edit(None, _record(BASE)) == []
    assert classify_edit(_record(BASE), _record(BASE)) == []
    # What normalisation removes (curly quotes, white space) is no change.
    assert (
        classify_edit(
            _record(BASE, title="It's here"),
            _record(BASE.replace(" ", "  "), title="It\u2019s here"),
        )
        == []
    )


def test_minor_ends_at_the_named_threshold():
    words = " ".join(f"w{i}" for i in range(MINOR_MAX_WORDS))
    more = " ".join(f"w{i}" for i in range(MINOR_MAX_WORDS + 1))
    old = BASE.replace("for three hours", "for three hours (placeholder)")
    at_limit = BASE.replace("for three hours", f"for three hours {words}")
    over = BASE.replace("for three hours", f"for three hours {more}")
    modified = {"modified_at": "2025-01-01T11:00:00Z"}
    assert classify_edit(_record(old), _record(at_limit, **modified)) == ["minor"]
    assert classify_edit(_record(old), _record(over, **modified)) == ["substantive"]


def test_stealth_needs_the_same_modified_time_on_both_sides():
    new_text = BASE.replace("7 to 2", "6 to 3")
    assert classify_edit(_record(BASE), _record(new_text)) == ["numbers", "stealth"]
    assert classify_edit(_record(BASE), _record(new_text, modified_at="2025-01-01T12:00:00Z")) == [
        "numbers"
    ]
    assert classify_edit(_record(BASE, modified_at=None), _record(new_text, modified_at=None)) == [
        "numbers"
    ]
    assert classify_edit(_record(BASE), _record(new_text, modified_at=None)) == ["numbers"]
    # Dates alone are no content change: no stealth.
    assert classify_edit(_record(BASE), _record(BASE, published_at="2025-01-02T10:00:00Z")) == [
        "dates"
    ]


def test_numbers_means_only_figures():
    modified = {"modified_at": "2025-01-01T11:00:00Z"}
    assert classify_edit(
        _record(BASE), _record(BASE.replace("three hours", "four hours"), **modified)
    ) == ["numbers"]
    assert classify_edit(
        _record(BASE), _record(BASE.replace("7 to 2", "seven to two votes"), **modified)
    ) == ["minor"]
    assert classify_edit(
        _record(BASE), _record(BASE.replace("road repairs", "bridge repairs"), **modified)
    ) == ["minor"]


@pytest.mark.parametrize(
    "note",
    [
        "Correction: The budget passed on Tuesday, not Wednesday.",
        "CORRECTION. A previous version gave the wrong date.",
        "Clarification: The vote was 7 to 2.",
        "Editor's note: This story has been updated.",
        "Editors' Note: Names were changed.",
        "An earlier version of this story misstated the vote count.",
        "A previous version of this article incorrectly said the council met Monday.",
        "This story has been updated with additional reporting.",
        "This article was corrected to fix a name.",
        "The Daily Ledger regrets the error.",
    ],
)
def test_correction_phrasings_are_recognised(note):
    assert is_correction_note(note)
    assert "correction" in classify_edit(_record(BASE), _record(BASE + "\n\n" + note))


@pytest.mark.parametrize(
    "sentence",
    [
        "The stock market correction deepened on Monday.",
        "Officials said the story of the flood has been told many times.",
        "The editor noted that the paper was updated daily.",
        "An earlier version of the bill failed in committee.",
    ],
)
def test_ordinary_sentences_are_not_correction_notes(sentence):
    assert not is_correction_note(sentence)
    assert "correction" not in classify_edit(_record(BASE), _record(BASE + "\n\n" + sentence))


def test_a_whole_note_paragraph_counts_as_the_note():
    note = "Correction: An earlier version of this story gave the wrong vote. It was 7 to 2, not 6 to 3."
    old = BASE + "\n\n" + note
    new = BASE + "\n\n" + note.replace("It was 7 to 2, not 6 to 3.", "The vote was 7 to 2.")
    assert classify_edit(_record(old), _record(new, modified_at="2025-01-01T11:00:00Z")) == [
        "correction"
    ]
    assert classify_edit(_record(old), _record(BASE, modified_at="2025-01-01T11:00:00Z")) == [
        "correction"
    ]


def test_reorder_and_paragraphing():
    first, second = BASE.split("\n\n")
    assert classify_edit(_record(BASE), _record(second + "\n\n" + first, modified_at="x")) == [
        "reorder"
    ]
    assert classify_edit(_record(BASE), _record(first + " " + second, modified_at="x")) == ["minor"]


def test_types_are_listed_in_the_declared_order():
    new = _record("Correction: wrong date.\n\n" + BASE.replace("7 to 2", "8 to 1") + "\n\nMore news later tonight.",
                  title="New title", authors=["Other Writer"])  # fmt: skip
    assert classify_edit(_record(BASE), new) == [
        "headline",
        "byline",
        "correction",
        "append",
        "numbers",
        "stealth",
    ]


def test_hostile_texts_are_classified_in_bounded_time():
    huge = ("Same sentence again. " * 15_000) + "\n\n" + ("Numbers 1 2 3. " * 15_000)
    cases = [
        (huge, huge.replace("Numbers 1 2 3.", "Numbers 1 2 4.", 1)),
        (huge, "x" * 2_000_000),
        ("a. " * 100_000, "b. " * 100_000),
    ]
    for old, new in cases:
        started = time.monotonic()
        types = classify_edit(_record(old), _record(new, modified_at="later"))
        assert types and time.monotonic() - started < 30
