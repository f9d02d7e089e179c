"""Tell HTML apart from everything else a server may answer with (PDFs, images, archives)."""

from __future__ import annotations

import codecs
import re

# File signatures of bodies that are certainly not HTML, checked at offset 0.
_MAGIC_NUMBERS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"RIFF", "a RIFF container (WebP/WAV/AVI)"),
    (b"PK\x03\x04", "a ZIP archive"),
    # Still compressed: a body whose Content-Encoding was not undone.
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\x7fELF", "an ELF executable"),
    (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 file"),
    (b"\x00\x00\x01\x00", "an icon file"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
)

# Media types that never carry an HTML page, whatever the body looks like.
_NON_HTML_TYPE_PREFIXES = ("image/", "audio/", "video/", "font/")
_NON_HTML_TYPES = frozenset(
    {"application/pdf", "application/zip", "application/gzip", "application/x-gzip"}
)

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_MARKUP = re.compile(r"<\s*[a-zA-Z!/?]")

# WHATWG MIME Sniffing, "binary data byte": controls no text encoding uses (not tab, LF,
# FF, CR or ESC). Browsers render a text/html body whatever bytes it holds (a stray NUL
# becomes U+FFFD); a body is taken for binary only when such bytes are common in its first
# kilobytes, as in compressed or random data (about 1 byte in 10), never for a few strays.
_BINARY_DATA_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_SNIFF_BYTES = 4096
BINARY_SHARE = 0.05  # at least this share of the sniffed bytes: binary
_WIDE_CHARSETS = re.compile(r"charset\s*=\s*[\"']?(utf-?16|utf-?32|ucs-?2|ucs-?4)", re.IGNORECASE)


def not_html_reason(body: bytes, content_type: str | None) -> str | None:
    """Return why ``body`` is not an HTML page (one sentence), or None if it may be one."""
    for magic, what in _MAGIC_NUMBERS:
        if body.startswith(magic):
            return f"The body is {what} (it starts with the bytes {magic[:8]!r}), not HTML."
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in _NON_HTML_TYPES or media_type.startswith(_NON_HTML_TYPE_PREFIXES):
        return f"The response is {media_type!r}, not HTML."
    # UTF-16/32 text is full of NULs: it announces itself with a BOM or its charset.
    if body.startswith(_UTF16_BOMS) or _WIDE_CHARSETS.search(content_type or ""):
        return None
    head = body[:_SNIFF_BYTES]
    binary = len(head) - len(head.translate(None, _BINARY_DATA_BYTES))
    if head and binary >= max(2, BINARY_SHARE * len(head)):
        return (f"The body is binary data, not HTML ({binary} of its first {len(head)} bytes are control "
                "bytes no text uses).")  # fmt: skip
    return None


def has_markup(text: str) -> bool:
    """Return True if decoded ``text`` contains at least one tag-like ``<x``."""
    return _MARKUP.search(text) is not None
