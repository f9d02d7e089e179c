"""What the command line prints, through the real `newsarchive` command: user and config
text printed exactly (the terminal library reads `[...]` as markup), tables that cut nothing
at 80 columns, and the terminal diff (title, authors, dates, word-level marks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MIRROR_CONFIG, run_cli

pytestmark = pytest.mark.timeout(300)

NPR_RULE = r"^/(?:[a-z]+-s1-\d+(?:-e\d+)?|\d+)$"
BRACKETED_TITLE = "House [passes] stopgap [bold]spending[/bold] bill [red]now[/]"
STORY = "/nx-s1-5391204"


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(MIRROR_CONFIG + "\n" + extra)
    return path


def _lines(text: str) -> list[str]:
    return text.splitlines()


@pytest.mark.parametrize("columns", ["200", "80"])
def test_sites_prints_rules_and_config_text_intact(tmp_path, data_dir, columns):
    config = _config(
        tmp_path,
        """
[sites.my-site]
start_urls = ["http://127.0.0.1:9/[list]"]
article_pattern = "^/[0-9]{4}/[a-z]+/"
description = "mirror [of] a site [bold]x[/bold]"
""",
    )
    result = run_cli("sites", data_dir=data_dir, config=config, env={"COLUMNS": columns})
    assert result.returncode == 0, result.stderr
    for text in (
        NPR_RULE,
        "^/[0-9]{4}/[a-z]+/",
        "http://127.0.0.1:9/[list]",
        "mirror [of] a site [bold]x[/bold]",
    ):
        assert text in result.stdout, (text, result.stdout)
    assert max(len(line) for line in _lines(result.stdout)) <= int(columns)


def test_config_error_names_the_file_and_the_site_table(tmp_path, data_dir):
    config = tmp_path / "typo.toml"
    config.write_text('[sites.x]\nstart_urls = ["http://a/"]\narticle_patern = "^/x"\n')
    for command in (
        ["sites"],
        ["crawl", "x"],
        ["export", "--format", "jsonl", "--out", str(tmp_path / "o.jsonl")],
    ):
        result = run_cli(*command, data_dir=data_dir, config=config)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr == (
            f"error: {config} [sites.x]: unknown setting 'article_patern' "
            "(did you mean 'article_pattern'?)\n"
        )


def test_error_messages_keep_brackets(data_dir):
    result = run_cli("archive", "ftp://host/[red]x[/red]", data_dir=data_dir)
    assert result.returncode == 2
    assert (
        result.stderr
        == "error: only http and https URLs can be archived, not ftp: 'ftp://host/[red]x[/red]'\n"
    )


def _bracketed_site(serve_site):
    site = serve_site("npr-text")
    page = site.root / STORY.lstrip("/") / "index.html"
    html = page.read_text(encoding="utf-8")
    old = "House passes stopgap spending bill, sending it to the Senate with days to spare"
    page.write_text(html.replace(old, BRACKETED_TITLE), encoding="utf-8")
    return site, page


def test_titles_and_urls_print_intact(serve_site, data_dir, mirror_config):
    site, _page = _bracketed_site(serve_site)
    url = site.page(STORY + "?ref=[front]")  # Scrapy requests it as ?ref=%5Bfront%5D
    result = run_cli(
        "archive",
        url,
        "--site",
        "npr-text",
        "--no-progress",
        data_dir=data_dir,
        config=mirror_config,
    )
    assert result.returncode == 0, result.stderr
    assert url in result.stdout
    history = run_cli("history", url, data_dir=data_dir, env={"COLUMNS": "80"})
    assert history.returncode == 0, history.stderr
    assert _lines(history.stdout)[0] == BRACKETED_TITLE
    assert url.split("?")[0] in history.stdout


def test_narrow_terminal_cuts_nothing(serve_site, data_dir, mirror_config):
    """At 80 columns every URL, id and timestamp is printed whole, on one line."""
    site = serve_site("cnn-lite")
    expected = json.loads((site.root / "expected.json").read_text())
    urls = [site.page(a["path"]) for a in expected["articles"][:2]]
    archived = run_cli("archive", *urls, "--site", "cnn-lite", "--no-progress", data_dir=data_dir,
                       config=mirror_config, env={"COLUMNS": "80"})  # fmt: skip
    assert archived.returncode == 0, archived.stderr
    assert "…" not in archived.stdout
    for url in urls:
        assert url in archived.stdout, archived.stdout
    history = run_cli("history", urls[0], data_dir=data_dir, env={"COLUMNS": "80"})
    doc = json.loads(run_cli("history", urls[0], "--json", data_dir=data_dir).stdout)
    version = doc["versions"][0]
    assert "…" not in history.stdout
    assert version["captured_at"] in history.stdout
    assert f"{version['warc']['filename']}@{version['warc']['offset']}" in history.stdout
    due = run_cli(
        "recheck", "--list", "--all", data_dir=data_dir, config=mirror_config, env={"COLUMNS": "80"}
    )
    assert due.returncode == 0, due.stderr
    assert "…" not in due.stdout and doc["article_id"] in due.stdout


def test_schedule_list_at_80_columns_prints_whole_times(tmp_path, data_dir):
    config = _config(
        tmp_path,
        """
[schedule]
recheck_interval_seconds = 0

