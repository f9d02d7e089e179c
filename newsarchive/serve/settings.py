"""`[serve]` in the config file: the HTTP service's settings.

The table's model is `archive.config_tables.ServeTable`, validated with the rest of the file
when it loads; the service reads it as `config.serve`.
"""

from __future__ import annotations

from typing import Any

from archive.config import parse_table
from archive.config_tables import ServeTable

TOKEN_ENV = "NEWSARCHIVE_API_TOKEN"

ServeSettings = ServeTable  # the service's name for the table


def serve_settings(raw: dict[str, Any], where: str = "config") -> ServeSettings:
    """A `[serve]` table given as a dict (tests, embedding), validated as in a file."""
    result: ServeSettings = parse_table("serve", raw, where)
    return result
