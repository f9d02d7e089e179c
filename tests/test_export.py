"""Dataset export end to end: a fixture archive with known content (two sites crawled by the
real CLI, then edits and a revert picked up by rechecks) exported in every format and view."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq
import pytest

from archive.catalog import Catalog
from archive.export import (
    ExportFilter,
    ExportRequest,
    OutputError,
    RowSource,
    arrow_schema,
    export_dataset,
    view_columns,
)
from archive.export.site_signals import RobotsRules
from archive.urls import article_id_for
from tests.conftest import BIN, MIRROR_CONFIG, SITES, run_cli

pytestmark = pytest.mark.timeout(300)

CNN = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))["articles"]
NPR = json.loads((SITES / "npr-text" / "expected.json").read_text(encoding="utf-8"))["articles"]
N_ARTICLES = len(CNN) + len(NPR)  # 11
N_VERSIONS = N_ARTICLES + 3  # an edit and its revert on one article, a new title on another
ROBOTS = "User-agent: GPTBot\nDisallow: /\n\nUser-agent: CCBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\n"


def _serve(root: Path, port_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, "-m", "newsarchive.demo.server", str(root), "--port-file", str(port_file)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 20
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"fixture server for {root} did not start")
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port_file.read_text()}/"


def _page(root: Path, path: str) -> Path:
    page = root / path.lstrip("/")
    return page / "index.html" if page.is_dir() else page


class Archive:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.data_dir = base / "data"
        self.config = base / "newsarchive.toml"
        self.urls: dict[str, str] = {}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, data_dir=self.data_dir, config=self.config)

    def export(self, tmp: Path, fmt: str, *args: str, name: str | None = None) -> Path:
        out = tmp / (name or f"export.{fmt}")
        result = self.cli("export", "--format", fmt, "--out", str(out), "--no-progress", *args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("exported "), result.stdout
        return out

    def catalog(self) -> Catalog:
        return Catalog(f"sqlite:///{self.data_dir / 'catalog.sqlite'}")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    """cnn-lite (with a robots.txt opting out GPTBot and CCBot) and npr-text crawled once; then
    one CNN article edited (v2) and reverted (v3, `revert`), another retitled (v2)."""
    arc = Archive(tmp_path_factory.mktemp("export"))
    arc.config.write_text(MIRROR_CONFIG)
    procs = []
    try:
        roots = {}
        for name in ("cnn-lite", "npr-text"):
            root = arc.base / f"site-{name}"
            shutil.copytree(SITES / name, root)
            roots[name] = root
            proc, url = _serve(root, arc.base / f"port-{name}")
            procs.append(proc)
            arc.urls[name] = url
        (roots["cnn-lite"] / "robots.txt").write_text(ROBOTS)
        for name in ("cnn-lite", "npr-text"):
            result = arc.cli("crawl", name, "--start-url", arc.urls[name], "--no-progress")
            assert result.returncode == 0, result.stderr
        cnn = roots["cnn-lite"]
        edited = _page(cnn, CNN[0]["path"])
        original = edited.read_text(encoding="utf-8")
        edited.write_text(original.replace(CNN[0]["text_startswith"], "UPDATE: " + CNN[0]["text_startswith"], 1),
                          encoding="utf-8")  # fmt: skip
        retitled = _page(cnn, CNN[1]["path"])
        retitled.write_text(retitled.read_text(encoding="utf-8").replace(CNN[1]["title"], CNN[1]["title"] + ", officials say"),
                            encoding="utf-8")  # fmt: skip
        result = arc.cli("recheck", "--all", "--site", "cnn-lite", "--no-progress")
        assert result.returncode == 0, result.stderr
        edited.write_text(original, encoding="utf-8")
        result = arc.cli("recheck", "--all", "--site", "cnn-lite", "--no-progress")
        assert result.returncode == 0, result.stderr
        yield arc
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(5)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _id(arc: Archive, site: str, path: str) -> str:
    return article_id_for(arc.urls[site].rstrip("/") + path)


# -- latest view --------------------------------------------------------------------------


def test_latest_jsonl_has_one_row_per_article_with_its_newest_version(
    archive: Archive, tmp_path: Path
) -> None:
    rows = _jsonl(archive.export(tmp_path, "jsonl"))
    assert len(rows) == N_ARTICLES
    assert [r["article_id"] for r in rows] == sorted(r["article_id"] for r in rows)
    assert all(list(r) == [c.name for c in view_columns("latest")] for r in rows)
    by_id = {r["article_id"]: r for r in rows}
    for site, expected in (("cnn-lite", CNN), ("npr-text", NPR)):
        for a in expected:
            row = by_id[_id(archive, site, a["path"])]
            assert row["site"] == site
            assert row["authors"] == a["authors"]
            assert row["published_at"] == a["published_at"]
            assert row["text"].startswith(a["text_startswith"])
    reverted = by_id[_id(archive, "cnn-lite", CNN[0]["path"])]
    assert (reverted["version"], reverted["change"], reverted["reverted_to"]) == (3, "revert", 1)
    assert reverted["diff"]["from_version"] == 2 and reverted["diff"]["chars_removed"] == len(
        "UPDATE:"
    )
    retitled = by_id[_id(archive, "cnn-lite", CNN[1]["path"])]
    assert retitled["version"] == 2 and retitled["changed_fields"] == ["title"]
    assert retitled["title"] == CNN[1]["title"] + ", officials say"
    untouched = by_id[_id(archive, "npr-text", NPR[0]["path"])]
    assert untouched["version"] == 1 and untouched["change"] == "new" and untouched["diff"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", untouched["captured_at"])
    assert untouched["warc"]["filename"].endswith(".warc.gz") and untouched["warc"]["length"] > 0


# -- versions view ------------------------------------------------------------------------


def test_versions_parquet_round_trips_with_the_documented_schema(
    archive: Archive, tmp_path: Path
) -> None:
    out = archive.export(tmp_path, "parquet", "--view", "versions")
    table = pq.read_table(out)
    assert table.num_rows == N_VERSIONS
    expected = arrow_schema(view_columns("versions"))
    assert table.schema.names == expected.names
    assert [f.type for f in table.schema] == [f.type for f in expected]
    assert table.schema.field("captured_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("authors").type == pa.list_(pa.string())
    rows = table.to_pylist()
    assert [(r["article_id"], r["version"]) for r in rows] == sorted(
        (r["article_id"], r["version"]) for r in rows
    )
    edited_id = _id(archive, "cnn-lite", CNN[0]["path"])
    history = [r for r in rows if r["article_id"] == edited_id]
    assert [(r["version"], r["change"]) for r in history] == [
        (1, "new"),
        (2, "edit"),
        (3, "revert"),
    ]
    v1, v2, v3 = history
    assert v1["diff_from_version"] is None and v1["chars_added"] is None
    assert (v2["diff_from_version"], v2["chars_added"], v2["chars_removed"]) == (
        1,
        len("UPDATE:"),
        0,
    )
    assert (v2["paragraphs_added"], v2["paragraphs_removed"]) == (1, 1)
    assert v2["changed_fields"] == ["text"] and v3["reverted_to"] == 1
    assert v1["captured_at"] < v2["captured_at"] < v3["captured_at"]
    assert v1["captured_at"].tzinfo is not None
    assert v1["published_at"] == datetime.fromisoformat(CNN[0]["published_at"])
    assert v1["authors"] == CNN[0]["authors"]
    assert v2["warc_filename"] != v1["warc_filename"] and v2["warc_offset"] > 0

    import pandas as pd

    df = pd.read_parquet(out)
    assert len(df) == N_VERSIONS and str(df["captured_at"].dtype).startswith("datetime64")
    assert list(df.loc[0, "authors"]) == rows[0]["authors"]


def test_parquet_and_jsonl_load_with_hugging_face_datasets(archive: Archive, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = archive.export(tmp_path, "parquet", "--view", "versions")
    ds = datasets.load_dataset(
        "parquet", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf")
    )
    assert ds.num_rows == N_VERSIONS
    assert ds.features["authors"].feature.dtype == "string"  # a list of strings
    assert ds.features["captured_at"].dtype.startswith("timestamp[us")
    assert ds[0]["authors"] == pq.read_table(out).to_pylist()[0]["authors"]


def test_jsonl_reads_with_the_documented_schema_in_pyarrow_and_pandas(
    archive: Archive, tmp_path: Path
) -> None:
    out = archive.export(tmp_path, "jsonl", "--view", "versions")
    schema = arrow_schema(view_columns("versions"))
    table = pa_json.read_json(out, parse_options=pa_json.ParseOptions(explicit_schema=schema))
    assert table.num_rows == N_VERSIONS
    assert table.schema.field("captured_at").type == pa.timestamp("us", tz="UTC")
    assert table.column("captured_at").to_pylist() == pq.read_table(
        archive.export(tmp_path, "parquet", "--view", "versions")).column("captured_at").to_pylist()  # fmt: skip

    import pandas as pd

    df = pd.read_json(out, lines=True)
    assert len(df) == N_VERSIONS and isinstance(df.loc[0, "authors"], list)


def test_csv_parses_back_with_the_csv_module(archive: Archive, tmp_path: Path) -> None:
    out = archive.export(tmp_path, "csv", "--view", "versions")
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == N_VERSIONS
    assert list(rows[0]) == [c.name for c in view_columns("versions")]
    parquet = pq.read_table(archive.export(tmp_path, "parquet", "--view", "versions")).to_pylist()
    for row, typed in zip(rows, parquet, strict=True):
        assert row["article_id"] == typed["article_id"] and int(row["version"]) == typed["version"]
        assert json.loads(row["authors"]) == typed["authors"]
        assert json.loads(row["changed_fields"]) == typed["changed_fields"]
        assert row["text"] == typed["text"]  # newlines and quotes survive
        assert datetime.fromisoformat(row["captured_at"]) == typed["captured_at"]
        assert row["chars_added"] == (
            "" if typed["chars_added"] is None else str(typed["chars_added"])
        )
    latest = archive.export(tmp_path, "csv", name="latest.csv")
    with open(latest, newline="", encoding="utf-8") as fh:
        latest_rows = list(csv.DictReader(fh))
    assert len(latest_rows) == N_ARTICLES
    assert all(json.loads(r["warc"])["filename"].endswith(".warc.gz") for r in latest_rows)


# -- filters and projection -----------------------------------------------------------------


def test_site_filter_and_fields_projection(archive: Archive, tmp_path: Path) -> None:
    rows = _jsonl(archive.export(tmp_path, "jsonl", "--view", "versions", "--site", "npr-text",
                                 "--fields", "title,article_id,authors"))  # fmt: skip
    assert len(rows) == len(NPR)
    assert all(list(r) == ["title", "article_id", "authors"] for r in rows)
    assert sorted(r["title"] for r in rows) == sorted(a["title"] for a in NPR)
    both = _jsonl(
        archive.export(
            tmp_path, "jsonl", "--site", "npr-text", "--site", "cnn-lite", name="both.jsonl"
        )
    )
    assert len(both) == N_ARTICLES
    table = pq.read_table(
        archive.export(tmp_path, "parquet", "--site", "cnn-lite", "--fields", "site,version")
    )
    assert table.schema.names == ["site", "version"] and table.num_rows == len(CNN)
    assert sorted(table.column("version").to_pylist()) == [1, 1, 1, 1, 2, 3]


def test_since_and_until_select_by_capture_time(archive: Archive, tmp_path: Path) -> None:
    versions = _jsonl(archive.export(tmp_path, "jsonl", "--view", "versions", name="all.jsonl"))
    firsts = [r["captured_at"] for r in versions if r["version"] == 1]
    later = sorted(r["captured_at"] for r in versions if r["version"] > 1)
    # Rows of the rechecks only.
    since = _jsonl(
        archive.export(
            tmp_path, "jsonl", "--view", "versions", "--since", later[0], name="since.jsonl"
        )
    )
    assert sorted(r["captured_at"] for r in since) == later and len(since) == 3
    # The archive as it stood after the first crawls: every article at version 1.
    until = _jsonl(archive.export(tmp_path, "jsonl", "--until", max(firsts), name="until.jsonl"))
    assert len(until) == N_ARTICLES and {r["version"] for r in until} == {1}
    # Latest as of the first recheck: the edited article at version 2, not 3.
    mid = sorted(r["captured_at"] for r in versions if r["version"] == 2)[-1]
    asof = {
        r["article_id"]: r["version"]
        for r in _jsonl(archive.export(tmp_path, "jsonl", "--until", mid, name="mid.jsonl"))
    }
    assert asof[_id(archive, "cnn-lite", CNN[0]["path"])] == 2
    window = _jsonl(
        archive.export(tmp_path, "jsonl", "--since", later[0], "--until", mid, name="window.jsonl")
    )
    assert sorted(r["version"] for r in window) == [2, 2]
    # A bare date covers the whole day; a day before any capture selects nothing.
    day = firsts[0][:10]
    assert (
        len(
            _jsonl(
                archive.export(tmp_path, "jsonl", "--since", day, "--until", day, name="day.jsonl")
            )
        )
        <= N_ARTICLES
    )
    assert (
        archive.export(tmp_path, "jsonl", "--until", "2000-01-01", name="none.jsonl").read_text()
        == ""
    )


# -- the dataset card -------------------------------------------------------------------------


def test_dataset_card_counts_sources_schema_and_signals(archive: Archive, tmp_path: Path) -> None:
    out = archive.export(tmp_path, "parquet", "--view", "versions")
    card = (tmp_path / "export.parquet.md").read_text(encoding="utf-8")
    assert f"- rows: {N_VERSIONS}\n" in card and f"- articles: {N_ARTICLES}\n" in card
    assert pq.read_table(out).num_rows == N_VERSIONS
    assert f"| cnn-lite | {len(CNN) + 3} | {len(CNN)} |" in card
    assert f"| npr-text | {len(NPR)} | {len(NPR)} |" in card
    assert (
        "https://www.cnn.com/terms" in card
        and "https://www.npr.org/about-npr/179876898/terms-of-use" in card
    )
    cnn = card.split("### cnn-lite")[1].split("###")[0]
    assert "AI crawlers disallowed: GPTBot, CCBot" in cnn and "`*` not disallowed" in cnn
    npr = card.split("### npr-text")[1].split("##")[0]
    assert "HTTP 404" in npr
    assert (
        "| `authors` | list<string> |" in card and "| `captured_at` | timestamp[us, UTC] |" in card
    )
    assert re.search(
        r"command: `newsarchive .*export --format parquet --out \S+ --no-progress --view versions`",
        card,
    )
    assert "software: newsarchive " in card
    captured = sorted(
        r["captured_at"] for r in _jsonl(archive.export(tmp_path, "jsonl", "--view", "versions"))
    )
    assert f"- captured: {captured[0]} to {captured[-1]}" in card


def test_card_says_not_seen_for_a_site_without_robots_capture(
    archive: Archive, tmp_path: Path
) -> None:
    catalog = archive.catalog()
    try:
        result = export_dataset(catalog, archive.data_dir, ExportRequest(
            format="jsonl", out=tmp_path / "empty.jsonl", filter=ExportFilter(sites=("elsewhere",))))  # fmt: skip
    finally:
        catalog.close()
    assert result.stats.rows == 0 and (tmp_path / "empty.jsonl").read_text() == ""
    card = result.card.read_text(encoding="utf-8")
    assert "### elsewhere" in card and "robots.txt: not seen" in card and "- rows: 0" in card


# -- WACZ ------------------------------------------------------------------------------------------


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "wacz"), "validate", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wacz_passes_validation_with_pages_and_index(archive: Archive, tmp_path: Path) -> None:
    import zipfile

    out = archive.export(tmp_path, "wacz", name="archive.wacz")
    result = _validate(out)
    assert result.returncode == 0 and "Validation succeeded" in result.stdout, (
        result.stdout + result.stderr
    )
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        warcs = [n for n in names if n.startswith("archive/")]
        catalog = archive.catalog()
        try:
            closed = {f["filename"] for f in catalog.warc_files("closed")}
            with catalog.engine.connect() as conn:
                article_captures = conn.exec_driver_sql(
                    "SELECT count(*) FROM captures WHERE kind='article' AND version IS NOT NULL "
                    "AND record_type IN ('response', 'revisit')").scalar_one()  # fmt: skip
        finally:
            catalog.close()
        assert {n.removeprefix("archive/") for n in warcs} == closed
        assert all(z.getinfo(n).compress_type == zipfile.ZIP_STORED for n in warcs)
        assert "indexes/index.cdx" in names and "datapackage.json" in names
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()]
        index = z.read("indexes/index.cdx").decode().splitlines()
        package = json.loads(z.read("datapackage.json"))
    assert pages[0]["format"] == "json-pages-1.0"
    assert len(pages) - 1 == article_captures
    titles = {p["title"] for p in pages[1:]}
    assert CNN[1]["title"] + ", officials say" in titles and NPR[0]["title"] in titles
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", p["ts"]) for p in pages[1:])
    indexed = {json.loads(line.split(" ", 2)[2])["url"] for line in index}
    assert {p["url"] for p in pages[1:]} <= indexed
    assert package["wacz_version"] == "1.1.1" and all(
        r["hash"].startswith("sha256:") for r in package["resources"]
    )
    assert (tmp_path / "archive.wacz.md").exists()


def test_wacz_of_a_filtered_selection(archive: Archive, tmp_path: Path) -> None:
    import zipfile

    out = archive.export(tmp_path, "wacz", "--site", "npr-text", name="npr.wacz")
    assert _validate(out).returncode == 0
    with zipfile.ZipFile(out) as z:
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert sorted(p["title"] for p in pages) == sorted(a["title"] for a in NPR)
    assert all(p["url"].startswith(archive.urls["npr-text"]) for p in pages)


# -- failures --------------------------------------------------------------------------------------


def test_bad_options_are_one_line_errors_with_status_2(archive: Archive, tmp_path: Path) -> None:
    cases = [
        (["--format", "xml", "--out", str(tmp_path / "x")], "--format must be one of"),
        (
            ["--format", "csv", "--view", "diffs", "--out", str(tmp_path / "x")],
            "--view must be one of",
        ),
        (
            ["--format", "csv", "--fields", "title,nope", "--out", str(tmp_path / "x")],
            "unknown field(s)",
        ),
        (
            ["--format", "csv", "--since", "last week", "--out", str(tmp_path / "x")],
            "--since takes an ISO date",
        ),
        (["--format", "csv", "--out", str(tmp_path / "missing" / "x.csv")], "does not exist"),
        (["--format", "csv", "--out", str(tmp_path)], "is a directory"),
    ]
    for args, message in cases:
        result = archive.cli("export", "--no-progress", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_failed_export_leaves_no_file_behind(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.export import parquet

    out = tmp_path / "broken.parquet"
    out.write_bytes(b"an earlier export")  # a failed export must not touch it either
    calls = []
    original = parquet.ParquetWriter.write

    def failing_write(self: parquet.ParquetWriter, rows: list[dict]) -> None:
        calls.append(len(rows))
        if len(calls) == 2:
            raise OSError("disk full")
        original(self, rows)

    monkeypatch.setattr(parquet.ParquetWriter, "write", failing_write)
    catalog = archive.catalog()
    try:
        with pytest.raises(OSError, match="disk full"):
            export_dataset(catalog, archive.data_dir, ExportRequest(format="parquet", out=out, view="versions",
                                                                     batch_size=4))  # fmt: skip
        with pytest.raises(OutputError):
            export_dataset(
                catalog,
                archive.data_dir,
                ExportRequest(format="jsonl", out=tmp_path / "no" / "x.jsonl"),
            )
    finally:
        catalog.close()
    assert calls == [4, 4]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.parquet"]
    assert out.read_bytes() == b"an earlier export"


# -- units --------------------------------------------------------------------------------------------


def test_row_source_batches_are_keyset_pages_in_order(archive: Archive) -> None:
    catalog = archive.catalog()
    try:
        for view, n in (("versions", N_VERSIONS), ("latest", N_ARTICLES)):
            for flt in (ExportFilter(), ExportFilter(since=datetime(2000, 1, 1, tzinfo=UTC))):
                source = RowSource(catalog, view, flt, batch_size=3)
                batches = list(source.batches())
                assert source.count() == n and sum(map(len, batches)) == n
                assert all(len(b) == 3 for b in batches[:-1])
                keys = [(r["article_id"], r["version"]) for b in batches for r in b]
                assert keys == sorted(keys) and len(set(keys)) == n
    finally:
        catalog.close()


def test_robots_rules_find_ai_opt_outs() -> None:
    rules = RobotsRules.parse(
        "# comment\nUser-agent: GPTBot\nUser-agent: ClaudeBot\nDisallow: /\n\n"
        "User-agent: CCBot\nDisallow: /news/\n\nUser-agent: *\nAllow: /\nDisallow:\n"
    )
    assert rules.blocks_all("gptbot") and rules.blocks_all("ClaudeBot")
    assert not rules.blocks_all("CCBot") and not rules.blocks_all("Bytespider")
    assert not rules.blocks_all("*")
    everyone = RobotsRules.parse("User-agent: *\nDisallow: /\n")
    assert everyone.blocks_all("Google-Extended") and everyone.blocks_all("*")
    # Read as the crawl reads it (Protego): only the root allowed is not the whole site
    # disallowed; a group's agents are matched case-insensitively.
    assert not RobotsRules.parse("User-agent: *\nAllow: /$\nDisallow: /\n").blocks_all("*")
    assert RobotsRules.parse("user-agent: gptbot\ndisallow: /\n").blocks_all("GPTBot")


def test_export_module_does_not_import_scrapy() -> None:
    code = "import sys, archive.export.exporter, archive.export.wacz; print('scrapy' in sys.modules or 'crawler' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}
    )
    assert result.stdout.strip() == "False", result.stderr


def test_until_date_covers_the_whole_day() -> None:
    from newsarchive.cli import _parse_when

    end = _parse_when("2026-05-06", "--until", end_of_day=True)
    assert end == datetime(2026, 5, 6, tzinfo=UTC) + timedelta(days=1, microseconds=-1)
    assert _parse_when("2026-05-06T12:00Z", "--until", end_of_day=True) == datetime(
        2026, 5, 6, 12, tzinfo=UTC
    )


def test_parquet_writer_writes_full_row_groups(tmp_path: Path) -> None:
    from archive.export.parquet import ParquetWriter
    from archive.export.schema import select_columns

    columns = select_columns("versions", ["article_id", "version", "authors"])
    writer = ParquetWriter(tmp_path / "x.parquet", columns, row_group_size=3)
    rows = [
        {"article_id": f"{i:016x}", "version": 1, "authors": ["A", "B"][: i % 3]} for i in range(14)
    ]
    for start in range(0, 14, 4):
        writer.write(rows[start : start + 4])
    writer.close()
    meta = pq.ParquetFile(tmp_path / "x.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [3, 3, 3, 3, 2]
    assert pq.read_table(tmp_path / "x.parquet").to_pylist() == rows
