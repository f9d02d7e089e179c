"""Which extractor made a version: parser, its rules' version, and the software versions.

Every extraction carries an ``extractor`` dict (``ExtractionResult.extractor``)::

    {"parser": "cnn-lite", "rules": "3f9a1c0e2b7d", "newsarchive": "0.1.0",
     "trafilatura": "2.3.1", "method": "profile"}

``rules`` is a short hash of the parser's rule definition: the constants of its modules
(CSS selectors, regular expressions, class sets, thresholds, the selector dataclass),
read by introspection, so that it changes whenever a rule changes, and only then (a
comment or a refactoring of the code around the rules keeps it). ``method`` says whether
the profile's own rules read the page or trafilatura did (a profile's fallback).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from functools import cache
from importlib import import_module
from types import ModuleType
from typing import Any

from archive import __version__

RULES_HASH_CHARS = 12

# The modules whose constants are a parser's rules: its own, plus the shared code every
# parser goes through (the generic reading is every profile's fallback).
_SHARED = ("authors", "dates", "page_metadata", "decoding", "sniffing", "article")
_RULE_MODULES: dict[str, tuple[str, ...]] = {
    "cnn-lite": ("cnn_lite", "generic", "reconcile", *_SHARED),
    "npr-text": ("npr_text", "generic", "reconcile", *_SHARED),
    "generic": ("generic", "reconcile", *_SHARED),
}


def _rule_value(value: Any) -> Any:
    """A JSON-able description of one rule constant, or None when it is not a rule."""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, re.Pattern):
        pattern = value.pattern
        text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
        return {"re": text, "flags": int(value.flags)}
    css = getattr(value, "css", None)
    if isinstance(css, str):  # lxml.cssselect.CSSSelector
        return {"css": css}
    if isinstance(value, frozenset | set):
        items = [_rule_value(v) for v in value]
        return sorted(json.dumps(i, sort_keys=True) for i in items if i is not None)
    if isinstance(value, tuple | list):
        items = [_rule_value(v) for v in value]
        return items if all(i is not None for i in items) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _rule_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return None


def _module_rules(module: ModuleType) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for name, value in sorted(vars(module).items()):
        if name.startswith("__") or not name.lstrip("_")[:1].isupper():
            continue  # rule constants are named in capitals: SELECTORS, _TITLE_SUFFIX, MIN_…
        described = _rule_value(value)
        if described is not None:
            rules[name] = described
    return rules


def rules_definition(parser: str) -> dict[str, Any]:
    """The parser's rules as one JSON-able document (what `rules_version` hashes)."""
    modules = _RULE_MODULES.get(parser)
    if modules is None:
        raise ValueError(f"Unknown parser {parser!r}")
    return {
        "parser": parser,
        "modules": {
            name: _module_rules(import_module(f"pipelines.extract.{name}")) for name in modules
        },
    }


@cache
def rules_version(parser: str) -> str:
    """A short hash of the parser's rule definition (12 hex digits)."""
    text = json.dumps(rules_definition(parser), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:RULES_HASH_CHARS]


@cache
def trafilatura_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trafilatura")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        return None


def extractor_of(parser: str, method: str | None = None) -> dict[str, Any]:
    """The provenance of an extraction made here and now with `parser`."""
    return {
        "parser": parser,
        "rules": rules_version(parser),
        "newsarchive": __version__,
        "trafilatura": trafilatura_version(),
        "method": method,
    }


def same_extractor(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Whether two provenances name the same parser, rules and software versions."""
    if not a or not b:
        return False
    keys = ("parser", "rules", "newsarchive", "trafilatura")
    return all(a.get(k) == b.get(k) for k in keys)
