"""Optional parts of the installation (pyproject.toml extras) and the one line that says
which one is missing.

The `scale` extra (psycopg, redis) serves scale-out only: a PostgreSQL catalog and the
Redis frontier of `--distributed` and `newsarchive worker` (docs/scaling.md). Everything
else runs without it; the code that needs it imports it when used, through `require`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from archive.config import ConfigError

SCALE_HINT = "pip install 'newsarchive[scale]'"


class MissingExtra(ConfigError):
    """The configuration asks for a part of newsarchive that is not installed."""


def require(module: str, what: str, extra: str = "scale") -> ModuleType:
    """`module`, imported; if it is not installed, `MissingExtra` saying that `what` needs
    the extra: "PostgreSQL catalog needs the scale extra: pip install 'newsarchive[scale]'"."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{what} needs the {extra} extra: pip install 'newsarchive[{extra}]'"
        ) from None
