"""A spider loader that makes one spider per site profile (built-in and configured)."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from archive.config import load_config
from crawler.profiles import SiteProfile, load_profiles
from crawler.spiders.site import SiteSpider


def spider_class_for(profile: SiteProfile) -> type[SiteSpider]:
    """A `SiteSpider` subclass named after the profile (Scrapy looks spiders up by name)."""
    return type(
        f"{profile.name.title().replace('-', '')}Spider",
        (SiteSpider,),
        {"name": profile.name, "profile": profile},
    )


class ProfileSpiderLoader:
    """`SPIDER_LOADER_CLASS`: spiders come from profiles, not from spider modules.

    Reads `NEWSARCHIVE_CONFIG` and `NEWSARCHIVE_DATA_DIR` from the settings.
    """

    def __init__(self, profiles: dict[str, SiteProfile]) -> None:
        self._spiders = {name: spider_class_for(p) for name, p in profiles.items()}

    @classmethod
    def from_settings(cls, settings: Any) -> ProfileSpiderLoader:
        config_path = settings.get("NEWSARCHIVE_CONFIG") or None
        config = load_config(Path(config_path) if config_path else None,
                             settings.get("NEWSARCHIVE_DATA_DIR") or None)  # fmt: skip
        return cls(load_profiles(config))

    def load(self, spider_name: str) -> type[SiteSpider]:
        try:
            return self._spiders[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name}") from None

    def list(self) -> list[str]:
        return sorted(self._spiders)

    def find_by_request(self, request: Any) -> builtins.list[str]:
        return [name for name, cls in self._spiders.items() if cls.handles_request(request)]
