#!/usr/bin/env python3
"""Build the bundled demo site and the test fixture sites for the lite news profiles.

Output (committed; rerunning reproduces it byte for byte: no clock, no randomness):

    newsarchive/demo/site/cnn-lite/        index + 24 lite.cnn.com articles (+ links to an
                                       interactive tracker and a maps page)
    newsarchive/demo/site/npr-text/        index + 16 text.npr.org stories + section pages
    tests/fixtures/sites/cnn-lite/     index + 6 articles (+ a link to a missing page, a
                                       tracker and a maps page) + expected.json
    tests/fixtures/sites/npr-text/     index + 5 stories + a soft-404 shell + expected.json

Each site directory is meant to be served as a host root: URL path P is the file
``<root>/P`` if that is a file, else ``<root>/P/index.html``.  The markup follows the
real pages (Dec 2025; the profiles' selectors are in pipelines/extract/): real-looking pages with the
quirks scrapers trip over (whitespace-padded links and timestamps, EST *and* EDT, bylines
ending in an organisation, ``&copy`` without a semicolon, ``<li>`` directly inside
``<nav>``); the CNN front page's cards inside ``div.container_lead-plus-headlines--lite``,
some of them undated story paths (``/travel/…-intl``, a feature ending ``-spc``) and
interactive pages (a tracker, maps); NPR story ids with an edition suffix (``-e1``).
All article text is invented.

Usage::

    python scripts/build_sample_sites.py            # rewrite every site, then check
    python scripts/build_sample_sites.py --check    # only check what is on disk

The check renders everything in memory and compares it with the files on disk, then
parses every page with lxml, asserts the profile selectors find what they should,
re-derives expected.json from the pages, and prints page sizes per site.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
DEMO_ROOT = Path("newsarchive/demo/site")
TEST_ROOT = Path("tests/fixtures/sites")
NEW_YORK = ZoneInfo("America/New_York")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


# --------------------------------------------------------------------------- time


def eastern(stamp: str) -> datetime:
    """``"YYYY-MM-DD HH:MM"`` New York wall time -> aware datetime (must exist, unambiguous)."""
    naive = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
    aware = naive.replace(tzinfo=NEW_YORK)
    back = aware.astimezone(UTC).astimezone(NEW_YORK).replace(tzinfo=None)
    if back != naive or aware.replace(fold=1).utcoffset() != aware.utcoffset():
        raise ValueError(f"{stamp} is skipped or ambiguous in America/New_York")
    return aware


def utc_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clock(moment: datetime) -> str:
    """``8:12 PM EST``: the zone name comes from the tz database, never hard-coded."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{hour}:{moment.minute:02d} {half} {moment.tzname()}"


def cnn_stamp(moment: datetime) -> str:
    """``8:12 PM EST, Fri February 2, 2024``"""
    day = WEEKDAYS[moment.weekday()][:3]
    return f"{clock(moment)}, {day} {MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def long_date(moment: datetime) -> str:
    """``Thursday, May 8, 2025``"""
    day = WEEKDAYS[moment.weekday()]
    return f"{day}, {MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class CnnStory:
    """One lite.cnn.com article.

    ``day`` + ``section`` + ``slug`` make the path; 2023–24 stories end in ``/index.html``.
    ``stamp_at`` is the visible ``Updated:``/``Published:`` time; ``first_published`` is
    the JSON-LD ``datePublished`` of an updated story (only used when ``jsonld``).
    """

    key: str
    day: str
    section: str
    slug: str
    headline: str
    authors: tuple[str, ...]
    stamp: str
    stamp_at: str
    body: str
    org: str = "CNN"
    first_published: str | None = None
    jsonld: bool = False
    canonical: bool = False
    editor_note: str | None = None
    source_line: bool = False
    dated: bool = True  # False: an undated path, /<section>/<slug> (features, some intl stories)

    @property
    def old_style(self) -> bool:
        return self.dated and self.day < "2025"

    @property
    def path(self) -> str:
        if not self.dated:
            return f"/{self.section}/{self.slug}"
        path = f"/{self.day.replace('-', '/')}/{self.section}/{self.slug}"
        return path + "/index.html" if self.old_style else path

    @property
    def www_url(self) -> str:
        return "https://www.cnn.com" + self.path

    @property
    def title_suffix(self) -> str:
        if self.section == "politics":
            return "CNN Politics"
        if self.section in ("business", "economy", "tech", "media"):
            return "CNN Business"
        return "CNN"

    @property
    def paragraphs(self) -> list[str]:
        return paragraphs(self.body)

    @property
    def published_at(self) -> datetime | None:
        if self.stamp == "Published":
            return eastern(self.stamp_at)
        if self.jsonld and self.first_published:
            return eastern(self.first_published)
        return None

    @property
    def modified_at(self) -> datetime | None:
        return eastern(self.stamp_at) if self.stamp == "Updated" else None


@dataclass(frozen=True)
class NprStory:
    """One text.npr.org story; ``body`` blocks are separated by blank lines:
    a paragraph, ``<empty>`` (an empty ``<p></p>``), ``- item`` lines (a list) or
    ``[related:KEY]`` (a "Related Story:" block between ``<hr>``s)."""

    key: str
    story_id: str
    section: int
    headline: str
    authors: tuple[str, ...]
    published: str
    body: str
    wrap_title: bool = False

    @property
    def path(self) -> str:
        return "/" + self.story_id

    @property
    def published_at(self) -> datetime:
        return eastern(self.published)

    @property
    def full_site_url(self) -> str:
        day = self.published_at.strftime("%Y/%m/%d")
        return f"https://www.npr.org/{day}/{self.story_id}/{slugify(self.headline)}"

    @property
    def blocks(self) -> list[str]:
        return [" ".join(b.split()) if not b.startswith("- ") else b for b in raw_blocks(self.body)]

    @property
    def content_paragraphs(self) -> list[str]:
        return [b for b in self.blocks if not b.startswith(("- ", "[related:", "<empty>"))]


def raw_blocks(body: str) -> list[str]:
    return [b.strip() for b in re.split(r"\n\s*\n", body.strip()) if b.strip()]


def paragraphs(body: str) -> list[str]:
    return [" ".join(b.split()) for b in raw_blocks(body)]


def slugify(text: str) -> str:
    text = text.lower().replace("’", "").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def byline_cnn(story: CnnStory) -> str:
    names = list(story.authors)
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"By {joined}, {story.org}"


def byline_npr(story: NprStory) -> str:
    return "By " + " and ".join(story.authors)


def snippet_start(text: str) -> str:
    """About the first 40 characters, cut at a word boundary."""
    head = text[:41]
    return head[: head.rfind(" ")] if " " in head else text[:40]


def snippet_end(text: str) -> str:
    """About the last 40 characters, cut at a word boundary."""
    tail = text[-41:]
    return tail[tail.find(" ") + 1 :] if " " in tail else text[-40:]


# --------------------------------------------------------------------------- cnn markup

CNN_INDEX_CSS = """
      :root {
        --theme-background: #ffffff;
        --theme-copy: #0c0c0c;
        --theme-copy-accent: #404040;
        --theme-divider: #e6e6e6;
        --theme-link: #0c0c0c;
        --theme-link-hover: #6e6e6e;
        --theme-brand: #cc0000;
        --theme-font-family: "CNN Sans", "Helvetica Neue", Helvetica, Arial, Utkal, sans-serif;
        --theme-title-font-size: 24px;
        --theme-card-font-size: 18px;
        --theme-footer-font-size: 14px;
      }
      *,
      *::before,
      *::after {
        box-sizing: border-box;
      }
      html {
        -webkit-text-size-adjust: 100%;
        -moz-text-size-adjust: 100%;
        text-size-adjust: 100%;
      }
      body {
        margin: 0;
        padding: 0;
        background-color: var(--theme-background);
        color: var(--theme-copy);
        font-family: var(--theme-font-family);
        font-size: 16px;
        line-height: 1.5;
        -webkit-font-smoothing: antialiased;
        -moz-osx-font-smoothing: grayscale;
      }
      a {
        color: var(--theme-link);
        text-decoration: none;
      }
      a:hover,
      a:focus {
        color: var(--theme-link-hover);
        text-decoration: underline;
      }
      .header--lite {
        display: flex;
        align-items: center;
        justify-content: space-between;
        max-width: 780px;
        margin: 0 auto;
        padding: 16px 20px;
        border-bottom: 1px solid var(--theme-divider);
      }
      .header__logo--lite {
        color: var(--theme-brand);
        font-size: 28px;
        font-weight: 700;
        letter-spacing: -0.5px;
      }
      .header__logo--lite:hover {
        color: var(--theme-brand);
        text-decoration: none;
      }
      .header__date--lite {
        color: var(--theme-copy-accent);
        font-size: 14px;
        font-weight: 500;
      }
      .layout-homepage__lite {
        max-width: 780px;
        margin: 0 auto;
        padding: 0 20px;
      }
      .layout-homepage__lite section {
        padding: 24px 0 32px;
      }
      .container_lead-plus-headlines--lite .title {
        margin: 0 0 16px;
        font-size: var(--theme-title-font-size);
        font-weight: 700;
        line-height: 1.25;
      }
      .container_lead-plus-headlines--lite ul {
        margin: 0;
        padding: 0;
        list-style: none;
      }
      .card--lite {
        padding: 12px 0;
        border-bottom: 1px solid var(--theme-divider);
        font-size: var(--theme-card-font-size);
        font-weight: 500;
        line-height: 1.35;
      }
      .card--lite:first-child {
        padding-top: 0;
      }
      .card--lite:last-child {
        border-bottom: 0;
      }
      .card--lite a {
        display: block;
      }
      .card--lite a:visited {
        color: #595959;
      }
      .footer--lite {
        max-width: 780px;
        margin: 0 auto;
        padding: 24px 20px 40px;
        border-top: 1px solid var(--theme-divider);
        color: var(--theme-copy-accent);
        font-size: var(--theme-footer-font-size);
      }
      .footer__full-site--lite {
        margin: 0 0 16px;
        font-weight: 700;
      }
      .footer__full-site--lite a {
        color: var(--theme-brand);
      }
      .footer__copyright--lite {
        margin: 0 0 12px;
      }
      .footer__links--lite {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 20px;
        margin: 0;
        padding: 0;
        list-style: none;
      }
      .footer__links--lite a {
        color: var(--theme-copy-accent);
        text-decoration: underline;
      }
      @media (min-width: 960px) {
        :root {
          --theme-title-font-size: 28px;
          --theme-card-font-size: 20px;
        }
        .header--lite,
        .layout-homepage__lite,
        .footer--lite {
          padding-left: 0;
          padding-right: 0;
        }
      }
      @media (prefers-color-scheme: dark) {
        :root {
          --theme-background: #0c0c0c;
          --theme-copy: #f2f2f2;
          --theme-copy-accent: #bfbfbf;
          --theme-divider: #2b2b2b;
          --theme-link: #f2f2f2;
          --theme-link-hover: #bfbfbf;
        }
        .card--lite a:visited {
          color: #a6a6a6;
        }
      }
      @media print {
        .header--lite,
        .footer--lite {
          display: none;
        }
        .card--lite {
          border-bottom: 0;
          padding: 4px 0;
        }
      }
"""

