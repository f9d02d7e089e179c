"""Re-extraction, the extraction side: read archived responses back from the WARC files
(local, or from S3 by byte range) and extract them again in the worker pool. Never fetches
anything from the sites.

    readings = await reextract_batch(pool, config, catalog, readings, parser_of)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from archive.config import Config
from archive.reextract import EXTRACTED_FIELDS, Reading
from archive.warc_reader import RecordUnavailable, read_response
from pipelines.extractor_pool import ExtractorPool


def pointer_of(latest: dict[str, Any]) -> dict[str, Any] | None:
    """The WARC response record of a version: its record's `warc`, else its row's columns."""
    warc = (latest.get("record") or {}).get("warc")
    if warc and warc.get("filename"):
        return dict(warc)
    if latest.get("warc_filename"):
        return {"filename": latest["warc_filename"], "offset": latest["warc_offset"],
                "length": latest["warc_length"], "record_id": latest["warc_record_id"]}  # fmt: skip
    return None


def read_page(config: Config, catalog: Any, latest: dict[str, Any]) -> tuple[bytes, str | None]:
    """The archived body and Content-Type of a version's capture; raises `RecordUnavailable`."""
    pointer = pointer_of(latest)
    if pointer is None:
        raise RecordUnavailable("the version has no WARC record")
    archived = read_response(config, catalog, pointer)
    if archived.record_type != "response":
        raise RecordUnavailable(f"the record is a {archived.record_type}, not a response")
    content_type = next((v for k, v in archived.headers if k.lower() == "content-type"), None)
    return archived.body, content_type


async def reextract_batch(
    pool: ExtractorPool, config: Config, catalog: Any, readings: Sequence[Reading],
    parser_of: Callable[[str], str],
) -> None:  # fmt: skip
    """Fill each reading's `fields` (today's extraction) or `problem`, extracting the batch's
    pages concurrently in the pool. WARC records are read in a thread (S3 reads block)."""

    async def one(reading: Reading) -> None:
        try:
            body, content_type = await asyncio.to_thread(read_page, config, catalog, reading.latest)
        except RecordUnavailable as exc:
            reading.outcome, reading.problem = "unreadable", str(exc)
            return
        url = (reading.latest.get("record") or {}).get("url") or ""
        result = await pool.extract(
            body, url=url, content_type=content_type, parser=parser_of(reading.site)
        )
        if result.get("problem"):
            reading.outcome = "failed"
            reading.problem = f"{result['problem']}: {result.get('problem_detail') or ''}".strip()
            return
        reading.fields = {k: result.get(k) for k in EXTRACTED_FIELDS}

    await asyncio.gather(*(one(r) for r in readings))
