"""The content hash and search words that extraction workers compute for tracking
(archive/content.py `tracking_digests`) are exactly what the tracker computes itself, and a
crawl's search vocabulary holds every word of its versions (each listed once per run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from archive.catalog import Catalog
from archive.content import content_hash
from archive.search_index import document, rebuild
from archive.versions import Observation, VersionTracker
from pipelines.extractor_pool import extract_in_worker

SITES = Path(__file__).parent / "fixtures" / "sites"
T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


def _pages():
    for parser, site in (
        ("cnn-lite", "cnn-lite"),
        ("npr-text", "npr-text"),
        ("generic", "cnn-lite"),
    ):
        for path in sorted((SITES / site).rglob("*.html"))[:12]:
            yield parser, path


@pytest.mark.parametrize(("parser", "path"), list(_pages()), ids=lambda v: str(v)[-60:])
def test_worker_digests_are_the_trackers_own(parser, path):
    result = extract_in_worker(
        path.read_bytes(), "https://lite.cnn.com/2024/02/02/us/x", "text/html", parser
    )
    if result.get("problem"):
        assert "content_sha256" not in result and "search_terms" not in result
        return
    f = {k: result[k] for k in ("title", "authors", "text")}
    assert result["content_sha256"] == content_hash(f["title"], f["authors"], f["text"])
    record = {"title": f["title"], "authors": list(f["authors"] or []), "text": f["text"] or ""}
    assert (
        result["search_terms"]
        == document("a", 1, record, None, captured_at=T0, vocabulary=True).terms
    )
    assert result["search_terms"]  # an article has words


def _obs(article: str, body: str, k: int, **digests) -> Observation:
    return Observation(article_id=article, site="cnn-lite", url=f"https://x.test/{article}",
                       normalized_url=f"https://x.test/{article}", captured_at=T0 + timedelta(minutes=k),
                       fields={"title": article.title(), "authors": ["A. Writer"], "text": body}, **digests)  # fmt: skip


def _vocab(catalog: Catalog) -> set[str]:
    with catalog.engine.connect() as conn:
        return set(conn.execute(text("SELECT term FROM search_vocab")).scalars())


def test_a_crawls_vocabulary_lists_each_word_once_and_survives_a_rolled_back_batch(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        catalog.start_batching(3600)  # committed by flush() only, as a crawl's batches are
        tracker = VersionTracker(catalog)
        texts = {
            "bridge": "The mayor opened the new bridge on Monday. Hundreds crossed it.",
            "flood": "The river flooded the farmland near the bridge. Zeppelins were grounded.",
            "storm": "A storm grounded zeppelins and closed the bridge on Monday.",
        }
        obs = _obs("bridge", texts["bridge"], 0)
        tracker.commit(obs, tracker.decide(obs))
        catalog.flush()
        assert {"mayor", "bridge", "a", "writer"} <= _vocab(catalog)
        # A worker's digests are used as given (the tracker does not compute them again).
        obs = _obs(
            "flood",
            texts["flood"],
            1,
            content_sha256="f" * 64,
            search_terms=["zeppelins", "bridge"],
        )
        decision = tracker.decide(obs)
        assert decision.content_sha256 == "f" * 64
        tracker.commit(obs, decision)
        # The batch holding "zeppelins" is lost: its word must be listed again later.
        with pytest.raises(RuntimeError), catalog.writing():
            raise RuntimeError("the batch's transaction failed")
        assert "zeppelins" not in _vocab(catalog)
        obs = _obs("storm", texts["storm"], 2)
        tracker.commit(obs, tracker.decide(obs))
        catalog.flush()
        listed = _vocab(catalog)
        assert "zeppelins" in listed and "grounded" in listed
        catalog.stop_batching()
        rebuild(catalog.engine)  # the index built from the versions as they are committed
        assert _vocab(catalog) == listed
    finally:
        catalog.close()
