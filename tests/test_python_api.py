"""The public Python API (`import newsarchive`): open an archive a real crawl made, iterate
its versions, read a history and a diff, read an archived response, on a read-only copy too."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, SITES, run_cli


def test_import_is_cheap_and_versioned():
    # `import newsarchive` must not pull in Scrapy, SQLAlchemy or the CLI (notebooks, --help).
    code = ("import sys, newsarchive; print(newsarchive.__version__); "
            "print(sorted(m for m in ('scrapy', 'sqlalchemy', 'typer', 'twisted') if m in sys.modules))")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    version, loaded = done.stdout.splitlines()
    from importlib.metadata import version as dist_version

    assert version == dist_version("newsarchive")
    assert loaded == "[]"


def test_an_archive_reads_back_what_a_crawl_wrote(serve_site, data_dir, mirror_config):
    import newsarchive

    site = serve_site("cnn-lite")
    first = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", data_dir=data_dir,
                    config=mirror_config)  # fmt: skip
    assert first.returncode == 0, first.stderr
    target = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))[
        "articles"
    ][0]
    story = site.root / target["path"].lstrip("/") / "index.html"
    html = story.read_text(encoding="utf-8")
    edited = html.replace(
        target["text_startswith"],
        "An added sentence for the API test. " + target["text_startswith"],
        1,
    )
    assert edited != html
    story.write_text(edited, encoding="utf-8")
    url = site.page(target["path"])
    again = run_cli("archive", url, "--no-progress", data_dir=data_dir, config=mirror_config)
    assert again.returncode == 0, again.stderr

    with newsarchive.open_archive(data_dir) as archive:
        counts = archive.summary()
        records = list(archive.versions())
        assert len(records) == counts["versions"] >= 2
        assert all({"article_id", "version", "title", "text", "warc"} <= r.keys() for r in records)
        latest = list(archive.versions(latest_only=True))
        assert len(latest) == counts["articles"] == len(list(archive.articles()))
        assert list(archive.versions(site="no-such-site")) == []
        assert list(archive.versions(since="2999-01-01")) == []

        history = archive.history(url)
        assert [v["version"] for v in history["versions"]] == [1, 2]
        assert history["versions"][1]["change"] == "edit"
        diff = archive.diff(url, 1, 2)
        assert diff["chars_added"] > 0

        response = archive.response(history["versions"][1])
        assert response.status_line.split()[1] == "200"
        assert b"An added sentence for the API test." in response.body

        with pytest.raises(LookupError):
            archive.history("http://127.0.0.1:1/not-archived")


def test_a_missing_archive_is_a_clear_error(tmp_path):
    import newsarchive

    with pytest.raises(FileNotFoundError, match="no archive in"):
        newsarchive.open_archive(tmp_path / "nothing-here")