CNN_ARTICLE_CSS = """
      :root {
        --theme-background: #ffffff;
        --theme-copy: #0c0c0c;
        --theme-copy-accent: #404040;
        --theme-divider: #e6e6e6;
        --theme-brand: #cc0000;
        --theme-font-family: "CNN Sans", "Helvetica Neue", Helvetica, Arial, Utkal, sans-serif;
      }
      *,
      *::before,
      *::after {
        box-sizing: border-box;
      }
      body {
        margin: 0;
        background-color: var(--theme-background);
        color: var(--theme-copy);
        font-family: var(--theme-font-family);
        font-size: 18px;
        line-height: 1.6;
        -webkit-font-smoothing: antialiased;
      }
      a {
        color: inherit;
      }
      .header--lite,
      .layout-article-elevate__lite,
      .footer--lite {
        max-width: 780px;
        margin: 0 auto;
        padding-left: 20px;
        padding-right: 20px;
      }
      .header--lite {
        padding-top: 16px;
        padding-bottom: 16px;
        border-bottom: 1px solid var(--theme-divider);
      }
      .header__logo--lite {
        color: var(--theme-brand);
        font-size: 28px;
        font-weight: 700;
        text-decoration: none;
      }
      .headline {
        margin: 24px 0 12px;
        font-size: 32px;
        font-weight: 700;
        line-height: 1.2;
      }
      .byline--lite,
      .timestamp--lite {
        margin: 0 0 4px;
        color: var(--theme-copy-accent);
        font-size: 15px;
      }
      .article--lite {
        padding: 16px 0 32px;
      }
      .editor-note--lite,
      .source--lite {
        color: var(--theme-copy-accent);
        font-size: 16px;
      }
      .paragraph--lite {
        margin: 0 0 20px;
      }
      .paragraph--lite a {
        color: var(--theme-brand);
        font-weight: 700;
      }
      .footer--lite {
        padding-top: 24px;
        padding-bottom: 40px;
        border-top: 1px solid var(--theme-divider);
        color: var(--theme-copy-accent);
        font-size: 14px;
      }
      .footer__links--lite {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 20px;
        padding: 0;
        list-style: none;
      }
      @media (prefers-color-scheme: dark) {
        :root {
          --theme-background: #0c0c0c;
          --theme-copy: #f2f2f2;
          --theme-copy-accent: #bfbfbf;
          --theme-divider: #2b2b2b;
        }
      }
"""

CNN_FOOTER = """    <footer class="footer--lite">
      <p class="footer__full-site--lite">
        <a href="https://www.cnn.com/">Go to the full CNN experience</a>
      </p>
      <p class="footer__copyright--lite">© 2026 Cable News Network. A Warner Bros. Discovery Company. All Rights Reserved.</p>
      <ul class="footer__links--lite">
        <li><a href="https://www.cnn.com/terms">Terms of Use</a></li>
        <li><a href="https://www.cnn.com/privacy">Privacy Policy</a></li>
        <li><a href="https://www.cnn.com/ad-choices">Ad Choices</a></li>
        <li><a href="https://www.cnn.com/cookie-settings">Cookie Settings</a></li>
      </ul>
    </footer>
"""  # noqa: E501

CNN_INDEX_DATE = "5/5/2026"


def cnn_index(links: list[tuple[str, str]]) -> str:
    cards = "".join(
        f"""            <li class="card--lite">
              <a href="{attr(href)}">
                {esc(text)}
              </a>
            </li>
"""
        for href, text in links
    )
    return f"""<!DOCTYPE html>
<html lang="en" data-layout-uri="cms.cnn.com/_layouts/layout-homepage/instances/cnnlite-v1@published">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Breaking News, Latest News and Videos | CNN</title>
    <style>{CNN_INDEX_CSS}    </style>
  </head>
  <body class="cnn">
    <header class="header--lite">
      <a class="header__logo--lite" href="/">CNN</a>
      <span class="header__date--lite">{CNN_INDEX_DATE}</span>
    </header>
    <div class="layout-homepage__lite">
      <section class="layout-homepage__section--lite" data-tabcontent="Content">
        <div class="container_lead-plus-headlines--lite">
          <p class="title">Latest Stories</p>
          <ul>
{cards}          </ul>
        </div>
      </section>
    </div>
{CNN_FOOTER}  </body>
</html>
"""


def cnn_jsonld(story: CnnStory) -> str:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.headline,
        "url": story.www_url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": story.www_url},
        "articleSection": story.section,
    }
    published = story.published_at
    assert published is not None
    data["datePublished"] = published.isoformat()
    if story.modified_at is not None:
        data["dateModified"] = story.modified_at.isoformat()
    data["author"] = [{"@type": "Person", "name": name} for name in story.authors]
    data["publisher"] = {"@type": "Organization", "name": "CNN", "url": "https://www.cnn.com"}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f'    <script type="application/ld+json">{text}</script>\n'


def cnn_article(story: CnnStory) -> str:
    head_extra = ""
    if story.canonical:
        head_extra += f'    <link rel="canonical" href="{attr(story.www_url)}">\n'
    head_extra += f"    <style>{CNN_ARTICLE_CSS}    </style>\n"
    if story.jsonld:
        head_extra += cnn_jsonld(story)
    moment = eastern(story.stamp_at)
    body = ""
    if story.editor_note:
        body += f"""        <p class="editor-note--lite">
          <em>{esc(story.editor_note)}</em>
        </p>
"""
    if story.source_line:
        body += '        <p class="source--lite">Source: CNN</p>\n'
    for text in story.paragraphs:
        body += f"""        <p class="paragraph--lite">
          {esc(text)}
        </p>
"""
    body += f"""        <p class="paragraph--lite">
          <a href="{attr(story.www_url)}">See Full Web Article</a>
        </p>
"""
    layout = "cms.cnn.com/_layouts/layout-article-elevate/instances/cnnlite-v1@published"
    return f"""<!DOCTYPE html>
<html lang="en" data-layout-uri="{layout}">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{esc(story.headline)} | {story.title_suffix}</title>
{head_extra}  </head>
  <body class="cnn">
    <header class="header--lite">
      <a class="header__logo--lite" href="/">CNN</a>
    </header>
    <div class="layout-article-elevate__lite">
      <h2 class="headline">
        {esc(story.headline)}
      </h2>
      <p class="byline--lite">
        {esc(byline_cnn(story))}
      </p>
      <p class="timestamp--lite">
        {story.stamp}:
        {cnn_stamp(moment)}
      </p>
      <article class="article--lite">
{body}      </article>
    </div>
{CNN_FOOTER}  </body>
</html>
"""


# --------------------------------------------------------------------------- npr markup

NPR_CSS = """
body { margin: 0 auto; max-width: 700px; padding: 0 12px; font-family: Georgia, "Times New Roman", serif; font-size: 18px; line-height: 1.5; color: #111; }
a { color: #1f4e99; }
header { border-bottom: 1px solid #ccc; padding: 10px 0; font-family: Arial, Helvetica, sans-serif; font-size: 15px; }
nav { font-family: Arial, Helvetica, sans-serif; font-size: 15px; padding: 6px 0; }
nav li { display: inline-block; margin-right: 14px; }
.topic-heading, .story-title { font-size: 26px; line-height: 1.25; margin: 18px 0 6px; }
.topic-date, .slug-line { color: #555; font-size: 15px; margin: 0 0 12px; }
.topic-container ul { padding-left: 18px; }
.topic-container li { margin-bottom: 10px; }
.story-head p { color: #444; font-size: 16px; margin: 4px 0; }
.paragraphs-container p { margin: 0 0 18px; }
footer { border-top: 1px solid #ccc; margin-top: 30px; padding: 10px 0 30px; font-family: Arial, Helvetica, sans-serif; font-size: 14px; }
footer ul { list-style: none; padding: 0; }
footer li { display: inline-block; margin-right: 14px; }
"""  # noqa: E501

NPR_SECTIONS = {
    1001: "News",
    1003: "National",
    1004: "World",
    1006: "Business",
    1007: "Science",
    1008: "Culture",
    1014: "Politics",
    1039: "Music",
    1055: "Sports",
    1128: "Health",
}
NPR_NAV = (1001, 1008, 1039)
NPR_INDEX_DATE = "2025-05-08 09:00"

NPR_FOOTER = """<footer>
<ul>
<li><a href="/179876898">Terms of Use</a></li>
<li><a href="/179878450">Privacy</a></li>
<li><a href="/1145786745">Your Privacy Choices</a></li>
<li><a href="https://www.npr.org/">Go To Full Site</a></li>
</ul>
<p>&copy NPR</p>
</footer>
"""


def npr_page(title: str, full_site: str, main: str, nav: bool = False) -> str:
    nav_html = ""
    if nav:
        # <li> directly inside <nav>, no <ul>: the real page does this.
        items = "".join(f'<li><a href="/{sid}">{NPR_SECTIONS[sid]}</a></li>\n' for sid in NPR_NAV)
        nav_html = f"<nav>\n{items}</nav>\n"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html;charset=utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{NPR_CSS}</style>
</head>
<body>
<header>
<p><b>Text-Only Version</b> <a href="{attr(full_site)}">Go To Full Site</a></p>
</header>
{nav_html}<main>
{main}</main>
{NPR_FOOTER}</body>
</html>
"""


def npr_topic(heading: str, date_line: str | None, links: list[tuple[str, str]]) -> str:
    items = "".join(
        f"""<li><a class="topic-title" href="{attr(href)}">
    {esc(text)}
  </a></li>
"""
        for href, text in links
    )
    date_html = f'<p class="topic-date">{esc(date_line)}</p>\n' if date_line else ""
    return f"""<div class="topic-container">
<h1 class="topic-heading">{esc(heading)}</h1>
{date_html}<ul>
{items}</ul>
</div>
"""


def wrapped(title: str) -> str:
    """Break a long title over two indented lines, as the real h1 sometimes is."""
    cut = title.find(" ", 40)
    if cut < 0:
        return esc(title)
    return f"{esc(title[:cut])}\n    {esc(title[cut + 1 :])}"


def npr_article(story: NprStory, by_key: dict[str, NprStory]) -> str:
    parts: list[str] = []
    for block in story.blocks:
        if block == "<empty>":
            parts.append("<p></p>\n")
        elif block.startswith("- "):
            items = [line[2:].strip() for line in block.splitlines()]
            lis = "".join(f"<li>{esc(' '.join(i.split()))}</li>\n" for i in items)
            parts.append(f"<ul>\n{lis}</ul>\n")
        elif block.startswith("[related:"):
            other = by_key[block[len("[related:") : -1]]
            parts.append(
                "<hr>\n"
                f'<p><strong>Related Story:</strong> <a href="{attr(other.path)}">'
                f"{esc(other.headline)}</a></p>\n"
                "<hr>\n"
            )
        else:
            parts.append(f"<p>{esc(block)}</p>\n")
    title_html = wrapped(story.headline) if story.wrap_title else esc(story.headline)
    moment = story.published_at
    section = NPR_SECTIONS[story.section]
    main = f"""<article>
<div class="story-container">
<p class="slug-line"><a href="/">NPR</a> &gt; <a href="/{story.section}">{section}</a></p>
<div class="story-head">
<h1 class="story-title">{title_html}</h1>
<p>{esc(byline_npr(story))}</p>
<p>{long_date(moment)} • {clock(moment)}</p>
</div>
<div class="paragraphs-container">
{"".join(parts)}</div>
</div>
</article>
"""
    return npr_page(f"{story.headline} : NPR", story.full_site_url, main)


def npr_soft_404() -> str:
    """What text.npr.org answers, with 200, for a story id it does not know."""
    return npr_page("NPR : National Public Radio", "https://www.npr.org/", "")


# --------------------------------------------------------------------------- sites


@dataclass(frozen=True)
class Site:
    root: Path
    profile: str
    files: dict[str, str]  # relative path inside root -> text
    articles: list[CnnStory] | list[NprStory]
    index_links: list[str]  # hrefs as written in the index page
    not_articles: list[dict[str, str]]
    expected: bool


def url_to_file(path: str) -> str:
    """The static server's mapping: P is a file, or P/index.html."""
    rel = path.lstrip("/")
    return rel if rel.endswith(".html") else (rel + "/index.html" if rel else "index.html")


# Cards of the real front page that are not stories: script-built interactives.
CNN_INTERACTIVES = (
    (5, "/interactive/2026/05/us/hurricane-season-tracker/", "Track this year’s hurricane season"),
    (9, "/weather/maps", "Maps: where the storms are now"),
)


def build_cnn(root: Path, stories: list[CnnStory], missing: tuple[str, str] | None) -> Site:
    stories = sorted(stories, key=lambda s: (s.day, s.stamp_at), reverse=True)
    links = [(s.path, s.headline) for s in stories]
    not_articles = []
    if missing:
        links.insert(2, missing)
        not_articles.append({"path": missing[0], "why": "404"})
    for position, href, text in CNN_INTERACTIVES:
        links.insert(min(position, len(links)), (href, text))
        not_articles.append({"path": href, "why": "skip-pattern"})
    files = {"index.html": cnn_index(links)}
    for story in stories:
        files[url_to_file(story.path)] = cnn_article(story)
    hrefs = [h for h, _ in links]
    return Site(root, "cnn-lite", files, stories, hrefs, not_articles, expected=bool(missing))


