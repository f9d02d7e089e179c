"""`newsarchive search` (the real command line in a child process) and the service's search
endpoints (`GET /api/search`, `GET /api/articles?q=` through the index) over a catalog the
version tracker filled: results, filters, scopes, JSON, one-line errors, `--rebuild`, and
hostile archived text that must print as the characters it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from archive import search_schema
from archive.catalog import Catalog
from archive.versions import Observation, VersionTracker
from tests.conftest import run_cli

pytestmark = pytest.mark.timeout(180)
T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
HOSTILE_TITLE = "[bold red]Pwned[/] \x1b[31mred\x1b[0m <script>alert(1)</script>"
STORIES = [  # (article, site, [(title, text), …])
    ("storm", "cnn-lite", [
        ("Hurricane Delia slams Port Arden",
         "Hurricane Delia made landfall near Port Arden early Tuesday.\n\n"
         "At least 12 people were killed, officials said.\n\n"
         "The mayor ordered an evacuation of the flood barrier district."),
        ("Death toll from Hurricane Delia rises",
         "Hurricane Delia made landfall near Port Arden early Tuesday.\n\n"
         "At least 17 people were killed, officials said.\n\n"
         "The Coast Guard rescued 85 people from flooded homes."),
    ]),
    ("court", "npr-text", [
        ("Judge blocks social media age law",
         "A federal judge on Friday blocked the state's age-verification law for social media. "
         "The ruling covers every platform in the state."),
    ]),
    ("hostile", "tiny-gazette", [
        (HOSTILE_TITLE,
         "The [link=http://evil.test]flood barrier[/link] held \x1b[2J overnight, officials said. "
         "Residents returned to their homes in the morning."),
    ]),
]  # fmt: skip


def fill(catalog: Catalog) -> None:
    tracker = VersionTracker(catalog)
    step = 0
    for article, site, versions in STORIES:
        for title, body in versions:
            step += 1
            obs = Observation(article_id=article, site=site, url=f"https://{site}.test/{article}",
                              normalized_url=f"https://{site}.test/{article}",
                              captured_at=T0 + timedelta(hours=step),
                              fields={"title": title, "authors": ["Dana Whitfield"], "text": body,
                                      "modified_at": "2025-03-04T09:00:00Z"})  # fmt: skip
            tracker.commit(obs, tracker.decide(obs))
    catalog.flush()


@pytest.fixture
def archive_dir(data_dir: Path) -> Path:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        fill(catalog)
    finally:
        catalog.close()
    return data_dir


def test_search_prints_ranked_results_with_snippets(archive_dir):
    result = run_cli("search", "killed", data_dir=archive_dir)
    assert result.returncode == 0, result.stderr
    assert "Hurricane Delia" in result.stdout and "storm" in result.stdout
    assert "2 shown of 2 matching version(s)" in result.stdout
    # The edit's types are shown: version 2 changed the headline and the figures.
    assert "headline" in result.stdout


def test_search_json_filters_and_scopes(archive_dir):
    def hits(*args: str) -> list[dict]:
        result = run_cli("search", *args, "--json", data_dir=archive_dir)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["results"]

    found = hits('"flood barrier"')
    assert {(h["article_id"], h["version"]) for h in found} == {("storm", 1), ("hostile", 1)}
    assert all("<mark>" in h["snippet"] for h in found)
    assert [h["article_id"] for h in hits('"flood barrier"', "--site", "tiny-gazette")] == [
        "hostile"
    ]
    # The sentence that version 2 of the storm story dropped: found in the removed text.
    removed = hits("evacuation", "--in", "removed")
    assert [(h["article_id"], h["version"]) for h in removed] == [("storm", 2)]
    assert hits("rescued", "--in", "added")[0]["version"] == 2
    assert hits("killed", "--since", "2025-03-04T10:30:00Z") and [
        h["version"] for h in hits("killed", "--until", "2025-03-04T10:30:00Z")
    ] == [1]
    assert len(hits("officials", "--limit", "1")) == 1


def test_hostile_archived_text_prints_as_characters(archive_dir):
    result = run_cli("search", "residents", data_dir=archive_dir)
    assert result.returncode == 0, result.stderr
    assert "[bold red]Pwned[/]" in result.stdout  # printed, not read as markup
    assert "\x1b" not in result.stdout  # no escape sequence reaches the terminal
    assert "<script>alert(1)</script>" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--", "-storm"], "need a word"),  # a query starting with - follows --
    (["ab*"], "3"),
    (["flood", "--in", "sideways"], "--in must be one of"),
    (["flood", "--since", "yesterday"], "--since takes an ISO date"),
    ([], "give a QUERY"),
])  # fmt: skip
def test_bad_searches_are_one_line_errors_with_status_2(archive_dir, args, message):
    result = run_cli("search", *args, data_dir=archive_dir)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], lines


def test_rebuild_builds_a_pending_index_then_searches(archive_dir):
    catalog = Catalog(f"sqlite:///{archive_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.begin() as conn:
            search_schema.set_state(conn, "pending")
    finally:
        catalog.close()
    result = run_cli("search", "killed", data_dir=archive_dir)
    assert result.returncode == 1 and "search --rebuild" in result.stderr
    result = run_cli("search", "killed", "--rebuild", data_dir=archive_dir)
    assert result.returncode == 0, result.stderr
    assert "search index rebuilt: 4 version(s)" in result.stdout
    assert "2 shown of 2" in result.stdout
    result = run_cli("search", "--rebuild", "--json", data_dir=archive_dir)
    assert result.returncode == 0 and "search index rebuilt" in result.stderr
    catalog = Catalog(f"sqlite:///{archive_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM search_docs")).scalar() == 4
    finally:
        catalog.close()


def test_history_lists_each_versions_edit_types(archive_dir):
    result = run_cli("history", "storm", data_dir=archive_dir)
    assert result.returncode == 0, result.stderr
    assert "edit types" in result.stdout
    record = json.loads(run_cli("history", "storm", "--json", data_dir=archive_dir).stdout)
    types = record["versions"][1]["edit_types"]
    assert "headline" in types and ", ".join(types) in result.stdout
