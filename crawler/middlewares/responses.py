"""Responses that arrived (and are archived) but cannot be used, refused with their outcome.

Scrapy's own middlewares report these as a bare IgnoreRequest or a ValueError, which a crawl
could only record as `fetch-error` beside a capture left `fetched`. These subclasses raise
`ResponseRefused` with the documented outcome instead (docs/outcomes.md), and the capture
extension records it on the response's own capture:

- `BoundedHttpCompressionMiddleware`: a body that decompresses past DOWNLOAD_MAXSIZE (a
  decompression bomb; no Content-Length is needed to be one) → `too-large`.
- `CheckedRedirectMiddleware`: a redirect whose Location cannot be followed (`javascript:`,
  another scheme, an invalid URL, a port outside 1–65535, control characters) →
  `redirect-invalid`. Where Scrapy would have crashed or silently kept the 3xx, the target is
  now checked by the same parser as every other URL (crawler/url_form.py).

Both replace Scrapy's classes at their priorities (crawler/scrapy_settings.py).
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from w3lib.url import safe_url_string

from crawler.url_form import InvalidUrl, fetch_url

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class ResponseRefused(IgnoreRequest):
    """A received response that cannot be used; `outcome` is recorded on its capture."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class BoundedHttpCompressionMiddleware(HttpCompressionMiddleware):
    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        try:
            return super().process_response(request, response)
        except ResponseRefused:
            raise
        except IgnoreRequest as exc:  # only ever DOWNLOAD_MAXSIZE during decompression
            raise ResponseRefused("too-large", f"the body is larger than the limit once decompressed "
                                               f"(a decompression bomb?): {exc}") from None  # fmt: skip


def redirect_problem(request: Request, location: bytes) -> str | None:
    """Why a redirect to `location` cannot be followed, or None: resolved as Scrapy does,
    then checked as any URL from outside."""
    try:
        target = safe_url_string(location)
        if location.startswith(b"//"):
            target = urlparse_cached(request).scheme + "://" + target.lstrip("/")
        fetch_url(urljoin(request.url, target))
    except InvalidUrl as exc:
        return str(exc)
    except (ValueError, UnicodeError) as exc:
        return f"not a valid URL: {location[:200]!r} ({exc})"
    return None


class CheckedRedirectMiddleware(RedirectMiddleware):
    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if (response.status in REDIRECT_STATUSES and b"Location" in response.headers
                and not request.meta.get("dont_redirect", False)
                and response.status not in getattr(self.crawler.spider, "handle_httpstatus_list", ())
                and response.status not in request.meta.get("handle_httpstatus_list", ())
                and not request.meta.get("handle_httpstatus_all", False)):  # fmt: skip
            location = response.headers["Location"] or b""
            problem = redirect_problem(request, location)
            if problem is not None:
                raise ResponseRefused("redirect-invalid", f"HTTP {response.status} to "
                                      f"{location[:300].decode('latin-1')!r}, which cannot be followed: {problem}")  # fmt: skip
        return super().process_response(request, response)
