"""The outcome of extracting one page: ``ExtractionResult`` and its problem codes."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Problem codes: the only values ``ExtractionResult.problem`` takes besides None.
SOFT_404 = "soft-404"
NO_CONTENT = "no-content"
NOT_HTML = "not-html"
PARSE_ERROR = "parse-error"
PROBLEMS: tuple[str, ...] = (SOFT_404, NO_CONTENT, NOT_HTML, PARSE_ERROR)

# Values of ``ExtractionResult.method``.
METHOD_PROFILE = "profile"
METHOD_TRAFILATURA = "trafilatura"

# Values of ``ExtractionResult.dates_source``.
SOURCE_PAGE_TIMESTAMP = "page:timestamp"
SOURCE_PAGE_DATELINE = "page:dateline"
SOURCE_JSON_LD = "json-ld"
SOURCE_META = "meta"
SOURCE_HTMLDATE = "htmldate"


@dataclass
class ExtractionResult:
    """What one page yielded: an article (``problem is None``) or the reason there is none.

    ``text`` holds the article body only, paragraphs separated by a blank line; dates are
    ISO 8601 UTC strings ``YYYY-MM-DDTHH:MM:SSZ``, or ``YYYY-MM-DD`` when the page gives a
    day without a time; ``dates_source`` names where each date field came from.
    """

    problem: str | None = None
    problem_detail: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    text: str = ""
    language: str | None = None
    section: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    dates_source: dict[str, str] = field(default_factory=dict)
    canonical_url: str | None = None
    encoding: str | None = None
    encoding_source: str | None = None
    method: str = METHOD_PROFILE
    # Which extractor made this (pipelines/extract/provenance.py): parser, rules version,
    # newsarchive and trafilatura versions, method.
    extractor: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-serialisable dict (lists and dicts are copies).

        By hand, not `dataclasses.asdict` (a deep copy through every value, ~0.1 ms a page):
        the values are strings, lists of strings and dicts of plain values."""
        return {
            name: (
                list(value) if isinstance(value, list)
                else {k: copy.deepcopy(v) if isinstance(v, (list, dict)) else v for k, v in value.items()}
                if isinstance(value, dict)
                else value
            )
            for name, value in ((f, getattr(self, f)) for f in _FIELD_NAMES)
        }  # fmt: skip

    @classmethod
    def failure(cls, problem: str, detail: str, *, method: str) -> ExtractionResult:
        """Build a result that carries a problem code and no article."""
        return cls(problem=problem, problem_detail=detail, method=method)


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(ExtractionResult))
