"""Rendering for the terminal: run summaries, on-demand results, histories and diffs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def print_summary(console: Console, summary: dict[str, Any], data_dir: Path) -> None:
    table = Table(title=f"run {summary['run_id']}", show_header=False, title_justify="left")
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


def print_archive_results(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table("URL", "outcome", "article", "version", "note")
    for row in rows:
        ok = row.get("version") is not None
        table.add_row(
            row["requested_url"], Text(str(row.get("outcome")), style="green" if ok else "red"),
            row.get("article_id") or "", str(row.get("version") or ""), row.get("error") or "",
        )  # fmt: skip
    console.print(table)


def print_history(console: Console, record: dict[str, Any]) -> None:
    console.print(f"[bold]{record['title'] or record['url']}[/]")
    console.print(f"{record['url']}  article {record['article_id']}  site {record['site']}", highlight=False)
    console.print(f"first seen {record['first_seen_at']}, last seen {record['last_seen_at']}, "
                  f"last changed {record['last_changed_at']}", highlight=False)  # fmt: skip
    table = Table("version", "captured", "change", "changed", "+chars", "-chars", "WARC record")
    for v in record["versions"]:
        diff = v.get("diff") or {}
        change = v["change"] + (f" → v{v['reverted_to']}" if v.get("reverted_to") else "")
        warc = v.get("warc") or {}
        table.add_row(str(v["version"]), v["captured_at"], change, ", ".join(v.get("changed_fields") or []),
                      str(diff.get("chars_added", "")), str(diff.get("chars_removed", "")),
                      f"{warc.get('filename', '')}@{warc.get('offset', '')}")  # fmt: skip
    console.print(table)
    for v in record["versions"]:
        if v.get("diff") and v["diff"].get("unified"):
            print_diff(console, v["diff"], v["diff"]["from_version"], v["version"])


def print_diff(console: Console, diff: dict[str, Any], a: int, b: int) -> None:
    console.print(f"[bold]version {a} → {b}[/]: +{diff['chars_added']} / -{diff['chars_removed']} chars, "
                  f"+{diff['paragraphs_added']} / -{diff['paragraphs_removed']} paragraphs")  # fmt: skip
    for line in (diff.get("unified") or "(no text change)").splitlines():
        style = None
        if line.startswith("+") and not line.startswith("+++"):
            style = "green"
        elif line.startswith("-") and not line.startswith("---"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        console.print(Text(line, style=style or ""), soft_wrap=True)
