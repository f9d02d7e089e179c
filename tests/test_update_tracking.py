"""Update tracking end to end: a site whose pages change between runs gives exactly the
expected versions and outcomes; unchanged payloads become revisit records; the recheck
ladder picks the right articles under a controllable clock."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.catalog import Catalog
from archive.urls import article_id_for
from tests.conftest import SITES, run_cli
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(300)

EXPECTED = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
ARTICLES = EXPECTED["articles"]
T0 = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)


def _at(moment: datetime) -> dict[str, str]:
    return {"NEWSARCHIVE_NOW": moment.isoformat()}


def _page_file(root: Path, path: str) -> Path:
    page = root / path.lstrip("/")
    return page / "index.html" if page.is_dir() else page


def _edit(root: Path, path: str, fn) -> None:
    page = _page_file(root, path)
    html = page.read_text(encoding="utf-8")
    changed = fn(html)
    assert changed != html, f"edit of {path} changed nothing"
    page.write_text(changed, encoding="utf-8")


def _captures(data_dir: Path) -> list[dict]:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            return [
                dict(r._mapping) for r in conn.exec_driver_sql("SELECT * FROM captures ORDER BY id")
            ]
    finally:
        catalog.close()


def _outcomes_for(data_dir: Path, site, path: str, run_id: str) -> list[str]:
    url = site.page(path)
    return [c["outcome"] for c in _captures(data_dir) if c["url"] == url and c["run_id"] == run_id]


def _history(data_dir: Path, site, path: str) -> dict:
    result = run_cli("history", site.page(path), "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_changes_between_runs_give_exactly_the_expected_versions(
    serve_site, data_dir, mirror_config
):
    site = serve_site("cnn-lite")
    first = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                    data_dir=data_dir, config=mirror_config, env=_at(T0))  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["versions_new"] == len(ARTICLES)

    edited, retitled, stamped, spaced, collapsed, untouched = (a["path"] for a in ARTICLES)
    original_edited = _page_file(site.root, edited).read_text(encoding="utf-8")
    _edit(site.root, edited, lambda h: h.replace(ARTICLES[0]["text_startswith"],
                                                 "UPDATE: " + ARTICLES[0]["text_startswith"], 1))  # fmt: skip
    _edit(
        site.root,
        retitled,
        lambda h: h.replace(ARTICLES[1]["title"], ARTICLES[1]["title"] + ", officials say"),
    )
    # Only the visible "Updated:" time moves.
    _edit(
        site.root,
        stamped,
        lambda h: re.sub(r"(Updated:\s+)(\d{1,2}):(\d\d)", r"\g<1>11:59", h, count=1),
    )
    # Whitespace only: a paragraph re-wrapped over several indented lines.
    _edit(site.root, spaced, lambda h: h.replace(ARTICLES[3]["text_startswith"],
                                                 ARTICLES[3]["text_startswith"].replace(" ", "\n            ", 3), 1))  # fmt: skip

    # Extraction collapses: all paragraphs but the first are gone.
    def collapse(html: str) -> str:
        paragraphs = re.findall(r'<p class="paragraph--lite">.*?</p>', html, flags=re.S)
        for p in paragraphs[1:-1]:
            html = html.replace(p, "", 1)
        return html

    _edit(site.root, collapsed, collapse)

    second = run_cli("recheck", "--all", "--no-progress", "--json", data_dir=data_dir, config=mirror_config,
                     env=_at(T0 + timedelta(minutes=20)))  # fmt: skip
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    run2 = summary["run_id"]
    assert summary["versions_new"] == 2
    assert _outcomes_for(data_dir, site, edited, run2) == ["edit"]
    assert _outcomes_for(data_dir, site, retitled, run2) == ["edit"]
    assert _outcomes_for(data_dir, site, stamped, run2) == ["timestamp-only"]
    assert _outcomes_for(data_dir, site, spaced, run2) == ["unchanged"]
    assert _outcomes_for(data_dir, site, collapsed, run2) == ["suspect-retry", "suspect"]
    assert _outcomes_for(data_dir, site, untouched, run2) == ["unchanged"]

    h = _history(data_dir, site, edited)
    assert [v["version"] for v in h["versions"]] == [1, 2]
    v2 = h["versions"][1]
    assert v2["change"] == "edit" and v2["changed_fields"] == ["text"]
    assert v2["diff"]["chars_added"] == len("UPDATE:") and v2["diff"]["paragraphs_added"] == 1
    assert v2["diff"]["paragraphs_removed"] == 1 and v2["diff"]["chars_removed"] == 0
    h = _history(data_dir, site, retitled)
    assert h["versions"][1]["changed_fields"] == ["title"]
    assert h["versions"][1]["title"].endswith(", officials say")
    h = _history(data_dir, site, stamped)
    assert len(h["versions"]) == 1
    assert h["modified_at"] != ARTICLES[2]["modified_at"] and h["modified_at"].endswith(":59:00Z")
    for path in (spaced, collapsed, untouched):
        assert len(_history(data_dir, site, path)["versions"]) == 1

    # The untouched page's identical payload was written as a revisit record.
    captures = [c for c in _captures(data_dir) if c["url"] == site.page(untouched)]
    original, revisit = captures[0], captures[-1]
    assert original["record_type"] == "response" and revisit["record_type"] == "revisit"
    records = check_archive(data_dir)
    by_id = {r["headers"]["WARC-Record-ID"]: r for r in records}
    rec = by_id[revisit["warc_record_id"]]
    assert rec["type"] == "revisit"
    assert (
        rec["headers"]["WARC-Profile"]
        == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    )
    assert rec["headers"]["WARC-Refers-To"] == original["warc_record_id"]
    assert rec["headers"]["WARC-Refers-To-Target-URI"] == site.page(untouched)
    assert (
        rec["headers"]["WARC-Refers-To-Date"]
        == by_id[original["warc_record_id"]]["headers"]["WARC-Date"]
    )
    assert (
        rec["headers"]["WARC-Payload-Digest"]
        == by_id[original["warc_record_id"]]["headers"]["WARC-Payload-Digest"]
    )
    assert rec["http"].get_statuscode() == "200" and rec["body"] == b""

    # The edited article goes back to its first text: a revert, version 3.
    _page_file(site.root, edited).write_text(original_edited, encoding="utf-8")
    third = run_cli("recheck", "--all", "--no-progress", "--json", data_dir=data_dir, config=mirror_config,
                    env=_at(T0 + timedelta(minutes=40)))  # fmt: skip
    summary = json.loads(third.stdout)
    assert summary["versions_new"] == 1
    h = _history(data_dir, site, edited)
    v3 = h["versions"][2]
    assert v3["version"] == 3 and v3["change"] == "revert" and v3["reverted_to"] == 1
    assert v3["diff"]["from_version"] == 2 and v3["diff"]["chars_removed"] == len("UPDATE:")
    assert v3["content_sha256"] == h["versions"][0]["content_sha256"]

    diff = run_cli("history", site.page(edited), "--diff", "1..2", data_dir=data_dir)
    assert diff.returncode == 0 and "\n~{+UPDATE:+} " in diff.stdout  # a word added to a paragraph
    check_archive(data_dir)


def test_recheck_ladder_under_a_controllable_clock(serve_site, data_dir, mirror_config):
    site = serve_site("cnn-lite")
    n = len(ARTICLES)
    run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", data_dir=data_dir,
            config=mirror_config, env=_at(T0))  # fmt: skip

    def due(at: datetime) -> list[dict]:
        result = run_cli(
            "recheck", "--list", "--json", data_dir=data_dir, config=mirror_config, env=_at(at)
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["due"]

    assert due(T0 + timedelta(minutes=10)) == []  # changed < 3 h ago → every 15 min
    assert len(due(T0 + timedelta(minutes=16))) == n

    # Nothing due → no crawl at all.
    quiet = run_cli("recheck", "--no-progress", data_dir=data_dir, config=mirror_config,
                    env=_at(T0 + timedelta(minutes=5)))  # fmt: skip
    assert quiet.returncode == 0 and "nothing is due" in quiet.stdout

    # One article changes; a recheck at +16 min fetches the due ones.
    _edit(
        site.root,
        ARTICLES[0]["path"],
        lambda h: h.replace(
            ARTICLES[0]["text_startswith"], "NEW: " + ARTICLES[0]["text_startswith"], 1
        ),
    )
    result = run_cli("recheck", "--no-progress", "--json", data_dir=data_dir, config=mirror_config,
                     env=_at(T0 + timedelta(minutes=16)))  # fmt: skip
    summary = json.loads(result.stdout)
    assert summary["versions_new"] == 1 and summary["unchanged"] == n - 1

    # Two days on, unchanged articles (changed 2 d ago → every 3 h) are due again 3 h after
    # their last check, the changed one likewise; a cap per site keeps a run small.
    later = T0 + timedelta(days=2)
    assert len(due(later)) == n
    capped = run_cli("recheck", "--list", "--json", "--limit", "2", data_dir=data_dir, config=mirror_config,
                     env=_at(later))  # fmt: skip
    assert len(json.loads(capped.stdout)["due"]) == 2
    run_cli("recheck", "--no-progress", data_dir=data_dir, config=mirror_config, env=_at(later))
    assert due(later + timedelta(hours=2)) == []
    assert len(due(later + timedelta(hours=3, minutes=1))) == n

    # Checked more than 360 days after its last change, an article is never checked again.
    settled = later + timedelta(days=400)
    run_cli("recheck", "--no-progress", data_dir=data_dir, config=mirror_config, env=_at(settled))
    assert due(settled + timedelta(days=1000)) == []

    # Tracking can be stopped per article and per site.
    stop = run_cli("tracking", "stop", site.page(ARTICLES[0]["path"]), data_dir=data_dir)
    assert stop.returncode == 0, stop.stderr
    everything = run_cli(
        "recheck", "--list", "--all", "--json", data_dir=data_dir, config=mirror_config
    )
    listed = {d["article_id"] for d in json.loads(everything.stdout)["due"]}
    assert len(listed) == n - 1 and article_id_for(site.page(ARTICLES[0]["path"])) not in listed
    run_cli("tracking", "stop", "--site", "cnn-lite", data_dir=data_dir)
    everything = run_cli(
        "recheck", "--list", "--all", "--json", data_dir=data_dir, config=mirror_config
    )
    assert json.loads(everything.stdout)["due"] == []
    run_cli("tracking", "start", "--site", "cnn-lite", data_dir=data_dir)
    everything = run_cli(
        "recheck", "--list", "--all", "--json", data_dir=data_dir, config=mirror_config
    )
    assert len(json.loads(everything.stdout)["due"]) == n
