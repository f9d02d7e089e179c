"""The crawl process's CPU by stage, from a cProfile of it (`python -m cProfile -o FILE newsarchive …`).

Every function's own time (cProfile's `tottime`) goes to a stage by the module it is in:

    fetch        Scrapy, Twisted, asyncio, w3lib/parsel, newsarchive's download handler,
                 middlewares, address guard, the spider and link discovery
    WARC         crawler/extensions/warc_capture.py, archive/warc_*.py, exchange, warcio,
                 and the gzip/zlib/hashing they call
    extraction   the hand-off to the worker pool (pipelines/extraction.py, extractor_pool,
                 classify, pickling) and pages extracted in the crawl process
                 (pipelines/extract/, lxml)
    tracking     pipelines/tracking.py, archive/versions.py, content normalisation and
                 hashing, diffs, the search index
    catalog      archive/catalog*.py, SQLAlchemy, sqlite3
    records      archive/records.py and the JSON encoding it calls
    imports      importing modules and running their top-level code (start-up)
    other        everything else (the CLI, logging, the interpreter's own bits)

Time in the standard library or in builtins (json, zlib, hashlib, pickle, sqlite3's C
methods, `str` methods…) has no stage of its own: it is split among its callers in
proportion to what each caller spent there, recursively, so `json.dumps` called by
records.py counts as records and `zlib.compress` called by warcio as WARC.

cProfile adds a constant cost to every Python call, which inflates call-heavy code (Scrapy's
signal dispatch, SQLAlchemy) against C-heavy code (zlib, lxml): the shares are
approximate, and the benchmark scales them by the crawl process's CPU measured without
the profiler.

    .venv/bin/python benchmarks/stage_profile.py FILE.prof
"""

from __future__ import annotations

import pstats
import sys
from typing import Any

STAGES = ("fetch", "WARC", "extraction", "tracking", "catalog", "records", "imports", "other")

# (substring of the file path, stage), first match wins; paths use "/" separators.
RULES: tuple[tuple[str, str], ...] = (
    ("<frozen importlib", "imports"),
    ("importlib/", "imports"),
    ("/crawler/extensions/warc_capture", "WARC"),
    ("/archive/warc_", "WARC"),
    ("/archive/exchange", "WARC"),
    ("/archive/gzip_members", "WARC"),
    ("/archive/content_coding", "WARC"),
    ("/warcio/", "WARC"),
    ("/pipelines/extraction.py", "extraction"),
    ("/pipelines/extractor_pool", "extraction"),
    ("/pipelines/classify", "extraction"),
    ("/pipelines/extract/", "extraction"),
    ("/lxml/", "extraction"),
    ("/pipelines/tracking", "tracking"),
    ("/archive/versions", "tracking"),
    ("/archive/content", "tracking"),
    ("/archive/search_index", "tracking"),
    ("/archive/search_query", "tracking"),
    ("/archive/diff", "tracking"),
    ("/archive/edit_types", "tracking"),
    ("/archive/sentences", "tracking"),
    ("/archive/outcomes", "tracking"),
    ("/archive/urls", "tracking"),
    ("/archive/session", "tracking"),
    ("/pipelines/archive_access", "tracking"),
    ("/archive/catalog", "catalog"),
    ("/sqlalchemy/", "catalog"),
    ("/archive/records", "records"),
    ("/scrapy/", "fetch"),
    ("/twisted/", "fetch"),
    ("/asyncio/", "fetch"),
    ("/w3lib/", "fetch"),
    ("/parsel/", "fetch"),
    ("/cssselect/", "fetch"),
    ("/itemadapter/", "fetch"),
    ("/zope/", "fetch"),
    ("/OpenSSL/", "fetch"),
    ("/crawler/", "fetch"),
    ("selectors.py", "fetch"),
    ("/pipelines/items", "fetch"),
)

# Files whose time belongs to whoever called them.
_NEUTRAL = ("~", "/lib/python3", "<string>", "<frozen ")


def stage_of_file(filename: str) -> str | None:
    """The stage of a module's own code, or None for the standard library and builtins."""
    path = filename.replace("\\", "/")
    for needle, stage in RULES:
        if needle in path:
            return stage
    if path == "~" or any(n in path for n in _NEUTRAL):
        return None
    return "other"


def split_by_stage(stats: dict[Any, Any]) -> dict[str, float]:
    """Seconds of own time per stage; neutral code is charged to its callers."""
    totals = dict.fromkeys(STAGES, 0.0)
    memo: dict[Any, dict[str, float]] = {}

    def shares(func: Any, depth: int = 0) -> dict[str, float]:
        """How one second of `func`'s own time divides among stages."""
        if func in memo:
            return memo[func]
        stage = "imports" if func[2] == "<module>" else stage_of_file(func[0])
        if stage is not None:
            result = {stage: 1.0}
        elif depth > 30 or func not in stats:
            result = {"other": 1.0}
        else:
            callers = stats[func][4]
            memo[func] = {"other": 1.0}  # a cycle in the call graph stops here
            weight = sum(v[2] for v in callers.values()) or sum(v[1] for v in callers.values())
            result = {}
            if not callers or not weight:
                result = {"other": 1.0}
            else:
                use_tt = any(v[2] for v in callers.values())
                for caller, values in callers.items():
                    w = (values[2] if use_tt else values[1]) / weight
                    if not w:
                        continue
                    for s, part in shares(caller, depth + 1).items():
                        result[s] = result.get(s, 0.0) + w * part
        memo[func] = result
        return result

    for func, (_cc, _nc, tottime, _ct, _callers) in stats.items():
        if not tottime:
            continue
        for stage, part in shares(func).items():
            totals[stage] += tottime * part
    return totals


def profile_stages(path: str) -> dict[str, float]:
    return split_by_stage(pstats.Stats(path).stats)  # type: ignore[attr-defined]


def main() -> None:
    totals = profile_stages(sys.argv[1])
    whole = sum(totals.values()) or 1.0
    for stage in STAGES:
        print(f"{stage:12} {totals[stage]:8.3f} s {100 * totals[stage] / whole:5.1f} %")


if __name__ == "__main__":
    main()
