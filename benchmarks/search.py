"""Full-text search benchmark: a generated catalog, the index built by `rebuild`, query latency.

    .venv/bin/python benchmarks/search.py --versions 1000000      # several minutes per stage
    .venv/bin/python benchmarks/search.py --versions 20000        # a quick run

1. Generates a SQLite catalog (the project's schema, `Catalog(url)`) of articles with
   several versions each: news-like text from a vocabulary drawn with a Zipf distribution
   (a few words in nearly every version, a long tail of rare ones), numbers, paragraphs;
   each later version is an edit of the one before (updates appended at the end or top,
   figures changed, a sentence reworded, a paragraph dropped or moved, a new headline, a
   correction note); 8 sites of unequal size, captures spread over two years.
2. Builds the search index with `archive.search_index.rebuild` (the code a user runs:
   alignment and edit types of every edit included) and reports its time and size on disk
   (the search tables' pages, by SQLite's dbstat).
3. Runs a mix of queries through `archive.search_index.search` — common word, rare word,
   phrase, two words, prefix, a common word within a site or a month, words an edit added
   or removed — once to warm the page cache, then again measured; reports p50/p95/p99 per
   kind and over all (milliseconds, wall clock of the whole call, snippets included).

`--db PATH` keeps the catalog (reused if it exists with as many versions; `--rebuild` builds
the index again); otherwise it lives in a temporary directory removed at the end.
`--json FILE` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.catalog import Catalog  # noqa: E402
from archive.search_index import rebuild, search  # noqa: E402

SITES = [("cnn-lite", 30), ("npr-text", 20), ("ap-lite", 15), ("reuters-text", 12), ("bbc-lite", 10),
         ("guardian-lite", 7), ("local-ledger", 4), ("tiny-gazette", 2)]  # fmt: skip
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730
ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pr tr st sl sp ch sh th".split()
VOWELS = "a e i o u ai ea ou io".split()
CODAS = ["", "", "n", "r", "s", "t", "l", "nd", "st", "ck", "m"]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        word = "".join(
            rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))
        )
        word += rng.choice(CODAS)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words  # rank order: words[0] is the most frequent


class TextMaker:
    """Sentences from a Zipf-distributed vocabulary, with numbers; cheap to make in bulk."""

    def __init__(self, rng: random.Random, vocab_size: int = 60_000, pool: int = 300_000) -> None:
        self.rng = rng
        self.words = vocabulary(rng, vocab_size)
        weights = [1 / (rank + 1) ** 1.07 for rank in range(vocab_size)]
        total = 0.0
        self.cum = []
        for w in weights:
            total += w
            self.cum.append(total)
        self.pool = [self._sentence() for _ in range(pool)]
        self.names = [f"{self.words[rng.randrange(200, 5000)].title()} {self.words[rng.randrange(200, 20000)].title()}"
                      for _ in range(2000)]  # fmt: skip

    def _sentence(self) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cum, k=self.rng.randint(8, 24))
        if self.rng.random() < 0.35:
            words.insert(self.rng.randrange(len(words)), self.number())
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def number(self) -> str:
        r = self.rng.random()
        if r < 0.5:
            return str(self.rng.randint(2, 99))
        if r < 0.8:
            return f"{self.rng.randint(1, 99)},{self.rng.randint(0, 999):03d}"
        return f"{self.rng.randint(1, 60)}.{self.rng.randint(0, 9)}%"

    def sentence(self) -> str:
        return self.rng.choice(self.pool)

    def paragraph(self) -> list[str]:
        return [self.sentence() for _ in range(self.rng.choice((1, 2, 2, 3)))]

    def title(self) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cum, k=self.rng.randint(6, 12))
        return " ".join(words).capitalize()


def pool_size(versions: int) -> int:
    """Distinct sentences to draw from: enough that articles rarely share one."""
    return max(2_000, min(300_000, versions * 3))


def edit(
    maker: TextMaker, rng: random.Random, title: str, paras: list[list[str]]
) -> tuple[str, list[list[str]]]:
    """One realistic edit of a version (see the module's docstring)."""
    paras = [list(p) for p in paras]
    r = rng.random()
    if r < 0.35:  # developing story: updates at the end, sometimes at the top
        new = [maker.paragraph() for _ in range(rng.randint(1, 2))]
        paras = new + paras if rng.random() < 0.3 else paras + new
    elif r < 0.55:  # figures change
        p = rng.randrange(len(paras))
        s = rng.randrange(len(paras[p]))
        words = paras[p][s].rstrip(".").split()
        if any(c.isdigit() for c in paras[p][s]):
            words = [maker.number() if any(c.isdigit() for c in w) else w for w in words]
        else:
            words.insert(rng.randrange(len(words)), maker.number())
        paras[p][s] = " ".join(words) + "."
    elif r < 0.75:  # a sentence reworded
        p = rng.randrange(len(paras))
        s = rng.randrange(len(paras[p]))
        words = paras[p][s].rstrip(".").split()
        for _ in range(rng.randint(1, 4)):
            words[rng.randrange(len(words))] = rng.choices(maker.words, cum_weights=maker.cum)[0]
        paras[p][s] = " ".join(words) + "."
    elif r < 0.83 and len(paras) > 3:  # a paragraph dropped
        del paras[rng.randrange(len(paras))]
    elif r < 0.9 and len(paras) > 2:  # a paragraph moved
        paras.insert(rng.randrange(len(paras)), paras.pop(rng.randrange(len(paras))))
    elif r < 0.98:
        title = maker.title()
    else:
        paras.append(
            [
                f"Correction: An earlier version of this story misstated {rng.choice(maker.words)} {maker.number()}."
            ]
        )
    return title, paras


def _sqlite_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(path: Path, versions: int, seed: int) -> dict:
    """Write the catalog; returns what it holds."""
    rng = random.Random(seed)
    started = time.perf_counter()
    maker = TextMaker(rng, pool=pool_size(versions))
    print(
        f"vocabulary and sentence pool ready in {time.perf_counter() - started:.1f} s", flush=True
    )
    Catalog(f"sqlite:///{path}").close()  # the project's schema, migrations applied
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    site_names = [s for s, _ in SITES]
    site_weights = [w for _, w in SITES]
    made = articles = text_bytes = 0
    article_rows, version_rows = [], []
    next_report = time.perf_counter() + 10
    while made < versions:
        articles += 1
        article_id = f"{articles:032x}"
        site = rng.choices(site_names, weights=site_weights)[0]
        url = f"https://{site}.example/{2024 + articles % 2}/{article_id[-10:]}"
        count = min(versions - made, 1 + min(int(rng.expovariate(1 / 4)), 30))
        at = START + timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400))
        title = maker.title()
        paras = [maker.paragraph() for _ in range(rng.randint(4, 14))]
        authors = rng.sample(maker.names, rng.choice((1, 1, 1, 2)))
        published = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        for number in range(1, count + 1):
            if number > 1:
                at += timedelta(seconds=rng.expovariate(1 / 10800) + 60)
                title, paras = edit(maker, rng, title, paras)
            text = "\n\n".join(" ".join(p) for p in paras)
            text_bytes += len(text)
            stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            record = {"article_id": article_id, "site": site, "url": url, "canonical_url": url, "version": number,
                      "change": "new" if number == 1 else "edit", "changed_fields": [], "title": title,
                      "authors": authors, "text": text, "language": "en", "section": None,
                      "published_at": published, "modified_at": stamp, "dates_source": {},
                      "captured_at": stamp, "content_sha256": f"{made:064x}", "warc": None, "run_id": "bench"}  # fmt: skip
            version_rows.append((article_id, number, f"{made:064x}", record["change"], _sqlite_time(at),
                                 json.dumps(record, ensure_ascii=False, separators=(",", ":"))))  # fmt: skip
            made += 1
        article_rows.append((article_id, site, url, _sqlite_time(at - timedelta(days=1)), _sqlite_time(at),
                             _sqlite_time(at), count, title, published, published, 1))  # fmt: skip
        if len(version_rows) >= 20_000 or made >= versions:
            db.executemany("INSERT INTO articles (id, site, url, first_seen_at, last_seen_at, last_changed_at, "
                           "latest_version, title, published_at, modified_at, tracking) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           article_rows)  # fmt: skip
            db.executemany("INSERT INTO versions (article_id, version, content_sha256, change, captured_at, record) "
                           "VALUES (?,?,?,?,?,?)", version_rows)  # fmt: skip
            db.commit()
            article_rows, version_rows = [], []
            if time.perf_counter() >= next_report:
                print(f"  generated {made:,} / {versions:,} versions", flush=True)
                next_report = time.perf_counter() + 10
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {"articles": articles, "versions": made, "text_mb": round(text_bytes / 1e6, 1),
            "seconds": round(time.perf_counter() - started, 1), "maker": maker}  # fmt: skip


def index_bytes(path: Path) -> dict:
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        db.close()
    search_bytes = sum(b for n, b in rows if n.startswith(("search_", "sqlite_autoindex_search")))
    fts_bytes = sum(b for n, b in rows if n.startswith("search_fts"))
    return {"index_mb": round(search_bytes / 1e6, 1), "fts_mb": round(fts_bytes / 1e6, 1),
            "file_mb": round(path.stat().st_size / 1e6, 1)}  # fmt: skip


def query_mix(maker: TextMaker, rng: random.Random, per_kind: int) -> list[tuple[str, str, dict]]:
    words = maker.words
    out: list[tuple[str, str, dict]] = []

    def month() -> dict:
        since = START + timedelta(days=rng.randrange(SPAN_DAYS - 30))
        return {"since": since, "until": since + timedelta(days=30)}

    for _ in range(per_kind):
        out.append(("common word", words[rng.randrange(0, 20)], {}))
        out.append(("rare word", words[rng.randrange(15_000, 50_000)], {}))
        sentence = rng.choice(maker.pool).rstrip(".").split()
        at = rng.randrange(len(sentence) - 2)
        out.append(("phrase", '"' + " ".join(sentence[at : at + rng.choice((2, 3))]) + '"', {}))
        out.append(
            ("two words", f"{words[rng.randrange(50, 3000)]} {words[rng.randrange(50, 3000)]}", {})
        )
        stem = rng.choice([w for w in words[300:5000] if len(w) >= 5])
        out.append(("prefix", stem[: max(3, min(len(stem) - 1, rng.randint(4, 7)))] + "*", {}))
        out.append(("site filter", words[rng.randrange(0, 50)], {"site": rng.choice(SITES)[0]}))
        out.append(("date filter", words[rng.randrange(0, 50)], month()))
        out.append(("added", words[rng.randrange(100, 5000)], {"scope": "added"}))
        out.append(("removed", words[rng.randrange(100, 5000)], {"scope": "removed"}))
    rng.shuffle(out)
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def run_queries(engine, mix: list[tuple[str, str, dict]]) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    timings: dict[str, list[float]] = {}
    for kind, query, options in mix:
        started = time.perf_counter()
        search(engine, query, limit=20, **options)
        timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    return timings


def summarise(timings: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    rows = {kind: values for kind, values in timings.items()}
    rows["all"] = [v for values in timings.values() for v in values]
    return {kind: {"n": len(v), "p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2),
                   "p99": round(percentile(v, 99), 2), "max": round(max(v), 2), "mean": round(statistics.fmean(v), 2)}
            for kind, v in rows.items()}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40, help="queries of each kind (9 kinds)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--db", type=Path, help="keep the catalog here (reused when it has the versions)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build the index again on a kept catalog"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    temp = None
    if args.db is None:
        temp = tempfile.TemporaryDirectory(prefix="newsarchive-search-bench-")
        path = Path(temp.name) / "catalog.sqlite"
    else:
        path = args.db
    figures: dict = {"versions_requested": args.versions, "sqlite": sqlite3.sqlite_version}
    try:
        fresh = not path.exists()
        if fresh:
            print(f"generating {args.versions:,} versions into {path}", flush=True)
            made = generate(path, args.versions, args.seed)
            maker = made.pop("maker")
            figures["catalog"] = made
            print(f"generated {made['versions']:,} versions of {made['articles']:,} articles "
                  f"({made['text_mb']} MB of text) in {made['seconds']} s", flush=True)  # fmt: skip
        else:
            maker = TextMaker(random.Random(args.seed), pool=pool_size(args.versions))
        catalog = Catalog(f"sqlite:///{path}")
        try:
            if fresh or args.rebuild:
                started = time.perf_counter()
                last = [0.0]

                def progress(done: int, total: int) -> None:
                    if time.perf_counter() - last[0] >= 10:
                        last[0] = time.perf_counter()
                        print(
                            f"  indexed {done:,} / {total:,} versions ({time.perf_counter() - started:.0f} s)",
                            flush=True,
                        )

                count = rebuild(catalog.engine, progress)
                seconds = time.perf_counter() - started
                figures["build"] = {"versions": count, "seconds": round(seconds, 1),
                                    "versions_per_second": round(count / seconds)}  # fmt: skip
                print(
                    f"index built: {count:,} versions in {seconds:.1f} s ({count / seconds:,.0f} versions/s)",
                    flush=True,
                )
            figures["size"] = index_bytes(path)
            print(f"index size: {figures['size']['index_mb']} MB (FTS5 {figures['size']['fts_mb']} MB); "
                  f"catalog file {figures['size']['file_mb']} MB", flush=True)  # fmt: skip
            mix = query_mix(maker, random.Random(args.seed + 1), args.queries)
            first = summarise(run_queries(catalog.engine, mix))
            measured = summarise(run_queries(catalog.engine, mix))
            figures["queries_first_pass"] = first
            figures["queries"] = measured
        finally:
            catalog.close()
        print(
            f"\nquery latency, ms (second pass of {len(mix)} queries; first pass: p95 {first['all']['p95']} ms)"
        )
        print(f"{'kind':<14} {'n':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
        for kind, row in sorted(measured.items(), key=lambda item: (item[0] == "all", item[0])):
            print(
                f"{kind:<14} {row['n']:>4} {row['p50']:>8} {row['p95']:>8} {row['p99']:>8} {row['max']:>8}"
            )
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        if temp is not None:
            temp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
