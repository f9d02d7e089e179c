"""Site profiles: where a site lists its articles, which links are articles, which parser reads them.

Built-in: `cnn-lite` and `npr-text` (facts in SITES.md). More come from the config file
(`[sites.NAME]`), optionally `extends` a built-in one to reuse its parsing rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from archive.config import Config, ConfigError, parse_table
from archive.config_tables import SiteTable

PARSERS = ("cnn-lite", "npr-text", "generic")


@dataclass(frozen=True)
class SiteProfile:
    """What the spider and the extractor need to know about one site.

    On index pages `article_links` (CSS) decides which links are articles (every `<a href>`
    when it is not set); `article_pattern` (regex on the path) is an optional extra filter,
    and `skip_pattern` (regex on the path) names links that are never articles (trackers,
    maps). Every link they drop is counted by rule (crawler/discovery.py). Rules are path
    based, so `--start-url` can point a profile at a mirror on another host.
    """

    name: str
    parser: str
    start_urls: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    article_links: str | None = None
    article_pattern: str | None = None
    skip_pattern: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    description: str = ""
    terms_url: str | None = None
    builtin: bool = False
    _compiled: Any = field(default=None, compare=False, repr=False)
    _skip: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.parser not in PARSERS:
            raise ConfigError(f"site {self.name!r}: unknown parser {self.parser!r}")
        for key, attr in (("article_pattern", "_compiled"), ("skip_pattern", "_skip")):
            value = getattr(self, key)
            if value:
                try:
                    object.__setattr__(self, attr, re.compile(value))
                except re.error as exc:
                    raise ConfigError(f"site {self.name!r}: bad {key}: {exc}") from None

    def path_is_article(self, url: str) -> bool:
        return self.link_rule(url) is None

    def link_rule(self, url: str) -> str | None:
        """The rule of this profile that drops the link (`skip-pattern`, `pattern`), or None."""
        if self._skip is None and self._compiled is None:
            return None
        parts = urlsplit(url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        if self._skip is not None and self._skip.search(path):
            return "skip-pattern"
        if self._compiled is not None and not self._compiled.search(path):
            return "pattern"
        return None

    def with_start_urls(self, urls: list[str] | tuple[str, ...]) -> SiteProfile:
        return replace(self, start_urls=tuple(urls))


# `/interactive/…`, or an undated path whose last segment is or ends in `-tracker(s)`,
# `-map(s)` (a dated path is always a story).
CNN_INTERACTIVE = (
    r"^/interactive/"
    r"|^/(?!\d{4}/\d{2}/\d{2}/)(?:[^/?]+/)*(?:[^/?]*-)?(?:trackers?|maps?)/?(?:$|\?)"
)

# The cards of the front page's story list: 100 `li.card--lite > a` inside
# `div.container_lead-plus-headlines--lite` on the real page (Dec 2025), inside
# `div.container--lite` before; the selector names the cards, not the container, so that
# a renamed container does not stop the crawl. Most cards link to dated story paths, some
# to undated ones (`/travel/vientiane-laos-50th-anniversary-intl-hnk`, features ending in
# `-spc`): the selector decides, no path pattern. Interactive pages (trackers, maps) are
# script-built graphics with no lite text: skipped, and counted as such.
CNN_LITE = SiteProfile(
    name="cnn-lite",
    parser="cnn-lite",
    start_urls=("https://lite.cnn.com/",),
    hosts=("lite.cnn.com",),
    article_links="li.card--lite > a",
    skip_pattern=CNN_INTERACTIVE,
    description="CNN Lite: text-only CNN (index of ~100 latest stories)",
    terms_url="https://www.cnn.com/terms",
    builtin=True,
)

NPR_TEXT = SiteProfile(
    name="npr-text",
    parser="npr-text",
    start_urls=("https://text.npr.org/",),
    hosts=("text.npr.org",),
    # Section and footer links are all-digit paths too: the class tells stories apart. Story
    # ids: `/nx-s1-5383918`, `/g-s1-64816`, with an edition suffix `/nx-s1-5921392-e1`, or
    # all digits `/1234569831`.
    article_links="a.topic-title",
    article_pattern=r"^/(?:[a-z]+-s1-\d+(?:-e\d+)?|\d+)$",
    description="NPR text-only site",
    terms_url="https://www.npr.org/about-npr/179876898/terms-of-use",
    builtin=True,
)

GENERIC = SiteProfile(
    name="generic",
    parser="generic",
    description="any page: trafilatura alone (used for on-demand URLs of unknown hosts)",
    builtin=True,
)

BUILTIN_PROFILES: dict[str, SiteProfile] = {p.name: p for p in (CNN_LITE, NPR_TEXT)}


def profile_from_config(name: str, table: SiteTable | dict[str, Any]) -> SiteProfile:
    """A `[sites.NAME]` table as a profile (a dict is validated as in a config file); the
    keys it sets override the base profile's (`extends`, else `generic`)."""
    valid: SiteTable = (
        table if isinstance(table, SiteTable) else parse_table("sites", {name: table})[name]
    )
    raw = valid.model_dump(exclude_unset=True)
    base = GENERIC
    if "extends" in raw:
        base_name = raw["extends"]
        if base_name not in BUILTIN_PROFILES:
            known = ", ".join(BUILTIN_PROFILES)
            raise ConfigError(
                f"[sites.{name}] extends {base_name!r}: not a built-in profile ({known})"
            )
        base = BUILTIN_PROFILES[base_name]
    start_urls = tuple(raw.get("start_urls", base.start_urls))
    feeds = tuple(raw.get("feeds", ()))
    sitemaps = tuple(raw.get("sitemaps", ()))
    if not (start_urls or feeds or sitemaps):
        raise ConfigError(f"[sites.{name}]: needs start_urls, feeds or sitemaps")
    extends = "extends" in raw
    links = raw.get("article_links", base.article_links if extends else None)
    pattern = raw.get("article_pattern", base.article_pattern if extends else None)
    skip = raw.get("skip_pattern", base.skip_pattern if extends else None)
    if start_urls and not (links or pattern):
        raise ConfigError(f"[sites.{name}]: set article_links (CSS) and/or article_pattern (regex)")
    hosts = raw.get("hosts")
    hosts_t = (
        tuple(hosts)
        if hosts is not None
        else tuple(
            sorted({urlsplit(u).netloc.lower() for u in start_urls + feeds + sitemaps} - {""})
        )
    )
    return SiteProfile(
        name=name,
        parser=raw.get("parser", base.parser),
        start_urls=start_urls,
        hosts=hosts_t,
        article_links=links,
        article_pattern=pattern,
        skip_pattern=skip,
        feeds=feeds,
        sitemaps=sitemaps,
        description=raw.get(
            "description",
            f"configured site (extends {base.name})" if extends else "configured site",
        ),
        terms_url=raw.get("terms_url", base.terms_url if extends else None),
    )


def load_profiles(config: Config | None = None) -> dict[str, SiteProfile]:
    """Built-in profiles plus the config's `[sites.*]`; a config site may replace a built-in."""
    profiles = dict(BUILTIN_PROFILES)
    for name, table in (config.sites if config else {}).items():
        profiles[name] = profile_from_config(name, table)
    return profiles


def profile_for_url(url: str, profiles: dict[str, SiteProfile]) -> SiteProfile:
    """The profile whose hosts include the URL's host, else `generic`."""
    host = (urlsplit(url).hostname or "").lower()
    netloc = urlsplit(url).netloc.lower()
    for profile in profiles.values():
        if host in profile.hosts or netloc in profile.hosts:
            return profile
    return GENERIC


def get_profile(name: str, profiles: dict[str, SiteProfile]) -> SiteProfile:
    if name == "generic":
        return GENERIC
    try:
        return profiles[name]
    except KeyError:
        raise ConfigError(
            f"unknown site {name!r}; known sites: {', '.join(sorted(profiles))}"
        ) from None
