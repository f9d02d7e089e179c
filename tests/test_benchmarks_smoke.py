"""The benchmark's generated site: sizes, markup, determinism and mutation (no timing)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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
        assert doc.cssselect("h2.headline") and doc.cssselect("p.byline--lite") and doc.cssselect("p.timestamp--lite")
        assert len(doc.cssselect("article.article--lite p.paragraph--lite")) >= 2
    site.generate(tmp_path / "b", 20, index_size=8)
    for path in made["articles"]:
        assert site.article_file(tmp_path / "a", path).read_bytes() == site.article_file(tmp_path / "b", path).read_bytes()


def test_mutate_edits_one_paragraph_in_a_fraction_and_restores(tmp_path: Path) -> None:
    site = _bench_site()
    made = site.generate(tmp_path, 20)
    before = {p: site.article_file(tmp_path, p).read_bytes() for p in made["articles"]}
    originals = site.mutate(tmp_path, 0.1, seed=3)
    changed = [p for p in made["articles"] if site.article_file(tmp_path, p).read_bytes() != before[p]]
    assert len(changed) == 2 == len(originals)
    for path in changed:
        old = lxml_html.fromstring(before[path]).cssselect("p.paragraph--lite")
        new = lxml_html.fromstring(site.article_file(tmp_path, path).read_bytes()).cssselect("p.paragraph--lite")
        diffs = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a.text_content() != b.text_content()]
        assert len(diffs) == 1 and diffs[0] < len(old) - 1  # never the "See Full Web Article" link
    site.restore(originals)
    assert all(site.article_file(tmp_path, p).read_bytes() == before[p] for p in made["articles"])
