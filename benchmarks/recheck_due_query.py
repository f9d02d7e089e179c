"""How the recheck ladder finds due articles in a large catalog: by index, not by scan.

Builds a SQLite catalog of N tracked articles (default 100,000) with next-check times
spread over a month, then prints the query plan of the due query and its time against
the same query forced to scan the table (`NOT INDEXED`), measured in the same run.

    .venv/bin/python benchmarks/recheck_due_query.py [--articles 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from archive import catalog_schema as t
from archive.catalog import Catalog


def build(catalog: Catalog, n: int, now: datetime) -> None:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        changed = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        rows.append({
            "id": f"{i:016x}", "site": ("cnn-lite", "npr-text", "cbc-lite")[i % 3],
            "url": f"https://example.org/story/{i}", "first_seen_at": changed, "last_seen_at": changed,
            "last_changed_at": changed, "latest_version": 1, "tracking": True,
            "next_check_at": now + timedelta(minutes=rng.randint(-600, 60 * 24 * 30)),
        })  # fmt: skip
        if len(rows) == 10_000:
            with catalog.begin() as conn:
                conn.execute(insert(t.articles), rows)
            rows = []
    if rows:
        with catalog.begin() as conn:
            conn.execute(insert(t.articles), rows)


def timed(fn, repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(f"sqlite:///{Path(tmp) / 'catalog.sqlite'}")
        build(catalog, args.articles, now)
        due = catalog.due_articles(now, site="cnn-lite", limit=500)
        sql_indexed = ("SELECT * FROM articles WHERE site = ? AND tracking = 1 AND next_check_at <= ? "
                       "ORDER BY next_check_at LIMIT 500")  # fmt: skip
        sql_scan = sql_indexed.replace("FROM articles", "FROM articles NOT INDEXED")
        at = now.replace(tzinfo=None).isoformat(sep=" ")
        with catalog.engine.connect() as conn:
            raw = conn.connection.driver_connection
            plan = raw.execute("EXPLAIN QUERY PLAN " + sql_indexed, ("cnn-lite", at)).fetchall()
            indexed = timed(lambda: raw.execute(sql_indexed, ("cnn-lite", at)).fetchall())
            scan = timed(lambda: raw.execute(sql_scan, ("cnn-lite", at)).fetchall())
        catalog.close()
    print(f"articles: {args.articles:,}; due for cnn-lite (cap 500): {len(due)}")
    print("query plan:", "; ".join(row[-1] for row in plan))
    print(f"due query by index: {indexed * 1000:.2f} ms; forced table scan: {scan * 1000:.2f} ms; "
          f"scan / index = {scan / indexed:.0f}x")  # fmt: skip


if __name__ == "__main__":
    main()
