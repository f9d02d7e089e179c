"""Capture outcomes: the names recorded in the catalog and how the run summary groups them."""

from __future__ import annotations

from collections.abc import Mapping

# A capture's outcome is one of these (or `http-<code>` for an HTTP error status).
VERSION_OUTCOMES = frozenset({"new", "edit", "revert"})
# A version's `change` is one of VERSION_OUTCOMES, or REEXTRACT: no capture's outcome but
# the same capture read again by a newer extractor (archive/reextract.py). Never an edit:
# edit types, feeds, recent changes and notifications leave it out (`is_newsroom_change`).
REEXTRACT = "reextract"


def is_newsroom_change(change: str | None) -> bool:
    """Whether a version's `change` is something the site did (not a re-extraction)."""
    return change in VERSION_OUTCOMES


UNCHANGED_OUTCOMES = frozenset({"unchanged", "timestamp-only"})
NEUTRAL_OUTCOMES = frozenset(
    {
        "fetched",
        "redirect",
        "robots",
        "index",
        "feed",
        "sitemap",
        "suspect-retry",
        "skipped",
        "recovered",
    }
)
ERROR_OUTCOMES = frozenset(
    {
        "not-html", "too-large", "truncated", "soft-404", "no-content", "parse-error",
        "extract-timeout", "extract-error", "timeout", "dns-error", "connection-error",
        "redirect-loop", "redirect-invalid", "robots-disallowed", "index-no-links", "fetch-error",
        "suspect", "address-refused",
    }
)  # fmt: skip


def is_error(outcome: str) -> bool:
    return outcome in ERROR_OUTCOMES or outcome.startswith("http-")


def summarize(outcomes: Mapping[tuple[str, str], int]) -> dict[str, object]:
    """Group `(kind, outcome) → count` into the figures of the end-of-run summary."""
    total = sum(outcomes.values())
    by: dict[str, int] = {}
    for (_kind, outcome), n in outcomes.items():
        by[outcome] = by.get(outcome, 0) + n
    errors = {o: n for o, n in sorted(by.items()) if is_error(o)}
    no_response = sum(
        by.get(o, 0)
        for o in ("timeout", "dns-error", "connection-error", "robots-disallowed", "fetch-error")
    )
    return {
        "pages_fetched": total - no_response,
        "articles_new": by.get("new", 0),
        "versions_new": sum(by.get(o, 0) for o in VERSION_OUTCOMES),
        "unchanged": sum(by.get(o, 0) for o in UNCHANGED_OUTCOMES),
        "errors": errors,
        "errors_total": sum(errors.values()),
        "outcomes": dict(sorted(by.items())),
    }
