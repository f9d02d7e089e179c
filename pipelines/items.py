"""What spiders hand to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArticlePage:
    """A fetched article page (any status): the pipelines classify, extract and track it."""

    url: str
    requested_url: str
    site: str
    parser: str
    status: int
    headers: dict[str, str]
    body: bytes
    flags: list[str] = field(default_factory=list)
    capture: Any = None  # archive.session.CaptureResult of the final response
    retried: bool = False
    address_policy: str | None = None  # AddressPolicy.spec the page was fetched under
    # Filled by the pipelines:
    outcome: str | None = None
    error: str | None = None
    extraction: dict[str, Any] | None = None
