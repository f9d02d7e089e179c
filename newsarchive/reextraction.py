"""`newsarchive reextract`: read archived captures again with today's extractor
(docs/reextract.md). Used by the CLI and the Python API (`newsarchive.reextract`).

The work is archive/reextract.py (the catalog's side) and pipelines/reextract.py (reading
WARC records, the extraction pool); this module resolves sites to parsers, refuses to run
beside a crawl, resumes an interrupted run, and reports.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from archive.config import Config

# progress(advance, total)
Progress = Callable[[int, int], None]


class ReextractError(Exception):
    """A re-extraction that cannot run as asked (the message says why)."""


@dataclass
class ReextractOptions:
    sites: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    parser: str | None = None
    dry_run: bool = False
    batch_size: int = 200
    sample_size: int = 10


@dataclass
class ReextractReport:
    """What a run did (or, dry, would do)."""

    dry_run: bool
    run_id: str | None = None
    resumed: bool = False
    status: str = "done"
    examined: int = 0
    changed: int = 0  # new `reextract` versions (dry run: versions that would be)
    unchanged: int = 0
    failed: int = 0  # today's extractor found no article in the capture
    unreadable: int = 0  # the WARC record could not be read
    moved: int = 0  # a crawl recorded a newer version meanwhile
    changed_fields: dict[str, int] = field(default_factory=dict)
    extractors: dict[str, int] = field(default_factory=dict)  # parser of today's readings
    sample: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    records_file: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run, "run_id": self.run_id, "resumed": self.resumed,
            "status": self.status, "params": self.params, "examined": self.examined,
            "changed": self.changed, "unchanged": self.unchanged, "failed": self.failed,
            "unreadable": self.unreadable, "moved": self.moved,
            "changed_fields": dict(sorted(self.changed_fields.items())),
            "extractors": dict(sorted(self.extractors.items())), "sample": self.sample,
            "problems": self.problems[:20], "records_file": self.records_file,
            "message": self.message,
        }  # fmt: skip

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in
                ("examined", "changed", "unchanged", "failed", "unreadable", "moved")}  # fmt: skip

    def add_counts(self, counts: dict[str, int]) -> None:
        for k, v in counts.items():
            if hasattr(self, k) and isinstance(v, int):
                setattr(self, k, getattr(self, k) + v)


def _parsers(config: Config) -> Callable[[str], str]:
    from crawler.profiles import load_profiles

    profiles = load_profiles(config)

    def parser_of(site: str) -> str:
        profile = profiles.get(site)
        return profile.parser if profile is not None else "generic"

    return parser_of


def _sites(
    catalog: Any, options: ReextractOptions, parser_of: Callable[[str], str]
) -> tuple[str, ...] | None:
    """The sites to read: `--site`, narrowed to those today's `--parser` reads (None: no
    site is read by it, nothing to do)."""
    if options.parser is None:
        return options.sites
    from sqlalchemy import select

    from archive import catalog_schema as t

    with catalog.reading() as conn:
        archived = sorted(conn.execute(select(t.articles.c.site).distinct()).scalars())
    chosen = [s for s in (options.sites or archived) if parser_of(s) == options.parser]
    return tuple(chosen) or None


def run_reextract(config: Config, options: ReextractOptions,
                  progress: Progress | None = None) -> ReextractReport:  # fmt: skip
    """Re-extract what `options` selects; raises `ReextractError` when it cannot start."""
    from crawler.profiles import PARSERS

    if options.parser is not None and options.parser not in PARSERS:
        raise ReextractError(f"unknown parser {options.parser!r}; parsers: {', '.join(PARSERS)}")
    if options.since and options.until and options.since > options.until:
        raise ReextractError("--since is later than --until")
    from archive.catalog import Catalog, catalog_writable

    url = config.resolved_catalog_url
    if not config.catalog_url and not (config.data_dir / "catalog.sqlite").exists():
        raise ReextractError(
            f"no archive in {config.data_dir} (run a crawl first, or pass --data-dir)"
        )
    if not options.dry_run and not catalog_writable(url):
        raise ReextractError(f"cannot write to the catalog ({url}); --dry-run only reads")
    catalog = Catalog(url, read_only=options.dry_run and not catalog_writable(url))
    try:
        return _run(config, catalog, options, progress)
    finally:
        catalog.close()


def _run(config: Config, catalog: Any, options: ReextractOptions,
         progress: Progress | None) -> ReextractReport:  # fmt: skip
    from archive import reextract as core
    from archive.records import RecordFileWriter

    parser_of = _parsers(config)
    sites = _sites(catalog, options, parser_of)
    flt = core.ReextractFilter(sites or (), options.since, options.until, options.parser)
    report = ReextractReport(dry_run=options.dry_run, params=flt.params())
    report.params["sites"] = list(options.sites)
    if sites is None:
        report.message = f"no archived site is read by the {options.parser} parser today"
        return report
    writers = core.running_writers(catalog, config.data_dir)
    if writers and not options.dry_run:
        names = ", ".join(f"{w['command']} run {w['id']} (pid {w['pid']})" for w in writers)
        raise ReextractError(f"a crawl is writing to this archive ({names}): re-extract when it has "
                             "finished (or use --dry-run, which writes nothing)")  # fmt: skip
    state = None
    writer = None
    if not options.dry_run:
        # Leftovers of a crashed run first: record lines lost after their version was
        # committed are rewritten, a cut records file trimmed, the run marked crashed.
        from archive.repair import repair_leftovers

        repair_leftovers(config.data_dir, catalog, everything=False)
        state = core.resumable_run(catalog, flt)
        if state is not None:
            core.continue_run(catalog, state, config.data_dir)
            report.resumed = True
            report.add_counts(state.counts)
        else:
            now = datetime.now(UTC)
            run_id = now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
            state = core.start_run(catalog, flt, config.data_dir, run_id)
        report.run_id = state.run_id
        writer = RecordFileWriter(config.data_dir, state.run_id, started_at=state.started_at)
    cursor = state.cursor if state else None
    total = core.count_targets(catalog, flt, cursor)
    failure: Exception | None = None
    try:
        asyncio.run(_loop(config, catalog, options, flt, report, state, writer, cursor, total,
                          parser_of, progress))  # fmt: skip
    except KeyboardInterrupt:
        report.status = "interrupted"
    except core.CatalogMoved as exc:
        report.status, report.message = "interrupted", str(exc)
    except Exception as exc:  # a database error, a broken pool: the run can be continued
        report.status, report.message = "interrupted", f"{type(exc).__name__}: {exc}"
        failure = exc
    finally:
        if writer is not None:
            path = writer.close()
            report.records_file = str(path) if path else report.records_file
    if state is not None:
        summary: dict[str, Any] = {
            "params": flt.params(), "counts": report.counts(), "report": report.to_dict(),
        }  # fmt: skip
        if report.status != "done":
            from sqlalchemy import select

            from archive import catalog_schema as t

            with catalog.reading() as conn:
                stored = conn.execute(
                    select(t.runs.c.summary).where(t.runs.c.id == state.run_id)
                ).scalar()
            # What the last committed batch recorded (the cursor and its counts move together).
            summary["cursor"] = (stored or {}).get("cursor")
            summary["counts"] = (stored or {}).get("counts") or {}
        try:
            catalog.finish_run(state.run_id, report.status, summary)
        except Exception:
            if failure is None:
                raise
            # The catalog itself failed: the run stays `running` until a rerun marks it crashed.
    if failure is not None:
        raise failure
    return report


async def _loop(config: Config, catalog: Any, options: ReextractOptions, flt: Any,
                report: ReextractReport, state: Any, writer: Any, cursor: str | None, total: int,
                parser_of: Callable[[str], str], progress: Progress | None) -> None:  # fmt: skip
    from archive import reextract as core
    from pipelines.extractor_pool import ExtractorPool
    from pipelines.reextract import reextract_batch

    pool = ExtractorPool(workers=config.extract.workers, timeout=config.extract.timeout_seconds,
                         max_tasks_per_child=config.extract.max_pages_per_worker)  # fmt: skip
    try:
        for rows in core.target_batches(catalog, flt, cursor, options.batch_size):
            readings = [core.Reading(r["article_id"], r["site"], r) for r in rows]
            await reextract_batch(pool, config, catalog, readings, parser_of)
            for reading in readings:
                core.judge(reading, state.run_id if state else None)
            if state is not None:
                writers = core.running_writers(catalog, config.data_dir, own=state.run_id)
                if writers:
                    raise core.CatalogMoved(
                        f"a crawl started writing to this archive ({writers[0]['command']} run "
                        f"{writers[0]['id']}): stopped; rerun reextract when it has finished to continue"
                    )
                batch_counts = _tally(report, readings, options)
                summary = {"params": flt.params(), "counts": report.counts()}
                written = core.commit_batch(catalog, state.run_id, readings,
                                            rows[-1]["article_id"], summary)  # fmt: skip
                _untally_moved(report, readings, batch_counts)
                for reading in written:
                    assert reading.record is not None
                    writer.write(reading.record)
            else:
                _tally(report, readings, options)
            if progress:
                progress(len(rows), total)
    finally:
        pool.close()


def _tally(report: ReextractReport, readings: list[Any], options: ReextractOptions) -> int:
    for reading in readings:
        report.examined += 1
        outcome = reading.outcome
        if outcome == "reextract":
            report.changed += 1
            assert reading.record is not None
            for name in reading.record["changed_fields"] or ["dates"]:
                report.changed_fields[name] = report.changed_fields.get(name, 0) + 1
            if len(report.sample) < options.sample_size:
                from archive.reextract import sample_of

                report.sample.append(sample_of(reading))
        elif outcome == "unchanged":
            report.unchanged += 1
        elif outcome == "unreadable":
            report.unreadable += 1
            report.problems.append(f"{reading.article_id} v{reading.version}: {reading.problem}")
        else:
            report.failed += 1
            report.problems.append(f"{reading.article_id} v{reading.version}: {reading.problem}")
        if reading.fields and reading.fields.get("extractor"):
            parser = reading.fields["extractor"].get("parser")
            report.extractors[parser] = report.extractors.get(parser, 0) + 1
    return 0


def _untally_moved(report: ReextractReport, readings: list[Any], _counts: int) -> None:
    """Readings the commit left out (the article moved on meanwhile) are counted as such."""
    for reading in readings:
        if reading.outcome == "moved":
            report.changed -= 1
            report.moved += 1
