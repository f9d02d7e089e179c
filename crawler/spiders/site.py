"""One spider for every site profile: discovery (index pages, feeds, sitemaps) and on-demand URLs."""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from archive.urls import article_id_for, normalize_url, strip_fragment
from crawler.discovery import (
    DUPLICATE,
    INVALID_URL,
    KNOWN,
    MAX_ARTICLES,
    OFF_HOST,
    LinkTally,
    resolve_link,
)
from crawler.extensions.warc_capture import META_CAPTURE, META_KIND, META_SITE, WarcCaptureExtension
from crawler.middlewares.address_guard import (
    META_POLICY,
    request_policy_spec,
)
from crawler.profiles import GENERIC, SiteProfile
from pipelines.items import ArticlePage

logger = logging.getLogger(__name__)


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


class BodyTooLarge(ValueError):
    pass


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Decompress gzip `data` (several members too) a piece at a time, never holding more
    than `limit` bytes of output: BodyTooLarge past it (a 256 KB .xml.gz can hold
    gigabytes). A cut-short stream gives what came before the cut."""
    out = bytearray()
    pending = data
    while pending:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while pending:
            try:
                chunk = inflater.decompress(pending, 64 * 1024)
            except zlib.error:
                if out:
                    return bytes(out)
                raise
            out += chunk
            if len(out) > limit:
                raise BodyTooLarge(f"larger than {limit} bytes once decompressed (max_page_bytes); "
                                   "not read further")  # fmt: skip
            pending = inflater.unconsumed_tail
            if inflater.eof or not chunk and not pending:
                break
        if not inflater.eof:
            break  # cut short
        rest = inflater.unused_data
        pending = rest if rest[:2] == b"\x1f\x8b" else b""
    return bytes(out)


def _original_url(response: Response) -> str:
    """The URL first requested, before any redirect."""
    redirects = response.meta.get("redirect_urls")
    if redirects:
        return str(redirects[0])
    return response.request.url if response.request is not None else response.url


class SiteSpider(scrapy.Spider):
    """Crawls one site profile.

    Arguments (also as `scrapy crawl NAME -a key=value`): `start_url` (one or more,
    comma-separated: point the profile at a mirror), `max_articles`, `refetch` (fetch
    known articles too; discovery leaves them to the recheck ladder otherwise), `urls`
    (on-demand: fetch these as articles, no discovery).
    """

    name = "site"
    profile: SiteProfile = GENERIC
    _capture: WarcCaptureExtension | None = None

    def capture_extension(self) -> WarcCaptureExtension | None:
        """The extension that archives this crawl's exchanges and owns its archive session."""
        if self._capture is None:
            self._capture = self.crawler.get_extension(WarcCaptureExtension)
        return self._capture

    def __init__(self, *args: Any, start_url: Any = None, max_articles: Any = None,
                 refetch: Any = False, urls: Any = None, profile: SiteProfile | None = None,
                 address_policies: dict[str, str] | None = None, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        # On-demand URLs → the address policy each must be fetched under, when narrower than
        # the crawl's (rechecks: the policy the article was first archived under).
        self.address_policies = dict(address_policies or {})
        if profile is not None:
            self.profile = profile
        self.start_urls_override = _as_list(start_url)
        self.max_articles = int(max_articles) if max_articles not in (None, "") else None
        self.refetch = (
            str(refetch).lower() in ("1", "true", "yes")
            if not isinstance(refetch, bool)
            else refetch
        )
        self.article_urls = _as_list(urls)
        self.report: dict[str, Any] = {
            "site": self.profile.name, "index_ok": 0, "index_failed": [],
            "articles_queued": 0, "known_skipped": 0, "urls": len(self.article_urls),
            "article_failures": 0, "results": {}, "discovery": [],
        }  # fmt: skip
        self._queued: set[str] = set()

    @classmethod
    def handles_request(cls, request: Any) -> bool:
        host = urlsplit(request.url).netloc.lower()
        return (
            host in cls.profile.hosts or (urlsplit(request.url).hostname or "") in cls.profile.hosts
        )

    @property
    def index_urls(self) -> list[str]:
        return self.start_urls_override or list(self.profile.start_urls)

    # -- start ---------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        if self.article_urls:
            for url in self.article_urls:
                request = self._article_request(url, force=True)
                policy = self.address_policies.get(url)
                if policy:
                    request.meta[META_POLICY] = policy
                yield request
            return
        for url in self.index_urls:
            yield self._listing_request(url, "index", self.parse_index)
        for url in self.profile.feeds:
            yield self._listing_request(url, "feed", self.parse_feed)
        for url in self.profile.sitemaps:
            yield self._listing_request(url, "sitemap", self.parse_sitemap)

    def _listing_request(self, url: str, kind: str, callback: Any) -> scrapy.Request:
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, dont_filter=True,
            meta={META_KIND: kind, META_SITE: self.profile.name},
        )  # fmt: skip

    def _article_request(
        self, url: str, *, force: bool = False, retried: bool = False
    ) -> scrapy.Request:
        # dont_filter: our own set dedups links; a redirect loop must run into
        # REDIRECT_MAX_TIMES (and be recorded) instead of vanishing in the dupefilter.
        return scrapy.Request(
            strip_fragment(url), callback=self.parse_article, errback=self.on_error,
            dont_filter=True,
            meta={META_KIND: "article", META_SITE: self.profile.name, "newsarchive_retried": retried},
        )  # fmt: skip

    # -- discovery -----------------------------------------------------------------------
    # Every link a listing offers is accounted for (crawler/discovery.py): followed, or
    # dropped by a named rule. The tally goes into the listing's capture and the report.
    def _record_tally(self, tally: LinkTally) -> dict[str, Any]:
        page = tally.to_dict()
        self.report["discovery"].append(page)
        return page

    def _index_failed(self, response: Response, outcome: str, message: str,
                      tally: LinkTally | None = None) -> None:  # fmt: skip
        self.report["index_failed"].append(f"{response.url}: {message}")
        logger.error("%s: %s: %s", self.profile.name, response.url, message)
        page = self._record_tally(tally) if tally is not None else None
        ext = self.capture_extension()
        capture = response.meta.get(META_CAPTURE)
        if ext is not None and capture is not None:
            ext.session.set_outcome(capture.capture_id, outcome, message, links=page)

    def _listing_ok(self, response: Response, outcome: str, tally: LinkTally) -> None:
        page = self._record_tally(tally)
        ext = self.capture_extension()
        capture = response.meta.get(META_CAPTURE)
        if ext is not None and capture is not None:
            dropped = sum(tally.dropped.values())
            note = f"{tally.matched} links matched, {tally.followed} followed, {dropped} dropped"
            ext.session.set_outcome(capture.capture_id, outcome, note, links=page)

    def _check(self, tally: LinkTally, base: str, href: str, host: str | None = None) -> str | None:
        """The link as a URL to consider, or None (counted under the rule that dropped it)."""
        url, rule = resolve_link(base, href)
        if url is not None and host is not None and urlsplit(url).netloc != host:
            rule = OFF_HOST
        if url is not None and rule is None:
            rule = self.profile.link_rule(url)
        if rule is not None:
            tally.drop(rule)
            return None
        return url

    def article_links(self, response: TextResponse, tally: LinkTally | None = None) -> list[str]:
        """Article URLs on an index page, in page order: the profile's selector matches
        (every `<a href>` without one), on the page's host, past the profile's patterns."""
        profile = self.profile
        tally = tally if tally is not None else LinkTally(response.url, "index")
        if profile.article_links:
            hrefs = response.css(profile.article_links).xpath("./@href | .//a/@href").getall()
        else:
            hrefs = response.xpath("//a/@href").getall()
        tally.matched += len(hrefs)
        host = urlsplit(response.url).netloc
        return [
            u for u in (self._check(tally, response.url, h, host) for h in hrefs) if u is not None
        ]

    def _choose(self, urls: list[str], tally: LinkTally) -> list[str]:
        """The links to follow: new in this run, not known (unless refetching), within budget."""
        fresh = []
        for url in urls:
            key = normalize_url(url)
            if key in self._queued:
                tally.drop(DUPLICATE)
            else:
                self._queued.add(key)
                fresh.append(url)
        if not self.refetch:
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
        if self.max_articles is not None:
            room = max(0, self.max_articles - self.report["articles_queued"])
            tally.drop(MAX_ARTICLES, max(0, len(fresh) - room))
            fresh = fresh[:room]
        return fresh

    def _follow(self, urls: list[str], tally: LinkTally) -> list[scrapy.Request]:
        """Requests for the chosen article links; sets `tally.followed`."""
        requests = []
        for url in self._choose(urls, tally):
            try:
                requests.append(self._article_request(url))
            except ValueError:  # Scrapy refuses a URL the checks let through
                tally.drop(INVALID_URL)
        tally.followed += len(requests)
        self.report["articles_queued"] += len(requests)
        self.crawler.stats.inc_value("newsarchive/articles_queued", len(requests))
        return requests

    def _no_links(self, tally: LinkTally, what: str) -> str:
        if not tally.matched:
            return f"0 article links {what}"
        rules = ", ".join(f"{rule} {n}" for rule, n in tally.to_dict()["dropped"].items())
        return f"0 article links {what}: all {tally.matched} matched links were dropped ({rules})"

    def parse_index(self, response: Response) -> Iterator[Any]:
        if response.status != 200:
            self._index_failed(
                response, f"http-{response.status}", f"index page answered HTTP {response.status}"
            )
            return
        if not isinstance(response, TextResponse):
            self._index_failed(response, "not-html", "index page is not HTML")
            return
        tally = LinkTally(response.url, "index")
        links = self.article_links(response, tally)
        if not links:
            rule = self.profile.article_links or self.profile.article_pattern
            message = (f"0 article links matched {rule!r} on a 200 page: the site's markup may have changed"
                       if not tally.matched else self._no_links(tally, "on a 200 page"))  # fmt: skip
            self._index_failed(response, "index-no-links", message, tally)
            return
        self.report["index_ok"] += 1
        requests = self._follow(links, tally)
        self._listing_ok(response, "index", tally)
        yield from requests

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if response.status != 200 or not isinstance(response, TextResponse):
            self._index_failed(response, f"http-{response.status}" if response.status != 200 else "not-html",
                               "feed could not be read")  # fmt: skip
            return
        response.selector.remove_namespaces()
        urls = response.xpath(
            "//item/link/text() | //entry/link[not(@rel) or @rel='alternate']/@href"
        ).getall()
        urls = [u for u in urls if u.strip()]
        tally = LinkTally(response.url, "feed", matched=len(urls))
        links = [u for u in (self._check(tally, response.url, x) for x in urls) if u is not None]
        if not links:
            self._index_failed(
                response, "index-no-links", self._no_links(tally, "in the feed"), tally
            )
            return
        self.report["index_ok"] += 1
        requests = self._follow(links, tally)
        self._listing_ok(response, "feed", tally)
        yield from requests

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        body = response.body
        if body[:2] == b"\x1f\x8b":  # a .xml.gz file (not Content-Encoding: that is undone already)
            limit = self.crawler.settings.getint("NEWSARCHIVE_MAX_PAGE_BYTES", 5_000_000)
            try:
                body = gunzip_bounded(body, limit)
            except BodyTooLarge as exc:
                self._index_failed(response, "too-large", f"sitemap: {exc}")
                return
            except (OSError, EOFError, zlib.error):
                body = b""
        if response.status != 200 or not body:
            self._index_failed(response, f"http-{response.status}" if response.status != 200 else "not-html",
                               "sitemap could not be read")  # fmt: skip
            return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml raises several kinds on garbage
            self._index_failed(response, "parse-error", f"sitemap is not XML: {exc}")
            return
        locs = [entry["loc"] for entry in sitemap if entry.get("loc")]
        if sitemap.type == "sitemapindex":
            tally = LinkTally(response.url, "sitemap", follows="sitemaps", matched=len(locs))
            children = []
            for loc in locs:
                url, rule = resolve_link(response.url, loc)
                if url is None:
                    tally.drop(rule or INVALID_URL)
                    continue
                try:
                    children.append(self._listing_request(url, "sitemap", self.parse_sitemap))
                except ValueError:
                    tally.drop(INVALID_URL)
            tally.followed = len(children)
            self._listing_ok(response, "sitemap", tally)
            yield from children
            return
        tally = LinkTally(response.url, "sitemap", matched=len(locs))
        links = [u for u in (self._check(tally, response.url, x) for x in locs) if u is not None]
        if not links:
            self._index_failed(
                response, "index-no-links", self._no_links(tally, "in the sitemap"), tally
            )
            return
        self.report["index_ok"] += 1
        requests = self._follow(links, tally)
        self._listing_ok(response, "sitemap", tally)
        yield from requests

    # -- articles ------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        self.crawler.stats.inc_value("newsarchive/articles_fetched")
        yield ArticlePage(
            url=response.url,
            requested_url=_original_url(response),
            site=self.profile.name,
            parser=self.profile.parser,
            status=response.status,
            headers={
                "Content-Type": (response.headers.get("Content-Type") or b"").decode("latin-1")
            },
            body=response.body,
            flags=list(response.flags),
            capture=response.meta.get(META_CAPTURE),
            retried=bool(response.meta.get("newsarchive_retried")),
            address_policy=self._policy_of(response),
        )

    def _policy_of(self, response: Response) -> str | None:
        """The address policy the page was fetched under (kept by a new article)."""
        if response.request is None:
            return None
        return request_policy_spec(self.crawler.settings, response.request)

    def refetch_request(self, url: str, policy: str | None = None) -> scrapy.Request:
        """The confirming second fetch of a page whose extraction collapsed."""
        request = self._article_request(url, retried=True)
        if policy:
            request.meta[META_POLICY] = policy
        return request

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        ext = self.capture_extension()
        outcome = ext.record_failure(failure, request) if ext else "fetch-error"
        if request is not None and request.meta.get(META_KIND) in ("index", "feed", "sitemap"):
            self.report["index_failed"].append(
                f"{request.url}: {outcome}: {failure.getErrorMessage()}"
            )
        elif request is not None and request.meta.get(META_KIND) == "article":
            self.report["article_failures"] += 1
            self.report["results"][(request.meta.get("redirect_urls") or [request.url])[0]] = {
                "url": request.url, "outcome": outcome, "error": failure.getErrorMessage(),
                "article_id": None, "version": None,
            }  # fmt: skip
        logger.warning("%s: %s: %s (%s)", self.profile.name,
                       request.url if request else "?", outcome, failure.getErrorMessage())  # fmt: skip
