"""benchmarks/search.py runs end to end on a small catalog and prints its figures (no timing
is asserted: speed is the benchmark's to measure, not the suite's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_search_benchmark_runs_and_reports(tmp_path):
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "search.py"), "--versions", "500",
                           "--queries", "3", "--json", str(out)],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    for line in ("generated 500 versions", "index built: 500 versions", "index size:", "p95"):
        assert line in done.stdout
    figures = json.loads(out.read_text())
    assert figures["build"]["versions"] == 500 and figures["size"]["index_mb"] > 0
    kinds = {
        "common word",
        "rare word",
        "phrase",
        "two words",
        "prefix",
        "site filter",
        "date filter",
        "added",
        "removed",
    }
    assert set(figures["queries"]) == kinds | {"all"}
    assert all(
        row["n"] == 3 and row["p50"] <= row["p95"] <= row["p99"]
        for k, row in figures["queries"].items()
        if k != "all"
    )
