"""Per-page CPU of the pieces issue 21's third pass moved or cut, old and new side by side.

Thread CPU (`time.thread_time`), the minimum over `--repeats` passes over the same pages
(a generated site: `benchmarks/site.py`, the `lite` shape), printed as ms a page and as
new / old in the same run:

- gzip of a page's response record: zlib level 6 (before) against ISA-L level 2 (now,
  `archive/warc_files.py`), with the members' sizes;
- the crawl thread's tracking digests: the content hash and search words (now computed by
  the extraction worker, `archive.content.tracking_digests`);
- in the extraction worker: removing control characters before parsing (`str.translate`
  before, a regular expression now) and the result's dict (`dataclasses.asdict` before);
  a worker's whole page (`extract_in_worker`, digests included) as it is now;
- the tracker recording a new version (`decide` + `commit`, SQLite, batched as a crawl
  does): with the worker's digests and search words listed once per run (now), and
  computing them itself with every word sent to `search_vocab` (before).

    .venv/bin/python benchmarks/page_costs.py [--pages 300] [--repeats 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

_spec = importlib.util.spec_from_file_location("bench_site", HERE / "site.py")
bench_site = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(bench_site)  # type: ignore[union-attr]

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FIELDS = ("title", "authors", "text", "language", "section", "published_at", "modified_at",
          "dates_source", "canonical_url", "extractor")  # fmt: skip


def best_ms(fn: Callable[[], int], repeats: int) -> float:
    """Minimum over `repeats` calls of `fn` (which returns how many pages it did), ms a page."""
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        n = fn()
        best = min(best, (time.thread_time() - start) / n * 1000)
    return best


def tracker_pass(results: list[dict], *, worker_digests: bool, listed_once: bool) -> int:
    from archive.catalog import Catalog
    from archive.versions import Observation, VersionTracker

    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(f"sqlite:///{tmp}/catalog.sqlite")
        catalog.start_batching(0.25)
        tracker = VersionTracker(catalog)
        if not listed_once:  # before: every word of every version offered to search_vocab
            tracker._unlisted_words = lambda doc: doc  # type: ignore[method-assign]
        for i, result in enumerate(results):
            fields = {k: result.get(k) for k in FIELDS}
            digests = {}
            if worker_digests:
                digests = {"content_sha256": result["content_sha256"],
                           "search_terms": result["search_terms"]}  # fmt: skip
            obs = Observation(article_id=f"a{i:06d}", site="cnn-lite", url=f"https://x.test/{i}",
                              normalized_url=f"https://x.test/{i}", captured_at=T0 + timedelta(seconds=i),
                              fields=fields, **digests)  # fmt: skip
            tracker.commit(obs, tracker.decide(obs))
        catalog.flush()
        catalog.close()
    return len(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from isal import isal_zlib

    from archive.content import content_hash, tracking_digests
    from archive.search_query import vocabulary
    from pipelines.extract import extract_article
    from pipelines.extract.html_tree import _CONTROLS
    from pipelines.extractor_pool import extract_in_worker

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        paths = bench_site.generate(site, args.pages)["articles"]
        bodies = [bench_site.article_file(site, p).read_bytes() for p in paths]
    head = (b"WARC/1.1\r\nWARC-Type: response\r\n" + b"X-Field: value\r\n" * 12 + b"\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")  # fmt: skip
    records = [head + body for body in bodies]
    url = "https://lite.cnn.com/2026/01/01/us/story"
    results = [extract_in_worker(body, url, "text/html", "cnn-lite") for body in bodies]
    r = args.repeats
    rows: list[tuple[str, float, float, str]] = []

    def zlib6() -> int:
        for record in records:
            c = zlib.compressobj(6, zlib.DEFLATED, 31)
            c.compress(record) + c.flush()
        return len(records)

    def isal2() -> int:
        for record in records:
            isal_zlib.compress(record, 2, 31)
        return len(records)

    size6 = sum(len(zlib.compress(x, 6, 31)) for x in records) / len(records)
    size2 = sum(len(isal_zlib.compress(x, 2, 31)) for x in records) / len(records)
    rows.append(("gzip of a response record (zlib 6 → ISA-L 2)", best_ms(zlib6, r), best_ms(isal2, r),
                 f"members {size6:.0f} → {size2:.0f} bytes ({size2 / size6 - 1:+.1%})"))  # fmt: skip

    def digests_on_thread() -> int:
        for res in results:
            content_hash(res["title"], res["authors"], res["text"])
            vocabulary(res["title"], res["authors"], res["text"])
        return len(results)

    rows.append(("crawl thread: content hash + search words", best_ms(digests_on_thread, r), 0.0,
                 "now computed by the extraction worker"))  # fmt: skip

    def worker() -> int:
        for body in bodies:
            extract_in_worker(body, url, "text/html", "cnn-lite")
        return len(bodies)

    def digests_in_worker() -> int:
        for res in results:
            tracking_digests(res)
        return len(results)

    texts = [body.decode("utf-8") for body in bodies]
    table = dict.fromkeys([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])

    def translate() -> int:
        for text in texts:
            text.translate(table)
        return len(texts)

    def regex_search() -> int:
        for text in texts:
            if _CONTROLS.search(text) is not None:
                _CONTROLS.sub("", text)
        return len(texts)

    rows.append(("worker: control characters (translate → regex)", best_ms(translate, r),
                 best_ms(regex_search, r), "pipelines/extract/html_tree.py"))  # fmt: skip
    extracted = [extract_article(body, url=url, content_type="text/html", parser="cnn-lite")
                 for body in bodies]  # fmt: skip

    def asdict() -> int:
        for result in extracted:
            dataclasses.asdict(result)
        return len(extracted)

    def to_dict() -> int:
        for result in extracted:
            result.to_dict()
        return len(extracted)

    rows.append(("worker: result to dict (asdict → by hand)", best_ms(asdict, r), best_ms(to_dict, r),
                 "pipelines/extract/result.py"))  # fmt: skip
    rows.append(("extraction worker: a page (digests included)", float("nan"), best_ms(worker, r),
                 f"of which digests {best_ms(digests_in_worker, r):.3f} ms"))  # fmt: skip

    old = best_ms(lambda: tracker_pass(results, worker_digests=False, listed_once=False), r)
    new = best_ms(lambda: tracker_pass(results, worker_digests=True, listed_once=True), r)
    rows.append(("tracker: a new version (decide + commit, SQLite)", old, new,
                 "worker's digests, search words listed once per run"))  # fmt: skip

    print(f"{args.pages} generated pages ({min(map(len, bodies))}–{max(map(len, bodies))} bytes), "
          f"thread CPU, minimum of {r} passes")  # fmt: skip
    print(f"{'':52} {'before':>9} {'now':>9} {'now/before':>11}")
    for label, before, now, note in rows:
        ratio = now / before if before == before and before else float("nan")
        b = f"{before:.3f}" if before == before else "-"
        print(f"{label:52} {b:>9} {now:9.3f} {ratio:11.2f}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
