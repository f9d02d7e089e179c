"""What a fetched article page is before extraction: the one place that maps a response's
status, flags and content type to a capture outcome."""

from __future__ import annotations

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


def classify_response(
    status: int, content_type: str | None, flags: list[str]
) -> tuple[str, str] | None:
    """`(outcome, message)` when the page cannot hold an article version, else None."""
    if "download_stopped" in flags:
        return (
            "too-large",
            "body larger than max_page_bytes: stored truncated (WARC-Truncated: length)",
        )
    # Scrapy's `partial` means no length was declared: a body ending at close is complete.
    if "dataloss" in flags:
        return "truncated", "the connection dropped before the body was complete"
    if status >= 300 or status < 200:
        return f"http-{status}", f"HTTP {status}"
    if status != 200:
        return f"http-{status}", f"HTTP {status}: not a full page"
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return "not-html", f"content type {mime!r} is not HTML"
    return None
