"""Sentences of news text and the sentence-level alignment (archive/sentences.py,
archive/diff_align.py): splitting, moves, word marks, escaping, bounded cost."""

from __future__ import annotations

import time

import pytest

from archive import diff_align
from archive.diff_align import added_removed, align, to_html, to_text, word_diff
from archive.sentences import split_paragraph, split_sentences


@pytest.mark.parametrize(
    ("paragraph", "sentences"),
    [
        ("Mr. Smith met Sen. Jones at 5 p.m. on Jan. 6. They talked.",
         ["Mr. Smith met Sen. Jones at 5 p.m. on Jan. 6.", "They talked."]),
        ("The U.S. economy grew 3.5 percent. Prices rose 0.4%.",
         ["The U.S. economy grew 3.5 percent.", "Prices rose 0.4%."]),
        ("The vote was held in the U.S. The result surprised many.",
         ["The vote was held in the U.S.", "The result surprised many."]),
        ("U.S. officials said the U.N. would meet in Washington, D.C. on Friday. It did.",
         ["U.S. officials said the U.N. would meet in Washington, D.C. on Friday.", "It did."]),
        ("George W. Bush and J. K. Rowling spoke. Then they left.",
         ["George W. Bush and J. K. Rowling spoke.", "Then they left."]),
        ('"Stop," he said. "We are done." Officials left. Was it over? Yes! Then... Nothing.',
         ['"Stop," he said.', '"We are done."', "Officials left.", "Was it over?", "Yes!", "Then...", "Nothing."]),
        ("Shares of Apple Inc. rose 2%. The No. 3 seed lost.", ["Shares of Apple Inc. rose 2%.", "The No. 3 seed lost."]),
        ("He said \u201cit is over.\u201d Then he left.", ["He said \u201cit is over.\u201d", "Then he left."]),
        ("Visit example.com/a.b for more. Or don't.", ["Visit example.com/a.b for more.", "Or don't."]),
        ("the lowercase start. is not split here", ["the lowercase start. is not split here"]),
    ],
)  # fmt: skip
def test_sentence_splitter_knows_news_copy(paragraph, sentences):
    assert split_paragraph(paragraph) == sentences


def test_sentences_carry_their_paragraph_and_the_cap_keeps_the_rest_in_one():
    text = "One. Two.\n\n  Three   four.\n\n\n\nFive. Six. Seven."
    found = split_sentences(text)
    assert [(s.text, s.paragraph) for s in found] == [
        ("One.", 0), ("Two.", 0), ("Three four.", 1), ("Five.", 2), ("Six.", 2), ("Seven.", 2),
    ]  # fmt: skip
    capped = split_sentences(text, max_sentences=3)
    assert [(s.text, s.paragraph) for s in capped] == [
        ("One.", 0),
        ("Two.", 0),
        ("Three four. Five. Six. Seven.", 1),
    ]


OLD = """The storm hit the coast on Monday. At least 12 people died, officials said.

Power was out for 40,000 homes. The governor declared an emergency.

Residents were told to stay indoors. Schools will remain closed on Tuesday."""


def _kinds(ops):
    return [(o["op"], o["old_index"], o["new_index"]) for o in ops]


def test_identical_texts_are_all_equal():
    ops = align(OLD, OLD)
    assert {o["op"] for o in ops} == {"equal"} and len(ops) == 6
    assert to_text(ops) == "\n\n".join(p for p in OLD.split("\n\n"))


def test_a_moved_paragraph_is_a_move_not_a_deletion_and_an_addition():
    paras = OLD.split("\n\n")
    new = "\n\n".join([paras[2], paras[0], paras[1]])
    ops = align(OLD, new)
    kinds = [o["op"] for o in ops]
    assert "delete" not in kinds and "insert" not in kinds
    # The two-sentence paragraph moved (not the four sentences around it).
    assert (
        kinds.count("move") == 2 and kinds.count("move_origin") == 2 and kinds.count("equal") == 4
    )
    moved = [o for o in ops if o["op"] == "move"]
    assert [(o["old_index"], o["new_index"]) for o in moved] == [(4, 0), (5, 1)]
    assert added_removed(ops) == ([], [])


