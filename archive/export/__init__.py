"""Dataset export: JSONL, Parquet, CSV (the `latest` and `versions` views) and WACZ, each
with a dataset card beside it. Scrapy-free: the CLI passes in what it knows of the sites."""

from archive.export.atomic import OutputError
from archive.export.exporter import (
    FORMATS,
    ExportError,
    ExportRequest,
    ExportResult,
    export_dataset,
)
from archive.export.rows import ExportFilter, ExportStats, RowSource
from archive.export.schema import VIEWS, arrow_schema, select_columns, view_columns
from archive.export.wacz import WarcUnavailable

__all__ = [
    "FORMATS", "VIEWS", "ExportError", "ExportFilter", "ExportRequest", "ExportResult",
    "ExportStats", "OutputError", "RowSource", "arrow_schema", "export_dataset",
    "select_columns", "view_columns", "WarcUnavailable",
]  # fmt: skip
