"""Article extraction from HTML responses: site profiles over lxml, trafilatura as fallback.

Pure functions without Scrapy imports, so that they can run in a process pool::

    result = extract_article(body, url=url, content_type=header, parser="cnn-lite")
"""

from __future__ import annotations

from .article import MIN_TEXT_CHARS, PARSERS, extract_article, extract_fast
from .authors import split_byline
from .dates import parse_eastern_datetime, parse_machine_datetime, parse_page_timestamp
from .decoding import decode_html
from .result import PROBLEMS, ExtractionResult

__all__ = [
    "MIN_TEXT_CHARS",
    "PARSERS",
    "PROBLEMS",
    "ExtractionResult",
    "decode_html",
    "extract_article",
    "extract_fast",
    "parse_eastern_datetime",
    "parse_machine_datetime",
    "parse_page_timestamp",
    "split_byline",
]
