"""`newsarchive worker`: a spider that takes its requests from the shared Redis frontier.

Its `start()` (Scrapy >= 2.13 calls the asynchronous `start`, not `start_requests`) keeps
claiming items until the worker is stopped, never holding more than `max_inflight` at a
time so that the other workers get their share. Index pages, feeds and sitemaps are parsed
here as in `SiteSpider`, but the article links they find go back to the frontier (through
its dupefilter) instead of into this process's scheduler. An item is acknowledged only
once the catalog has committed what it produced; until then its lease is renewed, and if
this process dies the lease expires and another worker fetches it again (the catalog's
version keys make a second capture of the same content `unchanged`, not a new version).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Response
from twisted.internet import task

from archive.urls import article_id_for, normalize_url
from crawler.discovery import DUPLICATE, FRONTIER, KNOWN, LinkTally
from crawler.middlewares.address_guard import META_POLICY
from crawler.profiles import GENERIC, SiteProfile
from crawler.spiders.site import SiteSpider

logger = logging.getLogger(__name__)


class WorkQueue(Protocol):
    """What the spider needs of the shared frontier (`newsarchive.distributed.frontier.Frontier`,
    handed in by the worker): leases of queued items, their acknowledgement, and pushes."""

    visibility_timeout: float

    def claim_many(self, n: int) -> list[tuple[str, dict[str, Any]]]: ...
    def ack_many(self, leases: Any) -> Any: ...
    def extend(self, raws: Any) -> Any: ...
    def release(self, raws: Any) -> Any: ...
    def counts(self) -> Any: ...
    def push(self, items: Any) -> Any: ...
    def push_new_articles(self, *args: Any, **kwargs: Any) -> Any: ...
    @staticmethod
    def item(url: str, site: str, kind: str, **kwargs: Any) -> str: ...


META_LEASE = "newsarchive_lease"
META_REFETCH = "newsarchive_refetch"
META_BUDGET = (
    "newsarchive_budget"  # a listing's article budget key (`crawl --distributed --max-articles`)
)


async def _sleep(seconds: float) -> None:
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import reactor

    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


class _Recent(dict):  # type: ignore[type-arg]
    """The per-URL results of a worker that runs for days: only the latest ones are kept."""

    limit = 1000

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self.limit:
            del self[next(iter(self))]


class _RecentList(list):  # type: ignore[type-arg]
    """The discovery tallies of a long-running worker: only the latest ones are kept."""

    limit = 1000

    def append(self, value: Any) -> None:
        super().append(value)
        if len(self) > self.limit:
            del self[: len(self) - self.limit]


class DistributedSpider(SiteSpider):
    name = "distributed"

    def __init__(self, *args: Any, frontier: WorkQueue, profiles: dict[str, SiteProfile],
                 max_inflight: int = 16, idle_exit: float | None = None, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.frontier = frontier
        self.profiles = profiles
        self.max_inflight = max(1, int(max_inflight))
        self.idle_exit = idle_exit
        self.held: dict[str, float] = {}  # lease → when claimed; acknowledged once committed
        # Leases whose request is still being fetched or processed. `max_inflight` bounds
        # these only: a processed page waits up to a catalog batch (~0.25 s) for its commit
        # and acknowledgement, and counting those would cap a worker at ~60 pages/s.
        self.processing: set[str] = set()
        self._to_ack: list[str] = []  # done, waiting for the catalog commit that follows
        self._claimed: deque[tuple[str, dict[str, Any]]] = deque()  # leased, not yet started
        self.max_hold = (
            600.0  # a lease nobody acknowledges (a dropped request) is not renewed forever
        )
        self.stopping = False
        self._refetch_now = False  # the listing being parsed: its refetch flag and article budget
        self._budget_now: str | None = None
        self.report.update(site="distributed", claimed=0, acked=0, discovered=0, results=_Recent(),
                           discovery=_RecentList())  # fmt: skip
        self._heartbeat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> DistributedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._item_done, signal=signals.item_scraped)
        crawler.signals.connect(spider._item_done, signal=signals.item_dropped)
        crawler.signals.connect(spider._item_done, signal=signals.item_error)
        return spider  # type: ignore[return-value]

    # -- leases --------------------------------------------------------------------------
    def _opened(self, spider: Any) -> None:
        self._heartbeat = task.LoopingCall(self._renew)
        self._heartbeat.start(max(self.frontier.visibility_timeout / 3, 0.2), now=False)

    def _renew(self) -> None:
        try:
            now = time.monotonic()
            self.frontier.extend(raw for raw, at in self.held.items() if now - at < self.max_hold)
            # A request Scrapy dropped without a word frees its slot after max_hold.
            self.processing = {
                raw for raw in self.processing if now - self.held.get(raw, now) < self.max_hold
            }
        except Exception as exc:  # Redis away for a moment: the next beat tries again
            logger.warning("could not renew leases: %s", exc)

    def _ack_after_commit(self, lease: str | None) -> None:
        if not lease:
            return
        self.processing.discard(lease)  # done here; acknowledged once its rows are committed
        self._to_ack.append(lease)
        ext = self.capture_extension()
        if ext is None:
            self._ack_now()
        elif len(self._to_ack) == 1:  # one acknowledgement round trip per catalog commit
            ext.session.catalog.after_commit(self._ack_now)

    def _ack_now(self) -> None:
        leases, self._to_ack = self._to_ack, []
        if not leases:
            return
        self.frontier.ack_many(leases)
        for lease in leases:
            self.held.pop(lease, None)
        self.report["acked"] += len(leases)

    def _item_done(self, item: Any = None, response: Response | None = None, **_: Any) -> None:
        if response is not None:
            self._ack_after_commit(response.meta.get(META_LEASE))

    def _idle(self, spider: Any) -> None:
        if not self.stopping:
            raise DontCloseSpider

    def _closed(self, spider: Any, reason: str) -> None:
        self.stopping = True
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        ext = self.capture_extension()
        if ext is not None:
            ext.session.flush()  # acknowledges what is committed
        self._claimed.clear()  # held: given back below
        if self.held:
            logger.warning("returning %d unfinished item(s) to the queue", len(self.held))
            self.frontier.release(self.held)
            self.held.clear()

    # -- start: claim until stopped ------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        idle_since: float | None = None
        while not self.stopping:
            if not self._claimed:
                free = self.max_inflight - len(self.processing)
                if free <= 0:
                    await _sleep(0.02)
                    continue
                # One round trip for as many items as there are free slots; each is held
                # (its lease renewed, given back at a clean stop) from now on.
                now = time.monotonic()
                for raw, item in self.frontier.claim_many(free):
                    self.held[raw] = now
                    self.processing.add(raw)
                    self.report["claimed"] += 1
                    self._claimed.append((raw, item))
            if not self._claimed:
                if self.idle_exit is not None and not self.held:
                    counts = self.frontier.counts()
                    if counts["queued"] == 0 and counts["leased"] == 0:
                        idle_since = idle_since or time.monotonic()
                        if time.monotonic() - idle_since >= self.idle_exit:
                            raise CloseSpider("queue-empty")
                    else:
                        idle_since = None
                await _sleep(0.05)
                continue
            idle_since = None
            raw, item = self._claimed.popleft()
            request = self._request_for(item)
            if request is None:
                self._ack_after_commit(raw)
                continue
            request.meta[META_LEASE] = raw
            request.meta[META_REFETCH] = bool(item.get("refetch"))
            if item.get("budget"):
                request.meta[META_BUDGET] = str(item["budget"])
            yield request

    def _use(self, site: str | None) -> SiteProfile:
        self.profile = self.profiles.get(site or "", GENERIC)
        return self.profile

    def _request_for(self, item: dict[str, Any]) -> scrapy.Request | None:
        self._use(item.get("site"))
        kind, url = item.get("kind"), item.get("url")
        if not url:
            return None
        if kind == "article":
            request = self._article_request(url, force=True)
            if item.get("policy"):  # a recheck: the policy the article was first archived under
                request.meta[META_POLICY] = str(item["policy"])
            return request
        callbacks = {
            "index": self.parse_index,
            "feed": self.parse_feed,
            "sitemap": self.parse_sitemap,
        }
        if kind not in callbacks:
            logger.warning("unknown item kind %r for %s: dropped", kind, url)
            return None
        return self._listing_request(url, kind, callbacks[kind])

    # -- parsing: the profile of the request's site; discoveries go to the frontier --------
    def _listing(self, parse: Any, response: Response) -> Iterator[Any]:
        from crawler.extensions.warc_capture import META_SITE

        self._use(response.meta.get(META_SITE))
        self._refetch_now = bool(response.meta.get(META_REFETCH))
        self._budget_now = response.meta.get(META_BUDGET)
        try:
            children = [r for r in parse(response) if isinstance(r, scrapy.Request)]
            # sitemap indexes: their child sitemaps are listings for any worker to take
            self.frontier.push(self.frontier.item(r.url, self.profile.name, r.meta.get("newsarchive_kind", "sitemap"),
                                             refetch=self._refetch_now, budget=self._budget_now)
                               for r in children)  # fmt: skip
        finally:
            self._ack_after_commit(response.meta.get(META_LEASE))
        return iter(())

    def parse_index(self, response: Response) -> Iterator[Any]:
        return self._listing(super().parse_index, response)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        return self._listing(super().parse_feed, response)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        return self._listing(super().parse_sitemap, response)

    def _follow(self, urls: list[str], tally: LinkTally) -> list[scrapy.Request]:
        """Push the listing's new article links to the frontier; what its dupefilter or the
        run's budget refuses is counted as `frontier`."""
        fresh, seen = [], set()
        for url in urls:  # one listing's own duplicates
            key = normalize_url(url)
            if key in seen:
                tally.drop(DUPLICATE)
            else:
                seen.add(key)
                fresh.append(url)
        if not self._refetch_now:
            ext = self.capture_extension()
            known = (
                ext.session.catalog.known_article_ids(article_id_for(u) for u in fresh)
                if ext
                else set()
            )
            n_known = sum(1 for u in fresh if article_id_for(u) in known)
            self.report["known_skipped"] += n_known
            tally.drop(KNOWN, n_known)
            fresh = [u for u in fresh if article_id_for(u) not in known]
        pushed = self.frontier.push_new_articles(self.profile.name, fresh, budget=self._budget_now)
        tally.followed += len(pushed)
        tally.drop(FRONTIER, len(fresh) - len(pushed))
        self.report["discovered"] += len(pushed)
        self.crawler.stats.inc_value("newsarchive/articles_queued", len(pushed))
        return []

    def parse_article(self, response: Response) -> Iterator[Any]:
        from crawler.extensions.warc_capture import META_SITE

        self._use(response.meta.get(META_SITE))
        return iter(list(super().parse_article(response)))

    def refetch_request(self, url: str, policy: str | None = None) -> scrapy.Request:
        request = super().refetch_request(url, policy)
        return request

    def on_error(self, failure: Any) -> None:
        try:
            super().on_error(failure)
        finally:
            request = getattr(failure, "request", None)
            if request is not None:
                self._ack_after_commit(request.meta.get(META_LEASE))
