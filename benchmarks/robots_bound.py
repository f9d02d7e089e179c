"""CPU cost of a hostile robots.txt (4.4 MB, 150,000 wildcard rules), unbounded and bounded.

    .venv/bin/python benchmarks/robots_bound.py

Scrapy's Protego parser reads it all and evaluates every rule on each request, on the
reactor thread; crawler/robots.py reads the first 500 KiB and 1,000 rules.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scrapy.robotstxt import ProtegoRobotParser  # noqa: E402

from crawler.robots import BoundedRobotParser  # noqa: E402


def main() -> None:
    logging.disable(logging.WARNING)
    rules = [f"Disallow: /*a{i}*b*c{i}$" for i in range(150_000)]
    robots = ("User-agent: *\n" + "\n".join(rules) + "\n").encode()
    for cls in (ProtegoRobotParser, BoundedRobotParser):
        start = time.process_time()
        parser = cls(robots, None)
        parsed = time.process_time()
        for k in range(5):
            parser.allowed(f"http://example.org/2024/01/01/story-{k}", "newsarchive")
        done = time.process_time()
        print(f"{cls.__name__:20s} robots.txt of {len(robots):,} bytes: parse {parsed - start:.2f} s CPU, "
              f"{(done - parsed) / 5 * 1000:.1f} ms CPU per request")  # fmt: skip


if __name__ == "__main__":
    main()
