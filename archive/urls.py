"""URL normalisation and article identity: the one place that decides when two URLs are one article."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader; they never select different content.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "mc_cid", "mc_eid", "ref", "cmpid", "ncid", "ftag", "icid"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 3986 §2.3: characters that mean the same whether percent-encoded or not.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# What stays as written in a path: the reserved characters (RFC 3986 §2.2; `?` and `#` never
# reach the path) and `|`, as w3lib's safe_url_string (Scrapy's requests) leaves them; `%`
# starts an escape. Everything else (non-ASCII as UTF-8, space, `"`, `<` …) is escaped.
_PATH_SAFE = ":/[]@!$&'()*+,;=|%"
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _unescape_unreserved(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def normalize_path(path: str) -> str:
    """One spelling of a path's percent-encoding, as w3lib's `canonicalize_url` (RFC 3986
    §6.2.2.2): escapes of unreserved characters are decoded (`%7E` → `~`), the others keep
    their escape with upper-case hex (`%2f` → `%2F`: an escaped `/` is not a `/`), characters
    that must be escaped are (non-ASCII as UTF-8: `é` → `%C3%A9`), a `%` that starts no
    escape is `%25`."""
    path = quote(_STRAY_PERCENT.sub("%25", path), safe=_PATH_SAFE)
    return _ESCAPE.sub(_unescape_unreserved, path)


def strip_fragment(url: str) -> str:
    """The URL without its `#fragment` (WARC-Target-URI never carries one)."""
    return url.split("#", 1)[0]


# A crawl asks for the same page's canonical form and article id several times (the spider,
# the capture, the extraction hand-off, tracking): both are pure functions of the text.
@lru_cache(maxsize=4096)
def normalize_url(url: str) -> str:
    """The canonical form of an article URL.

    Lower-cases scheme and host, drops default ports, the fragment, tracking parameters
    (`utm_*` and friends), a trailing `/index.html` (lite.cnn.com served both forms of one
    story path over the years) and a trailing slash on a non-root path; one spelling of the
    path's percent-encoding (`normalize_path`: `a%7Eb` is `a~b`). The query is decoded and
    re-encoded whole (parse_qsl, urlencode), which gives its escapes one spelling too.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" if port in (None, _DEFAULT_PORTS.get(scheme)) else f"[{host}]:{port}"
    path = normalize_path(parts.path or "/")
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS
    ]
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


@lru_cache(maxsize=4096)
def article_id_for(url: str) -> str:
    """Stable article id: 16 hex digits of the SHA-256 of the normalised URL."""
    return hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:16]
