"""Run one export: stream the rows into a format writer under a temporary name, rename it
into place, then write the dataset card beside it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from archive.catalog import Catalog
from archive.export.atomic import atomic_output, check_output
from archive.export.card import CardInfo, card_path, render_card
from archive.export.rows import DEFAULT_BATCH_SIZE, ExportFilter, ExportStats, RowSource
from archive.export.schema import Column, select_columns
from archive.export.site_signals import SiteSignals, site_signals

FORMATS = ("jsonl", "parquet", "csv", "wacz")

# progress(advance, total): `total` is known before the first advance.
Progress = Callable[[int, int], None]


class ExportError(ValueError):
    """An export that cannot be made as asked (bad options, nothing to package)."""


class _Writer(Protocol):
    def write(self, rows: list[dict[str, Any]]) -> None: ...
    def close(self) -> None: ...


@dataclass
class ExportRequest:
    """What to export. `site_terms` maps a site to its terms-of-use URL (the caller knows
    the site profiles; `archive/` does not)."""

    format: str
    out: Path
    view: str = "latest"
    # Reads a WARC record's bytes (file name, offset, length) when the local file is gone,
    # e.g. `archive.warc_reader.read_record_bytes` bound to the config: S3 by byte range.
    fetch_record: Callable[[str, int, int], bytes] | None = None
    filter: ExportFilter = field(default_factory=ExportFilter)
    fields: list[str] | None = None
    site_terms: Mapping[str, str | None] = field(default_factory=dict)
    command: str = "newsarchive export"
    batch_size: int = DEFAULT_BATCH_SIZE
    # CSV: write text cells as they are, formula-like ones included (default: neutralised).
    csv_raw: bool = False


@dataclass
class ExportResult:
    out: Path
    card: Path
    format: str
    view: str
    stats: ExportStats
    bytes: int
    seconds: float
    extra: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """The one-line summary the CLI prints."""
        unit = "row" if self.format != "wacz" else "version"
        what = f"{self.stats.rows} {unit}{'s' if self.stats.rows != 1 else ''}"
        if self.format == "wacz":
            what += f", {self.extra.get('pages', 0)} pages, {self.extra.get('warc_files', 0)} WARC file(s)"
            if self.extra.get("warc_files_from_s3"):
                what += f" ({self.extra['warc_files_from_s3']} fetched from S3)"
        return (f"exported {what} ({self.view} view, {self.stats.articles} articles, "
                f"{len(self.stats.per_site)} site(s)) to {self.out} [{self.format}, {_size(self.bytes)}] "
                f"in {self.seconds:.1f} s; card {self.card.name}")  # fmt: skip


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"newsarchive {version('newsarchive')}"
    except PackageNotFoundError:
        return "newsarchive (version unknown)"


def _open_writer(
    fmt: str, path: Path, columns: tuple[Column, ...], request: ExportRequest
) -> _Writer:
    if fmt == "jsonl":
        from archive.export.jsonl import JsonlWriter

        return JsonlWriter(path, columns)
    if fmt == "csv":
        from archive.export.csv_format import CsvWriter

        return CsvWriter(path, columns, raw=request.csv_raw)
    from archive.export.parquet import ParquetWriter

    meta = {"newsarchive.view": request.view, "newsarchive.selection": request.filter.describe(),
            "newsarchive.software": software_version()}  # fmt: skip
    return ParquetWriter(path, columns, metadata=meta)


def _signals(
    catalog: Catalog, data_dir: Path, stats: ExportStats, request: ExportRequest
) -> list[SiteSignals]:
    sites = sorted(set(stats.per_site) | set(request.filter.sites))
    return [
        site_signals(catalog, data_dir, s, request.site_terms.get(s), request.fetch_record)
        for s in sites
    ]


def export_dataset(catalog: Catalog, data_dir: Path, request: ExportRequest,
                   progress: Progress | None = None) -> ExportResult:  # fmt: skip
    """Export the archive as asked; returns what was written. Raises `ExportError` for bad
    options and `OutputError` for an unusable output path, before writing anything."""
    started = time.monotonic()
    if request.format not in FORMATS:
        raise ExportError(f"unknown format {request.format!r}: choose one of {', '.join(FORMATS)}")
    try:
        columns = select_columns(request.view, request.fields)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    if request.format == "wacz" and request.fields:
        raise ExportError("--fields does not apply to --format wacz (it packages WARC records)")
    if request.csv_raw and request.format != "csv":
        raise ExportError("--csv-raw applies to --format csv only")
    check_output(request.out)
    # WACZ packages the WARCs holding every selected version, whatever the view.
    view = "versions" if request.format == "wacz" else request.view
    source = RowSource(catalog, view, request.filter, request.batch_size)
    total = source.count()
    stats = ExportStats()
    extra: dict[str, int] = {}
    if request.format == "wacz":
        _export_wacz(catalog, data_dir, request, source, stats, extra, total, progress)
    else:
        with atomic_output(request.out) as tmp:
            writer = _open_writer(request.format, tmp, columns, request)
            try:
                for batch in source.batches():
                    for row in batch:
                        stats.add(row)
                    writer.write(batch)
                    if progress:
                        progress(len(batch), total)
            finally:
                writer.close()
    card = card_path(request.out)
    info = CardInfo(
        title=f"newsarchive dataset: {request.out.name}", format=request.format, view=view,
        filename=request.out.name, columns=columns, stats=stats, filter=request.filter,
        sites=_signals(catalog, data_dir, stats, request), software=software_version(),
        command=request.command, created_at=datetime.now(UTC), extra_counts=extra or None,
        csv_raw=request.csv_raw,
    )  # fmt: skip
    with atomic_output(card) as tmp:
        tmp.write_text(render_card(info), encoding="utf-8")
    return ExportResult(request.out, card, request.format, view, stats, request.out.stat().st_size,
                        time.monotonic() - started, extra)  # fmt: skip


def _export_wacz(catalog: Catalog, data_dir: Path, request: ExportRequest, source: RowSource,
                 stats: ExportStats, extra: dict[str, int], total: int,
                 progress: Progress | None) -> None:  # fmt: skip
    from archive.export.wacz import closed_warc_files, warc_sources, write_wacz

    names: set[str] = set()
    for batch in source.batches():
        for row in batch:
            stats.add(row)
            if row["warc_filename"]:
                names.add(row["warc_filename"])
        if progress:
            progress(len(batch), total)
    unfiltered = not request.filter.sites and not request.filter.has_window
    files = closed_warc_files(catalog, None if unfiltered else names)
    if not files:
        raise ExportError("nothing to package: no closed WARC file holds the selected versions")
    # WARCs deleted locally after a verified upload are fetched from S3 by range (through
    # `fetch_record`). One that is neither local nor fetchable raises `WarcUnavailable` (a
    # runtime failure, not a usage error): before anything is written when the catalog
    # already says so, else the half-written package is removed by `atomic_output`.
    sources = warc_sources(catalog, data_dir, files, can_fetch=request.fetch_record is not None)
    # One step per packaged file and per downloaded chunk, after the rows.
    steps = total + len(files) + sum(s.download_units() for s in sources)
    advance = (lambda n: progress(n, steps)) if progress else None
    with atomic_output(request.out) as tmp:
        contents = write_wacz(catalog, data_dir, tmp, files, request.filter,
                              title=f"newsarchive: {request.filter.describe()}",
                              software=software_version(), progress=advance,
                              fetch=request.fetch_record, sources=sources)  # fmt: skip
    extra.update(warc_files=contents.warc_files, pages=contents.pages, index_lines=contents.index_lines,
                 warc_bytes=contents.warc_bytes)  # fmt: skip
    if contents.downloaded_files:
        extra.update(warc_files_from_s3=contents.downloaded_files)
    if contents.originals:  # revisit originals copied from WARCs the filter left out
        extra.update(revisit_originals=contents.originals)