def build_npr(root: Path, stories: list[NprStory], soft_404: str | None, sections: bool) -> Site:
    by_key = {s.key: s for s in NPR_STORIES}
    stories = sorted(stories, key=lambda s: s.published_at, reverse=True)
    links = [(s.path, s.headline) for s in stories]
    not_articles = []
    files: dict[str, str] = {}
    if soft_404:
        links.insert(3, ("/" + soft_404, "Lawmakers return to the Capitol with a long to-do list"))
        not_articles.append({"path": "/" + soft_404, "why": "soft-404"})
        files[url_to_file("/" + soft_404)] = npr_soft_404()
    index_main = npr_topic("Top Stories", long_date(eastern(NPR_INDEX_DATE)), links)
    files["index.html"] = npr_page(
        "NPR : National Public Radio", "https://www.npr.org/", index_main, nav=True
    )
    for story in stories:
        files[url_to_file(story.path)] = npr_article(story, by_key)
    if sections:
        used = sorted({s.section for s in stories} | set(NPR_NAV))
        for sid in used:
            if sid == 1001:  # "News" gathers every news desk, not the features
                members = [s for s in stories if s.section not in (1008, 1039, 1055)]
            else:
                members = [s for s in stories if s.section == sid]
            name = NPR_SECTIONS[sid]
            main = npr_topic(name, None, [(s.path, s.headline) for s in members])
            files[f"{sid}/index.html"] = npr_page(
                f"{name} : NPR", f"https://www.npr.org/sections/{slugify(name)}/", main, nav=True
            )
    hrefs = [h for h, _ in links]
    return Site(root, "npr-text", files, stories, hrefs, not_articles, expected=bool(soft_404))


def expected_record(story: CnnStory | NprStory) -> dict[str, object]:
    if isinstance(story, CnnStory):
        authors = list(story.authors)
        published = story.published_at
        modified = story.modified_at
        paras = story.paragraphs
    else:
        authors = list(story.authors)
        published = story.published_at
        modified = None
        paras = story.content_paragraphs
    return {
        "path": story.path,
        "title": story.headline,
        "authors": authors,
        "published_at": utc_z(published) if published else None,
        "modified_at": utc_z(modified) if modified else None,
        "text_startswith": snippet_start(paras[0]),
        "text_endswith": snippet_end(paras[-1]),
    }


def expected_json(site: Site) -> str:
    data = {
        "site": site.profile,
        "articles": [expected_record(s) for s in site.articles],
        "not_articles": site.not_articles,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def all_sites() -> list[Site]:
    cnn_by_key = {s.key: s for s in CNN_STORIES}
    npr_by_key = {s.key: s for s in NPR_STORIES}
    sites = [
        build_cnn(DEMO_ROOT / "cnn-lite", list(CNN_STORIES), None),
        build_npr(DEMO_ROOT / "npr-text", list(NPR_STORIES), None, sections=True),
        build_cnn(
            TEST_ROOT / "cnn-lite",
            [cnn_by_key[k] for k in CNN_TEST_KEYS],
            (
                "/2026/05/05/world/missing-story",
                "Port authority reviews overnight fire at container terminal",
            ),
        ),  # fmt: skip
        build_npr(
            TEST_ROOT / "npr-text",
            [npr_by_key[k] for k in NPR_TEST_KEYS],
            "nx-s1-0000000",
            sections=False,
        ),
    ]
    for site in sites:
        if site.expected:
            site.files["expected.json"] = expected_json(site)
    return sites


def rendered() -> dict[Path, bytes]:
    out: dict[Path, bytes] = {}
    for site in all_sites():
        for rel, text in site.files.items():
            out[site.root / rel] = text.encode("utf-8")
    return out


def generated_files(root: Path) -> list[Path]:
    """Files in a site root this script owns; anything else (a test's ``_routes.json``)
    is left alone."""
    if not root.exists():
        return []
    owned = (p for p in root.rglob("*") if p.suffix == ".html" or p.name == "expected.json")
    return sorted(p for p in owned if p.is_file())


def write_all() -> None:
    for site in all_sites():
        target = REPO / site.root
        for stale in generated_files(target):
            if stale.relative_to(target).as_posix() not in site.files:
                stale.unlink()
        for empty in sorted((d for d in target.rglob("*") if d.is_dir()), reverse=True):
            if not any(empty.iterdir()):
                empty.rmdir()
        for rel, text in sorted(site.files.items()):
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
    init = REPO / "newsarchive/demo/__init__.py"
    if not init.exists():
        init.write_text('"""Bundled sample site for `newsarchive demo`."""\n', encoding="utf-8")


# --------------------------------------------------------------------------- check
# A deliberately independent reading of the pages: selectors and date parsing as a
# profile would do them, compared with what the generator meant to write.

STAMP_RE = re.compile(
    r"^(Updated|Published):\s+(\d{1,2}):(\d{2}) (AM|PM) (EST|EDT), "
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\w+) (\d{1,2}), (\d{4})$"
)
DATELINE_RE = re.compile(
    r"^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\w+) (\d{1,2}), (\d{4})"
    r" • (\d{1,2}):(\d{2}) (AM|PM) (EST|EDT)$"
)


def collapse(text: str) -> str:
    return " ".join(text.split())


def parse_eastern(
    weekday: str, month: str, day: str, year: str, hour: str, minute: str, half: str, zone: str
) -> datetime:
    h = int(hour) % 12 + (12 if half == "PM" else 0)
    moment = datetime(int(year), MONTHS.index(month) + 1, int(day), h, int(minute), tzinfo=NEW_YORK)
    assert moment.tzname() == zone, f"{moment} is {moment.tzname()}, page says {zone}"
    assert WEEKDAYS[moment.weekday()].startswith(weekday), f"{moment} is not a {weekday}"
    return moment


def check_cnn_article(doc: object, path: str) -> dict[str, object]:
    from lxml import etree

    assert isinstance(doc, etree._Element)
    layout = doc.cssselect("div.layout-article-elevate__lite")
    assert len(layout) == 1, path
    (headline,) = layout[0].cssselect("h2.headline")
    (byline,) = layout[0].cssselect("p.byline--lite")
    (stamp,) = layout[0].cssselect("p.timestamp--lite")
    (article,) = layout[0].cssselect("article.article--lite")
    for node in (headline, byline, stamp):
        assert node.getparent() is layout[0], "metadata sits outside the <article>"
    assert "\n" in stamp.text_content().strip(), "timestamp must span several lines"
    title = collapse(headline.text_content())
    page_title = collapse(doc.findtext(".//title") or "")
    assert page_title.startswith(title + " | CNN"), page_title
    by = collapse(byline.text_content())
    assert by.startswith("By ") and by.endswith((", CNN", ", CNN Business")), by
    names = by[3:].rsplit(", ", 1)[0]
    authors = [n for part in names.split(" and ") for n in part.split(", ")]
    m = STAMP_RE.match(collapse(stamp.text_content()))
    assert m, collapse(stamp.text_content())
    kind, hour, minute, half, zone, wd, month, day, year = m.groups()
    moment = parse_eastern(wd, month, day, year, hour, minute, half, zone)
    published = moment if kind == "Published" else None
    modified = moment if kind == "Updated" else None
    for script in doc.cssselect('script[type="application/ld+json"]'):
        data = json.loads(script.text)
        assert data["@type"] == "NewsArticle"
        if "datePublished" in data:
            when = datetime.fromisoformat(data["datePublished"])
            assert published is None or when == published
            published = when
        if "dateModified" in data:
            assert datetime.fromisoformat(data["dateModified"]) == modified
    paras = article.cssselect("p.paragraph--lite")
    last = paras[-1]
    link = last.cssselect("a")
    assert collapse(last.text_content()) == "See Full Web Article" and link, path
    assert link[0].get("href") == "https://www.cnn.com" + path
    canon = doc.cssselect('link[rel="canonical"]')
    assert not canon or canon[0].get("href") == "https://www.cnn.com" + path
    texts = [collapse(p.text_content()) for p in paras[:-1]]
    assert 4 <= len(texts) <= 12, (path, len(texts))
    return {
        "path": path,
        "title": title,
        "authors": authors,
        "published_at": utc_z(published) if published else None,
        "modified_at": utc_z(modified) if modified else None,
        "text_startswith": snippet_start(texts[0]),
        "text_endswith": snippet_end(texts[-1]),
        "_first": texts[0],
        "_last": texts[-1],
    }


def check_npr_article(doc: object, path: str) -> dict[str, object]:
    from lxml import etree

    assert isinstance(doc, etree._Element)
    (container,) = doc.cssselect("main > article > div.story-container")
    (slug,) = container.cssselect("p.slug-line")
    assert collapse(slug.text_content()).startswith("NPR > ")
    (head,) = container.cssselect("div.story-head")
    (h1,) = head.cssselect("h1.story-title")
    byline, dateline = head.findall("p")
    assert not byline.get("class") and not dateline.get("class")
    by = collapse(byline.text_content())
    assert by.startswith("By "), by
    m = DATELINE_RE.match(collapse(dateline.text_content()))
    assert m, collapse(dateline.text_content())
    wd, month, day, year, hour, minute, half, zone = m.groups()
    moment = parse_eastern(wd, month, day, year, hour, minute, half, zone)
    (body,) = container.cssselect("div.paragraphs-container")
    texts: list[str] = []
    in_related = False
    for child in body:
        if child.tag == "hr":
            in_related = not in_related
        elif child.tag == "p" and not in_related:
            text = collapse(child.text_content())
            assert not text.startswith("Related Story:")
            if text:
                texts.append(text)
    assert not in_related, "unbalanced <hr> around a Related Story block"
    assert 4 <= len(texts) <= 12, (path, len(texts))
    return {
        "path": path,
        "title": collapse(h1.text_content()),
        "authors": by[3:].split(" and "),
        "published_at": utc_z(moment),
        "modified_at": None,
        "text_startswith": snippet_start(texts[0]),
        "text_endswith": snippet_end(texts[-1]),
        "_first": texts[0],
        "_last": texts[-1],
    }


def check_site(site: Site) -> list[int]:
    import lxml.html

    root = REPO / site.root
    index_raw = (root / "index.html").read_bytes()
    index = lxml.html.document_fromstring(index_raw)
    if site.profile == "cnn-lite":
        assert index.get("data-layout-uri", "").endswith("cnnlite-v1@published")
        assert collapse(index.findtext(".//title") or "") == (
            "Breaking News, Latest News and Videos | CNN"
        )
        assert not index.xpath("//h1|//h2|//h3|//h4|//h5|//h6"), "no headings on the index"
        (header,) = index.cssselect("body.cnn > header.header--lite")
        assert re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", header.text_content())
        sel = (
            'body.cnn div.layout-homepage__lite section[data-tabcontent="Content"]'
            " div.container_lead-plus-headlines--lite ul > li.card--lite > a[href]"
        )
        (title,) = index.cssselect("div.container_lead-plus-headlines--lite > p.title")
        assert collapse(title.text_content()) == "Latest Stories"
        footer = collapse(index.cssselect("footer")[0].text_content())
        for words in ("Go to the full CNN experience", "©", "Terms of Use", "Cookie Settings"):
            assert words in footer, words
    else:
        assert b'<meta http-equiv="Content-Type" content="text/html;charset=utf-8">' in index_raw
        assert b"&copy " in index_raw and b"&copy;" not in index_raw
        assert b"canonical" not in index_raw and b"og:" not in index_raw
        assert index.xpath("//nav/li"), "<li> directly inside <nav>"
        (heading,) = index.cssselect("main div.topic-container h1.topic-heading")
        (date,) = index.cssselect("main div.topic-container p.topic-date")
        assert re.match(r"^[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4}$", date.text_content())
        sel = "main div.topic-container ul > li > a.topic-title"
        digits = [a.get("href") for a in index.xpath("//a") if re.fullmatch(r"/\d+", a.get("href"))]
        assert digits, "section and footer links are all digits"
    anchors = index.cssselect(sel)
    hrefs = [a.get("href").strip() for a in anchors]
    assert all(a.get("href") == a.get("href").strip() for a in anchors)
    assert all(a.text != a.text.strip() and "\n" in a.text for a in anchors), "padded links"
    assert hrefs == site.index_links, (hrefs, site.index_links)

    missing = {n["path"] for n in site.not_articles}
    records = []
    sizes = [len(index_raw)]
    for href in hrefs:
        file = root / url_to_file(href)
        if href in missing:
            why = next(n["why"] for n in site.not_articles if n["path"] == href)
            if why in ("404", "skip-pattern"):
                assert not file.exists() and not (root / href.lstrip("/")).exists(), href
            else:
                shell = lxml.html.document_fromstring(file.read_bytes())
                assert shell.cssselect("header") and shell.cssselect("footer")
                assert not shell.cssselect("div.story-container, h1, article"), href
            continue
        raw = file.read_bytes()
        sizes.append(len(raw))
        doc = lxml.html.document_fromstring(raw.decode("utf-8"))
        check = check_cnn_article if site.profile == "cnn-lite" else check_npr_article
        records.append(check(doc, href))
        for a in doc.cssselect("div.paragraphs-container a[href]"):
            assert (root / url_to_file(a.get("href"))).exists(), (href, a.get("href"))
    for rec, story in zip(records, site.articles, strict=True):
        want = expected_record(story)
        got = {k: v for k, v in rec.items() if not k.startswith("_")}
        assert got == want, (got, want)
    for key in ("title", "_first", "_last", "text_startswith", "text_endswith"):
        values = [r[key] for r in records]
        assert len(set(values)) == len(values), f"{site.root}: duplicate {key}"
    if site.expected:
        expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
        assert expected["site"] == site.profile
        assert [r["path"] for r in records] == [a["path"] for a in expected["articles"]]
        assert expected["not_articles"] == site.not_articles
    if site.profile == "npr-text":
        sections = [root / f"{sid}/index.html" for sid in sorted(NPR_SECTIONS)]
        for extra in [s for s in sections if s.exists()]:
            page = lxml.html.document_fromstring(extra.read_bytes())
            links = page.cssselect(sel)
            assert links, extra
            for a in links:
                assert (root / url_to_file(a.get("href").strip())).exists()
            sizes.append(extra.stat().st_size)
    if site.profile == "cnn-lite":
        bad = [s for s in sizes if not 4_000 <= s <= 15_000]
        assert not bad, f"CNN pages outside 4–15 KB: {bad}"
    return sizes


