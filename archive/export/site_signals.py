"""What each site said about automated use, as seen during crawling: robots.txt rules for
AI-training crawlers, `X-Robots-Tag` / `noai` signals. Read from the archived responses."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protego import Protego
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from archive import catalog_schema as t
from archive.catalog import Catalog, utc
from archive.export.markdown import md_text, md_url

# User-agent tokens of crawlers that collect AI training data (or feed AI answers).
AI_CRAWLERS = (
    "GPTBot", "ChatGPT-User", "OAI-SearchBot", "CCBot", "Google-Extended", "anthropic-ai",
    "ClaudeBot", "Claude-Web", "PerplexityBot", "Bytespider", "Applebot-Extended",
    "meta-externalagent", "Amazonbot", "cohere-ai", "Diffbot", "omgili", "FacebookBot",
    "ImagesiftBot", "Timpibot", "YouBot",
)  # fmt: skip
_NOAI = re.compile(r"\bno(?:image)?ai\b", re.IGNORECASE)
_META_ROBOTS = re.compile(rb"<meta[^>]+name=[\"']?robots[\"']?[^>]*>", re.IGNORECASE)
_MAX_READ = 2_000_000


@dataclass
class RobotsRules:
    """A robots.txt as Protego reads it (the parser the crawl obeys: crawler/robots.py)."""

    parser: Protego

    @classmethod
    def parse(cls, text: str) -> RobotsRules:
        return cls(Protego.parse(text))

    def blocks_all(self, agent: str) -> bool:
        """The rules that apply to `agent` (its own group, else `*`) disallow the whole
        site: its root and any path. `"*"` asks about the `*` group alone."""
        return not any(self.parser.can_fetch(f"https://site.invalid{path}", agent)
                       for path in ("/", "/any/path"))  # fmt: skip


@dataclass
class SiteSignals:
    """One site's signals for the dataset card."""

    site: str
    terms_url: str | None = None
    robots_url: str | None = None
    robots_status: int | None = None
    robots_fetched_at: str | None = None
    ai_disallowed: list[str] = field(default_factory=list)
    all_disallowed: bool = False
    x_robots_tag: list[str] = field(default_factory=list)
    noai: list[str] = field(default_factory=list)
    recorded: dict[str, str] = field(default_factory=dict)
    # Why the archived robots.txt could not be read (never reported as "no rules").
    robots_unreadable: str | None = None

    def robots_summary(self) -> str:
        """One line of Markdown; the URL escaped (archive/export/markdown.py)."""
        if self.robots_url is None:
            return "not seen"
        when = f" (fetched {self.robots_fetched_at})" if self.robots_fetched_at else ""
        url = md_url(self.robots_url)
        if self.robots_unreadable is not None:
            return f"{url}{when}: unreadable: {md_text(self.robots_unreadable)}"
        if self.robots_status != 200:
            return f"{url}: HTTP {self.robots_status}, no rules{when}"
        parts = []
        parts.append(
            "`*` disallows the whole site" if self.all_disallowed else "`*` not disallowed"
        )
        if self.ai_disallowed:
            parts.append("AI crawlers disallowed: " + ", ".join(self.ai_disallowed))
        else:
            parts.append("no AI crawler disallowed by name")
        return f"{url}{when}: " + "; ".join(parts)


class _Unreadable(Exception):
    """The archived record could not be read; the message says why, in one line."""


