"""Rendering for the terminal: run summaries (histories and diffs: newsarchive/history_view.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def print_summary(console: Console, summary: dict[str, Any], data_dir: Path) -> None:
    title = f"run {summary['run_id']}" + (
        " (interrupted)" if summary.get("status") == "interrupted" else ""
    )
    table = Table(title=title, show_header=False, title_justify="left", min_width=len(title))
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("pages fetched", str(summary["pages_fetched"]))
    table.add_row("new articles", str(summary["articles_new"]))
    table.add_row("new versions", str(summary["versions_new"]))
    table.add_row("unchanged", str(summary["unchanged"]))
    errors = summary.get("errors") or {}
    table.add_row("errors", str(summary["errors_total"]))
    for outcome, n in errors.items():
        table.add_row(f"  {outcome}", str(n), style="red")
    table.add_row("WARC bytes", f"{summary['warc_bytes']:,}")
    _discovery_rows(table, summary)
    console.print(table)
    for warning in summary.get("warnings") or []:
        console.print(Text("warning: " + warning, style="yellow"), soft_wrap=True)
    for rel in summary.get("warc_files") or []:
        console.print(f"WARC    {data_dir / rel}", highlight=False, soft_wrap=True)
    if summary.get("records_file"):
        console.print(f"records {summary['records_file']} ({summary['records_written']} new versions)",
                      highlight=False, soft_wrap=True)  # fmt: skip


def _discovery_rows(table: Table, summary: dict[str, Any]) -> None:
    """Per site: links its listings matched, followed, and dropped by each rule."""
    for report in summary.get("sites") or []:
        found = report.get("discovery")
        if not found:
            continue
        site = Text(f"links on {report.get('site')}")  # user-configured names stay text, not markup
        dropped = found.get("dropped") or {}
        table.add_row(site, f"{found['matched']} matched · {found['followed']} followed · "
                            f"{sum(dropped.values())} dropped")  # fmt: skip
        for rule, n in dropped.items():
            table.add_row(f"  dropped: {rule}", str(n))
