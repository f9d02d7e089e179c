"""An archive session against a temporary data directory (archive/session.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from archive import catalog_schema as t
from archive.catalog import Catalog
from archive.config import Config
from archive.exchange import HttpExchange
from archive.session import ArchiveSession, CaptureResult, payload_digest
from archive.urls import article_id_for, normalize_url
from archive.versions import Observation
from tests.warc_assertions import check_archive, open_files, read_record_at, warc_files

URL = "http://news.example/2024/03/01/us/bridge-reopening"
T0 = datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
BODY_A = (
    b"<html><head><title>Bridge</title></head><body><p>Version A of the story.</p></body></html>"
)
BODY_B = (
    b"<html><head><title>Bridge</title></head><body><p>Version B of the story.</p></body></html>"
)
TEXT = (
    "The Harbor Street bridge will reopen to traffic on April 2, city officials said on Friday, "
    "ending a closure that lasted nearly a year.\n\n"
    "The bridge carries about 40,000 vehicles a day. Engineers found corrosion in two support "
    "beams during a routine inspection last spring."
)


def exchange(
    body: bytes = BODY_A,
    *,
    minutes: int = 0,
    url: str = URL,
    status: int = 200,
    truncated: str | None = None,
) -> HttpExchange:
    return HttpExchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "newsarchive-test/1.0"), ("Accept", "text/html")],
        requested_at=T0 + timedelta(minutes=minutes),
        status=status,
        response_headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ],
        body=body,
        ip_address="127.0.0.1",
        truncated=truncated,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def session(data_dir: Path):
    session = ArchiveSession(
        Config(data_dir=data_dir),
        command="crawl",
        sites=["example"],
        user_agent="newsarchive-test/1.0",
    )
    yield session
    session.close()


@pytest.fixture
def catalog(data_dir: Path, session):
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    yield catalog
    catalog.close()


def by_id(records: list[dict]) -> dict[str, dict]:
    return {r["headers"]["WARC-Record-ID"]: r for r in records}


def capture_rows(catalog: Catalog) -> list[dict]:
    with catalog.engine.connect() as conn:
        return [
            dict(r._mapping) for r in conn.execute(select(t.captures).order_by(t.captures.c.id))
        ]


def observation(capture: CaptureResult, *, text: str = TEXT, minutes: int = 0) -> Observation:
    return Observation(
        article_id=article_id_for(URL),
        site="example",
        url=URL,
        normalized_url=normalize_url(URL),
        captured_at=T0 + timedelta(minutes=minutes),
        fields={
            "title": "Harbor bridge to reopen",
            "authors": ["Jane Doe"],
            "text": text,
            "language": "en",
            "section": "us",
            "published_at": "2024-03-01T09:00:00Z",
            "modified_at": None,
            "dates_source": {},
            "canonical_url": None,
        },
        capture_id=capture.capture_id,
        response=capture.records.response,
    )


# -- capture and dedup ---------------------------------------------------------------------


def test_same_body_twice_is_a_revisit_of_the_first_response(session, data_dir, catalog):
    first = session.capture(exchange(BODY_A, minutes=0), kind="article", site="example")
    second = session.capture(exchange(BODY_A, minutes=10), kind="article", site="example")
    third = session.capture(exchange(BODY_B, minutes=20), kind="article", site="example")
    fourth = session.capture(exchange(BODY_B, minutes=30), kind="article", site="example")
    assert [c.revisit for c in (first, second, third, fourth)] == [False, True, False, True]
    assert second.records.revisit_of == first.records.response.record_id
    assert fourth.records.revisit_of == third.records.response.record_id
    assert second.records.payload_digest == first.records.payload_digest == payload_digest(BODY_A)
    session.close()

    records = by_id(check_archive(data_dir))
    original = records[first.records.response.record_id]
    revisit = records[second.records.response.record_id]
    assert original["type"] == "response" and revisit["type"] == "revisit"
    h = revisit["headers"]
    assert h["WARC-Profile"] == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert h["WARC-Refers-To"] == first.records.response.record_id
    assert h["WARC-Refers-To-Target-URI"] == original["headers"]["WARC-Target-URI"] == URL
    assert (
        h["WARC-Refers-To-Date"]
        == original["headers"]["WARC-Date"]
        == "2024-03-01T12:00:00.250000Z"
    )
    assert h["WARC-Date"] == "2024-03-01T12:10:00.250000Z"
    assert h["WARC-Payload-Digest"] == original["headers"]["WARC-Payload-Digest"]
    assert revisit["body"] == b""
    assert revisit["http"].get_statuscode() == "200"
    assert records[fourth.records.response.record_id]["headers"]["WARC-Refers-To"] == (
        third.records.response.record_id
    )
    assert [r["record_type"] for r in capture_rows(catalog)] == [
        "response",
        "revisit",
        "response",
        "revisit",
    ]


def test_revisit_refers_to_the_original_uri_without_fragment(session, data_dir):
    first = session.capture(exchange(BODY_A, url=URL + "#top"), kind="article", site="example")
    second = session.capture(
        exchange(BODY_A, minutes=5, url=URL + "#top"), kind="article", site="example"
    )
    assert second.revisit
    session.close()
    records = by_id(check_archive(data_dir))
    original = records[first.records.response.record_id]
    revisit = records[second.records.response.record_id]
    assert original["headers"]["WARC-Target-URI"] == URL
    assert revisit["headers"]["WARC-Refers-To-Target-URI"] == URL


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param({"status": 404}, {"status": 404}, id="not-200"),
        pytest.param({"truncated": "length"}, {"truncated": "length"}, id="truncated"),
        pytest.param({}, {"url": URL + "-other"}, id="other-url"),
    ],
)
def test_no_revisit_unless_a_full_200_of_the_same_url(session, data_dir, first, second):
    session.capture(exchange(BODY_A, **first), kind="article", site="example")
    result = session.capture(exchange(BODY_A, minutes=1, **second), kind="article", site="example")
    assert not result.revisit and result.records.revisit_of is None
    session.close()
    assert [r["type"] for r in check_archive(data_dir)].count("revisit") == 0


def test_dedup_can_be_switched_off(data_dir):
    session = ArchiveSession(
        Config(data_dir=data_dir), command="crawl", sites=["example"], dedup=False
    )
    session.capture(exchange(BODY_A), kind="article", site="example")
    assert not session.capture(exchange(BODY_A, minutes=1), kind="article", site="example").revisit
    session.close()


def test_capture_row_points_at_the_response_record(session, data_dir, catalog):
    result = session.capture(exchange(BODY_A), kind="article", site="example", outcome="fetched")
    session.close()
    (row,) = capture_rows(catalog)
    location = result.records.response
    assert (
        row["warc_filename"],
        row["warc_offset"],
        row["warc_length"],
        row["warc_record_id"],
    ) == (location.filename, location.offset, location.length, location.record_id)
    assert row["status"] == 200 and row["outcome"] == "fetched" and row["kind"] == "article"
    assert row["warc_date"] == result.records.warc_date == "2024-03-01T12:00:00.250000Z"
    assert row["payload_digest"] == payload_digest(BODY_A)
    assert row["body_bytes"] == len(BODY_A)
    (path,) = warc_files(data_dir)
    assert path.name == location.filename
    at = read_record_at(path, location.offset)
    assert at["type"] == "response" and at["headers"]["WARC-Record-ID"] == location.record_id
    request = read_record_at(path, result.records.request.offset)
    assert request["type"] == "request"
    assert request["headers"]["WARC-Concurrent-To"] == location.record_id


# -- failed fetches --------------------------------------------------------------------------


def test_failed_fetch_that_was_sent_writes_a_lone_request_record(session, data_dir, catalog):
    ex = exchange()
    ex.status = None
    capture_id = session.failed_fetch(
        ex,
        kind="article",
        site="example",
        outcome="timeout",
        error="TimeoutError: " + "x" * 5000,
        sent=True,
    )
    session.close()
    records = check_archive(data_dir)
    assert [r["type"] for r in records] == ["warcinfo", "request"]
    request = records[1]
    assert "WARC-Concurrent-To" not in request["headers"]
    assert request["headers"]["WARC-Target-URI"] == URL
    row = catalog.capture(capture_id)
    assert row["outcome"] == "timeout" and row["record_type"] == "request"
    assert row["warc_record_id"] == request["headers"]["WARC-Record-ID"]
    assert row["status"] is None
    assert row["error"].startswith("TimeoutError: ") and len(row["error"]) == 2000


def test_failed_fetch_that_was_not_sent_writes_no_record(session, data_dir, catalog):
    ex = exchange()
    ex.status = None
    capture_id = session.failed_fetch(
        ex,
        kind="article",
        site="example",
        outcome="dns-error",
        error="DNSLookupError: news.example",
        sent=False,
    )
    session.close()
    assert warc_files(data_dir) == [] and open_files(data_dir) == []
    row = catalog.capture(capture_id)
    assert row["outcome"] == "dns-error" and row["record_type"] is None
    assert row["warc_filename"] is None and row["warc_record_id"] is None
    assert row["error"] == "DNSLookupError: news.example"


# -- tracking ------------------------------------------------------------------------------


def test_track_writes_resource_version_and_record_line(session, data_dir, catalog):
    capture = session.capture(exchange(BODY_A), kind="article", site="example")
    decision = session.track(observation(capture), capture.records)
    assert decision.outcome == "new" and decision.version == 1
    summary = session.close()

    records = check_archive(data_dir)
    resources = [r for r in records if r["type"] == "conversion"]
    assert len(resources) == 1
    resource = resources[0]
    assert (
        resource["headers"]["WARC-Target-URI"] == f"urn:newsarchive:article:{article_id_for(URL)}"
    )
    assert resource["headers"]["Content-Type"] == "application/json"
    assert resource["headers"]["WARC-Refers-To"] == capture.records.response.record_id
    assert resource["headers"]["WARC-Date"] == capture.records.warc_date
    payload = json.loads(resource["body"])
    assert payload["article_id"] == article_id_for(URL)
    assert payload["version"] == 1 and payload["outcome"] == "new"
    assert payload["text"] == TEXT

    versions = catalog.versions(article_id_for(URL))
    assert [(v["version"], v["change"]) for v in versions] == [(1, "new")]
    assert versions[0]["warc_record_id"] == capture.records.response.record_id
    assert catalog.capture(capture.capture_id)["outcome"] == "new"

    records_files = list((data_dir / "records").rglob("*.jsonl"))
    assert records_files == [Path(summary["records_file"])]
    lines = records_files[0].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["version"] == 1 and line["change"] == "new" and line["run_id"] == session.run_id
    assert line["content_sha256"] == decision.content_sha256
    pointer = line["warc"]
    assert set(pointer) == {"filename", "offset", "length", "record_id"}
    (path,) = [p for p in warc_files(data_dir) if p.name == pointer["filename"]]
    target = read_record_at(path, pointer["offset"])
    assert target["type"] == "response"
    assert target["headers"]["WARC-Record-ID"] == pointer["record_id"]
    assert target["headers"]["WARC-Target-URI"] == URL
    assert target["body"] == BODY_A
    with open(path, "rb") as fh:
        fh.seek(pointer["offset"])
        assert len(fh.read(pointer["length"])) == pointer["length"]


def test_unchanged_capture_writes_no_record_line(session, data_dir, catalog):
    first = session.capture(exchange(BODY_A), kind="article", site="example")
    session.track(observation(first), first.records)
    second = session.capture(exchange(BODY_A, minutes=10), kind="article", site="example")
    decision = session.track(observation(second, minutes=10), second.records)
    assert decision.outcome == "unchanged"
    summary = session.close()
    assert summary["records_written"] == 1
    assert len(catalog.versions(article_id_for(URL))) == 1
    records = check_archive(data_dir)
    resources = [r for r in records if r["type"] == "conversion"]
    assert [r["headers"]["WARC-Refers-To"] for r in resources] == [
        first.records.response.record_id,
        second.records.response.record_id,
    ]


def test_suspect_retry_writes_nothing_but_the_capture_outcome(session, data_dir, catalog):
    first = session.capture(exchange(BODY_A), kind="article", site="example")
    session.track(observation(first), first.records)
    second = session.capture(exchange(BODY_B, minutes=10), kind="article", site="example")
    decision = session.track(
        observation(second, text="Subscribe to continue.", minutes=10), second.records
    )
    assert decision.outcome == "suspect-retry"
    session.close()
    assert [r["type"] for r in check_archive(data_dir)].count("conversion") == 1
    assert catalog.capture(second.capture_id)["outcome"] == "suspect-retry"
    assert len(catalog.versions(article_id_for(URL))) == 1


# -- end of run ----------------------------------------------------------------------------


def test_close_leaves_no_open_file_and_finishes_the_run(session, data_dir, catalog):
    session.capture(exchange(BODY_A), kind="article", site="example")
    session.capture(
        exchange(BODY_A, minutes=1, status=404), kind="article", site="example", outcome="http-404"
    )
    assert len(open_files(data_dir)) == 1
    summary = session.close()
    assert open_files(data_dir) == []
    (path,) = warc_files(data_dir)
    check_archive(data_dir)

    with catalog.engine.connect() as conn:
        run = dict(conn.execute(select(t.runs).where(t.runs.c.id == session.run_id)).one()._mapping)
    assert run["status"] == "done" and run["ended_at"] is not None
    assert run["command"] == "crawl" and run["sites"] == ["example"]
    assert run["summary"]["run_id"] == session.run_id
    assert run["summary"]["pages_fetched"] == 2
    assert run["summary"]["errors"] == {"http-404": 1}
    assert run["summary"]["warc_files"] == [str(path.relative_to(data_dir))]
    assert run["summary"]["warc_bytes"] == path.stat().st_size
    assert summary == run["summary"]

    (warc_row,) = catalog.warc_files()
    assert warc_row["status"] == "closed" and warc_row["filename"] == path.name
    assert warc_row["size"] == path.stat().st_size and warc_row["records"] == 5
    assert len(warc_row["sha256"]) == 64

    again = session.close()  # idempotent: nothing reopened, the run row is not rewritten
    assert again["run_id"] == session.run_id and open_files(data_dir) == []


def test_archives_with_old_style_article_records_still_read(session, data_dir, tmp_path):
    """Archives written before `conversion` records hold `resource` records under
    `urn:newsarchive:article:<page URL>` (and may hold br bodies): verify, the CDXJ index
    and a WACZ export read them as before."""
    import io
    import subprocess
    import sys

    import brotli

    from archive.cdxj import write_cdxj_index
    from archive.warc_records import new_record_id

    capture = session.capture(exchange(BODY_A), kind="article", site="example")
    session.track(observation(capture), capture.records)
    old = session.warc.records.builder.create_warc_record(
        "urn:newsarchive:article:" + URL + "?page=2", "resource", payload=io.BytesIO(b'{"title": "old"}'),
        length=16, warc_content_type="application/json",
        warc_headers_dict={"WARC-Record-ID": new_record_id(), "WARC-Date": capture.records.warc_date,
                           "WARC-Concurrent-To": capture.records.response.record_id,
                           "WARC-Warcinfo-ID": session.warc.ensure_open()},
    )  # fmt: skip
    session.warc.write([old])
    body = brotli.compress(BODY_B)
    br = exchange(body, minutes=1, url=URL + "-br")
    br.response_headers = [
        ("Content-Type", "text/html"),
        ("Content-Encoding", "br"),
        ("Content-Length", str(len(body))),
    ]
    session.capture(br, kind="page", site="example")
    session.close()
    records = check_archive(data_dir)  # warcio check -v included
    assert [r["type"] for r in records].count("resource") == 1
    (path,) = warc_files(data_dir)
    index = write_cdxj_index(tmp_path / "reindex", path).read_text()
    assert "urn:newsarchive:article:" in index  # indexed as before
    bin_dir = Path(sys.executable).parent
    verified = subprocess.run([str(bin_dir / "newsarchive"), "--data-dir", str(data_dir), "verify", "--json"],
                              capture_output=True, text=True, check=False)  # fmt: skip
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], (
        verified.stdout + verified.stderr
    )
    out = tmp_path / "old.wacz"
    exported = subprocess.run([str(bin_dir / "newsarchive"), "--data-dir", str(data_dir), "export", "--format",
                               "wacz", "--out", str(out), "--no-progress"], capture_output=True, text=True,
                              check=False)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert (
        subprocess.run(
            [str(bin_dir / "wacz"), "validate", "-f", str(out)], capture_output=True
        ).returncode
        == 0
    )
