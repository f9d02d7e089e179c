"""``extract_article``: one response body in, an ``ExtractionResult`` out, never an exception."""

from __future__ import annotations

from collections.abc import Callable

from lxml.html import HtmlElement

from .cnn_lite import extract_cnn_lite
from .decoding import decode_html
from .generic import FAST_ONLY, NeedsTrafilatura, extract_generic
from .html_tree import parse_html
from .npr_text import extract_npr_text
from .page_metadata import canonical_url, html_language, meta_values
from .provenance import extractor_of
from .result import (
    METHOD_PROFILE,
    METHOD_TRAFILATURA,
    NO_CONTENT,
    NOT_HTML,
    PARSE_ERROR,
    ExtractionResult,
)
from .sniffing import has_markup, not_html_reason

ProfileExtractor = Callable[..., ExtractionResult]

_EXTRACTORS: dict[str, ProfileExtractor] = {
    "cnn-lite": extract_cnn_lite,
    "npr-text": extract_npr_text,
    "generic": extract_generic,
}
PARSERS: tuple[str, ...] = tuple(_EXTRACTORS)

# Shorter article text than this is not an article (a stub, an error message, a shell).
MIN_TEXT_CHARS = 40


def extract_article(
    body: bytes, *, url: str, content_type: str | None = None, parser: str = "generic"
) -> ExtractionResult:
    """Extract the article in an HTML response body with the rules of ``parser``.

    ``parser`` is one of ``PARSERS``: a site profile ("cnn-lite", "npr-text") or "generic"
    (trafilatura only). ``content_type`` is the HTTP Content-Type header, used for its
    charset. Problems (binary body, soft 404, no text, unparseable markup) come back as
    ``result.problem``; this function raises only ``ValueError`` for an unknown parser.
    Pure function: safe to run in worker processes.
    """
    extractor = _EXTRACTORS.get(parser)
    if extractor is None:
        raise ValueError(f"Unknown parser {parser!r}: expected one of {', '.join(PARSERS)}.")
    method = METHOD_TRAFILATURA if parser == "generic" else METHOD_PROFILE
    try:
        result = _extract(
            bytes(body), url=url, content_type=content_type, extractor=extractor, method=method
        )
    except NeedsTrafilatura:
        raise
    except Exception as error:  # noqa: BLE001 — the contract is "never raises"
        result = ExtractionResult.failure(
            PARSE_ERROR,
            f"Extraction failed with {type(error).__name__}: {_short(error)}",
            method=method,
        )
    result.extractor = extractor_of(parser, result.method)
    return result


def extract_fast(
    body: bytes, *, url: str, content_type: str | None = None, parser: str = "generic"
) -> ExtractionResult | None:
    """The site profile's rules alone, or None when the page needs trafilatura.

    A profile page parses in well under a millisecond, less than handing it to a worker
    process costs; pages the profile cannot read (and `generic` ones) return None and go to
    the worker pool, where a hard timeout guards against pathological markup.
    """
    if parser == "generic":
        return None
    token = FAST_ONLY.set(True)
    try:
        return extract_article(body, url=url, content_type=content_type, parser=parser)
    except NeedsTrafilatura:
        return None
    finally:
        FAST_ONLY.reset(token)


def _extract(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    extractor: ProfileExtractor,
    method: str,
) -> ExtractionResult:
    reason = not_html_reason(body, content_type)
    if reason is not None:
        return ExtractionResult.failure(NOT_HTML, reason, method=method)
    if not body.strip():
        return ExtractionResult.failure(NO_CONTENT, "The response body is empty.", method=method)

    text, encoding, encoding_source = decode_html(body, content_type)
    if not has_markup(text):
        result = ExtractionResult.failure(
            NOT_HTML, "The body has no HTML markup at all (no tags).", method=method
        )
    else:
        try:
            tree = parse_html(text)
        except Exception as error:  # noqa: BLE001 — lxml's errors vary by libxml2 version
            result = ExtractionResult.failure(
                PARSE_ERROR,
                f"The document cannot be parsed: {_short(error)}",
                method=method,
            )
        else:
            result = extractor(tree, url=url)
            _add_page_fields(result, tree, url)
    if result.problem is None and len(result.text) < MIN_TEXT_CHARS:
        result = ExtractionResult.failure(
            NO_CONTENT,
            f"The article text is too short ({len(result.text)} characters, "
            f"minimum {MIN_TEXT_CHARS}).",
            method=result.method,
        )
    result.encoding, result.encoding_source = encoding, encoding_source
    return result


def _add_page_fields(result: ExtractionResult, tree: HtmlElement, url: str) -> None:
    result.language = html_language(tree, meta_values(tree))
    result.canonical_url = canonical_url(tree, url)


def _short(error: Exception) -> str:
    message = " ".join(str(error).split()) or "no message"
    return message if len(message) <= 200 else message[:197] + "..."
