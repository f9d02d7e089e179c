"""How long one diff takes on hostile, repetitive texts (archive/diffs.py bounds the work).

    .venv/bin/python benchmarks/diff_bound.py

Prints CPU seconds per diff for pages an attacker would serve: 16,000 repeated words with a
one-word edit (65–77 s per diff before the bound), 16,000 repeated paragraphs, two
alternating words, random two-letter text, and an ordinary article-sized edit; and the cost
per cell of difflib's exact alignment on repetitive input (what MAX_CELLS is chosen from).
"""

from __future__ import annotations

import difflib
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.diffs import MAX_CELLS, text_diff  # noqa: E402


def cpu(fn) -> float:  # noqa: ANN001
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    rng = random.Random(7)
    words = ["word"] * 16_000
    cases = {
        "16,000 repeated words, one edited": (" ".join(words), " ".join(words[:8000] + ["x"] + words[8000:])),
        "16,000 repeated paragraphs, one added": ("\n\n".join(["same"] * 16_000),
                                                  "\n\n".join(["same"] * 8000 + ["new"] + ["same"] * 8000)),
        "alternating words, shifted by one": (" ".join(["a", "b"] * 8000), " ".join(["b", "a"] * 8000)),
        "random two-letter words": (" ".join(rng.choice("ab") for _ in range(16_000)),
                                    " ".join(rng.choice("ab") for _ in range(16_000))),
        "the budget's worst case: 40 paragraphs of 490 repeated words, each edited": (
            "\n\n".join(" ".join(["w"] * 490 + [f"p{i}"]) for i in range(40)),
            "\n\n".join(" ".join(["w"] * 245 + ["x"] + ["w"] * 244 + [f"q{i}"]) for i in range(40))),
        "an article (40 paragraphs), one sentence edited": (
            "\n\n".join(f"Paragraph {i} of the story, with some ordinary words in it." for i in range(40)),
            "\n\n".join(f"Paragraph {i} of the story, with {'new' if i == 20 else 'some'} ordinary words in it."
                        for i in range(40))),
    }  # fmt: skip
    for name, (old, new) in cases.items():
        seconds = cpu(lambda: text_diff(old, new, from_version=1))
        approximate = text_diff(old, new, from_version=1).get("approximate", False)
        print(f"{name:50s} {seconds:8.3f} s  {'approximate' if approximate else 'exact'}")
    side = int(MAX_CELLS**0.5)
    a, b = ["w"] * side, ["w"] * side
    b[side // 2] = "x"
    seconds = cpu(lambda: difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes())
    print(f"exact alignment at MAX_CELLS ({side}×{side} repeated words): {seconds:.3f} s "
          f"({seconds / MAX_CELLS * 1e6:.2f} µs per cell)")  # fmt: skip


if __name__ == "__main__":
    main()
