"""URLs as the crawler fetches them: one parser for every check and every lookup.

Scrapy's `Request` re-encodes the URL it is given (`w3lib.url.safe_url_string`: percent-
encodes spaces and non-ASCII, turns `\\` into `/`, IDNA-encodes the host, lower-cases the
scheme). A check that parses the URL as typed can see another host than the fetch:
`http://127.0.0.1:18099\\@pub.test/` is host `pub.test` to `urllib.parse` but
`http://127.0.0.1:18099/@pub.test/`, host 127.0.0.1, to Scrapy. So every URL from outside
(the HTTP service, `newsarchive archive`, `--start-url`) goes through `fetch_url` once, up
front: it is refused with a clear message (`InvalidUrl`) or turned into exactly the URL
Scrapy will request, which the address check and the results then use.
`url_key` is the one key matching a requested URL with what was fetched (and one URL's
several spellings with each other).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from archive.urls import normalize_url

MAX_URL_LENGTH = 2048
SCHEMES = ("http", "https")
# C0 controls (NUL, tab, CR, LF …) and DEL anywhere: no real link has them; WHATWG's parser
# would silently drop some and keep others.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# WHATWG's forbidden domain code points (after Scrapy's encoding, so `%` is literal).
_BAD_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")


class InvalidUrl(ValueError):
    """The URL cannot be fetched; the message says why (one line, the URL quoted)."""


def _short(url: str) -> str:
    return repr(url if len(url) <= 120 else url[:117] + "...")


def fetch_url(url: str) -> str:
    """The URL exactly as the crawler will request it (what `scrapy.Request(url).url` is),
    or InvalidUrl: not http(s) (in any letter case), control characters (NUL …), a port
    outside 1–65535, no host or an invalid one, a user name or password, over
    MAX_URL_LENGTH characters."""
    if not isinstance(url, str):
        raise InvalidUrl(f"not a URL: {url!r}")
    text = url.strip(" \t\r\n\f")
    if not text:
        raise InvalidUrl("an empty URL")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidUrl(f"URL longer than {MAX_URL_LENGTH} characters: {_short(text)}")
    if _CONTROL.search(text):
        raise InvalidUrl(
            f"the URL contains a control character (NUL, tab, newline …): {_short(text)}"
        )
    scheme, colon, _ = text.partition(":")
    if not colon or scheme.lower() not in SCHEMES:
        what = (
            scheme
            if colon and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme)
            else "a relative URL"
        )
        raise InvalidUrl(f"only http and https URLs can be archived, not {what}: {_short(text)}")
    try:
        fetched = safe_url_string(text, "utf-8")
        parts = urlsplit(fetched)
        port = parts.port
    except (ValueError, UnicodeError) as exc:
        raise InvalidUrl(f"not a valid URL: {_short(text)} ({exc})") from None
    if port == 0:
        raise InvalidUrl(f"not a valid URL: {_short(text)} (port 0)")
    if parts.scheme not in SCHEMES or not fetched.lower().startswith(f"{parts.scheme}://"):
        raise InvalidUrl(f"only http and https URLs can be archived: {_short(text)}")
    host = parts.hostname or ""
    if not host:
        raise InvalidUrl(f"the URL has no host: {_short(text)}")
    if "@" in parts.netloc:
        raise InvalidUrl(f"URLs with a user name or password are not archived: {_short(text)}")
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise InvalidUrl(f"not a valid IPv6 address in {_short(text)}") from None
    elif _BAD_HOST.search(host) or host.startswith(".") or ".." in host:
        raise InvalidUrl(f"not a valid host name in {_short(text)}: {host!r}")
    return fetched


def url_key(url: str) -> str:
    """One key for every spelling of one URL: `normalize_url` of the URL as fetched (an
    invalid URL is its own normalised self, so lookups never raise)."""
    try:
        return normalize_url(fetch_url(url))
    except InvalidUrl:
        try:
            return normalize_url(url)
        except ValueError:
            return url
