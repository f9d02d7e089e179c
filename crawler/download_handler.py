"""Scrapy's HTTP/1.1 download handler, keeping what the wire said for the archive.

Scrapy hands the capture extension a response rebuilt from what Twisted parsed: the status
line's version survives, its reason phrase does not; header names are re-cased and grouped;
`Connection`, `Keep-Alive`, `Transfer-Encoding` and the other connection headers are gone;
the request's headers are Scrapy's, not the bytes Twisted wrote. This handler is Scrapy's own
(same connection pool, TLS, proxies, size and timeout handling) with three small hooks, and
puts a `WireExchange` in `request.meta[META_WIRE]`:

- the bytes of the request line and headers as written to the connection, and the moment
  they were handed to it (`sent_at`, the WARC-Date of the capture);
- the status line exactly as received (version and reason phrase);
- every response header line as received, in order, names in their own case (Twisted strips
  the whitespace around a value and joins folded lines; Scrapy's lenient parser drops a line
  without a colon).

docs/warc.md says what the records keep and where they differ from the wire. Scrapy's
handler internals are private: tests/test_wire_fidelity.py pins this against real sockets.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import crawler.scrapy_imports  # noqa: F401  (before Scrapy's handler: see the module)

# isort: split
from scrapy import Request
from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ScrapyAgent,
)
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import Response
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.web.iweb import UNKNOWN_LENGTH

META_WIRE = "_newsarchive_wire"
_HEAD_END = b"\r\n\r\n"


@dataclass
class WireExchange:
    """What went over the connection for one download (bytes, Latin-1 round-trippable)."""

    sent_at: float | None = None  # time.time() when the request was handed to the connection
    request_head: bytes = b""  # request line and headers, blank line included
    status_line: bytes | None = None  # e.g. b"HTTP/1.0 200 OK", without CR LF
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    # The request it belongs to: a redirect or retry copies meta, and with it this object.
    owner: weakref.ref[Request] | None = None

    @property
    def sent(self) -> bool:
        return self.sent_at is not None


class _Tap:
    """The connection as `Request.writeTo` sees it: forwards everything, keeps the head."""

    def __init__(self, transport: Any, wire: WireExchange) -> None:
        self._transport = transport
        self._wire = wire

    def _keep(self, data: bytes) -> None:
        if _HEAD_END not in self._wire.request_head:
            self._wire.request_head += data
            end = self._wire.request_head.find(_HEAD_END)
            if end >= 0:
                self._wire.request_head = self._wire.request_head[: end + len(_HEAD_END)]

    def write(self, data: bytes) -> None:
        self._keep(data)
        self._transport.write(data)

    def writeSequence(self, seq: list[bytes]) -> None:
        self._keep(b"".join(seq))
        self._transport.writeSequence(seq)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _WireParser(_LenientHTTPClientParser):
    """Keeps the status line and header lines as received on the response object."""

    def statusReceived(self, status: bytes) -> None:
        super().statusReceived(status)
        # A 1xx answer is skipped by Twisted: the next status line starts a new response.
        self.response._newsarchive_head = (status, [])

    def headerReceived(self, name: bytes, value: bytes) -> None:
        response = getattr(self, "response", None)
        if response is not None and hasattr(response, "_newsarchive_head"):
            response._newsarchive_head[1].append((name, value))
        super().headerReceived(name, value)


class _WireProtocol(_LenientHTTP11ClientProtocol):
    def request(self, request: Any) -> Any:
        wire: WireExchange | None = self.__dict__.pop("_newsarchive_wire", None)
        if wire is not None:
            write_to = request.writeTo

            def writeTo(transport: Any) -> Any:
                wire.sent_at = time.time()
                return write_to(_Tap(transport, wire))

            request.writeTo = writeTo
        d = super().request(request)
        assert self._parser is not None
        self._parser.__class__ = _WireParser  # as Scrapy swaps in its lenient parser
        return d


class _WireFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr: Any) -> _WireProtocol:
        return _WireProtocol(self._quiescentCallback)  # type: ignore[no-untyped-call]


class _TaggingPool:
    """One download's view of the shared pool: the connection it gets learns whose request it
    writes next (`_WireProtocol.request` takes the tag at once)."""

    def __init__(self, pool: Any, wire: WireExchange) -> None:
        self._pool = pool
        self._wire = wire

    def getConnection(self, key: Any, endpoint: Any) -> Any:
        def tag(protocol: Any) -> Any:
            # A cached connection comes wrapped in Twisted's retrying proxy. (When that proxy
            # retries on a new connection, the request's own patched writeTo records it.)
            getattr(protocol, "_clientProtocol", protocol)._newsarchive_wire = self._wire
            return protocol

        return self._pool.getConnection(key, endpoint).addCallback(tag)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class _WireAgent(_ScrapyAgent):
    def _get_agent(self, request: Request, timeout: float) -> Any:
        # Any: the pool is swapped for a duck-typed proxy of it (_TaggingPool).
        agent: Any = super()._get_agent(request, timeout)
        agent._pool = _TaggingPool(agent._pool, request.meta[META_WIRE])
        return agent

    def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:
        wire: WireExchange = request.meta[META_WIRE]
        head = getattr(txresponse, "_newsarchive_head", None)
        if head is not None:
            wire.status_line, wire.headers = head[0], list(head[1])
        length = txresponse.length
        if self._maxsize and length is not UNKNOWN_LENGTH and length > self._maxsize:
            # Scrapy would drop a body that declares more than DOWNLOAD_MAXSIZE before its
            # first byte; the capture extension keeps its first max_page_bytes instead.
            saved, self._maxsize = self._maxsize, 0
            try:
                return super()._cb_bodyready(txresponse, request)
            finally:
                self._maxsize = saved
        return super()._cb_bodyready(txresponse, request)


class WireHTTP11DownloadHandler(HTTP11DownloadHandler):
    """`DOWNLOAD_HANDLERS` for http and https (crawler/scrapy_settings.py)."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._pool._factory = _WireFactory

    async def download_request(self, request: Request) -> Response:
        # Scrapy's own method, with the agent that keeps the wire (a fresh record per try).
        request.meta[META_WIRE] = WireExchange(owner=weakref.ref(request))
        agent = _WireAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                self._fail_on_dataloss_warned = True
                import logging

                logging.getLogger(__name__).warning(get_dataloss_msg(request.url))
            raise


def wire_of(request: Request) -> WireExchange | None:
    """The wire record of this request's download (None when it was not downloaded by this
    handler: another handler, or refused before the downloader)."""
    wire = request.meta.get(META_WIRE)
    if isinstance(wire, WireExchange) and wire.owner is not None and wire.owner() is request:
        return wire
    return None
