"""Decoding an archived HTTP payload by its `Content-Encoding`: the one place every reader of
the archive (history --response, the dataset card's robots.txt and signals, verify) uses.

Archives hold bodies as received, content-coding kept (docs/warc.md). Older archives were
made asking for `gzip, deflate, br, zstd` (Scrapy's default), and a server may send a coding
it was not asked for, so every coding a server may use is decoded here: gzip and x-gzip,
deflate (zlib-wrapped, or raw as some servers send it), br (Google's `brotli`, the package
Scrapy installs; `brotlicffi` where that is what is installed) and zstd (`compression.zstd`,
or its backport before Python 3.14). Stacked codings (`gzip, br`) are undone in reverse.

`register_with_warcio()` gives warcio working br and zstd decoders: warcio's own br decoder
expects the old brotlipy API and fails on Google's `brotli` (warcio issue #73), and it has
none for zstd. See archive/warcio_hook.py for the `warcio` command line.
"""

from __future__ import annotations

import zlib
from typing import Any, Protocol

_CHUNK = 64 * 1024


class PayloadDecodingError(ValueError):
    """The payload cannot be decoded: an unknown coding, or data that is not what its coding
    says. The message is one line and names the coding."""


class _Decoder(Protocol):
    def feed(self, data: bytes) -> bytes: ...


class _Zlib:
    def __init__(self, wbits: int, name: str) -> None:
        self.name = name
        self._wbits = wbits
        self._d = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes) -> bytes:
        out = []
        while data:
            try:
                out.append(self._d.decompress(data))
            except zlib.error as exc:
                if self._wbits == zlib.MAX_WBITS and not self._started:
                    # "deflate" is zlib-wrapped by the RFC, raw in practice on some servers.
                    self._wbits, self._d = -zlib.MAX_WBITS, zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                raise PayloadDecodingError(f"{self.name}: {exc}") from exc
            self._started = True
            data = b""
            if self._d.eof and self._d.unused_data and self._wbits == 16 + zlib.MAX_WBITS:
                # A gzip body may hold several members (RFC 1952): they concatenate.
                data = self._d.unused_data
                self._d = zlib.decompressobj(self._wbits)
        return b"".join(out)


class _Brotli:
    name = "br"

    def __init__(self) -> None:
        try:
            import brotli
        except ImportError:  # PyPy: Scrapy installs brotlicffi instead
            import brotlicffi as brotli  # type: ignore[no-redef]
        self._error: type[Exception] = getattr(brotli, "error", Exception)
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> bytes:
        try:
            return bytes(self._d.process(data))
        except self._error as exc:
            raise PayloadDecodingError(f"br: {exc or 'not a brotli stream'}") from exc


class _Zstd:
    name = "zstd"

    def __init__(self) -> None:
        try:
            from compression import zstd  # type: ignore[import-not-found]
        except ImportError:  # Python < 3.14
            from backports import zstd  # type: ignore[no-redef]
        self._zstd = zstd
        self._d = zstd.ZstdDecompressor()

    def feed(self, data: bytes) -> bytes:
        out = []
        while data:
            try:
                out.append(self._d.decompress(data))
            except self._zstd.ZstdError as exc:
                raise PayloadDecodingError(f"zstd: {exc}") from exc
            data = b""
            if self._d.eof and self._d.unused_data:
                # Concatenated frames are one zstd stream (RFC 8878).
                data = self._d.unused_data
                self._d = self._zstd.ZstdDecompressor()
        return b"".join(out)


def decoder_for(coding: str) -> _Decoder | None:
    """A streaming decoder for one content-coding (None for identity); raises
    `PayloadDecodingError` for a coding nobody decodes."""
    name = coding.strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS, name)
    if name == "deflate":
        return _Zlib(zlib.MAX_WBITS, name)
    if name == "br":
        return _Brotli()
    if name == "zstd":
        return _Zstd()
    raise PayloadDecodingError(f"unknown content-coding {coding.strip()!r}")


def codings(content_encoding: str | None) -> list[str]:
    """The codings a `Content-Encoding` value lists, in the order they were applied."""
    return [
        c.strip()
        for c in (content_encoding or "").split(",")
        if c.strip().lower() not in ("", "identity")
    ]


def decode_payload(body: bytes, content_encoding: str | None) -> bytes:
    """The payload with its content-codings removed. A stream cut short (a truncated record)
    gives what it holds; corrupt data or an unknown coding raises `PayloadDecodingError`."""
    for coding in reversed(codings(content_encoding)):
        decoder = decoder_for(coding)
        assert decoder is not None
        body = decoder.feed(body)
    return body


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """All values of one header, comma-joined (RFC 9110), or None."""
    lname = name.lower()
    values = [v for k, v in headers if k.lower() == lname]
    return ", ".join(values) if values else None


# -- warcio ---------------------------------------------------------------------------------
class _WarcioAdapter:
    """The zlib-like object warcio's BufferedReader drives (`decompress`, `unused_data`,
    `flush`). Errors propagate as warcio expects: on the first block it falls back to the raw
    bytes, later it reports them."""

    unused_data = b""

    def __init__(self, coding: str) -> None:
        decoder = decoder_for(coding)
        assert decoder is not None
        self._decoder = decoder

    def decompress(self, data: bytes) -> bytes:
        return self._decoder.feed(data)

    def flush(self) -> bytes:
        return b""


def _factory(coding: str) -> Any:
    return lambda: _WarcioAdapter(coding)


def register_with_warcio() -> None:
    """Make warcio's `content_stream()` (and `warcio check`, `warcio extract`) decode br,
    zstd and x-gzip with the decoders above."""
    from warcio.bufferedreaders import BufferedReader

    for coding in ("br", "zstd", "x-gzip"):
        BufferedReader.DECOMPRESSORS[coding] = _factory(coding)
