"""An archive session: one run's catalog, WARC writer, records file and version tracker.

Crawler adapters hand it plain `HttpExchange`s and extraction results; it knows nothing of
Scrapy. The order of writes is what makes a crash harmless: WARC records are flushed before
the catalog row that points at them is committed, and a record line is written only after
its version is committed (a lost line is rewritten from the catalog by `verify --repair`).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from archive import __version__
from archive.catalog import Catalog
from archive.config import Config
from archive.exchange import CaptureRecords, HttpExchange, RecordLocation
from archive.outbox import events_wanted
from archive.outcomes import summarize
from archive.publishing import ClosedFilePublisher  # S3 publishing
from archive.recheck import RecheckLadder
from archive.records import RecordFileWriter
from archive.s3_config import s3_config_of  # S3 publishing
from archive.urls import article_id_for, strip_fragment
from archive.versions import Decision, Observation, VersionTracker
from archive.warc_files import WarcFileInfo, WarcFileWriter
from archive.warc_records import new_record_id, sha1_digest, warc_date

SAME_CONTENT_OUTCOMES = ("new", "edit", "revert", "unchanged", "timestamp-only")


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest of a body: `sha1:<base32>`, the text warcio writes."""
    return sha1_digest(body)


@dataclass
class CaptureResult:
    capture_id: int
    records: CaptureRecords
    revisit: bool = False
    # Set when the payload is identical to the one that gave the article's latest version:
    # the capture is already recorded as `unchanged` (no extraction needed).
    unchanged_version: int | None = None


