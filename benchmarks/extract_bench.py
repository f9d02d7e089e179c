"""Baseline A: trafilatura alone over pages already in memory (file reading not timed).

`--options default` (A): `bare_extraction(html, with_metadata=True)`, trafilatura's defaults.
`--options generic` (Ag): the options of newsarchive's generic parser's precise reading,
`bare_extraction(html, url=…, with_metadata=True, include_tables=True, favor_precision=True)`.
With `--processes 2` the pages are split between forked processes (the machine's limit).

    python benchmarks/extract_bench.py SITE_DIR BASE_URL OUT_JSON [--processes 1] [--options default]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import multiprocessing
import time
from pathlib import Path

PAGES: list[tuple[str, str]] = []
OPTIONS = {"options": "default"}


def _site_module():  # benchmarks/site.py by path: `import site` is the standard library's
    spec = importlib.util.spec_from_file_location("bench_site", Path(__file__).with_name("site.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def extract_range(bounds: tuple[int, int]) -> int:
    import trafilatura

    ok = 0
    generic = OPTIONS["options"] == "generic"
    for html, url in PAGES[bounds[0] : bounds[1]]:
        if generic:
            doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                              include_tables=True, favor_precision=True)  # fmt: skip
        else:
            doc = trafilatura.bare_extraction(html, with_metadata=True)
        ok += bool(doc is not None and doc.text)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site", type=Path)
    parser.add_argument("base_url")
    parser.add_argument("out")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--options", choices=("default", "generic"), default="default")
    args = parser.parse_args()
    OPTIONS["options"] = args.options
    site = _site_module()
    for path in site.article_paths(args.site):
        PAGES.append(
            (site.article_file(args.site, path).read_bytes().decode("utf-8"), args.base_url + path)
        )
    import trafilatura  # noqa: F401

    for name in ("trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.ERROR)
    extract_range((0, 1))  # warm-up: lazy imports and caches, outside the clock
    n = len(PAGES)
    if args.processes == 1:
        start = time.perf_counter()
        ok = extract_range((0, n))
        seconds = time.perf_counter() - start
    else:
        k = args.processes
        chunks = [(i * n // k, (i + 1) * n // k) for i in range(k)]
        with multiprocessing.get_context("fork").Pool(k) as pool:
            pool.map(time.sleep, [0.05] * k)  # start every worker before the clock
            start = time.perf_counter()
            ok = sum(pool.map(extract_range, chunks, chunksize=1))
            seconds = time.perf_counter() - start
    Path(args.out).write_text(json.dumps({"pages": n, "extracted": ok, "seconds": seconds,
                                          "pages_per_s": n / seconds, "processes": args.processes,
                                          "options": args.options}))  # fmt: skip


if __name__ == "__main__":
    main()
