"""Article-body extraction quality on a benchmark corpus of real pages, with its published method.

    .venv/bin/python benchmarks/extraction_quality.py --corpus DIR

The corpus (DIR: a checkout of https://github.com/scrapinghub/article-extraction-benchmark,
`html/<id>.html.gz` and `ground-truth.json` with each page's `articleBody`) is data: it is
read where it is, never copied into the repository. Without it the script says so and exits 0.

Every extractor reads the same pages in one run:
- the project's parsers: `generic` on every page (trafilatura twice, reconciled:
  pipelines/extract/reconcile.py); a site profile (`cnn-lite`, `npr-text`) only on pages of
  its own hosts, if the corpus has any;
- plain trafilatura as the benchmark runs it, `extract(html, include_comments=False)`, and
  the same with `favor_precision=True`.

Scoring, as the benchmark publishes it (its evaluate.py): text is tokenised into `\\w+`
words; a page's predicted and true bodies are compared as multisets of word 4-grams
(shingles): tp = shared counts, fp = extra predicted, fn = missing, normalised by
tp + fp + fn so that long pages do not weigh more; precision is averaged over pages with
tp + fp > 0, recall over pages with tp + fn > 0, and F1 is computed from those two means;
accuracy is the share of pages whose token lists are identical. The ± figures are 1.96
standard deviations of 1,000 bootstrap resamples of the pages (seeded), as in evaluate.py;
`--differences` adds paired bootstrap differences against the generic parser.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TARGET_F1 = 0.970  # the best published figure (rs_trafilatura, Zyte AutoExtract)
PUBLISHED = {  # the corpus README's figures, article body only: (F1, precision, recall)
    "trafilatura 2.0.0": (0.958, 0.938, 0.978),
    "rs_trafilatura 9261e08": (0.970, 0.951, 0.990),
    "Zyte AutoExtract (Nov 2019)": (0.970, 0.984, 0.956),
}
_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
Score = tuple[float, float, float]  # tp, fp, fn, normalised


@dataclass
class Page:
    id: str
    url: str
    html: bytes
    truth: str


@dataclass
class Result:
    name: str
    scores: dict[str, Score] = field(default_factory=dict)
    exact: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0


# -- the published method ----------------------------------------------------------------
def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(words: list[str], n: int = 4) -> Counter[tuple[str, ...]]:
    return Counter(
        tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words[i : i + n]
    )


def shingle_score(true: str, pred: str) -> Score:
    a, b = shingles(tokens(true)), shingles(tokens(pred))
    tp = fp = fn = 0.0
    for key in a.keys() | b.keys():
        tp += min(a[key], b[key])
        fp += max(0, b[key] - a[key])
        fn += max(0, a[key] - b[key])
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def metrics(scores: list[Score]) -> dict[str, float]:
    precision = statistics.mean([_precision(*s) for s in scores if s[0] + s[1] > 0] or [0.0])
    recall = statistics.mean([_recall(*s) for s in scores if s[0] + s[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def bootstrap(scores: list[Score], rounds: int, rng: random.Random) -> dict[str, float]:
    """1.96 standard deviations of each metric over resamples of the pages."""
    if len(scores) < 2 or rounds < 2:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    values: dict[str, list[float]] = {}
    for _ in range(rounds):
        sample = [scores[rng.randrange(len(scores))] for _ in scores]
        for key, value in metrics(sample).items():
            values.setdefault(key, []).append(value)
    return {key: 1.96 * statistics.stdev(v) for key, v in values.items()}


def bootstrap_difference(
    a: list[Score], b: list[Score], rounds: int, rng: random.Random
) -> dict[str, tuple[float, float]]:
    """Paired: the same resampled pages for both; mean and 1.96 σ of a − b per metric."""
    diffs: dict[str, list[float]] = {}
    for _ in range(rounds):
        idx = [rng.randrange(len(a)) for _ in a]
        ma, mb = metrics([a[i] for i in idx]), metrics([b[i] for i in idx])
        for key in ma:
            diffs.setdefault(key, []).append(ma[key] - mb[key])
    return {k: (statistics.mean(v), 1.96 * statistics.stdev(v)) for k, v in diffs.items()}


# -- the corpus and the extractors ---------------------------------------------------------
def load_corpus(corpus: Path, limit: int | None = None) -> list[Page]:
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        path = corpus / "html" / f"{page_id}.html.gz"
        pages.append(Page(page_id, truth[page_id].get("url") or "", gzip.decompress(path.read_bytes()),
                          truth[page_id].get("articleBody") or ""))  # fmt: skip
    return pages


def project_parser(name: str) -> Callable[[Page], str]:
    from pipelines.extract import extract_article

    def run(page: Page) -> str:
        result = extract_article(page.html, url=page.url or "https://example.invalid/",
                                 content_type="text/html; charset=utf-8", parser=name)  # fmt: skip
        return result.text if result.problem is None else ""

    return run


def plain_trafilatura(**options: Any) -> Callable[[Page], str]:
    import trafilatura

    def run(page: Page) -> str:
        return (
            trafilatura.extract(
                page.html.decode("utf-8", "replace"), include_comments=False, **options
            )
            or ""
        )

    return run


def extractors(pages: list[Page]) -> list[tuple[str, Callable[[Page], str], list[Page]]]:
    from crawler.profiles import BUILTIN_PROFILES

    chosen: list[tuple[str, Callable[[Page], str], list[Page]]] = [
        ("newsarchive generic", project_parser("generic"), pages),
    ]
    for profile in BUILTIN_PROFILES.values():
        own = [p for p in pages if (urlsplit(p.url).hostname or "") in profile.hosts]
        if own:
            chosen.append((f"newsarchive {profile.parser}", project_parser(profile.parser), own))
    chosen += [
        ("trafilatura (default)", plain_trafilatura(), pages),
        ("trafilatura favor_precision", plain_trafilatura(favor_precision=True), pages),
    ]
    return chosen


def evaluate(pages: list[Page], extract: Callable[[Page], str], name: str) -> Result:
    result = Result(name)
    started = time.perf_counter()
    for page in pages:
        text = extract(page)
        result.scores[page.id] = shingle_score(page.truth, text)
        result.exact[page.id] = tokens(page.truth) == tokens(text)
    result.seconds = time.perf_counter() - started
    return result


# -- the command ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        required=True,
        help="the benchmark's directory (html/, ground-truth.json)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="only the first N pages (by id): a quick check"
    )
    parser.add_argument("--n-bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--differences", action="store_true", help="paired bootstrap differences vs. generic"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the figures to this file"
    )
    parser.add_argument("--check-target", action="store_true",
                        help=f"exit status 1 when the generic parser's F1 is below {TARGET_F1}")  # fmt: skip
    args = parser.parse_args(argv)
    if not (args.corpus / "ground-truth.json").is_file() or not (args.corpus / "html").is_dir():
        print(
            f"skipped: no benchmark corpus at {args.corpus} (ground-truth.json and html/ expected)"
        )
        return 0
    import logging

    logging.disable(logging.WARNING)  # trafilatura's per-page warnings
    pages = load_corpus(args.corpus, args.limit)
    rng = random.Random(args.seed)
    rows = []
    results: dict[str, Result] = {}
    for name, extract, subset in extractors(pages):
        result = evaluate(subset, extract, name)
        results[name] = result
        scores = list(result.scores.values())
        figures = metrics(scores)
        spread = bootstrap(scores, args.n_bootstrap, rng)
        accuracy = sum(result.exact.values()) / len(result.exact) if result.exact else 0.0
        rows.append({"extractor": name, "pages": len(subset), **figures, "accuracy": accuracy,
                     **{f"{k}_ci": v for k, v in spread.items()},
                     "ms_per_page": 1000 * result.seconds / max(1, len(subset))})  # fmt: skip

    print(f"corpus: {args.corpus} ({len(pages)} pages); 4-gram shingles, per-page normalised, "
          f"± 1.96 σ of {args.n_bootstrap} bootstrap resamples")  # fmt: skip
    print()
    print("| extractor | pages | F1 | precision | recall | accuracy | ms/page |")
    print("|---|---:|---|---|---|---:|---:|")
    for r in rows:
        print(f"| {r['extractor']} | {r['pages']} | {r['f1']:.3f} ± {r['f1_ci']:.3f} | "
              f"{r['precision']:.3f} ± {r['precision_ci']:.3f} | {r['recall']:.3f} ± {r['recall_ci']:.3f} | "
              f"{r['accuracy']:.3f} | {r['ms_per_page']:.0f} |")  # fmt: skip
    print()
    print(
        "published (corpus README): "
        + "; ".join(f"{k} F1 {v[0]:.3f}" for k, v in PUBLISHED.items())
    )
    generic = rows[0]
    met = generic["f1"] >= TARGET_F1
    print(
        f"target: generic F1 ≥ {TARGET_F1:.3f}: {'met' if met else 'NOT met'} ({generic['f1']:.4f})"
    )
    if args.differences:
        base = results["newsarchive generic"]
        for name, other in results.items():
            if name == base.name or set(other.scores) != set(base.scores):
                continue
            ids = sorted(base.scores)
            diff = bootstrap_difference([base.scores[i] for i in ids], [other.scores[i] for i in ids],
                                        args.n_bootstrap, rng)  # fmt: skip
            print(
                f"generic minus {name}: "
                + ", ".join(f"{k} {m:+.3f} ± {c:.3f}" for k, (m, c) in diff.items())
            )
    if args.json:
        args.json.write_text(json.dumps({"corpus": str(args.corpus), "pages": len(pages), "results": rows,
                                         "target_f1": TARGET_F1, "target_met": met}, indent=2) + "\n")  # fmt: skip
    return 1 if args.check_target and not met else 0


if __name__ == "__main__":
    sys.exit(main())