class ArchiveSession:
    """Everything one run writes. Not thread-safe: call it from one thread (the reactor's)."""

    def __init__(self, config: Config, *, command: str, sites: list[str],
                 user_agent: str | None = None, robots_policy: str | None = None,
                 software: str | None = None, dedup: bool = True,
                 batch_seconds: float = 0.25) -> None:  # fmt: skip
        self.config = config
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.run_id = new_run_id()
        self.started_at = datetime.now(UTC)
        self.dedup = dedup
        self.catalog = Catalog(config.resolved_catalog_url)
        self.catalog.start_run(self.run_id, command, sites, os.getpid(), data_dir=self.data_dir)
        if batch_seconds > 0:
            self.catalog.start_batching(batch_seconds)
        info = {
            "software": software or f"newsarchive/{__version__}",
            "hostname": socket.gethostname(),
            "operator": config.warc.operator,
            "robots": robots_policy or ("obey" if config.crawl.obey_robots else "ignore"),
            "http-header-user-agent": user_agent or config.crawl.user_agent,
            "isPartOf": f"newsarchive-run-{self.run_id}",
        }
        # -- S3 publishing: every closed WARC gets a CDXJ index; with [s3], closed files are
        # uploaded by one background thread (never the reactor's).
        self.publisher = ClosedFilePublisher(
            self.data_dir, self.catalog.engine, s3_config_of(config)
        )
        self.warc = WarcFileWriter(
            self.data_dir,
            prefix=config.warc.prefix,
            max_file_bytes=config.warc.max_file_bytes,
            warcinfo={k: v for k, v in info.items() if v},
            on_open=self._warc_opened,
            on_close=self._warc_closed,
        )
        self.records = RecordFileWriter(self.data_dir, self.run_id, started_at=self.started_at)
        self.tracker = VersionTracker(
            self.catalog, ladder=RecheckLadder.from_config(config.recheck),
            events=events_wanted(getattr(config, "notify", None)),
        )  # fmt: skip
        self.closed = False

    def _warc_opened(self, info: WarcFileInfo) -> None:
        self.catalog.warc_opened(info, self.run_id)

    def _warc_closed(self, info: WarcFileInfo) -> None:
        self.catalog.warc_closed(info)
        # The publisher's thread indexes the file from the entries the writer kept; the
        # info stays in `closed_files` for the summary, the entries go with the job.
        entries, info.index_entries = info.index_entries, None
        self.publisher.warc_closed(info.relpath, info.sha256, info.size, entries)  # S3 publishing

    # -- capture -------------------------------------------------------------------------
    def capture(self, exchange: HttpExchange, *, kind: str, site: str | None,
                outcome: str = "fetched") -> CaptureResult:  # fmt: skip
        """Write a response (or a revisit) and its request; register the capture."""
        assert exchange.status is not None
        self.warc.rotate_if_full()
        warcinfo_id = self.warc.ensure_open()
        digest = payload_digest(exchange.body)
        response_id, request_id = new_record_id(), new_record_id()
        original = None
        uri = strip_fragment(exchange.url)
        if self.dedup and exchange.status == 200 and not exchange.truncated:
            last = self.catalog.last_response_for_url(uri)
            if last and last["payload_digest"] == digest and last["warc_date"]:
                original = last
        if original is not None:
            response = self.warc.records.revisit(
                exchange, record_id=response_id, warcinfo_id=warcinfo_id,
                payload_digest=digest, refers_to=original["warc_record_id"],
                refers_to_uri=original["url"], refers_to_date=original["warc_date"],
            )  # fmt: skip
        else:
            response = self.warc.records.response(
                exchange, record_id=response_id, warcinfo_id=warcinfo_id, payload_digest=digest
            )
        request = self.warc.records.request(
            exchange, record_id=request_id, warcinfo_id=warcinfo_id, concurrent_to=response_id
        )
        resp_loc, req_loc = self.warc.write([response, request])
        date = warc_date(exchange.requested_at)
        article = self._latest_by_payload(original, uri) if kind == "article" else None
        if article is not None:
            outcome = "unchanged"
        capture_id = self.catalog.add_capture(
            run_id=self.run_id, site=site, url=uri, kind=kind,
            article_id=article["id"] if article else None,
            version=article["latest_version"] if article else None,
            fetched_at=exchange.requested_at, status=exchange.status,
            content_type=exchange.response_header("Content-Type"), outcome=outcome,
            record_type="revisit" if original else "response",
            warc_filename=resp_loc.filename, warc_offset=resp_loc.offset,
            warc_length=resp_loc.length, warc_record_id=resp_loc.record_id,
            warc_date=date, payload_digest=digest, body_bytes=len(exchange.body),
            error=f"truncated: {exchange.truncated}" if exchange.truncated else None,
        )  # fmt: skip
        records = CaptureRecords(response=resp_loc, request=req_loc, warc_date=date,
                                 payload_digest=digest,
                                 revisit_of=original["warc_record_id"] if original else None)  # fmt: skip
        if article is not None:
            self.tracker.seen_again(article)
        return CaptureResult(capture_id, records, revisit=original is not None,
                             unchanged_version=article["latest_version"] if article else None)  # fmt: skip

    def _latest_by_payload(
        self, original: dict[str, Any] | None, uri: str
    ) -> dict[str, Any] | None:
        """The article whose latest version came from exactly this payload, if any: then
        the identical payload can only say "unchanged" and needs no extraction."""
        if original is None or original["outcome"] not in SAME_CONTENT_OUTCOMES:
            return None
        article_id = original["article_id"]
        if not article_id or article_id != article_id_for(uri):
            return None
        article = self.catalog.article(article_id)
        if article is None or article["latest_version"] != original["version"]:
            return None
        return article

    def failed_fetch(self, exchange: HttpExchange, *, kind: str, site: str | None,
                     outcome: str, error: str, sent: bool = True) -> int:  # fmt: skip
        """A fetch that got no response: its request record (when it was sent) and a capture row."""
        location: RecordLocation | None = None
        if sent:
            self.warc.rotate_if_full()
            warcinfo_id = self.warc.ensure_open()
            request = self.warc.records.request(
                exchange, record_id=new_record_id(), warcinfo_id=warcinfo_id, concurrent_to=None
            )
            (location,) = self.warc.write([request])
        return self.catalog.add_capture(
            run_id=self.run_id, site=site, url=strip_fragment(exchange.url), kind=kind,
            fetched_at=exchange.requested_at, outcome=outcome, error=error[:2000],
            record_type="request" if location else None,
            warc_filename=location.filename if location else None,
            warc_offset=location.offset if location else None,
            warc_length=location.length if location else None,
            warc_record_id=location.record_id if location else None,
        )  # fmt: skip

    def set_outcome(self, capture_id: int, outcome: str, error: str | None = None,
                    article_id: str | None = None, links: dict[str, Any] | None = None) -> None:  # fmt: skip
        """A capture's outcome; `links`: a listing page's discovery tally (crawler/discovery.py)."""
        values: dict[str, Any] = {"outcome": outcome}
        if error is not None:
            values["error"] = error[:2000]
        if article_id is not None:
            values["article_id"] = article_id
        if links is not None:
            values["links"] = links
        self.catalog.update_capture(capture_id, **values)

    # -- tracking ------------------------------------------------------------------------
    def checked(self, article_id: str) -> None:
        """A known article's fetch gave no content: schedule its next check by the ladder."""
        self.tracker.checked(article_id)

    def track(self, obs: Observation, capture: CaptureRecords | None) -> Decision:
        """Decide what the observation means, write the extracted JSON as a `resource`
        record beside the response, commit, and append the record line of a new version."""
        obs.run_id = self.run_id
        if capture is not None and capture.revisit_of:
            # A version's pointer names a record that holds the payload: the original
            # response, not the revisit that refers to it.
            original = self.catalog.capture_by_record_id(capture.revisit_of)
            if original is not None and original["warc_filename"]:
                obs.response = RecordLocation(original["warc_filename"], original["warc_offset"],
                                              original["warc_length"] or 0, original["warc_record_id"])  # fmt: skip
        decision = self.tracker.decide(obs)
        if decision.outcome == "suspect-retry":
            if obs.capture_id is not None:
                self.set_outcome(obs.capture_id, "suspect-retry", decision.detail, obs.article_id)
            return decision
        if capture is not None and capture.response is not None:
            payload = {
                "article_id": obs.article_id, "url": obs.url, "outcome": decision.outcome,
                "version": decision.version or decision.previous_version,
                "content_sha256": decision.content_sha256,
                **{k: v for k, v in obs.fields.items()},
            }  # fmt: skip
            self.warc.rotate_if_full()
            warcinfo_id = self.warc.ensure_open()
            conversion = self.warc.records.article_conversion(
                obs.article_id, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                record_id=new_record_id(), date=capture.warc_date,
                warcinfo_id=warcinfo_id, refers_to=capture.response.record_id,
            )  # fmt: skip
            self.warc.write([conversion])
        # With a shared catalog (PostgreSQL) the decision may change under concurrency.
        decision = self.tracker.commit(obs, decision)
        if decision.record is not None:
            # Only once the version is committed: a line never names a version that a
            # crash could still take back (a lost line is rewritten from the catalog).
            record = decision.record
            self.catalog.after_commit(lambda: self.records.write(record))
        return decision

    def flush(self) -> None:
        """Commit what the catalog batch holds (called periodically while crawling)."""
        self.catalog.flush()

    # -- end of run ----------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        figures = summarize(self.catalog.run_outcomes(self.run_id))
        figures["warc_bytes"] = self.warc.bytes_written
        figures["warc_files"] = [f.relpath for f in self.warc.closed_files]
        figures["records_file"] = str(self.records.path) if self.records.lines else None
        figures["records_written"] = self.records.lines
        figures["run_id"] = self.run_id
        return figures

    def close(self, status: str = "done", extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Close the WARC file (rotation at the end of every run) and the records file."""
        if self.closed:
            return self.summary()
        self.warc.close()
        self.catalog.stop_batching()
        records_path = self.records.close()
        # S3 publishing: the records file, older due files; waits (bounded) for the uploads.
        uploads = self.publisher.finish(
            records_path.relative_to(self.data_dir).as_posix() if records_path else None
        )
        figures = self.summary()
        if uploads is not None:
            figures["uploads"] = uploads
        if extra:
            figures.update(extra)
        self.catalog.finish_run(self.run_id, status, figures)
        self.closed = True
        self.catalog.close()
        return figures
