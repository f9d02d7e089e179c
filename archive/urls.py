"""URL normalisation and article identity: the one place that decides when two URLs are one article."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader; they never select different content.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "mc_cid", "mc_eid", "ref", "cmpid", "ncid", "ftag", "icid"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def strip_fragment(url: str) -> str:
    """The URL without its `#fragment` (WARC-Target-URI never carries one)."""
    return url.split("#", 1)[0]


def normalize_url(url: str) -> str:
    """The canonical form of an article URL.

    Lower-cases scheme and host, drops default ports, the fragment, tracking parameters
    (`utm_*` and friends), a trailing `/index.html` (lite.cnn.com served both forms of one
    story path over the years) and a trailing slash on a non-root path.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" if port in (None, _DEFAULT_PORTS.get(scheme)) else f"[{host}]:{port}"
    path = parts.path or "/"
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


def article_id_for(url: str) -> str:
    """Stable article id: 16 hex digits of the SHA-256 of the normalised URL."""
    return hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:16]
