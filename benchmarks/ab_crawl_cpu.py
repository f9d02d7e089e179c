"""The crawl process's own CPU per page, two source trees side by side, interleaved rounds.

For a change of a few percent of the crawl process's CPU, which a shared machine's noise
hides in `run.py`'s figures: both trees crawl the same generated site, round by round in
alternating order, and each round's ratio (B / A) is printed, then their median. CPU is
the crawl process's own (`getrusage(RUSAGE_SELF)` at exit: every thread of it, the
extraction workers not included), minus the same for a crawl of the one-article site,
divided by N − 1.

Sites and config come from a `run.py --workdir DIR` run (`DIR/<workload>/site`, `one`,
`bench.toml`); a tree is a source checkout (e.g. `git archive main | tar -x -C /tmp/main`),
imported through PYTHONPATH with this virtualenv's packages:

    .venv/bin/python benchmarks/ab_crawl_cpu.py DIR/lite /tmp/main . --rounds 6
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from serve import Server  # noqa: E402

# benchmarks/site.py (its name is the standard library's `site`, imported at start-up).
_spec = importlib.util.spec_from_file_location("bench_site", HERE / "site.py")
bench_site = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(bench_site)  # type: ignore[union-attr]

# Runs `newsarchive` and writes the process's CPU (and which tree it imported) at exit.
# Passed with `-c`: a script file without a `__main__` guard would be run again by the
# extraction pool's forkserver, which imports the main module (a second crawl, a second
# JSON summary on stdout).
_RUNNER = """
import json, os, resource, sys
sys.argv = ["newsarchive", *sys.argv[1:]]
from newsarchive.cli import main
try:
    main()
except SystemExit:
    pass
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    import archive
    with open(os.environ["AB_CPU_OUT"], "w") as out:
        json.dump({"cpu": usage.ru_utime + usage.ru_stime, "file": archive.__file__}, out)
"""


def crawl_cpu(tree: Path, server: Server, site: Path, config: Path) -> float:
    """CPU seconds of one first crawl of `site` by the code in `tree`."""
    work = Path(tempfile.mkdtemp(prefix="ab-crawl-"))
    try:
        out = work / "cpu.json"
        args = ["crawl", "cnn-lite", "--no-progress", "--json"]
        for path in bench_site.index_paths(site):
            args += ["--start-url", server.base_url + path]
        env = dict(os.environ, PYTHONPATH=str(tree), AB_CPU_OUT=str(out),
                   PYTHONDONTWRITEBYTECODE="1")  # fmt: skip
        subprocess.run([sys.executable, "-c", _RUNNER, "--data-dir", str(work / "data"),
                        "--config", str(config), *args],
                       cwd=tree, env=env, capture_output=True, check=True)  # fmt: skip
        result = json.loads(out.read_text())
        if not Path(result["file"]).resolve().is_relative_to(tree.resolve()):
            raise SystemExit(f"{tree}: imported {result['file']} instead")
        return float(result["cpu"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "workload", type=Path, help="a run.py workload dir (site/, one/, bench.toml)"
    )
    parser.add_argument("a", type=Path, help="source tree A (the reference)")
    parser.add_argument("b", type=Path, help="source tree B")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    site, one, config = args.workload / "site", args.workload / "one", args.workload / "bench.toml"
    pages = len((site / "articles.txt").read_text().split())
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    per_page: dict[str, list[float]] = {"A": [], "B": []}
    start_up: dict[str, list[float]] = {"A": [], "B": []}
    with Server(site) as server, Server(one) as server_one:
        for round_ in range(args.rounds):
            order = ["A", "B"] if round_ % 2 == 0 else ["B", "A"]
            for name in order:
                big = crawl_cpu(trees[name], server, site, config)
                small = crawl_cpu(trees[name], server_one, one, config)
                per_page[name].append((big - small) / (pages - 1) * 1000)
                start_up[name].append(small)
            ratio = per_page["B"][-1] / per_page["A"][-1]
            print(f"round {round_ + 1}: A {per_page['A'][-1]:.2f} ms/page, "
                  f"B {per_page['B'][-1]:.2f} ms/page, B/A {ratio:.3f}; one-article crawl "
                  f"A {start_up['A'][-1]:.2f} s, B {start_up['B'][-1]:.2f} s CPU", flush=True)  # fmt: skip
    ratios = [b / a for a, b in zip(per_page["A"], per_page["B"], strict=True)]
    starts = [b / a for a, b in zip(start_up["A"], start_up["B"], strict=True)]
    print(f"crawl process CPU/page: A {statistics.median(per_page['A']):.2f} ms, "
          f"B {statistics.median(per_page['B']):.2f} ms (medians); B/A median of per-round "
          f"ratios {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")  # fmt: skip
    print(f"one-article crawl CPU: A {statistics.median(start_up['A']):.2f} s, "
          f"B {statistics.median(start_up['B']):.2f} s; B/A median {statistics.median(starts):.3f} "
          f"(min {min(starts):.3f}, max {max(starts):.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
