"""`ExtractionPipeline`: classify each fetched article page, extract it in the worker pool."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from pipelines.classify import classify_response
from pipelines.extractor_pool import ExtractorPool
from pipelines.items import ArticlePage


class ExtractionPipeline:
    """Fills `ArticlePage.extraction` (or `outcome` when the page cannot be an article).

    Pages are extracted in the worker pool (a hard per-page timeout, workers recycled); while
    it starts, pages the site profile's rules can read are extracted in this process.

    Settings: `NEWSARCHIVE_EXTRACT_WORKERS` (0 = one per core, at most 4), `NEWSARCHIVE_EXTRACT_TIMEOUT`
    (seconds a page may take), `NEWSARCHIVE_EXTRACT_MAX_PAGES_PER_WORKER`,
    `NEWSARCHIVE_EXTRACT_IN_PROCESS_MAX_BYTES` (larger pages always wait for the pool; 0: all).
    """

    def __init__(
        self, crawler: Crawler, pool: ExtractorPool, in_process_max_bytes: int = 1_000_000
    ) -> None:
        self.crawler = crawler
        self.pool = pool
        self.in_process_max_bytes = in_process_max_bytes
        self._pages = 0  # pages seen that needed extraction

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        from scrapy.utils.reactor import is_asyncio_reactor_installed

        if not is_asyncio_reactor_installed():
            raise RuntimeError("newsarchive's extraction needs Scrapy's asyncio reactor (TWISTED_REACTOR = "
                               "'twisted.internet.asyncioreactor.AsyncioSelectorReactor', Scrapy's default)")  # fmt: skip
        s = crawler.settings
        pool = _acquire_pool(
            workers=s.getint("NEWSARCHIVE_EXTRACT_WORKERS", 0),
            timeout=s.getfloat("NEWSARCHIVE_EXTRACT_TIMEOUT", 30.0),
            max_tasks_per_child=s.getint("NEWSARCHIVE_EXTRACT_MAX_PAGES_PER_WORKER", 500),
        )
        return cls(crawler, pool, s.getint("NEWSARCHIVE_EXTRACT_IN_PROCESS_MAX_BYTES", 1_000_000))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        if item.capture is None:
            # The exchange could not be archived (the WARC write failed): no version
            # may exist without its proof in a WARC.
            item.outcome, item.error = (
                "not-archived",
                "the response could not be written to a WARC file",
            )
            return item
        problem = classify_response(item.status, item.headers.get("Content-Type"), item.flags)
        if problem is not None:
            item.outcome, item.error = problem
            return item
        if item.capture.unchanged_version is not None:
            # The payload is the one that gave the latest version (recorded at capture).
            item.outcome = "unchanged"
            self.crawler.stats.inc_value("newsarchive/extraction_skipped")
            return item
        content_type = item.headers.get("Content-Type") or None
        # Pages go to the worker pool: the reactor's thread is the crawl's bottleneck, the
        # other cores are idle. While the pool starts (its first half second), pages the
        # site profile can read are extracted here instead of waiting for it. The pool is
        # started by the second page: a crawl that finds one new article (or none) never
        # pays for the worker processes.
        self._pages += 1
        if self._pages > 1:
            self.pool.start()
        fast = None
        if not self.pool.ready and len(item.body) <= self.in_process_max_bytes:
            # Imported on first use: lxml + trafilatura cost ~0.3 s, which a crawl that
            # finds nothing new should not pay at start-up.
            from pipelines.extract import extract_fast

            fast = extract_fast(
                item.body, url=item.url, content_type=content_type, parser=item.parser
            )
        if fast is not None:
            result = fast.to_dict()
            self.crawler.stats.inc_value("newsarchive/extracted_in_process")
        else:
            result = await self.pool.extract(item.body, url=item.url, content_type=content_type,
                                             parser=item.parser)  # fmt: skip
        if result.get("problem"):
            item.outcome = result["problem"]
            item.error = result.get("problem_detail")
        else:
            item.extraction = result
        self.crawler.stats.inc_value("newsarchive/extracted")
        return item

    def close_spider(self) -> None:
        _release_pool(self.pool)


# One pool per process: a crawl of several sites runs one crawler per site in one process,
# and a pool each would put sites × cores workers on the machine. The first crawler's
# settings size it (they come from the same config).
_shared_pool: ExtractorPool | None = None
_pool_users = 0


def _acquire_pool(**options: Any) -> ExtractorPool:
    global _shared_pool, _pool_users
    if _shared_pool is None:
        _shared_pool = ExtractorPool(**options)
    _pool_users += 1
    return _shared_pool


def _release_pool(pool: ExtractorPool) -> None:
    global _shared_pool, _pool_users
    if pool is not _shared_pool:
        pool.close()
        return
    _pool_users -= 1
    if _pool_users <= 0:
        _shared_pool, _pool_users = None, 0
        pool.close()