def check_all() -> int:
    want = rendered()
    roots = sorted({site.root for site in all_sites()})
    have = {p.relative_to(REPO): p.read_bytes() for r in roots for p in generated_files(REPO / r)}
    problems = [f"differs: {p}" for p in sorted(want) if have.get(p) != want[p]]
    problems += [f"stray file: {p}" for p in sorted(set(have) - set(want))]
    if problems:
        print("\n".join(problems[:20]))
        print("run scripts/build_sample_sites.py to regenerate")
        return 1
    for site in all_sites():
        sizes = check_site(site)
        n_articles = len(site.articles)
        print(
            f"{str(site.root):32} {site.profile:9} articles={n_articles:2} files={len(site.files):2}"
            f"  page bytes min={min(sizes)} median={int(statistics.median(sizes))}"
            f" max={max(sizes)}"
        )
    print("ok: files match the generator, selectors and expected values check out")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only verify the files on disk")
    args = parser.parse_args(argv)
    if not args.check:
        write_all()
    return check_all()


# --------------------------------------------------------------------------- content
# Invented stories. People, teams and most places are fictional; agencies and real
# geography appear only as plausible background.

CNN_TEST_KEYS = ("c01", "c03", "c07", "c09", "c13", "c17")
NPR_TEST_KEYS = ("n01", "n03", "n04", "n09", "n11")

