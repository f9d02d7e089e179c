"""`TrackingPipeline`: turn each extraction into a version (or an outcome) in the archive."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from archive.content import content_hash
from archive.urls import article_id_for, normalize_url
from archive.versions import Observation, diff_from
from pipelines.archive_access import SessionOwner, session_owner
from pipelines.items import ArticlePage

logger = logging.getLogger(__name__)


class TrackingPipeline:
    """Records every article page's outcome; new content becomes a version and a JSON record.

    Needs the `WarcCaptureExtension` (it owns the run's archive session).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._owner: SessionOwner | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrackingPipeline:
        return cls(crawler)

    @property
    def session(self) -> Any:
        if self._owner is None:
            self._owner = session_owner(self.crawler)
            if self._owner is None:
                raise NotConfigured(
                    "TrackingPipeline needs crawler.extensions.warc_capture.WarcCaptureExtension"
                )
        return self._owner.session

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        capture = item.capture
        if capture is None:
            self.crawler.stats.inc_value("newsarchive/outcome/not-archived")
            item.body = b""
            return item
        capture_id = capture.capture_id
        article_id = article_id_for(item.url)
        stats = self.crawler.stats
        if item.extraction is None:
            outcome = item.outcome or "extract-error"
            version = None
            if capture_id is not None:
                if outcome == "unchanged":  # set by extraction only with unchanged_version
                    version = capture.unchanged_version  # recorded when it was captured
                else:
                    self.session.set_outcome(capture_id, outcome, item.error,
                                             article_id if outcome in ("soft-404", "no-content") else None)  # fmt: skip
                    self.session.checked(article_id)
            stats.inc_value(f"newsarchive/outcome/{outcome}")
            self._report(item, article_id, version)
            item.body = b""
            return item
        fields = {k: item.extraction.get(k) for k in (
            "title", "authors", "text", "language", "section", "published_at", "modified_at",
            "dates_source", "canonical_url", "extractor")}  # fmt: skip
        obs = Observation(
            article_id=article_id, site=item.site, url=item.url, normalized_url=normalize_url(item.url),
            captured_at=_capture_time(capture), fields=fields, capture_id=capture_id,
            response=capture.records.response if capture is not None else None,
            retried=item.retried, address_policy=item.address_policy,
            content_sha256=item.extraction.get("content_sha256"),
            search_terms=item.extraction.get("search_terms"),
        )  # fmt: skip
        await self._diff_off_the_reactor(obs)
        decision = self.session.track(obs, capture.records if capture is not None else None)
        item.outcome = decision.outcome
        stats.inc_value(f"newsarchive/outcome/{decision.outcome}")
        if decision.outcome == "suspect-retry":
            spider: Any = self.crawler.spider
            assert self.crawler.engine is not None
            self.crawler.engine.crawl(spider.refetch_request(item.url, item.address_policy))
        else:
            self._report(item, article_id, decision.version or decision.previous_version)
        item.body = b""
        return item

    async def _diff_off_the_reactor(self, obs: Observation) -> None:
        """A changed article's diff from its latest version, computed in a thread: bounded
        work (archive/diffs.py), but up to a few hundred milliseconds on hostile text, which
        the reactor thread (every download) must not wait for."""
        latest = self.session.catalog.latest_version_row(obs.article_id)
        if latest is None:
            return
        f = obs.fields
        digest = obs.content_sha256 or content_hash(f.get("title"), f.get("authors"), f.get("text"))
        if digest == latest["content_sha256"]:
            return  # unchanged: no diff
        version, old_text = int(latest["version"]), (latest["record"] or {}).get("text")
        diff = await maybe_deferred_to_future(
            deferToThread(diff_from, version, old_text, f.get("text"))
        )
        obs.diff_hint = (version, diff)

    def _report(self, item: ArticlePage, article_id: str, version: int | None) -> None:
        """The per-URL result that `newsarchive archive` prints."""
        report = getattr(self.crawler.spider, "report", None)
        if report is None:
            return
        known = item.outcome not in ("soft-404", "no-content", "not-html") and not str(
            item.outcome
        ).startswith("http-")
        report.setdefault("results", {})[item.requested_url] = {
            "url": item.url, "outcome": item.outcome, "error": item.error,
            "article_id": article_id if known or version else None, "version": version,
        }  # fmt: skip


def _capture_time(capture: Any) -> datetime:
    if capture is None:
        return datetime.now(UTC)
    return datetime.fromisoformat(
        capture.records.warc_date
    )  # "…T…Z": aware, UTC (5× faster than strptime)