def test_edited_sentences_get_word_marks_and_moved_edited_ones_stay_moves():
    new = """Residents were told to stay indoors. Schools will remain closed on Tuesday.

The storm hit the coast on Monday. At least 15 people died, officials said.

Power was out for 40,000 homes. The governor declared a state of emergency on Monday night.

Rescue teams were searching for survivors."""
    ops = align(OLD, new)
    by_new = {o["new_index"]: o for o in ops if o["new_index"] is not None}
    assert by_new[3]["op"] == "move" and by_new[3]["words"] == [
        ["equal", "At least"],
        ["delete", "12"],
        ["insert", "15"],
        ["equal", "people died, officials said."],
    ]
    # Next to a moved sentence, its edited neighbour moved with it.
    assert by_new[5]["op"] == "move" and by_new[5]["old_index"] == 3 and "words" in by_new[5]
    assert by_new[6]["op"] == "insert"
    added, removed = added_removed(ops)
    assert added == ["At least 15 people died, officials said.",
                     "The governor declared a state of emergency on Monday night.",
                     "Rescue teams were searching for survivors."]  # fmt: skip
    assert removed == [
        "At least 12 people died, officials said.",
        "The governor declared an emergency.",
    ]
    text = to_text(ops)
    assert "{>At least [-12-] {+15+} people died, officials said.<}" in text
    assert (
        "[>The storm hit the coast on Monday.<]" in text
        and "{+Rescue teams were searching for survivors.+}" in text
    )


def test_replacements_pair_similar_sentences_in_place():
    old = "Alpha beta gamma delta. The mayor said the bridge would reopen in May. Omega ends here."
    new = "Alpha beta gamma delta. The mayor said the bridge would reopen in June. Something new. Omega ends here."
    ops = align(old, new)
    assert _kinds(ops) == [("equal", 0, 0), ("replace", 1, 1), ("insert", None, 2), ("equal", 2, 3)]
    assert word_diff("a b c", "a x c") == [
        ["equal", "a"],
        ["delete", "b"],
        ["insert", "x"],
        ["equal", "c"],
    ]


def test_unrelated_sentences_are_deleted_and_inserted_not_paired():
    ops = align("The council voted on the budget.", "Fireworks lit up the harbor at midnight.")
    assert _kinds(ops) == [("delete", 0, None), ("insert", None, 0)]


def test_html_is_escaped_and_marked():
    old = 'He wrote <script>alert("x")</script> twice. Fine & dandy.'
    new = 'He wrote <script>alert("y")</script> twice. Fine & dandy. <b>New</b> & "quoted".'
    out = to_html(align(old, new))
    assert "<script>" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out
    assert "<ins>&lt;b&gt;New&lt;/b&gt; &amp; &quot;quoted&quot;.</ins>" in out
    assert out.startswith("<p>") and out.endswith("</p>")


def test_paragraphs_are_kept_in_the_renderings():
    ops = align(
        "One here. Two there.\n\nThree now.", "One here. Two there.\n\nThree now.\n\nFour later."
    )
    assert to_text(ops) == "One here. Two there.\n\nThree now.\n\n{+Four later.+}"
    assert to_html(ops).count("<p>") == 3


def test_empty_and_missing_texts():
    assert align(None, None) == [] and align("", "   ") == []
    assert _kinds(align(None, "Now there is text.")) == [("insert", None, 0)]
    assert _kinds(align("There was text.", "")) == [("delete", 0, None)]


def test_hostile_inputs_cost_a_bounded_time():
    """Huge texts, thousands of identical sentences, no sentence breaks at all: each aligns
    in well under the time a quadratic matcher would need (a generous bound, not a benchmark)."""
    same = "Same sentence here. " * 30_000
    shuffled = " ".join(f"Sentence number {i} is here." for i in range(6000))
    reversed_ = " ".join(f"Sentence number {i} is here." for i in reversed(range(6000)))
    cases = [
        (same, same + "And one more."),
        (same, "Different. " * 30_000),
        (shuffled, reversed_),
        ("word " * 400_000, "word " * 399_999 + "other"),
        ("x" * 3_000_000, "x" * 2_999_999 + "y"),
    ]
    for old, new in cases:
        started = time.monotonic()
        ops = align(old, new)
        assert ops and time.monotonic() - started < 20
    # The reversed text: one run stays in place, everything else is a move.
    ops = align(shuffled, reversed_)
    assert {o["op"] for o in ops} <= {"equal", "move", "move_origin"}


def test_caps_are_applied(monkeypatch):
    monkeypatch.setattr(diff_align, "MAX_SENTENCES", 5)
    old = " ".join(f"Line {i} stays." for i in range(20))
    new = old.replace("Line 15 stays.", "Line 15 changed.")
    ops = align(old, new)
    assert len(ops) == 5 and ops[-1]["op"] == "replace"  # the tail is one unit
    monkeypatch.setattr(diff_align, "MAX_SENTENCE_WORDS", 3)
    assert word_diff("a b c d", "a b c e") == [["delete", "a b c d"], ["insert", "a b c e"]]
