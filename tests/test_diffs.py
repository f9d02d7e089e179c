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
