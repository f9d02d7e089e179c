"""How long a change feed document takes to build on a large catalog (SQLite).

    .venv/bin/python benchmarks/feeds.py [VERSIONS] [--db PATH]

Makes (once, kept at PATH, default /tmp/newsarchive-bench-feeds-VERSIONS.sqlite) a catalog of
VERSIONS versions (default 200,000): half the articles' first versions, half an edit of
each, with article-sized records; then times building the subscription document and
archive page 0, in Atom, for all changes, all changes with new articles, and one site.
The catalog is migrated first (migration 0006 adds the index the feeds read).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from archive import catalog_schema as t  # noqa: E402
from archive.catalog import Catalog  # noqa: E402
from newsarchive.feeds.document import build  # noqa: E402
from newsarchive.feeds.query import Scope  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def fill(catalog: Catalog, versions: int) -> None:
    body = "A paragraph of an article with words in it. " * 60
    articles = versions // 2
    with catalog.engine.begin() as conn:
        conn.execute(insert(t.articles), [
            {"id": f"a{i:07d}", "site": "cnn-lite" if i % 2 else "npr-text", "url": f"http://x.test/{i}",
             "first_seen_at": T0, "last_seen_at": T0, "last_changed_at": T0, "latest_version": 2,
             "title": f"Story {i}", "tracking": True}
            for i in range(articles)
        ])  # fmt: skip
        rows = []
        for i in range(articles):
            for v in (1, 2):
                rows.append({"article_id": f"a{i:07d}", "version": v, "content_sha256": "x",
                             "change": "new" if v == 1 else "edit",
                             "captured_at": T0 + timedelta(seconds=i * 2 + v * 1_000_000),
                             "record": {"title": f"Story {i}", "text": body + str(v),
                                        "changed_fields": ["text"]}})  # fmt: skip
                if len(rows) >= 5000:
                    conn.execute(insert(t.versions), rows)
                    rows = []
        if rows:
            conn.execute(insert(t.versions), rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("versions", type=int, nargs="?", default=200_000)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    path = args.db or Path(f"/tmp/newsarchive-bench-feeds-{args.versions}.sqlite")
    new = not path.exists()
    catalog = Catalog(f"sqlite:///{path}")
    if new:
        started = time.perf_counter()
        fill(catalog, args.versions)
        print(f"made {args.versions} versions in {time.perf_counter() - started:.0f} s: {path}")
    scopes = {"all changes": Scope(), "with new articles": Scope(kinds=("edit", "revert", "new")),
              "one site": Scope(site="cnn-lite")}  # fmt: skip
    for name, scope in scopes.items():
        for page in (None, 0):
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                doc = build(catalog.engine, scope, "atom", base_url="http://x.test", page=page,
                            settle_seconds=0)  # fmt: skip
                best = min(best, time.perf_counter() - started)
            what = "subscription" if page is None else f"page {page}"
            print(
                f"{name:>18} {what:>12}: {best * 1000:6.0f} ms ({len(doc.body)} bytes, {doc.pages} pages)"
            )
    catalog.close()


if __name__ == "__main__":
    main()