CNN_STORIES: tuple[CnnStory, ...] = (
    CnnStory(
        key="c01",
        day="2026-05-05",
        section="politics",
        slug="senate-panel-air-traffic-control-bill",
        headline="Senate panel advances bipartisan bill to modernize air traffic control systems",
        authors=("Daniel Okafor", "Priya Raman", "Thomas Whitfield"),
        stamp="Updated",
        stamp_at="2026-05-05 20:41",
        first_published="2026-05-05 11:02",
        jsonld=True,
        canonical=True,
        body="""
A Senate committee voted 21-5 on Tuesday to advance a bill that would spend $18 billion over six years replacing aging radar, radio and computer equipment used by the nation’s air traffic controllers, setting up a possible floor vote before the Memorial Day travel rush.

The measure, negotiated for months by the committee’s chair and its top Democrat, would require the Federal Aviation Administration to retire copper-wire phone lines at every major control facility by 2029 and replace them with fiber and satellite links that can fail over automatically.

“Controllers are doing extraordinary work with equipment that in some cases predates the people using it,” the committee’s chair said before the vote. “This bill stops patching and starts replacing.”

Several senators who voted against the bill said they supported the goal but objected to how it would be paid for. The legislation draws most of its funding from unspent pandemic-era transportation accounts, and a handful of members argued those dollars had already been promised to states for road and bridge projects.

Airline industry groups praised the committee’s action. A coalition representing the largest US carriers said outages at a handful of facilities over the past two years had forced thousands of flight delays and cancellations, costing passengers and airlines hundreds of millions of dollars.

The bill also sets aside money to hire and train about 2,500 additional controllers, a long-running shortfall that the FAA has said it cannot close without more seats at its training academy in Oklahoma City. Under the proposal, the academy would add a second daily shift of classes beginning next year.

The committee also approved, by voice vote, an amendment requiring the agency to publish a public dashboard showing the age and condition of equipment at each of its major facilities.

If enacted, the FAA would have to report to Congress every six months on the progress of the upgrades, including a list of facilities still relying on the older systems.

It is not yet clear when the full Senate will take up the measure. A spokesperson for the majority leader said only that the bill was “a priority for this work period,” and House leaders have not committed to a companion bill.

Lawmakers from both parties said they hoped the bill would move quickly, pointing to the busy summer travel season and the risk of further outages. “We have been warned enough times,” one member said.
""",
    ),
    CnnStory(
        key="c02",
        day="2026-05-05",
        section="weather",
        slug="flash-flooding-lower-mississippi-valley-storms",
        headline="Late-season storms threaten flash flooding across the lower Mississippi Valley",
        authors=("Rebecca Lindqvist", "Marcus Hale"),
        stamp="Published",
        stamp_at="2026-05-05 06:30",
        body="""
More than 9 million people from eastern Texas to western Alabama are under flood watches Tuesday as a slow-moving storm system drags waves of heavy rain across ground that is already saturated from a wet April.

Forecasters expect 3 to 5 inches of rain in the hardest-hit areas through Wednesday night, with isolated totals near 8 inches possible where storms repeatedly track over the same communities, a pattern meteorologists call training.

The Weather Prediction Center placed parts of Louisiana and Mississippi under a Level 3 of 4 risk of excessive rainfall – a designation it uses on only a small fraction of days each year, but one that accounts for a large share of flood damage.

Rivers in the region were running high before the latest rain arrived. Several gauges along tributaries of the Pearl and Big Black rivers were already near flood stage Monday, leaving little room for additional runoff.

Severe thunderstorms are also possible. Damaging wind gusts are the main concern, though a few tornadoes cannot be ruled out, especially during the afternoon and evening hours when the atmosphere is most unstable.

Emergency managers urged drivers to avoid flooded roadways. Just 12 inches of moving water can carry away most cars, and flooding at night is particularly dangerous because it is harder to judge the depth of water on a road.

The system is expected to push east by Thursday, bringing a drier and slightly cooler stretch to the South heading into the weekend.
""",
    ),
    CnnStory(
        key="c03",
        day="2026-05-04",
        section="business",
        slug="grocery-prices-shoppers-trade-down",
        headline="Regional grocery chains say price growth is slowing as shoppers trade down",
        authors=("Alicia Brennan",),
        org="CNN Business",
        stamp="Updated",
        stamp_at="2026-05-04 16:18",
        canonical=True,
        body="""
Several regional supermarket chains said this week that food prices in their stores are rising more slowly than at any point in the past two years, even as customers continue to switch to store brands and buy fewer items per trip.

Executives at three chains that together operate roughly 900 stores across the Midwest and Southeast told investors that their average shelf prices rose between 1% and 2% over the past year, compared with increases of 4% or more a year earlier.

“Customers are still stretching every dollar,” one chief executive told analysts on a quarterly earnings call. “We see it in basket sizes, we see it in the shift to our own labels, and we see it in how carefully people are using digital coupons.”

Store brands now account for nearly a quarter of unit sales at some chains, according to figures shared on the calls, up several percentage points from before the pandemic. Private-label products typically carry higher profit margins for retailers, which has helped offset thinner sales growth.

Prices for some staples remain elevated. Beef, coffee and chocolate have all climbed sharply over the past year because of tight supplies, while egg prices have swung widely as farms recovered from outbreaks of bird flu.

Economists watching the industry say slower grocery inflation is welcome news for households but does not mean prices are falling. Food at home still costs substantially more than it did five years ago, and wages for many workers have only recently begun to catch up.

The government’s next consumer price report, due later this month, will offer a broader read on whether the trend the chains describe holds across the country.
""",
    ),
    CnnStory(
        key="c04",
        day="2026-05-04",
        section="science",
        slug="river-of-young-stars-milky-way",
        headline="Astronomers map a ‘river’ of young stars streaming through the Milky Way’s outer disk",
        authors=("Naomi Achterberg",),
        stamp="Published",
        stamp_at="2026-05-04 12:05",
        jsonld=True,
        source_line=True,
        body="""
A loose band of tens of thousands of young stars stretching across nearly 4,000 light-years of the Milky Way’s outer disk has been traced in detail for the first time, astronomers reported Monday.

The structure, which researchers have nicknamed a stellar river, appears to be made of stars that formed at roughly the same time from a chain of gas clouds and have since drifted apart while still moving in the same general direction around the galaxy.

The team combined positions and motions measured by a European space telescope with ground-based observations of the stars’ chemical makeup. Stars born together tend to share a chemical fingerprint, which allowed the researchers to pick out members of the group from a crowded background.

“It’s a little like finding the members of one extended family in a stadium full of strangers,” said the study’s lead author, an astrophysicist at a university in the Netherlands. “Once you know what the family looks like, they start to stand out.”

Most of the stars are between 30 million and 60 million years old, making them youngsters by galactic standards. The sun, by comparison, is about 4.6 billion years old.

The findings, published in a peer-reviewed astronomy journal, could help explain how star-forming regions are stretched and torn apart by the galaxy’s rotation. Similar streams have been found before, but few are as long or contain as many stars.

The researchers said future observations could reveal whether the river is still growing at one end, where clouds of gas and dust remain.
""",
    ),
    CnnStory(
        key="c05",
        day="2026-05-03",
        section="sport",
        slug="rain-shortened-final-round-first-major",
        headline="Rain-shortened final round hands 21-year-old her first major championship",
        authors=("Callum Reyes", "Ingrid Sølvberg"),
        stamp="Updated",
        stamp_at="2026-05-03 21:55",
        first_published="2026-05-03 18:40",
        jsonld=True,
        body="""
Lena Marchetti became the youngest winner of the tournament in more than a decade on Sunday after thunderstorms forced officials to call off the final round with her holding a two-shot lead through 54 holes.

Play was suspended twice in the afternoon as lightning moved through the area, and the course was declared unplayable shortly after 5 p.m. local time when several greens flooded. Under the event’s rules, results revert to the completed rounds when a full round cannot be finished.

“It’s not how I pictured it, sitting in the clubhouse watching the radar,” Marchetti said. “But I played three really good days and I’ll take it. I’m not giving it back.”

The 21-year-old, who turned professional last summer after two seasons in college, had opened with rounds of 68 and 67 before a steady 70 on Saturday kept her ahead of a crowded leaderboard.

Two former champions finished tied for second, and several players who were within four shots of the lead said they were disappointed not to get a chance on Sunday, though none criticized the decision.

Tournament officials said they had considered finishing on Monday, but the forecast called for more storms and the course needed at least a day to drain. The winner receives a full share of the prize money and the ranking points that come with a major title.

Marchetti moves into the top 15 of the world rankings with the victory and secures a place on her country’s team for the international competition later this year.
""",
    ),
    CnnStory(
        key="c06",
        day="2026-05-02",
        section="us",
        slug="vermont-one-room-schoolhouse-vote",
        headline="A small Vermont town votes to keep its one-room schoolhouse open",
        authors=("Hannah Kowalczyk",),
        stamp="Published",
        stamp_at="2026-05-02 10:12",
        canonical=True,
        editor_note="Editor’s Note: This story is part of an occasional CNN series on small communities facing big decisions.",
        body="""
Residents of a hill town of about 400 people in northern Vermont voted 143-61 on Friday night to keep their one-room schoolhouse open for at least three more years, rejecting a proposal to send the town’s 14 elementary students to a larger school 11 miles away.

The vote capped months of debate that filled the town hall on several evenings and spilled onto a local message board. Supporters of closing the school argued that the town could save money and give children access to music teachers, a gym and more classmates their own age.

Those who wanted to keep it open said the school is one of the last places where the whole town gathers, and that a long bus ride on unpaved roads during mud season would be hard on the youngest children.

“My grandmother went to school in that building, and so did I,” said one parent who spoke at the meeting. “I understand the numbers. I also understand what we lose if those doors close.”

The school has a single full-time teacher, a part-time aide and a cook who prepares lunch in a small kitchen at the back of the building. Older students help younger ones with reading, and the whole school takes field trips together.

The state has encouraged small districts to merge in recent years, and only a handful of one-room schools remain in Vermont and neighboring states. Education officials say small schools can perform well but often struggle to recruit teachers and cover the cost of special education services.

Under the measure approved Friday, the town will raise its school budget by about 6% next year and revisit the question in 2029.
""",
    ),
    CnnStory(
        key="c07",
        day="2026-04-30",
        section="world",
        slug="south-atlantic-illegal-fishing-joint-patrols",
        headline="Coastal nations agree on joint patrols to curb illegal fishing in the South Atlantic",
        authors=("Sofia Albuquerque", "Kwame Mensah-Bonsu", "Lucía Ferreyra", "Peter Adeyemi"),
        stamp="Updated",
        stamp_at="2026-04-30 19:07",
        first_published="2026-04-30 08:45",
        jsonld=True,
        canonical=True,
        body="""
Five coastal countries on both sides of the South Atlantic signed an agreement on Thursday to share satellite data and coordinate naval and coast guard patrols aimed at stopping illegal fishing, which officials say drains billions of dollars a year from their economies.

The pact, signed at a regional summit, commits the countries to pool information from vessel-tracking systems and to allow each other’s patrol ships to follow suspected violators across maritime boundaries under agreed rules.

Illegal, unreported and unregulated fishing has long been a problem in the region, where large distant-water fleets operate near the edges of national waters. Vessels sometimes switch off their location transponders for days at a time, making it difficult for authorities to know where they have been fishing.

“No single country can watch this much ocean on its own,” one of the ministers who signed the deal told reporters. “Together we can see more, and we can act faster.”

The agreement creates a joint monitoring center that will be staffed by officers from each country on a rotating basis. Its first task will be to build a shared list of vessels that have been caught fishing illegally or transferring catch at sea without authorization.

Environmental groups welcomed the agreement but said its success would depend on funding. Patrol vessels are expensive to operate, and several of the signatories have struggled to keep their existing fleets at sea.

Fisheries in the region support hundreds of thousands of jobs, from small-scale fishers working from open boats to workers in processing plants. Scientists have warned that some stocks, including species of hake and squid, are under growing pressure.

The countries said they would hold the first joint patrol exercise before the end of the year and invited neighboring states to join the arrangement.
""",
    ),
    CnnStory(
        key="c08",
        day="2026-03-08",
        section="health",
        slug="measles-cases-catch-up-vaccinations",
        headline="Measles cases climb in three states as health officials urge catch-up vaccinations",
        authors=("Meredith Tran", "Oluwaseun Bakare"),
        stamp="Updated",
        # Daylight saving time began at 2 a.m. that day: published EST, updated EDT.
        stamp_at="2026-03-08 11:30",
        first_published="2026-03-08 01:15",
        jsonld=True,
        body="""
Health officials in three states reported new measles cases over the weekend, bringing the number of confirmed infections linked to a cluster that began in late January to 61, most of them in children who had not been vaccinated.

State health departments said the new cases were identified through contact tracing after earlier patients visited a pediatric clinic, a church and two grocery stores while contagious. Officials published lists of the locations and times so that people who may have been exposed could watch for symptoms.

Measles is one of the most contagious diseases known. The virus can linger in the air of a room for up to two hours after an infected person has left, and about nine out of 10 unvaccinated people who are exposed will become infected.

Two doses of the measles, mumps and rubella vaccine are about 97% effective at preventing the disease, according to federal health data. Public health officials are urging parents to check their children’s records and schedule any missed doses.

“If your child is behind on shots, this is the moment to catch up,” a state epidemiologist said at a briefing. “Clinics have added weekend hours, and the vaccine is available at no cost for children who are uninsured.”

Seven patients have been hospitalized, including an infant who was too young to be vaccinated. No deaths have been reported.

Symptoms usually begin with a high fever, cough, runny nose and red, watery eyes, followed several days later by a rash that starts on the face and spreads down the body. Officials asked anyone with symptoms to call ahead before visiting a doctor’s office or emergency room so staff can avoid exposing others.
""",
    ),
    CnnStory(
        key="c09",
        day="2026-02-14",
        section="entertainment",
        slug="lighthouse-keepers-documentary-streaming-spc",
        dated=False,
        headline="Documentary about the last lighthouse keepers heads to streaming after awards-season run",
        authors=("Jonah Whitcombe",),
        stamp="Published",
        stamp_at="2026-02-14 14:20",
        canonical=True,
        body="""
A documentary following the final generation of lighthouse keepers on a remote stretch of the Scottish coast will begin streaming next month, its distributor announced Saturday, after a festival and awards-season run that far exceeded its makers’ expectations.

The 94-minute film, shot over four winters, follows three keepers who stayed on as caretakers after their lighthouses were automated decades ago. It mixes present-day footage with recordings the men made on reel-to-reel tape during long night watches.

The director, who grew up in a fishing village not far from where the film was shot, said she first met one of the keepers while making a short radio piece as a student. “He kept saying nobody would want to watch old men polishing brass,” she said. “I think he’s been proven wrong.”

The film has played at more than 40 festivals and won audience prizes at several of them. Critics have praised its patient pace and its soundtrack, which is built largely from recordings of wind, foghorns and the mechanical clicks of the lamps’ rotating lenses.

Its streaming release will be accompanied by a short companion series about lighthouses in other countries, including Norway, Canada and Japan.

One of the three keepers featured in the film died last year. The filmmakers dedicated the release to him and said part of the proceeds would go to a heritage trust that maintains historic lighthouse buildings.
""",
    ),
    CnnStory(
        key="c10",
        day="2026-01-20",
        section="climate",
        slug="record-cold-snap-power-grids",
        headline="Record cold snap strains power grids from Texas to the Carolinas",
        authors=("Gabriel Estrada", "Yuki Tanabe", "Fiona McAllister"),
        stamp="Updated",
        stamp_at="2026-01-20 23:14",
        first_published="2026-01-20 07:50",
        jsonld=True,
        body="""
Grid operators across the South asked customers to conserve electricity on Tuesday as temperatures plunged to record lows in dozens of cities, pushing demand for heating toward all-time highs for the winter season.

Low temperatures fell into the single digits as far south as northern Louisiana and central Georgia, and wind chills dropped below zero in parts of Texas, Arkansas and Tennessee. At least 40 daily record lows were broken or tied, according to preliminary data from the National Weather Service.

The operator of the Texas grid said it had enough generation to meet demand but warned that reserves would be tight during the early morning hours, when solar power is unavailable and heating demand peaks. It asked large industrial users to reduce consumption if possible.

Utilities in the Carolinas and Tennessee issued similar appeals, asking residents to lower thermostats by a few degrees, delay running dishwashers and clothes dryers, and turn off unnecessary lights between 5 a.m. and 9 a.m.

Officials have spent years winterizing power plants and natural gas equipment after earlier cold-weather emergencies exposed weaknesses, and several utilities said those investments appeared to be paying off. Only scattered outages were reported by Tuesday evening, most caused by ice on power lines rather than shortages of generation.

“The system is being tested, but it is holding,” a spokesperson for one southeastern utility said. “We’re asking for help during a few hours each morning, not all day.”

Warming shelters opened in many cities, and school districts in several states canceled classes or delayed openings because of icy roads and concerns about children waiting at bus stops in dangerous cold.

Temperatures are expected to moderate by the weekend, though forecasters said another push of Arctic air could arrive early next week.
""",
    ),
    CnnStory(
        key="c11",
        day="2025-12-03",
        section="tech",
        slug="chipmakers-smaller-plants-near-customers",
        headline="Chipmakers race to build smaller plants closer to their customers",
        authors=("Rohan Mehta",),
        stamp="Published",
        stamp_at="2025-12-03 09:00",
        body="""
For decades, the semiconductor industry has concentrated production in a handful of enormous factories that cost tens of billions of dollars apiece. Now a growing number of companies are betting on something smaller.

At least a dozen firms have announced plans over the past year for compact chip plants, sometimes called mini-fabs, that can be built in less than half the time of a conventional facility and sited near the automakers, medical device makers and industrial companies that buy their products.

The smaller plants generally make older, less advanced chips — the kind used to control car windows, factory robots and household appliances — rather than the cutting-edge processors found in smartphones and data centers. But those everyday chips were among the hardest to find during supply shortages earlier this decade.

“Our customers told us they would rather have a supplier two hours away than the cheapest supplier on the other side of the world,” the chief executive of one startup building a plant in Ohio said in an interview. “That changed our whole model.”

Analysts say the approach has limits. Smaller plants cannot match the cost per chip of the largest factories, and they still depend on specialized equipment, chemicals and gases that come from a global network of suppliers.

Still, state and local governments have been eager to attract the projects, offering tax breaks and help with the large amounts of water and electricity that chipmaking requires. Several of the new plants are expected to employ between 300 and 800 people each.

The first of the new facilities is scheduled to begin production late next year.
""",
    ),
    CnnStory(
        key="c12",
        day="2025-11-01",
        section="politics",
        slug="early-voting-turnout-off-year-elections",
        headline="Early voting turnout in off-year elections outpaces 2021 in several states",
        authors=("Eleanor Pryce", "Samuel Achebe"),
        stamp="Updated",
        # Published on the last evening of daylight time, updated after clocks fell back.
        stamp_at="2025-11-02 09:45",
        first_published="2025-11-01 18:30",
        jsonld=True,
        canonical=True,
        body="""
More voters have cast early ballots ahead of Tuesday’s off-year elections in several states than at the same point four years ago, according to figures released by state election offices, a sign of heightened interest in races for governor, state legislature and local offices.

In two states holding governor’s races, early in-person and mail ballots returned so far exceed the totals from the comparable point in 2021 by roughly 20%, the data shows. Turnout has also been strong in a handful of closely watched mayoral contests.

Election officials cautioned against reading too much into the early numbers. More voters have grown accustomed to casting ballots before Election Day since the pandemic, which can inflate early totals without necessarily raising overall turnout.

“Early vote is a habit now for a lot of people,” said a political scientist who studies election administration. “The real question is whether these are new voters or people who would have shown up on Tuesday anyway.”

Campaigns in both parties have spent heavily on efforts to encourage supporters to vote early, including text message reminders, door-to-door canvassing and rides to polling places.

Most polling places will be open from 6 a.m. or 7 a.m. until 7 p.m. or 8 p.m. local time on Tuesday. Voters can check their registration status and polling location on their state or county election office websites.

Results in some races may not be known on election night, officials said, because in several states mail ballots postmarked by Election Day can be counted if they arrive within a few days.
""",
    ),
    CnnStory(
        key="c13",
        day="2025-10-14",
        section="travel",
        slug="night-trains-europe-comeback-intl",
        dated=False,
        headline="Night trains are making a comeback in Europe. Here’s what riders should know",
        authors=("Charlotte Duval",),
        stamp="Published",
        stamp_at="2025-10-14 05:00",
        jsonld=True,
        editor_note="Editor’s Note: Prices and schedules in this story were accurate at the time of publication and may change.",
        body="""
After years of cuts, overnight trains are returning to rail maps across Europe, with new routes linking cities such as Brussels, Prague, Stockholm and Zagreb and older services getting refurbished sleeping cars.

Rail operators say demand has been driven by travelers who want to avoid short flights, save the cost of a hotel night and arrive in the center of a city rather than at an airport on its outskirts.

Most night trains offer three main types of accommodation. Seats are the cheapest option but can make for a long night. Couchettes are compartments with four or six fold-down bunks, usually shared with strangers. Sleeper cabins, the most expensive option, hold one to three people and often include a small washbasin or private bathroom.

Booking early matters. Sleeper cabins on popular routes can sell out weeks in advance, especially during school holidays, and prices tend to rise as departure dates approach.

Travelers should also expect the unexpected. Night trains often share busy freight lines and can run late, and some are split or combined at junctions during the night, so passengers should make sure they board the correct car.

“A night train is not a hotel on wheels,” said one rail travel writer. “It is a train, with all the charm and occasional frustration that comes with that. But waking up in a new country never gets old.”

Several operators have announced plans to add routes next year, including connections between Germany and the Iberian Peninsula that would be among the longest overnight journeys on the continent.
""",
    ),
    CnnStory(
        key="c14",
        day="2025-08-21",
        section="us",
        slug="boise-wildfire-evacuations-gusty-winds",
        headline="Wildfire near Boise forces evacuations as crews battle gusty winds",
        authors=("Tyler Brandt", "Ana Lucía Paredes", "Grant Holloway"),
        stamp="Updated",
        stamp_at="2025-08-21 22:37",
        canonical=True,
        source_line=True,
        body="""
A fast-moving wildfire in the foothills north of Boise, Idaho, forced hundreds of residents from their homes Thursday as gusty afternoon winds pushed flames across dry grass and brush toward the edge of several subdivisions.

The fire had burned about 6,200 acres by Thursday evening and was 10% contained, according to the interagency center coordinating the response. No injuries had been reported, and officials said they were still assessing whether any homes had been damaged.

Evacuation orders covered roughly 900 homes, and authorities set up a shelter at a high school gymnasium. Residents of neighborhoods farther from the fire were told to be ready to leave on short notice.

“This is grass fire country, and grass fires move fast,” a fire official said at an evening news briefing. “When we ask you to go, please go. Don’t wait to see the smoke.”

More than 300 firefighters were assigned to the blaze, supported by air tankers and helicopters that dropped water and retardant along ridgelines. Crews worked to strengthen containment lines before winds were forecast to shift Friday afternoon.

The cause of the fire is under investigation. Much of the West has been hotter and drier than normal this summer, and fire officials have warned that grasses that grew tall during a wet spring have now dried out and become fuel.

Air quality alerts were issued for the Boise area through Friday as smoke settled over the valley.
""",
    ),
    CnnStory(
        key="c15",
        day="2025-06-30",
        section="business",
        slug="stocks-first-half-gains-rate-cut-hopes",
        headline="Stocks close out the first half with gains as rate-cut hopes build",
        authors=("Isabel Thornton", "Devin Castellano"),
        org="CNN Business",
        stamp="Updated",
        stamp_at="2025-06-30 17:02",
        first_published="2025-06-30 09:35",
        jsonld=True,
        body="""
US stocks ended the first six months of the year higher on Monday, capping a quarter in which investors shrugged off worries about trade and government debt and focused instead on signs that inflation is cooling enough for the Federal Reserve to cut interest rates.

The broad S&P 500 index and the tech-heavy Nasdaq Composite both finished the half in positive territory, and the Dow Jones Industrial Average posted a smaller gain. All three had fallen sharply in the spring before recovering.

Bond yields drifted lower over the final weeks of June as traders increased bets that the central bank would lower rates at least twice before the end of the year. Lower borrowing costs tend to support stock prices by making it cheaper for companies and consumers to borrow.

“The market has climbed a wall of worry,” said the chief investment strategist at a wealth management firm. “The question for the second half is whether earnings can keep growing fast enough to justify where valuations are.”

Technology companies tied to artificial intelligence again led the gains, though the rally broadened in June to include banks, industrial companies and smaller stocks.

Investors will get a fresh look at the economy later this week, when the government releases its monthly jobs report a day early because of the Independence Day holiday.
""",
    ),
    CnnStory(
        key="c16",
        day="2025-03-21",
        section="science",
        slug="honeybees-recognize-shapes-by-touch",
        headline="Honeybees can learn to recognize simple shapes by touch, study finds",
        authors=("Margot Lefèvre",),
        stamp="Published",
        stamp_at="2025-03-21 14:00",
        body="""
Honeybees that learned to associate a shape with a sugary reward while they could see it were later able to pick out the same shape in complete darkness using only their antennae, researchers reported Friday.

The experiment suggests that bees can combine information from different senses into a single mental picture of an object, an ability once thought to be limited to animals with much larger brains.

In the study, bees were trained to fly to small raised shapes, such as a circle or a cross, placed on a feeding platform. Some bees could see the shapes but not touch them, while others could touch them in the dark but not see them.

When the conditions were reversed, bees that had learned a shape by sight chose the correct one by touch far more often than would be expected by chance – and vice versa.

“A bee brain has fewer than a million neurons,” said one of the study’s authors, a behavioral ecologist. “And yet here they are doing something that, in humans, we would describe as imagining what an object looks like.”

Other researchers cautioned that the bees were tested on a small number of simple shapes and that more work is needed to understand how they process the information.

The findings add to a growing body of research showing that insects are capable of complex learning, including counting small numbers and recognizing patterns.
""",
    ),
    CnnStory(
        key="c17",
        day="2024-11-06",
        section="politics",
        slug="state-legislative-races-ballot-counting",
        headline="Ballot counting stretches into a second day in tight state legislative races",
        authors=("Ruth Abernathy", "Carlos Medina", "Julian Park", "Danielle Osei"),
        stamp="Updated",
        stamp_at="2024-11-06 19:48",
        first_published="2024-11-06 07:15",
        jsonld=True,
        canonical=True,
        body="""
Control of at least two state legislative chambers remained undecided Wednesday as election workers continued counting mail and provisional ballots in a handful of districts where candidates were separated by only a few hundred votes.

Election officials in the affected counties said the pace of counting was normal and in line with state law, which requires them to verify signatures on mail ballots and give voters a chance to fix certain problems before their ballots are counted.

“Accuracy comes before speed,” said the elections director in one county where three close races were still being tallied. “We will count every valid ballot, and we will do it in the open.”

Party leaders in both chambers said they were confident but stopped short of declaring victory. Whichever party wins control will shape decisions on state budgets, redistricting and a range of policy issues in the next two-year session.

Several races appeared headed for automatic recounts, which are triggered in some states when the margin between candidates falls below a set threshold, often half a percentage point.

Observers from both parties watched the counting in several locations, and officials streamed video from tabulation rooms online. No significant problems had been reported by Wednesday evening.

Counties in most states have one to three weeks to certify their results, after which statewide canvassing boards make the outcomes official.
""",
    ),
    CnnStory(
        key="c18",
        day="2024-10-28",
        section="world",
        slug="northern-italy-flooding-displaces-thousands",
        headline="Flooding in northern Italy displaces thousands as rivers crest",
        authors=("Giulia Moretti", "Henry Lawson"),
        stamp="Published",
        stamp_at="2024-10-28 11:24",
        body="""
Thousands of people were forced from their homes across parts of northern Italy on Monday after days of torrential rain sent rivers over their banks, flooding towns, farmland and stretches of highway.

Regional authorities said more than 4,000 residents had been evacuated, many of them in low-lying communities along tributaries of the Po River. Emergency crews used boats and helicopters to reach people trapped in homes and vehicles.

Some areas received more rain in 48 hours than they typically see in two months, according to the regional civil protection agency, which kept its highest alert level in place for several provinces.

Schools were closed in dozens of towns, and rail service was suspended on several regional lines after water covered tracks and damaged signaling equipment.

“We have seen floods here before, but not water rising this quickly,” the mayor of one of the hardest-hit towns told local television. “Within an hour the main square was underwater.”

Farmers’ organizations warned of heavy losses, as floodwaters inundated fields that had recently been planted with winter crops and swept through barns and storage buildings.

Forecasters expected the rain to ease by midweek, but officials said river levels would remain dangerously high for several days as water drained from the mountains.
""",
    ),
    CnnStory(
        key="c19",
        day="2024-07-14",
        section="sport",
        slug="underdog-club-promotion-stoppage-time-winner",
        headline="Underdog club clinches promotion with a dramatic stoppage-time winner",
        authors=("Owen Prescott",),
        stamp="Updated",
        # Filed after midnight: the path date and the stamp date differ.
        stamp_at="2024-07-15 00:52",
        body="""
A club that was playing in a semi-professional regional league just five years ago secured promotion to the country’s second division on Sunday, scoring in the fifth minute of stoppage time to win a playoff final 2-1 in front of a sellout crowd.

The winning goal came from a 19-year-old substitute who had been on the field for less than 10 minutes. His low shot from the edge of the penalty area deflected off a defender and past the diving goalkeeper.

“I just hit it and hoped,” the teenager said afterward, still wearing a scarf thrown to him by a supporter. “I didn’t even see it go in. I only heard the noise.”

The club’s rise has been built on a small budget and a scouting network focused on players released by larger academies. Its stadium holds fewer than 8,000 people and will need upgrades to meet the league’s requirements for next season.

Their opponents had taken the lead early in the second half and appeared on course for victory until a late equalizer from a corner kick sent the match toward its dramatic finish.

Club officials said work on a new stand would begin this month, with temporary seating to be installed in time for the season opener.
""",
    ),
    CnnStory(
        key="c20",
        day="2024-04-11",
        section="science",
        slug="amateur-astronomers-new-comet",
        headline="Amateur astronomers spot a new comet in the pre-dawn sky",
        authors=("Priscilla Nakamura",),
        stamp="Updated",
        stamp_at="2024-04-11 13:36",
        first_published="2024-04-11 10:00",
        jsonld=True,
        source_line=True,
        body="""
Two amateur astronomers working thousands of miles apart have been credited with discovering a new comet that could become faintly visible through binoculars later this spring.

The comet was first spotted in images taken from a backyard observatory in rural Australia and, independently a few hours later, by a retired engineer observing from the mountains of southern Spain. Professional observatories confirmed the discovery within a day.

Comets are named for their discoverers, and this one will carry both observers’ names, according to the international body that catalogs new objects in the solar system.

Early calculations suggest the comet is on a long, looping orbit that brings it into the inner solar system only once every several thousand years. It is expected to make its closest approach to the sun in late May.

“Comets are notoriously hard to predict,” said a planetary scientist who studies them. “Some brighten dramatically as they approach the sun, and some fizzle. We’ll know a lot more in a few weeks.”

Skywatchers hoping to see it should look low in the eastern sky about an hour before sunrise, away from city lights. A pair of binoculars or a small telescope will likely be needed.

Amateur observers continue to play an important role in astronomy, particularly in spotting comets, tracking variable stars and timing the passage of asteroids in front of distant stars.
""",
    ),
    CnnStory(
        key="c21",
        day="2024-02-02",
        section="economy",
        slug="january-jobs-report-wages",
        headline="Hiring picked up in January as wages grew faster than expected",
        authors=("Nadia Kessler", "Brian Oyelaran"),
        stamp="Updated",
        stamp_at="2024-02-02 16:05",
        canonical=True,
        source_line=True,
        body="""
Employers added jobs at a faster pace than economists expected in January, and wages rose at the quickest monthly rate in nearly two years, according to a government report released Friday that showed a labor market still running hot.

The unemployment rate held steady, and hiring was broad-based, with gains in health care, professional services, retail and manufacturing. Revisions to the previous two months also showed more jobs than initially reported.

Average hourly earnings rose 0.6% from December – double the increase economists had forecast – and were up more than 4% from a year earlier. Faster wage growth is good news for workers but can complicate efforts to bring inflation down.

“This is not the cooling that a lot of people were looking for,” said the chief economist at an employment research firm. “Businesses are still hiring, and they’re still paying up to find workers.”

The report could make the Federal Reserve more cautious about cutting interest rates. Central bank officials have said they want to see more evidence that inflation is falling steadily toward their 2% target before lowering borrowing costs.

Stock futures dipped after the report was released as investors pushed back their expectations for the timing of the first rate cut, and yields on government bonds rose.

The number of people working part time because they could not find full-time jobs ticked up slightly, one of the few signs of softness in the report.
""",
    ),
    CnnStory(
        key="c22",
        day="2023-12-19",
        section="health",
        slug="flu-rsv-covid-rising-holiday-travel",
        headline="Flu, RSV and Covid-19 are all rising as holiday travel begins, data shows",
        authors=("Julia Hartmann",),
        stamp="Published",
        stamp_at="2023-12-19 15:45",
        jsonld=True,
        body="""
Three respiratory viruses are spreading at the same time across much of the United States as millions of people prepare to travel for the holidays, according to federal surveillance data released Tuesday.

Emergency department visits for influenza have roughly doubled over the past three weeks, and levels of the virus that causes Covid-19 detected in wastewater samples are climbing in every region of the country. RSV infections, which surged earlier in the fall, remain elevated in young children and older adults.

Doctors said the overlapping waves could strain hospitals that are already busy at this time of year, particularly pediatric units.

“We are seeing a lot of sick kids and a lot of sick grandparents,” said an emergency physician at a large children’s hospital in the Midwest. “The good news is that we have tools to reduce the risk.”

Health officials recommended that everyone 6 months and older get updated flu and Covid-19 vaccines, and that adults 60 and older and pregnant people talk to their doctors about RSV protection. Vaccines take about two weeks to provide their full benefit.

Other steps can help, experts said, including staying home when sick, washing hands often, improving ventilation when gathering indoors and wearing a mask in crowded places such as airports and train stations.

People who develop symptoms should consider getting tested, because antiviral medicines for flu and Covid-19 work best when started within the first few days of illness.
""",
    ),
    CnnStory(
        key="c23",
        day="2023-09-12",
        section="us",
        slug="hurricane-dangerous-surf-east-coast",
        headline="Hurricane churns offshore, bringing dangerous surf and rip currents to the East Coast",
        authors=("Terrence Vaughn", "Mei-Ling Cho", "Patrick Dunleavy"),
        stamp="Updated",
        stamp_at="2023-09-12 22:40",
        first_published="2023-09-12 06:05",
        jsonld=True,
        canonical=True,
        body="""
A powerful hurricane spinning hundreds of miles off the Southeast coast is expected to stay at sea, but it is already sending large swells and life-threatening rip currents toward beaches from Florida to New England, forecasters said Tuesday.

The storm, a Category 3 with maximum sustained winds near 120 mph, was moving slowly north and is forecast to pass well east of the Carolinas later this week before curving toward the open Atlantic.

Even without landfall, the storm is large enough to affect much of the coastline. Waves of 8 to 12 feet were expected along parts of the Outer Banks, and coastal flood advisories were issued for several low-lying areas during high tide.

Lifeguards at many beaches have ended their summer seasons, and officials urged swimmers to stay out of the water. Rip currents can pull even strong swimmers away from shore, and they are difficult to spot from the beach.

“It might be a beautiful sunny day at the beach, but the ocean is not safe,” a National Weather Service meteorologist said. “The danger comes from a storm you can’t even see.”

Forecasters were also monitoring whether the hurricane could affect Bermuda or parts of Atlantic Canada later in the week, depending on the exact path it takes as it turns.

The storm is the latest in an active stretch for the Atlantic hurricane season, which runs through the end of November and typically peaks in mid-September.
""",
    ),
    CnnStory(
        key="c24",
        day="2023-06-05",
        section="entertainment",
        slug="broadway-revival-final-curtain",
        headline="Broadway’s longest-running musical revival announces its final curtain",
        authors=("Lila Fontaine",),
        stamp="Published",
        stamp_at="2023-06-05 13:10",
        editor_note="Editor’s Note: Ticket prices quoted in this story are based on box office listings on Monday.",
        body="""
A revival of a classic musical that has played on Broadway for more than six years will give its final performance in September, its producers announced Monday, ending one of the longest runs for a revival in the history of the Great White Way.

The production, which opened to strong reviews and went on to win several Tony Awards, will have played more than 2,400 performances by the time it closes. Producers said ticket sales had remained steady but that rising operating costs made it difficult to continue.

“Every show has its season, and ours has been longer and happier than any of us dreamed,” the show’s director said in a statement. “We want to go out while the house is still full.”

The revival’s cast has changed many times over the years, and several performers who began in the ensemble went on to play leading roles. Producers said former cast members would be invited back for the closing performance.

A touring production launched last year will continue, with stops planned in more than 30 cities through the end of next year.

Remaining tickets for the Broadway run start at about $79, with premium seats for the final weeks expected to sell quickly.
""",
    ),
)