[[schedule.jobs]]
id = "cnn-every-day-at-five-past-five-with-a-long-name"
crawl = ["cnn-lite", "npr-text"]
cron = "5 5 * * *"
max_articles = 50
""",
    )
    wide = json.loads(
        run_cli("schedule", "--list", "--json", data_dir=data_dir, config=config).stdout
    )
    (job,) = wide["jobs"]
    narrow = run_cli("schedule", "--list", data_dir=data_dir, config=config, env={"COLUMNS": "80"})
    assert narrow.returncode == 0, narrow.stderr
    assert "…" not in narrow.stdout
    assert job["next_run_time"] in narrow.stdout and job["id"] in narrow.stdout
    assert job["command"] in narrow.stdout
    assert max(len(line) for line in _lines(narrow.stdout)) <= 80


def test_terminal_diff_shows_title_authors_and_word_marks(serve_site, data_dir, mirror_config):
    site = serve_site("npr-text")
    url = site.page(STORY)
    page = site.root / STORY.lstrip("/") / "index.html"
    first = run_cli(
        "archive",
        url,
        "--site",
        "npr-text",
        "--no-progress",
        data_dir=data_dir,
        config=mirror_config,
    )
    assert first.returncode == 0, first.stderr
    html = page.read_text(encoding="utf-8")
    html = html.replace(
        "House passes stopgap spending bill", "House narrowly passes stopgap spending bill"
    )
    html = html.replace("<p>By Marcus Ellery</p>", "<p>By Marcus Ellery and Dana Quill</p>")
    html = html.replace(
        "The House voted 228-199 on Thursday", "The House voted 226-201 late on Thursday"
    )
    html = html.replace(
        '<div class="paragraphs-container">',
        '<div class="paragraphs-container">\n<p>This story has been updated with the final vote.</p>',
    )
    page.write_text(html, encoding="utf-8")
    second = run_cli("archive", url, "--site", "npr-text", "--no-progress", "--json", data_dir=data_dir,
                     config=mirror_config)  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["results"][0]["version"] == 2

    result = run_cli("history", url, "--diff", "1..2", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    lines = _lines(result.stdout)
    update = "This story has been updated with the final vote."
    # The counts are those of what is shown, the title's words included.
    added, removed = len("narrowly") + len("226-201 late") + len(update), len("228-199")
    assert lines[0] == (
        f"version 1 → 2: changed title, authors, text; +{added} / -{removed} chars (title and text); "
        "paragraphs: 1 added, 0 removed, 1 changed"
    )
    assert (
        "title: House {+narrowly+} passes stopgap spending bill, sending it to the Senate with days to spare"
        in lines
    )
    assert "authors: Marcus Ellery, {+Dana Quill+}" in lines
    # An update inserted before an edited paragraph: the insert is an added paragraph and
    # the edit is marked word by word (not the insert shown as an edit of the old first one).
    at = lines.index("@@ paragraph 1 @@")
    assert lines[at + 1] == "+" + update
    assert lines[at + 2].startswith(
        "~The House voted [-228-199-]{+226-201 late+} on Thursday to approve"
    )
    assert not any(line.startswith("-") for line in lines[1:])
    # The whole history shows the same diff after its versions table.
    assert lines[0] in run_cli("history", url, data_dir=data_dir).stdout


def test_terminal_diff_shows_date_changes(serve_site, data_dir, mirror_config):
    site = serve_site("npr-text")
    url = site.page(STORY)
    page = site.root / STORY.lstrip("/") / "index.html"
    assert run_cli("archive", url, "--site", "npr-text", "--no-progress", data_dir=data_dir,
                   config=mirror_config).returncode == 0  # fmt: skip
    html = page.read_text(encoding="utf-8").replace(
        "Thursday, May 8, 2025 • 5:22 PM EDT", "Thursday, May 8, 2025 • 6:40 PM EDT"
    )
    html = html.replace("The House voted 228-199", "The House voted 229-198")
    page.write_text(html, encoding="utf-8")
    assert run_cli("archive", url, "--site", "npr-text", "--no-progress", data_dir=data_dir,
                   config=mirror_config).returncode == 0  # fmt: skip
    doc = json.loads(run_cli("history", url, "--json", data_dir=data_dir).stdout)
    v1, v2 = doc["versions"]
    assert v1["published_at"] != v2["published_at"]
    lines = _lines(run_cli("history", url, "--diff", "1..2", data_dir=data_dir).stdout)
    assert lines[0].startswith("version 1 → 2: changed text, published_at;")
    assert f"published: {v1['published_at']} → {v2['published_at']}" in lines


def test_runs_at_80_columns_prints_whole_ids_and_errors(data_dir):
    from newsarchive.scheduling.runs import JobRunLog

    log = JobRunLog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        row = log.started("cnn-hourly-with-a-long-name", "crawl cnn-lite --max-articles 50", pid=1)
        error = "stopped by the scheduler; interrupted (SIGINT): what was fetched is archived [sites.cnn-lite]"
        log.finished(row, 130, run_id="20261203T082948Z-62c8ae", error=error,
                     summary={"pages_fetched": 7, "versions_new": 4, "errors_total": 1})  # fmt: skip
    finally:
        log.close()
    result = run_cli("runs", data_dir=data_dir, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    for text in ("cnn-hourly-with-a-long-name", "20261203T082948Z-62c8ae", error, "130"):
        assert text in result.stdout, (text, result.stdout)
