"""The dataset card written beside every export: what is in it, where it came from, how it
was made, and what each site said about reuse."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archive.export.markdown import md_code, md_text, md_url
from archive.export.rows import ExportFilter, ExportStats, export_iso
from archive.export.schema import Column
from archive.export.site_signals import SiteSignals

FORMAT_NOTES = {
    "jsonl": "JSON Lines, UTF-8: one object per row; timestamps are ISO 8601 UTC strings.",
    "parquet": "Parquet (zstd), row groups of 5,000 rows; the Arrow schema below, timestamps as "
               "timestamp[us, UTC], lists as list<string>.",
    "csv": "CSV (RFC 4180, UTF-8, header row); lists and structs are JSON strings "
           "(`[\"A. Writer\", \"B. Writer\"]`), timestamps ISO 8601 UTC, null is an empty field.",
    "wacz": "WACZ 1.1.1: the WARC files, a CDXJ index, pages/pages.jsonl and datapackage.json; "
            "opens in ReplayWeb.page.",
}  # fmt: skip


@dataclass
class CardInfo:
    """Everything the card says, gathered by the exporter."""

    title: str
    format: str
    view: str
    filename: str
    columns: Sequence[Column]
    stats: ExportStats
    filter: ExportFilter
    sites: Sequence[SiteSignals]
    software: str
    command: str
    created_at: datetime
    extra_counts: dict[str, int] | None = None
    csv_raw: bool = False


def card_path(out: Path) -> Path:
    """`<out name>.md` beside the export."""
    return out.with_name(out.name + ".md")


def _date(moment: datetime | None) -> str:
    return export_iso(moment) if moment else "—"


def _cell(text: str) -> str:
    """A table cell of our own text (the schema)."""
    return text.replace("|", "\\|").replace("\n", " ")


def _selection(flt: ExportFilter) -> str:
    """ExportFilter.describe with the site names (user input) escaped."""
    parts = []
    if flt.sites:
        parts.append("sites " + ", ".join(md_text(s) for s in flt.sites))
    if flt.since:
        parts.append(f"captured since {export_iso(flt.since)}")
    if flt.until:
        parts.append(f"captured until {export_iso(flt.until)}")
    return "; ".join(parts) or "everything"


def _csv_note(info: CardInfo) -> list[str]:
    if info.format != "csv":
        return []
    if info.csv_raw:
        return [
            "Text cells are written as they are (`--csv-raw`): a cell starting with `=`, `+`, `-` or `@` "
            "is a live formula in a spreadsheet. Open this file as data (pandas, csv), not in a spreadsheet.",
            "",
        ]
    return [
        "Spreadsheet safety: text cells that start with `=`, `+`, `-`, `@`, a tab or a carriage return "
        "(which a spreadsheet would run as a formula) are written with a `'` in front (OWASP's advice "
        "against CSV injection); strip that one leading `'` to get the site's text, or export with "
        "`--csv-raw`.",
        "",
    ]


def render_card(info: CardInfo) -> str:
    s = info.stats
    lines = [
        f"# {md_text(info.title)}",
        "",
        f"{md_code(info.filename)}: {FORMAT_NOTES[info.format]}",
        "",
        *_csv_note(info),
        "## Contents",
        "",
        f"- view: `{info.view}` — "
        + ("one row per article, its newest version (the columns of a JSON record)"
           if info.view == "latest" else "one row per article version (NewsEdits shape)")
        + (" (WARC captures of those rows' articles)" if info.format == "wacz" else ""),
        f"- selection: {_selection(info.filter)}",
        f"- rows: {s.rows}",
        f"- articles: {s.articles}",
        f"- sites: {len(s.per_site)}",
        f"- captured: {_date(s.first_captured)} to {_date(s.last_captured)}",
        f"- published (as the pages declare): {s.first_published or '—'} to {s.last_published or '—'}",
        "- dates keep the precision the pages give them: a time of day in `published_at` / "
        "`modified_at` (UTC), a day without a time in `published_date` / `modified_date` "
        "(never an invented midnight; `dates_precision` says which)",
    ]  # fmt: skip
    for name, value in (info.extra_counts or {}).items():
        lines.append(f"- {name}: {value}")
    lines += ["", "| site | rows | articles |", "|---|---:|---:|"]
    for site, counts in sorted(s.per_site.items()):
        lines.append(f"| {md_text(site)} | {counts['rows']} | {counts['articles']} |")
    lines += ["", "## Extractors", ""]
    lines.append("The extractor that made each row (parser, a hash of its rules, software versions); "
                 "`reextract` rows are captures read again by a newer extractor, not edits.")  # fmt: skip
    lines += ["", "| extractor | rows |", "|---|---:|"]
    for label, n in sorted(s.extractors.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"| {md_text(label)} | {n} |")
    if s.changes:
        lines += [
            "",
            "rows by change: "
            + ", ".join(f"{md_text(c)} {n}" for c, n in sorted(s.changes.items())),
        ]
    lines += ["", "## Sources and terms", ""]
    lines.append("Each site's terms of use apply to its content; check them before redistributing "
                 "or training on this data.")  # fmt: skip
    lines.append("")
    # Everything below comes from the sites (headers, robots.txt, pages) or the config:
    # escaped (archive/export/markdown.py), so it reads as text and never renders as HTML or links.
    for sig in info.sites:
        lines.append(f"### {md_text(sig.site)}")
        lines.append("")
        lines.append(
            f"- terms of use: {md_url(sig.terms_url) if sig.terms_url else 'unknown (none configured)'}"
        )
        lines.append(f"- robots.txt: {sig.robots_summary()}")
        if sig.x_robots_tag:
            lines.append(f"- X-Robots-Tag seen: {'; '.join(md_text(t) for t in sig.x_robots_tag)}")
        lines.append(
            f"- noai / noimageai signals: {'; '.join(md_text(n) for n in sig.noai) if sig.noai else 'none seen'}"
        )
        lines.append("")
    if info.format != "wacz":
        lines += ["## Schema", "", "| column | type | description |", "|---|---|---|"]
        for c in info.columns:
            lines.append(f"| `{c.name}` | {_cell(c.label)} | {_cell(c.description)} |")
        lines.append("")
    lines += [
        "## How it was made",
        "",
        f"- software: {info.software}",
        f"- command: {md_code(info.command)}",
        f"- created: {export_iso(info.created_at)}",
        "- source: WARC files captured by newsarchive (Scrapy + warcio); text and metadata "
        "extracted with trafilatura and per-site rules; a new version is recorded only when "
        "the normalised title, authors or text change.",
        "",
    ]
    if info.format in ("parquet", "jsonl"):
        lines += [
            "## Loading",
            "",
            "```python",
            "import pyarrow.parquet as pq; table = pq.read_table(PATH)"
            if info.format == "parquet" else
            "import pandas as pd; df = pd.read_json(PATH, lines=True)",
            f'from datasets import load_dataset; ds = load_dataset("{"parquet" if info.format == "parquet" else "json"}", data_files=PATH)',
            "```",
            "",
        ]  # fmt: skip
    return "\n".join(lines)
