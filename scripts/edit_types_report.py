"""Precision and recall of `classify_edit` per edit type over the labelled version pairs.

    .venv/bin/python scripts/edit_types_report.py [DIR]   (default tests/fixtures/edit_types)

Each `*.json` there holds `old` and `new` version records and the expected `edit_types`.
Prints one row per type (true positives, false positives, false negatives, precision,
recall) and the pairs whose types differ; exits 1 if any does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.edit_types import EDIT_TYPES, classify_edit  # noqa: E402

DEFAULT_DIR = REPO / "tests" / "fixtures" / "edit_types"


def evaluate(directory: Path = DEFAULT_DIR) -> dict:
    """`{"pairs", "mismatches": [(name, expected, got)], "types": {type: {tp, fp, fn, precision, recall}}}`."""
    counts = {name: {"tp": 0, "fp": 0, "fn": 0} for name in EDIT_TYPES}
    mismatches = []
    files = sorted(directory.glob("*.json"))
    for path in files:
        case = json.loads(path.read_text(encoding="utf-8"))
        expected, got = set(case["edit_types"]), set(classify_edit(case["old"], case["new"]))
        for name in EDIT_TYPES:
            key = (
                "tp"
                if name in expected and name in got
                else "fp"
                if name in got
                else "fn"
                if name in expected
                else None
            )
            if key:
                counts[name][key] += 1
        if expected != got:
            mismatches.append((path.stem, sorted(expected), sorted(got)))
    for c in counts.values():
        c["precision"] = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else None
        c["recall"] = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else None
    return {"pairs": len(files), "mismatches": mismatches, "types": counts}


def format_report(result: dict) -> str:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    lines = [
        f"{result['pairs']} labelled pairs",
        f"{'type':<12} {'tp':>3} {'fp':>3} {'fn':>3} {'precision':>9} {'recall':>7}",
    ]
    for name, c in result["types"].items():
        lines.append(
            f"{name:<12} {c['tp']:>3} {c['fp']:>3} {c['fn']:>3} {pct(c['precision']):>9} {pct(c['recall']):>7}"
        )
    for name, expected, got in result["mismatches"]:
        lines.append(f"MISMATCH {name}: expected {expected}, got {got}")
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR)
    print(format_report(outcome))
    sys.exit(1 if outcome["mismatches"] else 0)