def _read_record(data_dir: Path, relpath: str | None, offset: int,
                 capture: dict[str, Any] | None = None,
                 fetch: Callable[[str, int, int], bytes] | None = None) -> tuple[dict[str, str], bytes]:  # fmt: skip
    """HTTP headers (lower-cased names) and body, content-coding removed, of the record at
    `offset`; from S3 by byte range (`fetch`) when the local WARC was deleted after a verified
    upload. Raises `_Unreadable` with the reason."""
    from archive.content_coding import PayloadDecodingError, decode_payload

    if relpath is None:
        raise _Unreadable("its WARC file is unknown to the catalog")
    path = data_dir / relpath
    try:
        if (
            not path.exists()
            and fetch is not None
            and capture is not None
            and capture.get("warc_length")
        ):
            fh: Any = io.BytesIO(fetch(capture["warc_filename"], offset, capture["warc_length"]))
        else:
            fh = open(path, "rb")  # noqa: SIM115
            fh.seek(offset)
        with fh:
            for record in ArchiveIterator(fh):
                headers: dict[str, str] = {}
                if record.http_headers is not None:
                    for name, value in record.http_headers.headers:
                        key = name.lower()
                        headers[key] = f"{headers[key]}, {value}" if key in headers else value
                raw = record.raw_stream.read(_MAX_READ)
                return headers, decode_payload(raw, headers.get("content-encoding"))
    except PayloadDecodingError as exc:
        raise _Unreadable(f"the body cannot be decoded ({exc})") from None
    except Exception as exc:  # noqa: BLE001 — never a failed export: the card says why
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise _Unreadable(f"the WARC record cannot be read ({detail})") from None
    raise _Unreadable(f"no record at offset {offset} of {relpath}")


def _latest_capture(conn: Any, site: str, kind: str) -> dict[str, Any] | None:
    c = t.captures.c
    query = (
        select(c.url, c.status, c.fetched_at, c.warc_offset, c.warc_length, c.warc_filename,
               t.warc_files.c.relpath)
        .select_from(t.captures.join(t.warc_files, t.warc_files.c.filename == c.warc_filename))
        .where(c.site == site, c.kind == kind, c.record_type == "response", c.warc_offset.is_not(None))
        .order_by(c.id.desc()).limit(1)
    )  # fmt: skip
    row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def site_signals(catalog: Catalog, data_dir: Path, site: str, terms_url: str | None = None,
                 fetch: Callable[[str, int, int], bytes] | None = None) -> SiteSignals:  # fmt: skip
    """The newest archived robots.txt of `site`, read from its WARC, plus cheap `noai`
    signals of its newest article response, plus any signals the catalog recorded."""
    signals = SiteSignals(site, terms_url=terms_url)
    with catalog.engine.connect() as conn:
        robots = _latest_capture(conn, site, "robots")
        article = _latest_capture(conn, site, "article")
        recorded = conn.execute(
            select(t.site_signals.c.name, t.site_signals.c.value).where(
                t.site_signals.c.site == site
            )
        ).all()
    signals.recorded = {name: value for name, value in recorded if value is not None}
    if robots is not None:
        signals.robots_url = robots["url"]
        signals.robots_status = robots["status"]
        fetched = utc(robots["fetched_at"])
        signals.robots_fetched_at = fetched.strftime("%Y-%m-%d %H:%M UTC") if fetched else None
        if robots["status"] == 200:
            try:
                read = _read_record(
                    data_dir, robots["relpath"], robots["warc_offset"], robots, fetch
                )
            except _Unreadable as exc:
                signals.robots_unreadable = str(exc)
            else:
                rules = RobotsRules.parse(read[1].decode("utf-8", "replace"))
                signals.all_disallowed = rules.blocks_all("*")
                signals.ai_disallowed = [bot for bot in AI_CRAWLERS if rules.blocks_all(bot)]
    for capture in (robots, article):
        if capture is None:
            continue
        try:
            headers, body = _read_record(
                data_dir, capture["relpath"], capture["warc_offset"], capture, fetch
            )
        except _Unreadable:
            continue  # robots.txt says so above; an article's signals are only looked for
        tag = headers.get("x-robots-tag")
        if tag and tag not in signals.x_robots_tag:
            signals.x_robots_tag.append(tag)
            if _NOAI.search(tag):
                signals.noai.append(f"X-Robots-Tag: {tag} ({capture['url']})")
        if capture is article:
            for meta in _META_ROBOTS.findall(body[:200_000]):
                text = meta.decode("latin-1")
                if _NOAI.search(text):
                    signals.noai.append(f"{text} ({capture['url']})")
    return signals
