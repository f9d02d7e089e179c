"""The one adapter between Scrapy and the archive: every HTTP exchange becomes WARC records.

Captures in a `response_downloaded` handler: a downloader middleware at a normal priority
never sees redirects or retries and gets bodies already decompressed (docs/warc.md).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    StopDownload,
)
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import error as tx_error
from twisted.internet import task
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from archive.exchange import HttpExchange
from archive.session import ArchiveSession, CaptureResult
from archive.urls import article_id_for
from archive.warc_files import WarcWriteError
from crawler import session_registry
from crawler.download_handler import WireExchange, wire_of
from crawler.middlewares.responses import ResponseRefused
from pipelines.archive_access import SessionOwner

logger = logging.getLogger(__name__)

META_CAPTURE = "newsarchive_capture"
META_KIND = "newsarchive_kind"
META_SITE = "newsarchive_site"
_META_STARTED_AT = "_newsarchive_started_at"
_META_BYTES = "_newsarchive_bytes"
_META_CAPTURED_URL = "_newsarchive_captured_url"


def _headers(headers: Any) -> list[tuple[str, str]]:
    """All header values in order, repeated ones included, decoded as Latin-1."""
    pairs = []
    for key, values in headers.items():
        name = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        for value in values if isinstance(values, list) else [values]:
            pairs.append(
                (name, value.decode("latin-1") if isinstance(value, bytes) else str(value))
            )
    return pairs


def _truncation(response: Response) -> str | None:
    """WARC-Truncated for a body: cut at max_page_bytes (`download_stopped`), or fewer bytes
    than its Content-Length or chunking promised (`dataloss`). Scrapy's `partial` only says
    no length was declared: a body that ends when the server closes is complete (RFC 9112
    section 6.3)."""
    if "download_stopped" in response.flags:
        return "length"
    if "dataloss" in response.flags:
        return "disconnect"
    return None


def _wire_request(exchange: HttpExchange, wire: WireExchange) -> None:
    """The request line and header lines exactly as written to the connection."""
    lines = wire.request_head.decode("latin-1").split("\r\n")
    exchange.request_line = lines[0]
    exchange.request_headers = [
        (name, value) for name, _, value in (line.partition(": ") for line in lines[1:] if line)
    ]


def classify_failure(failure: Failure) -> tuple[str, bool]:
    """(outcome, request was sent) for a request that got no usable response."""
    exc = failure.value
    if isinstance(exc, ResponseRefused):  # a response came, and is archived: its outcome
        return exc.outcome, True
    if isinstance(exc, IgnoreRequest):
        # Scrapy's messages, matched whole: a URL inside a message must not decide.
        message = str(exc).lower()
        if message.startswith("refused"):  # crawler/middlewares/address_guard.py, dns_guard.py
            return "address-refused", False
        if message.startswith("max redirections reached"):
            return "redirect-loop", False
        if message.startswith("forbidden by robots.txt"):
            return "robots-disallowed", False
        return "fetch-error", False
    # Scrapy >= 2.16 wraps Twisted's errors in its own; older ones pass them through.
    if failure.check(DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError):
        return "timeout", True
    if failure.check(CannotResolveHostError, tx_error.DNSLookupError):
        return "dns-error", False
    if failure.check(
        DownloadConnectionRefusedError, tx_error.ConnectionRefusedError, tx_error.ConnectError
    ):
        return "connection-error", False
    if failure.check(DownloadFailedError, ResponseDataLossError, tx_error.ConnectionLost,
                     tx_error.ConnectionDone, ResponseFailed):  # fmt: skip
        return "connection-error", True
    if failure.check(DownloadCancelledError):
        return "too-large", True
    return "fetch-error", True


class WarcCaptureExtension(SessionOwner):
    """Writes every downloaded response (redirects, errors, robots.txt, retries) and its request.

    Settings: `NEWSARCHIVE_DATA_DIR`, `NEWSARCHIVE_CONFIG` (which archive to write),
    `NEWSARCHIVE_MAX_PAGE_BYTES` (a body is cut there and stored with `WARC-Truncated`),
    `USER_AGENT` and `ROBOTSTXT_OBEY` (recorded in warcinfo).
    """

    def __init__(self, crawler: Crawler, session: ArchiveSession, owns_session: bool) -> None:
        self.crawler = crawler
        self.session = session
        self.owns_session = owns_session
        self.max_page_bytes = crawler.settings.getint("NEWSARCHIVE_MAX_PAGE_BYTES", 5_000_000)
        self.fatal_error: str | None = None
        self._flusher: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureExtension:
        site = getattr(crawler.spidercls, "name", "generic")
        session, opened = session_registry.acquire(crawler.settings, site)
        ext = cls(crawler, session, opened)
        # Bound methods of an object the extension manager keeps: signal receivers are weak.
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.headers_received, signal=signals.headers_received)
        crawler.signals.connect(ext.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        # Catalog rows are committed in batches; commit at least this often while idle too.
        self._flusher = task.LoopingCall(self.session.flush)
        self._flusher.start(0.5, now=False)

    # -- size limit ----------------------------------------------------------------------
    def headers_received(self, headers: Any, body_length: Any, request: Request, **_: Any) -> None:
        # The body is let in even when it declares more than max_page_bytes: its first
        # max_page_bytes are kept (bytes_received stops it there).
        latency = request.meta.get("download_latency")
        now = time.time()
        request.meta[_META_STARTED_AT] = now - latency if isinstance(latency, float) else now
        request.meta[_META_BYTES] = 0

    def bytes_received(self, data: bytes, request: Request, **_: Any) -> None:
        received = request.meta.get(_META_BYTES, 0) + len(data)
        request.meta[_META_BYTES] = received
        if received > self.max_page_bytes:
            raise StopDownload(fail=False)

    # -- capture -------------------------------------------------------------------------
    def _kind(self, request: Request, response: Response | None) -> str:
        if request.url.endswith("/robots.txt") and META_KIND not in request.meta:
            return "robots"
        return str(request.meta.get(META_KIND, "page"))

    def _site(self, request: Request) -> str:
        return str(request.meta.get(META_SITE) or getattr(self.crawler.spider, "name", "generic"))

    def _exchange(self, request: Request, response: Response | None) -> HttpExchange:
        wire = wire_of(request)
        # WARC-Date: when the request was handed to the connection (the wire handler);
        # without it, when the downloader started the exchange (before connecting).
        # (A redirect or retry copies meta: only this download's own values are used.)
        sent_at = wire.sent_at if wire is not None else None
        if sent_at is None and response is not None:
            sent_at = request.meta.get(_META_STARTED_AT)
        if sent_at is None:
            sent_at = time.time()  # a request never sent: when its failure was recorded
        # Headers as sent and received when the wire handler kept them; Scrapy's otherwise.
        wire_request = wire is not None and bool(wire.request_head)
        exchange = HttpExchange(
            url=request.url,
            method=request.method,
            request_headers=[] if wire_request else _headers(request.headers),
            requested_at=datetime.fromtimestamp(sent_at, UTC),
            request_body=request.body or b"",
        )
        if wire_request:
            assert wire is not None
            _wire_request(exchange, wire)
        if response is not None:
            exchange.status = response.status
            wire_response = wire is not None and wire.status_line is not None
            exchange.response_headers = [] if wire_response else _headers(response.headers)
            exchange.body = response.body
            exchange.protocol = response.protocol or "HTTP/1.1"
            exchange.ip_address = str(response.ip_address) if response.ip_address else None
            exchange.truncated = _truncation(response)
            if exchange.truncated == "length":
                # The chunk that crossed the limit came whole: keep exactly the limit.
                exchange.body = exchange.body[: self.max_page_bytes]
            if wire is not None and wire.status_line is not None:
                exchange.status_line = wire.status_line.decode("latin-1")
                exchange.response_headers = [
                    (n.decode("latin-1"), v.decode("latin-1")) for n, v in wire.headers
                ]
        return exchange

    def response_downloaded(self, response: Response, request: Request, **_: Any) -> None:
        kind = self._kind(request, response)
        if 300 <= response.status < 400 and b"Location" in response.headers:
            outcome = "redirect"
        elif kind == "robots":
            outcome = "robots"
        elif response.status >= 400:
            outcome = f"http-{response.status}"
        else:
            outcome = "fetched"
        if self.fatal_error:
            return
        try:
            result = self.session.capture(
                self._exchange(request, response),
                kind=kind,
                site=self._site(request),
                outcome=outcome,
            )
        except WarcWriteError as exc:
            self._stop(str(exc))
            return
        request.meta[META_CAPTURE] = result
        request.meta[_META_CAPTURED_URL] = request.url  # meta is copied to a redirect's request
        self.crawler.stats.inc_value("newsarchive/captures")
        self.crawler.stats.inc_value("newsarchive/warc_bytes", result.records.response.length
                                     if result.records.response else 0)  # fmt: skip
        if result.revisit:
            self.crawler.stats.inc_value("newsarchive/revisits")

    def record_failure(self, failure: Failure, request: Request | None = None) -> str:
        """Record a request that got no response; returns its outcome."""
        request = request or getattr(failure, "request", None)
        if request is None:
            return "fetch-error"
        outcome, sent = classify_failure(failure)
        wire = wire_of(request)
        if wire is not None and not failure.check(IgnoreRequest):
            # Known, not guessed from the kind of failure. (An IgnoreRequest refuses a request
            # before it is sent, or drops one whose response was already captured.)
            sent = wire.sent
        message = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
        if self.fatal_error:
            return outcome
        captured = request.meta.get(META_CAPTURE)
        if (isinstance(failure.value, ResponseRefused) and isinstance(captured, CaptureResult)
                and request.meta.get(_META_CAPTURED_URL) == request.url):  # fmt: skip
            # The response is archived already: its capture gets the outcome, no second one.
            self.session.set_outcome(captured.capture_id, outcome, message)
            if request.meta.get(META_KIND) == "article":
                original = (request.meta.get("redirect_urls") or [request.url])[0]
                self.session.checked(article_id_for(original))
            self.crawler.stats.inc_value(f"newsarchive/failures/{outcome}")
            return outcome
        try:
            capture_id = self.session.failed_fetch(
                self._exchange(request, None), kind=self._kind(request, None),
                site=self._site(request), outcome=outcome, error=message, sent=sent,
            )  # fmt: skip
        except WarcWriteError as exc:
            self._stop(str(exc))
            return outcome
        request.meta[META_CAPTURE] = capture_id
        if request.meta.get(META_KIND) == "article":
            original = (request.meta.get("redirect_urls") or [request.url])[0]
            self.session.checked(article_id_for(original))
        self.crawler.stats.inc_value(f"newsarchive/failures/{outcome}")
        return outcome

    def _stop(self, message: str) -> None:
        """Nothing more can be archived (a full disk): stop fetching what cannot be kept."""
        self.fatal_error = message
        logger.error("stopping the crawl: %s", message)
        self.crawler.stats.set_value("newsarchive/fatal_error", message)
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc-write-error"))

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._flusher is not None and self._flusher.running:
            self._flusher.stop()
        self.session.flush()
        if session_registry.release(self.session) and self.owns_session:
            figures = self.session.close("done" if reason == "finished" else reason)
            logger.info("newsarchive run %s: %s", self.session.run_id, figures)
