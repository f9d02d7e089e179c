"""What the notifications outbox costs the crawl: recording N versions (new, then an edit of
each) with `VersionTracker(events=True)` against `events=False`, on a batched SQLite catalog
as a crawl records them (one transaction every 0.25 s). Prints the CPU time (this process: the machine's other load does not count) per version of each
and the difference: the price of the one INSERT into `notify_events` per version.

    .venv/bin/python benchmarks/outbox_cost.py [--articles 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.catalog import Catalog  # noqa: E402
from archive.versions import Observation, VersionTracker  # noqa: E402

PARAGRAPH = "The council voted on Tuesday to extend the program for another year, officials said. "


def _obs(n: int, text: str) -> Observation:
    return Observation(
        article_id=f"a{n:06d}", site="bench", url=f"http://bench.test/{n}",
        normalized_url=f"http://bench.test/{n}", captured_at=datetime.now(UTC),
        fields={"title": f"Story {n}", "authors": ["A. Writer"], "text": text},
    )  # fmt: skip


def one_run(articles: int, events: bool) -> float:
    """Seconds per version (2 × articles versions: a first one and an edit)."""
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(f"sqlite:///{Path(tmp) / 'catalog.sqlite'}")
        catalog.start_batching(0.25)
        tracker = VersionTracker(catalog, events=events)
        texts = [
            "\n\n".join([PARAGRAPH * 3] * 8),
            "\n\n".join([PARAGRAPH * 3] * 8) + "\n\nUPDATE: more.",
        ]
        started = time.process_time()
        for text in texts:
            for n in range(articles):
                obs = _obs(n, text)
                tracker.commit(obs, tracker.decide(obs))
        catalog.flush()
        elapsed = time.process_time() - started
        catalog.close()
    return elapsed / (2 * articles)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    off, on = [], []
    for _ in range(args.repeats):  # interleaved: the machine's load falls on both alike
        off.append(one_run(args.articles, False))
        on.append(one_run(args.articles, True))
    m_off, m_on = statistics.median(off), statistics.median(on)
    print(f"versions recorded per run: {2 * args.articles} (median of {args.repeats} runs)")
    print(f"events off: {m_off * 1e6:8.1f} µs per version")
    print(f"events on:  {m_on * 1e6:8.1f} µs per version")
    print(
        f"outbox:     {(m_on - m_off) * 1e6:+8.1f} µs per version ({(m_on / m_off - 1) * 100:+.1f} %)"
    )


if __name__ == "__main__":
    main()