NPR_STORIES: tuple[NprStory, ...] = (
    NprStory(
        key="n01",
        story_id="nx-s1-5391204",
        section=1014,
        headline="House passes stopgap spending bill, sending it to the Senate with days to spare",
        authors=("Marcus Ellery",),
        published="2025-05-08 17:22",
        body="""
The House voted 228-199 on Thursday to approve a short-term spending bill that would keep the federal government funded through the end of September, sending the measure to the Senate a little more than a week before current funding runs out.

The bill largely extends existing spending levels, with a handful of adjustments for disaster relief and veterans' health care. It passed with support from most members of the majority and a smaller group from the minority party.

<empty>

Leaders in both chambers have said they want to avoid a shutdown, but the timing in the Senate is uncertain. Any single senator can slow the process, and several have said they want votes on amendments before agreeing to move quickly.

Here is what the bill would do:

- Extend current funding for most agencies through Sept. 30
- Add $4 billion for disaster relief programs that were running low after spring storms
- Provide additional money for medical care at veterans' hospitals
- Delay a scheduled cut to payments for community health centers

Lawmakers who opposed the bill said Congress should pass full-year spending bills rather than relying on temporary extensions, a pattern that has become routine in recent years.

"We keep kicking the can, and the can keeps getting bigger," one opponent said on the House floor.

If the Senate passes the measure without changes, it would go to the president, who has signaled that he would sign it.
""",
    ),
    NprStory(
        key="n02",
        story_id="nx-s1-5390877",
        section=1007,
        headline="Why some songbirds are arriving north earlier each spring",
        authors=("Clara Joubert",),
        published="2025-05-07 06:00",
        body="""
Every spring, billions of songbirds leave their wintering grounds in Central and South America and fly north to breed. For some species, that trip is now starting — and ending — earlier than it did a few decades ago.

A new analysis of more than 40 years of records from bird-banding stations across eastern North America finds that about a third of the species studied now arrive at northern breeding sites several days earlier on average than they did in the early 1980s.

The shift is strongest among birds that spend the winter relatively close by, in the southern United States and Mexico. Those birds may be better able to sense warming temperatures farther north and adjust their timing, the researchers say.

Long-distance migrants that winter in South America have shifted much less, which worries some scientists. If insects emerge earlier in northern forests because of warmer springs, birds that arrive on the old schedule could miss the peak of the food supply their chicks depend on.

<empty>

The researchers relied on volunteers and staff at banding stations who catch birds in fine mesh nets, record their species, age and condition, and fit them with small numbered leg bands before releasing them.

What the study found, in brief:

- Species that winter in the southern U.S. shifted the most, arriving up to a week earlier
- Most long-distance migrants changed their timing by two days or less
- Earlier arrival was linked to warmer spring temperatures along the migration route

"These stations are like weather stations for birds," said one of the study's authors. "Nobody could have done this alone. It took thousands of people showing up at dawn for decades."

The team plans to look next at whether the birds' fall departures are changing as well.
""",
    ),
    NprStory(
        key="n03",
        story_id="g-s1-64902",
        section=1006,
        headline="Mortgage rates dip slightly, but many buyers are still waiting on the sidelines",
        authors=("Tamsin Greer", "Luis Ocampo"),
        published="2025-05-07 14:48",
        body="""
Mortgage rates edged lower this week for the second week in a row, offering a small measure of relief to home shoppers heading into what is traditionally the busiest season for the housing market.

The average rate on a 30-year fixed mortgage slipped to just under 6.8%, according to a weekly survey of lenders. That is down from a peak above 7% earlier in the year but still far higher than the rates of around 3% that many homeowners locked in several years ago.

Those low rates have created what economists call a lock-in effect. Homeowners who would otherwise sell are staying put rather than give up a cheap mortgage, which keeps the number of homes for sale low and prices high.

<empty>

Real estate agents say buyers are still out looking but are slower to make offers. "People are doing the math on every listing," said an agent in suburban Denver. "A quarter of a point on the rate can be the difference between yes and no."

Some builders are trying to fill the gap by offering incentives, such as paying to lower a buyer's interest rate for the first few years of a loan. New homes account for a larger share of sales than usual as a result.

Economists expect rates to stay in a fairly narrow range in the coming months unless there is a significant change in the outlook for inflation or the broader economy.
""",
    ),
    NprStory(
        key="n04",
        story_id="nx-s1-5389410",
        section=1128,
        headline="Rural hospitals lean on traveling nurses to cover the night shift, and the bills add up",
        authors=("Delia Moreno",),
        published="2025-05-06 16:10",
        wrap_title=True,
        body="""
ANDRE COLLIER, HOST: Hospitals in rural America have struggled for years to hire enough nurses. Many now rely on traveling nurses who sign short contracts and move from place to place. Delia Moreno reports on what that means for patients and for the nurses who stay.

DELIA MORENO, BYLINE: It's just after 11 at night at a 25-bed hospital in western Kansas, and the charge nurse is walking the hallway with a clipboard. Half of the nurses on tonight's shift are on contracts of 13 weeks or less.

(SOUNDBITE OF MONITOR BEEPING)

UNIDENTIFIED NURSE: You get to know them, and then they're gone. But without them, we'd be closing beds.

MORENO: Hospital administrators say travel nurses can cost twice as much per hour as staff nurses once agency fees are included. The hospital's chief executive says that money is coming out of other parts of the budget.

UNIDENTIFIED HOSPITAL EXECUTIVE: We've delayed replacing equipment. We've put off a roof repair. Every dollar we spend on agency staffing is a dollar we can't spend somewhere else.

<empty>

MORENO: Some states are trying to help by offering student loan forgiveness to nurses who commit to working in rural areas for several years. Nursing schools in the region have also added evening and weekend classes for people who want to switch careers.

MORENO: Back on the night shift, a travel nurse from Oregon says she likes the work and the chance to see different parts of the country. She has already signed up for another 13 weeks here. For NPR News, I'm Delia Moreno in western Kansas.
""",
    ),
    NprStory(
        key="n05",
        story_id="1249901733",
        section=1008,
        headline="An Ohio quilting circle turns family stories into art",
        authors=("Harriet Sandoval",),
        published="2024-11-15 05:00",
        body="""
Every Tuesday morning for the past 31 years, a group of women has gathered in the basement of a public library in a small Ohio town to sew, drink coffee and talk.

What started as a way to pass a long winter has turned into something else: a growing collection of quilts that tell the stories of the members' families, one block at a time.

One quilt traces a grandmother's journey from a farm in Kentucky to a factory job in Dayton. Another is stitched from the work shirts of a member's late husband, with each pocket left intact.

<empty>

"People think of quilts as blankets," said the group's longest-serving member, who is 84. "They are. But they are also the only diaries some of our mothers ever kept."

This fall, a regional art museum displayed 22 of the quilts in an exhibition that drew visitors from several states. Museum staff recorded interviews with each quilter, and visitors could listen to the stories on headphones while looking at the work.

The group has started teaching a class for teenagers, who bring in photographs and old T-shirts to turn into quilt blocks of their own.

"They come in not knowing how to thread a needle," one member said. "By the end, they know something about their own families that they didn't know before."
""",
    ),
    NprStory(
        key="n06",
        story_id="g-s1-33718",
        section=1003,
        headline="Fishermen and scientists team up to count seabirds off Alaska",
        authors=("Peter Lindgren",),
        # Two days after clocks sprang forward.
        published="2024-03-12 10:30",
        body="""
In the Bering Sea, the crew of a commercial fishing boat is doing double duty. Between hauling in their catch, they are counting seabirds.

The crew is part of a program that trains fishermen to record the number and species of birds they see during regular trips, adding to data collected by a small number of research vessels that cannot be everywhere at once.

Seabirds are considered a signal of the health of the ocean. When their numbers drop suddenly, it can mean that the small fish and plankton they eat are in short supply — something that also matters to the fish the boats are trying to catch.

Scientists running the program say the fishermen's observations have already helped them document a large die-off of one species after an unusually warm winter.

"They are out there in weather we would never send a research ship into," said a biologist who helps run the program. "And they know these waters better than anyone."

Participating crews use a simple tablet app to log sightings, and the data is shared publicly after it has been checked.
""",
    ),
    NprStory(
        key="n07",
        story_id="1198440261",
        section=1039,
        headline="A jazz pianist revisits the songs her grandmother taught her",
        authors=("Nora Whitlock",),
        published="2023-12-01 16:45",
        body="""
RAFAEL DUNN, HOST: The pianist Odessa Grant grew up in a house where music was always playing. Her grandmother, a church organist, taught her hymns and old standards on an upright piano in the living room. On her new album, Grant returns to those songs. Nora Whitlock has more.

(SOUNDBITE OF PIANO MUSIC)

NORA WHITLOCK, BYLINE: The album opens with a hymn that Odessa Grant says she learned before she could read music. She plays it slowly, almost exactly the way her grandmother did — at first.

ODESSA GRANT: And then I let it go somewhere else. That was the deal we had. She'd play it straight, and then she'd say, now you show me where it wants to go.

WHITLOCK: Grant recorded the album in two days in a small studio, with a bassist and a drummer she has played with for more than a decade. Most of the tracks are first takes.

<empty>

GRANT: I didn't want it to be too polished. My grandmother's piano was always a little out of tune, and somehow that was part of the sound.

WHITLOCK: Grant will tour the album this winter, starting in the city where her grandmother played the organ every Sunday for 40 years. For NPR News, I'm Nora Whitlock.
""",
    ),
    NprStory(
        key="n08",
        story_id="1231006540",
        section=1003,
        headline="Lake-effect snow buries towns along Lake Erie's eastern shore",
        authors=("Gideon Marsh",),
        published="2024-01-18 13:15",
        body="""
Some communities south of Buffalo, N.Y., were digging out Thursday from more than 3 feet of snow after bands of lake-effect snow parked over the same towns for nearly two days.

Lake-effect snow forms when cold air moves over the relatively warm water of the Great Lakes, picking up moisture that falls as heavy snow once it reaches land. The bands can be narrow, so one town can get buried while another a few miles away sees only flurries.

<empty>

Local officials imposed travel bans on several roads, and a section of the state Thruway was closed for hours while crews cleared stranded trucks.

"You just keep shoveling," said a resident who had cleared his driveway three times since Tuesday. "By the time you get to the end, the beginning is covered again."

Schools were closed for a second day, and some businesses opened late. Snowfall was expected to taper off Thursday night as the winds shifted.
""",
    ),
    NprStory(
        key="n09",
        story_id="nx-s1-5201467-e1",
        section=1014,
        headline="States weigh new rules for ballot drop boxes ahead of the 2026 midterm elections",
        authors=("Renata Falk", "Owen Bristow"),
        published="2024-11-25 15:40",
        wrap_title=True,
        body="""
Lawmakers in at least a dozen states are preparing bills for next year's legislative sessions that would change how ballot drop boxes are used, from where they can be placed to how often they must be emptied and who must watch them.

Drop boxes became widespread during the 2020 election, when many states expanded mail voting because of the pandemic. Since then, some states have added rules limiting their use, while others have made them a permanent part of elections.

[related:n11]

Election officials say the details matter. Requirements for round-the-clock video surveillance, for example, can be expensive for small counties, and rules on the hours when boxes are open can affect voters who work late shifts.

<empty>

"Most voters don't think about drop boxes until they need one," said a county clerk in the Upper Midwest. "Then they want to know it's there, it's secure and their ballot is going to get counted."

Supporters of tighter rules argue they will increase public confidence in elections. Opponents say the boxes have a strong security record and that new restrictions could make it harder for some people to vote.

Some of the proposals under discussion:

- Requiring each county to offer at least one drop box for a set number of registered voters
- Limiting drop boxes to government buildings with staff present
- Requiring two election workers from different parties to collect ballots together

Most legislatures convene in January, and election officials have asked lawmakers to finish any changes well before the 2026 primaries so workers can be trained on new procedures.
""",
    ),
    NprStory(
        key="n10",
        story_id="1185220419",
        section=1007,
        headline="Heat wave pushes ocean temperatures off Florida to record levels",
        authors=("Ines Calloway",),
        published="2023-07-20 11:05",
        body="""
Water temperatures in parts of Florida Bay have climbed into the mid-90s Fahrenheit this week, levels that marine scientists say are among the highest ever recorded in the area and could be deadly for coral reefs.

A buoy in the shallow waters between the Florida Keys and the mainland recorded a reading above 96 degrees on Monday evening. Shallow water heats up quickly under intense sun and light winds, and it has had little chance to cool off overnight during weeks of hot weather.

Coral reefs are especially vulnerable. When water stays too warm for too long, corals expel the algae that live in their tissues and give them their color, a process called bleaching. Bleached corals can recover if temperatures drop, but prolonged heat can kill them.

[related:n16]

Some restoration groups have begun moving young corals from offshore nurseries to tanks on land to protect them until the water cools.

<empty>

"We're essentially running an evacuation," said the director of one coral restoration program. "It's not how we wanted to spend the summer, but these are years of work we're trying to save."

Forecasters expect the hot pattern to continue for at least another week.
""",
    ),
    NprStory(
        key="n11",
        story_id="985120447",
        section=1014,
        headline="Counties that expanded mail voting in 2020 weigh which changes to keep",
        authors=("Wendell Ashby",),
        published="2021-04-08 13:04",
        body="""
Election offices that scrambled to expand mail voting during the pandemic last year are now deciding which of those changes to make permanent, as state legislatures across the country debate new voting laws.

In many counties, the changes included extra drop boxes, prepaid return postage and online tools that let voters track their ballots from the moment they are mailed to the moment they are counted.

Local election officials say some of those tools were popular with voters of all political leanings and relatively inexpensive to keep. Others, such as hiring temporary staff to process a flood of mail ballots, would be harder to afford in a normal year.

<empty>

"The ballot tracking was the thing people loved," said the elections director in one county in Colorado. "We got more thank-you emails about that than anything we've ever done."

But decisions about many of the changes are not up to local officials. State lawmakers set most rules for how elections are run, and dozens of bills that would expand or restrict mail voting have been introduced this year.

Election officials have urged legislators to decide early, so that there is time to update procedures, train workers and inform voters before the next election.
""",
    ),
    NprStory(
        key="n12",
        story_id="nx-s1-5302558",
        section=1055,
        headline="College softball's pitching boom is reshaping the game",
        authors=("Cody Ferraro",),
        published="2025-02-27 07:00",
        body="""
College softball has never had so many pitchers who can throw this hard. Coaches say year-round training, video analysis and radar guns at youth tournaments have produced a generation of pitchers who reach speeds that were rare a decade ago.

Because the pitching distance in softball is much shorter than in baseball, a 70 mph pitch gives a batter about the same reaction time as a fastball in the high 90s in the major leagues.

Hitters are adjusting. Teams now practice against pitching machines set to top speeds and use slow-motion video to study pitchers' release points.

<empty>

"Ten years ago, you'd see one pitcher like that in a weekend," said a longtime coach at a Southern university. "Now you see one every game."

Some coaches worry about injuries as pitchers throw harder and more often. The sport's governing bodies have begun collecting data on pitch counts, though there are no formal limits at the college level.

The college season runs through the spring, with the championship series scheduled for early June.
""",
    ),
    NprStory(
        key="n13",
        story_id="g-s1-47123",
        section=1006,
        headline="Egg prices climb again as bird flu spreads to more flocks",
        authors=("Yvonne Castellanos",),
        published="2025-01-09 12:20",
        body="""
Egg prices are rising again as an outbreak of avian influenza continues to spread through commercial poultry farms, forcing producers to cull millions of laying hens.

Wholesale prices for a dozen large eggs have climbed sharply since November, and grocery shoppers are starting to see the increase on store shelves. Some stores have put limits on how many cartons each customer can buy.

When bird flu is detected on a farm, the entire flock is usually destroyed to stop the virus from spreading. Large egg farms can house more than a million birds, so a single outbreak can have a noticeable effect on supply.

What shoppers can expect, according to agricultural economists:

- Prices are likely to stay high until farms can rebuild their flocks, which takes months
- Cage-free and specialty eggs may see smaller increases than conventional eggs
- Restaurants and bakeries are paying more as well, which could show up in menu prices

<empty>

Federal officials say the risk to the public from the virus remains low and that properly cooked eggs and poultry are safe to eat.

Farmers say the cost of biosecurity — restricting visitors, disinfecting vehicles and changing clothing between barns — has risen along with the outbreaks. "We're doing everything we know how to do," said one producer in Iowa. "Sometimes it isn't enough."
""",
    ),
    NprStory(
        key="n14",
        story_id="nx-s1-5355012",
        section=1008,
        headline="Public libraries are lending more than books: tools, telescopes and seeds",
        authors=("Amara Quinlan",),
        published="2025-04-03 09:30",
        body="""
At a public library in suburban Minneapolis, patrons can check out a cordless drill, a sewing machine, a telescope or a packet of tomato seeds, along with the usual books and movies.

Collections of unusual items, sometimes called libraries of things, have spread to hundreds of library systems around the country. Librarians say the idea fits the institution's original purpose: sharing resources that people might not be able to buy on their own.

Among the most popular items at many libraries:

- Kitchen equipment, such as stand mixers and canning supplies
- Outdoor gear, including tents, snowshoes and fishing rods
- Technology, such as portable hotspots and laptops
- Musical instruments, from ukuleles to keyboards

<empty>

Seed libraries work a little differently. Gardeners take seeds in the spring and are encouraged to save seeds from their harvest and return them in the fall, so the collection grows over time.

"People come in for a telescope and leave with a library card and a stack of books about astronomy," said one branch manager. "That's the best outcome we could ask for."

Librarians say the biggest challenge is space. Bulky items need room on shelves, and some need to be cleaned or inspected between loans.
""",
    ),
    NprStory(
        key="n15",
        story_id="nx-s1-5372290",
        section=1128,
        headline="How sleep changes in the first year of retirement, according to a new study",
        authors=("Farah Whitlow",),
        published="2025-04-22 18:05",
        body="""
People who retire tend to sleep longer and go to bed later, at least at first, according to a new study that followed more than 2,000 older workers in several countries before and after they left their jobs.

Using data from wrist-worn activity trackers, researchers found that participants gained about 25 minutes of sleep per night on average during their first year of retirement. Most of that came from waking up later, rather than going to bed earlier.

The change was largest among people who had worked early-morning shifts or had long commutes.

<empty>

"For many people, retirement is the first time in 40 years they haven't needed an alarm clock," said one of the researchers. "The body seems to take advantage of that."

The extra sleep did not last for everyone. After the first year, sleep duration for many participants drifted back toward its earlier level, and some reported more trouble falling asleep.

The researchers say the findings suggest retirement could be a good time to set up healthy sleep habits, such as keeping a regular schedule and staying physically active during the day.
""",
    ),
    NprStory(
        key="n16",
        story_id="1126733951",
        section=1004,
        headline="Volunteers in a Greek village rebuild stone terraces washed away by storms",
        authors=("Thea Manolakis",),
        published="2022-10-21 04:00",
        body="""
On a steep hillside on a Greek island, a group of volunteers is passing stones from hand to hand, rebuilding walls that have held the soil in place for centuries.

The dry-stone terraces, built without mortar, turn slopes into narrow strips of flat land where farmers have grown olives, grapes and grain for generations. Many were damaged last winter when a series of heavy storms sent water and mud pouring down the mountainside.

The volunteers include retirees from the village, university students and visitors from other countries who signed up through a heritage organization. Older residents who learned the craft as children are teaching the newcomers how to choose and place each stone.

<empty>

"Every stone has a right place," said one of the village's oldest builders, who is 79. "You don't force it. You turn it until it fits."

Researchers say well-maintained terraces also help reduce erosion and flooding by slowing the flow of water downhill. Abandoned terraces, by contrast, can collapse and send soil and rock onto roads and houses below.

The group hopes to restore about a kilometer of walls before the rainy season returns.
""",
    ),
)

if __name__ == "__main__":
    sys.exit(main())
