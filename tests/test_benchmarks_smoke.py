"""The benchmark's generated site: sizes, markup, determinism and mutation (no timing)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html as lxml_html

REPO = Path(__file__).resolve().parents[1]


def _bench_site():
    spec = importlib.util.spec_from_file_location("bench_site", REPO / "benchmarks" / "site.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_generated_site_looks_like_cnn_lite(tmp_path: Path) -> None:
    site = _bench_site()
    made = site.generate(tmp_path / "a", 20, index_size=8)
    assert len(made["articles"]) == 20 and made["indexes"] == ["/", "/page/2", "/page/3"]
    listed = []
    for path in made["indexes"]:
        doc = lxml_html.fromstring(site.article_file(tmp_path / "a", path).read_bytes())
        listed += [a.get("href").strip() for a in doc.cssselect("li.card--lite > a")]
    assert listed == made["articles"]
    for path in made["articles"]:
        data = site.article_file(tmp_path / "a", path).read_bytes()
        assert site.MIN_BYTES <= len(data) <= site.MAX_BYTES
        doc = lxml_html.fromstring(data)
        assert (
            doc.cssselect("h2.headline")
            and doc.cssselect("p.byline--lite")
            and doc.cssselect("p.timestamp--lite")
        )
        assert len(doc.cssselect("article.article--lite p.paragraph--lite")) >= 2
    site.generate(tmp_path / "b", 20, index_size=8)
    for path in made["articles"]:
        assert (
            site.article_file(tmp_path / "a", path).read_bytes()
            == site.article_file(tmp_path / "b", path).read_bytes()
        )


def test_mutate_edits_one_paragraph_in_a_fraction_and_restores(tmp_path: Path) -> None:
    site = _bench_site()
    made = site.generate(tmp_path, 20)
    before = {p: site.article_file(tmp_path, p).read_bytes() for p in made["articles"]}
    originals = site.mutate(tmp_path, 0.1, seed=3)
    changed = [
        p for p in made["articles"] if site.article_file(tmp_path, p).read_bytes() != before[p]
    ]
    assert len(changed) == 2 == len(originals)
    for path in changed:
        old = lxml_html.fromstring(before[path]).cssselect("p.paragraph--lite")
        new = lxml_html.fromstring(site.article_file(tmp_path, path).read_bytes()).cssselect(
            "p.paragraph--lite"
        )
        diffs = [
            i
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            if a.text_content() != b.text_content()
        ]
        assert len(diffs) == 1 and diffs[0] < len(old) - 1  # never the "See Full Web Article" link
    site.restore(originals)
    assert all(site.article_file(tmp_path, p).read_bytes() == before[p] for p in made["articles"])


# -- benchmarks/extraction_quality.py --------------------------------------------------------
CORPUS = REPO.parent / "shared" / "corpora" / "article-extraction-benchmark"


def _quality():
    spec = importlib.util.spec_from_file_location(
        "extraction_quality", REPO / "benchmarks" / "extraction_quality.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]  (its dataclasses look their module up)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_shingle_scoring_follows_the_published_method() -> None:
    q = _quality()
    truth = "One two three four five six. Seven eight nine ten."
    assert q.shingle_score(truth, truth) == (1.0, 0.0, 0.0)
    assert q.shingle_score(truth, "") == (0.0, 0.0, 1.0)
    # Punctuation and line breaks do not count: words do.
    assert q.shingle_score(truth, "One two three four five six\n\nSeven eight nine ten") == (
        1.0,
        0.0,
        0.0,
    )
    # 7 true shingles; the prediction misses the last word: 6 shared, 1 missing.
    tp, fp, fn = q.shingle_score(truth, "One two three four five six Seven eight nine")
    assert (round(tp * 7), fp, round(fn * 7)) == (6, 0.0, 1)
    # Precision is averaged over pages that predicted something, recall over all pages.
    figures = q.metrics([(1.0, 0.0, 0.0), (0.0, 0.0, 1.0)])
    assert figures["precision"] == 1.0 and figures["recall"] == 0.5
    assert abs(figures["f1"] - 2 / 3) < 1e-9


def test_extraction_quality_skips_without_a_corpus(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "extraction_quality.py"),
                             "--corpus", str(tmp_path / "none")], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0 and result.stdout.startswith("skipped: no benchmark corpus")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the benchmark corpus is not on this machine")
def test_extraction_quality_runs_on_a_few_corpus_pages(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "extraction_quality.py"), "--corpus",
                             str(CORPUS), "--limit", "4", "--n-bootstrap", "20", "--json", str(out)],
                            capture_output=True, text=True, timeout=300, cwd=REPO)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "| newsarchive generic | 4 |" in result.stdout
    figures = json.loads(out.read_text())
    names = [r["extractor"] for r in figures["results"]]
    assert names[:1] == ["newsarchive generic"]
    assert {"trafilatura (default)", "trafilatura favor_precision"} <= set(names)
    for row in figures["results"]:
        assert row["pages"] == 4 and 0.5 < row["f1"] <= 1.0
