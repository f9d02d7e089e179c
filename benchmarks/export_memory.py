"""Peak memory of dataset export: flat, whatever the size of the archive.

Builds a SQLite catalog of N synthetic article versions (default 50,000: articles of 1–6
versions, texts of 3–8 KB, records shaped like real ones) in two sites, one holding a fifth
of the versions. Then each export runs in a fresh child process that reports its peak RSS
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`), next to the baseline of a child that imports
the same modules and opens the catalog but exports nothing. Exporting the small site (a
fifth of the rows) beside the whole archive shows whether memory grows with the rows.
Not a timed test; timings are printed for information.

    .venv/bin/python benchmarks/export_memory.py [--versions 50000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive import catalog_schema as t
from archive.catalog import Catalog

WORDS = ("the senate committee voted on tuesday to advance a bill that would modernise air traffic "
         "control systems across the country officials said shoppers prices regional chains growth "
         "slowing coastal nations agree joint patrols illegal fishing night trains comeback europe "
         "ballot counting stretches second day tight races hiring picked up january wages grew").split()  # fmt: skip

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from archive.catalog import Catalog
from archive.export import ExportFilter, ExportRequest, export_dataset
import archive.export.jsonl, archive.export.csv_format, archive.export.parquet, archive.export.card
import pyarrow, pyarrow.parquet
args = json.loads(sys.argv[1])
catalog = Catalog(args["url"])
result = None
started = time.monotonic()
if args["format"]:
    request = ExportRequest(format=args["format"], out=Path(args["out"]), view=args["view"],
                            filter=ExportFilter(sites=tuple(args["sites"])))
    result = export_dataset(catalog, Path(args["data_dir"]), request)
catalog.close()
print(json.dumps({"peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "rows": result.stats.rows if result else 0,
                  "bytes": result.bytes if result else 0,
                  "seconds": time.monotonic() - started}))
"""


def _paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))).capitalize() + "."


def build(catalog: Catalog, n_versions: int) -> dict[str, int]:
    """Articles of 1–6 versions until `n_versions`; site `small` gets every fifth article."""
    rng = random.Random(11)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    per_site = {"big": 0, "small": 0}
    articles, versions = [], []
    made, i = 0, 0
    while made < n_versions:
        site = "small" if i % 5 == 0 else "big"
        article_id = hashlib.sha256(f"a{i}".encode()).hexdigest()[:16]
        url = f"https://{site}.example/story/{i}"
        count = min(rng.randint(1, 6), n_versions - made)
        text = "\n\n".join(_paragraph(rng) for _ in range(rng.randint(6, 14)))
        while len(text) < 3000:
            text += "\n\n" + _paragraph(rng)
        text = text[:8000]
        captured = t0 + timedelta(minutes=i)
        for v in range(1, count + 1):
            if v > 1:
                text = (
                    text + "\n\n" + _paragraph(rng)
                    if len(text) < 7600
                    else _paragraph(rng) + text[800:]
                )
            captured += timedelta(hours=rng.randint(1, 48))
            record = {
                "article_id": article_id, "site": site, "url": url, "canonical_url": None, "version": v,
                "change": "new" if v == 1 else "edit", "changed_fields": [] if v == 1 else ["text"],
                "title": f"Story {i}: " + " ".join(rng.choice(WORDS) for _ in range(8)),
                "authors": [f"Writer {rng.randint(1, 300)}" for _ in range(rng.randint(1, 3))],
                "text": text, "language": "en", "section": "news",
                "published_at": (t0 + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "modified_at": captured.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "dates_source": {"published_at": "meta", "modified_at": "meta"},
                "captured_at": captured.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "warc": {"filename": "bench.warc.gz", "offset": made * 4000, "length": 4000,
                         "record_id": f"<urn:uuid:{i:08x}-{v:04x}>"},
                "run_id": "bench",
            }  # fmt: skip
            if v > 1:
                record["diff"] = {"from_version": v - 1, "chars_added": 400, "chars_removed": 0,
                                  "paragraphs_added": 1, "paragraphs_removed": 0, "unified": "@@ -1 +1 @@"}  # fmt: skip
            versions.append({"article_id": article_id, "version": v, "content_sha256": record["content_sha256"],
                             "change": record["change"], "captured_at": captured, "run_id": "bench",
                             "warc_filename": "bench.warc.gz", "warc_offset": made * 4000, "warc_length": 4000,
                             "warc_record_id": record["warc"]["record_id"], "record": record})  # fmt: skip
            made += 1
            per_site[site] += 1
        articles.append({"id": article_id, "site": site, "url": url, "first_seen_at": t0, "last_seen_at": captured,
                         "last_changed_at": captured, "latest_version": count, "title": record["title"]})  # fmt: skip
        i += 1
        if len(versions) >= 2000:
            _flush(catalog, articles, versions)
    _flush(catalog, articles, versions)
    return per_site


def _flush(catalog: Catalog, articles: list[dict], versions: list[dict]) -> None:
    with catalog.begin() as conn:
        if articles:
            conn.execute(insert(t.articles), articles)
        if versions:
            conn.execute(insert(t.versions), versions)
    articles.clear()
    versions.clear()


def run_child(args: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], capture_output=True, text=True,
                            cwd=REPO, check=False)  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"child failed: {result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=50_000)
    parser.add_argument("--keep", type=Path, help="Build the catalog in DIR and keep it.")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = opts.keep or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{data_dir / 'catalog.sqlite'}"
        catalog = Catalog(url)
        started = time.monotonic()
        per_site = build(catalog, opts.versions)
        db_mb = (data_dir / "catalog.sqlite").stat().st_size / 2**20
        catalog.close()
        print(f"catalog: {opts.versions} versions ({per_site['small']} in site `small`), "
              f"{db_mb:.0f} MB, built in {time.monotonic() - started:.0f} s")  # fmt: skip
        base = run_child({"url": url, "format": None})
        print(
            f"baseline (imports + open catalog, no export): peak RSS {base['peak_kb'] / 1024:.0f} MB\n"
        )
        print(f"{'format':8} {'view':9} {'selection':10} {'rows':>7} {'output':>9} {'seconds':>8} "
              f"{'peak RSS':>9} {'over baseline':>14}")  # fmt: skip
        for fmt in ("jsonl", "parquet", "csv"):
            for view in ("versions", "latest"):
                for sites in (["small"], []):
                    out = data_dir / f"out-{view}-{'-'.join(sites) or 'all'}.{fmt}"
                    r = run_child({"url": url, "format": fmt, "view": view, "sites": sites,
                                   "out": str(out), "data_dir": str(data_dir)})  # fmt: skip
                    print(f"{fmt:8} {view:9} {'small' if sites else 'all':10} {r['rows']:>7} "
                          f"{r['bytes'] / 2**20:>6.0f} MB {r['seconds']:>8.1f} {r['peak_kb'] / 1024:>6.0f} MB "
                          f"{(r['peak_kb'] - base['peak_kb']) / 1024:>11.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
