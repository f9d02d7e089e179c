"""Bytes to text: pick the charset of an HTML body without ever producing mojibake silently.

Order: byte-order mark, the HTTP ``Content-Type`` charset, a ``<meta>`` charset in the first
bytes, then detection. A declared charset is only used when the body decodes cleanly with it:
servers and templates lie (a header that says UTF-8 over a cp1252 body is common), and a
wrong guess that "works" would turn every accent into two characters.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

SOURCE_HTTP_HEADER = "http-header"
SOURCE_META = "meta"
SOURCE_DETECTED = "detected"
SOURCE_DEFAULT = "default"

# How far into the body a <meta> charset is looked for. The HTML standard prescans 1024
# bytes; we look further because some templates put a large inline <style> first.
META_PRESCAN_BYTES = 4096

_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^"'\s;,]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)

# Label remapping from the WHATWG Encoding Standard: browsers decode these labels with a
# superset, and pages labelled this way rely on it (curly quotes in "iso-8859-1" pages).
_WHATWG_SUPERSETS = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "gb2312": "gbk",
    "euc_kr": "cp949",
    # A page that can be read as ASCII to find its <meta> is not UTF-16/32: the HTML
    # standard treats these labels as UTF-8 (a real UTF-16 body starts with a BOM).
    "utf-16": "utf-8",
    "utf-16-le": "utf-8",
    "utf-16-be": "utf-8",
    "utf-32": "utf-8",
    "utf-32-le": "utf-8",
    "utf-32-be": "utf-8",
}

_NON_ASCII = re.compile(r"[^\x00-\x7f]")

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Encodings a web page can plausibly be in (the WHATWG list, in Python codec names).
# Restricting detection to these keeps it from answering DOS code pages such as cp775
# for a short Western page, and makes it several times faster.
_WEB_ENCODINGS = [
    "utf_8", "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256",
    "cp1257", "cp1258", "cp874", "iso8859_2", "iso8859_4", "iso8859_5", "iso8859_7",
    "iso8859_13", "iso8859_15", "koi8_r", "koi8_u", "mac_roman", "mac_cyrillic", "cp866",
    "gb18030", "big5", "euc_jp", "iso2022_jp", "shift_jis", "euc_kr",
]  # fmt: skip

# When detection cannot tell single-byte Latin code pages apart, prefer the one the web
# actually uses (and the HTML standard's default for undeclared Western pages).
_PREFERRED_ON_TIE = "cp1252"


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str, str]:
    """Decode an HTML body; return ``(text, encoding, encoding_source)``.

    ``encoding`` is a charset name such as ``"utf-8"`` or ``"windows-1252"``;
    ``encoding_source`` is ``"http-header"``, ``"meta"``, ``"detected"`` or ``"default"``.
    Never raises: undecodable bytes end up as U+FFFD in the worst case.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            # A byte-order mark outranks any declaration (HTML standard, "BOM sniffing").
            text = body[len(bom) :].decode(encoding, "replace")
            return text, display_name(encoding), SOURCE_DETECTED

    declared: list[tuple[str, str]] = []
    header_label = charset_from_content_type(content_type)
    if header_label:
        declared.append((header_label, SOURCE_HTTP_HEADER))
    meta_label = charset_from_meta(body)
    if meta_label:
        declared.append((meta_label, SOURCE_META))

    for label, source in declared:
        codec = _codec_for_label(label)
        if codec is None:
            continue
        decoded = _decode_strict(body, codec)
        if decoded is None:
            continue
        encoding, text = codec, decoded
        if encoding != "utf-8" and not body.isascii():
            # UTF-8 with non-ASCII bytes is practically never anything else, whatever the
            # page declares (templates copied from Latin-1 days), and a single-byte
            # charset "decodes" any bytes without error.
            utf8_text = _decode_strict(body, "utf-8") or _decode_mostly_utf8(body)
            if utf8_text is not None:
                return utf8_text, "utf-8", SOURCE_DETECTED
        return text, display_name(encoding), source

    utf8_text = _decode_strict(body, "utf-8")
    if utf8_text is not None:
        return utf8_text, "utf-8", SOURCE_DETECTED

    mostly_utf8 = _decode_mostly_utf8(body)
    if mostly_utf8 is not None:
        # A UTF-8 page with a few stray bytes (a pasted Latin-1 snippet): keep UTF-8 and
        # credit the declaration if there was one saying so.
        source = next(
            (src for label, src in declared if _codec_for_label(label) == "utf-8"),
            SOURCE_DETECTED,
        )
        return mostly_utf8, "utf-8", source

    detected = _detect(body)
    if detected is not None:
        text, encoding = detected
        return text, display_name(encoding), SOURCE_DETECTED

    return body.decode("utf-8", "replace"), "utf-8", SOURCE_DEFAULT


def charset_from_content_type(content_type: str | None) -> str | None:
    """Return the ``charset`` parameter of a Content-Type header value, or None."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1).strip().lower() if match else None


def charset_from_meta(body: bytes) -> str | None:
    """Return the charset of the first ``<meta charset>``/``http-equiv`` in the prescan window."""
    match = _META_CHARSET.search(body, 0, META_PRESCAN_BYTES)
    return match.group(1).decode("ascii").lower() if match else None


def display_name(encoding: str) -> str:
    """Turn a Python codec name into the name the web uses (``cp1252`` → ``windows-1252``)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return encoding
    if name.startswith("cp125"):
        return "windows-" + name[2:]
    if name.startswith("iso8859-"):
        return "iso-8859-" + name[len("iso8859-") :]
    return name


def _codec_for_label(label: str) -> str | None:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _WHATWG_SUPERSETS.get(name, name)


def _decode_strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _decode_mostly_utf8(body: bytes) -> str | None:
    """Decode as UTF-8 if valid multibyte sequences clearly outnumber the broken bytes."""
    text = body.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    non_ascii = len(_NON_ASCII.findall(text)) - broken
    # Text in a single-byte charset almost never contains a valid UTF-8 multibyte
    # sequence, so a few good ones per bad one is a strong signal.
    if non_ascii >= 3 * broken:
        return text
    return None


def _detect(body: bytes) -> tuple[str, str] | None:
    try:
        matches = charset_normalizer.from_bytes(body, cp_isolation=_WEB_ENCODINGS)
    except Exception:  # detection is best effort; the caller has a default
        return None
    best = matches.best()
    if best is None:
        return None
    encoding = best.encoding
    for match in matches:
        if (
            match.percent_chaos <= best.percent_chaos
            and match.percent_coherence >= best.percent_coherence
            and _PREFERRED_ON_TIE in match.could_be_from_charset
        ):
            encoding = _PREFERRED_ON_TIE
            break
    text = _decode_strict(body, encoding)
    if text is None:
        return str(best), best.encoding
    return text, encoding
