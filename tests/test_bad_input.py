"""Bad input is captured, recorded with its outcome, counted, and never stops the crawl."""

from __future__ import annotations

import json

import pytest

from archive.catalog import Catalog
from tests.conftest import run_cli
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(300)

P = "/2024/01/01/us/"


@pytest.fixture
def bad_crawl(serve_site, data_dir, mirror_config):
    site = serve_site("bad-input")
    result = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    with catalog.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.exec_driver_sql(
            "SELECT id, url, kind, status, outcome, error, record_type FROM captures ORDER BY id")]  # fmt: skip
    catalog.close()
    yield site, result, rows, data_dir
    return


def _outcomes(rows, site, path):
    return [r["outcome"] for r in rows if r["url"] == site.page(path)]


def test_every_bad_input_is_recorded_and_the_crawl_goes_on(bad_crawl):
    site, result, rows, data_dir = bad_crawl
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    expect = {
        "gone-404": "http-404",
        "gone-410": "http-410",
        "server-error": "http-500",
        "slow": "timeout",
        "report-pdf": "not-html",
        "huge": "too-large",
        "huge-chunked": "too-large",
        "cut-short": "truncated",
        "reset": "connection-error",
        "empty-200": "no-content",
    }
    for path, outcome in expect.items():
        got = _outcomes(rows, site, P + path)
        assert got and got[-1] == outcome, (path, got)
    # A 500 is retried (retry_times = 1): both answers are archived and counted.
    assert _outcomes(rows, site, P + "server-error") == ["http-500", "http-500"]
    # A redirect loop runs into max_redirects (3) and is recorded as such; each hop is archived.
    loop = [r for r in rows if "/loop-" in r["url"]]
    assert [r["outcome"] for r in loop].count("redirect") == 4
    assert loop[-1]["outcome"] == "redirect-loop" and loop[-1]["record_type"] is None
    # Pages that are odd but readable still become articles.
    for path in ("broken-markup", "wrong-charset", "gzipped"):
        assert _outcomes(rows, site, P + path) == ["new"], path
    assert _outcomes(rows, site, P + "redirected") == ["redirect"]
    assert _outcomes(rows, site, P + "final-story") == ["new"]
    # robots.txt (a 404 here) and the index are archived too.
    assert _outcomes(rows, site, "/robots.txt") == ["robots"]
    assert _outcomes(rows, site, "/") == ["index"]

    assert summary["articles_new"] == 4
    errors = summary["errors"]
    assert errors["http-404"] == 1 and errors["http-410"] == 1 and errors["http-500"] == 2
    assert errors["too-large"] == 2 and errors["not-html"] == 1 and errors["truncated"] == 1
    assert errors["timeout"] == 1 and errors["redirect-loop"] == 1 and errors["no-content"] == 1
    assert errors["connection-error"] == 1


def test_bad_input_in_the_warc(bad_crawl):
    site, _result, _rows, data_dir = bad_crawl
    records = check_archive(data_dir)
    responses = {}
    for r in records:
        if r["type"] == "response":
            responses.setdefault(r["headers"]["WARC-Target-URI"], []).append(r)
    # Error answers are archived with their status.
    assert responses[site.page(P + "gone-410")][0]["http"].get_statuscode() == "410"
    assert len(responses[site.page(P + "server-error")]) == 2
    assert responses[site.page(P + "redirected")][0]["http"].get_statuscode() == "301"
    # Bodies cut by the size limit or a dropped connection say so.
    huge = responses[site.page(P + "huge")][0]
    assert huge["headers"]["WARC-Truncated"] == "length"
    assert huge["http"].get_header("X-Archive-Orig-Content-Length") == "300000"
    assert int(huge["http"].get_header("Content-Length")) == len(huge["body"]) == 100_000
    chunked = responses[site.page(P + "huge-chunked")][0]
    assert chunked["headers"]["WARC-Truncated"] == "length"
    assert chunked["http"].get_header("Transfer-Encoding") is None
    cut = responses[site.page(P + "cut-short")][0]
    assert cut["headers"]["WARC-Truncated"] == "disconnect"
    assert len(cut["body"]) == 1500
    # The gzip body is stored as received, with its Content-Encoding.
    gz = responses[site.page(P + "gzipped")][0]
    assert gz["http"].get_header("Content-Encoding") == "gzip" and gz["body"][:2] == b"\x1f\x8b"
    # A timeout leaves the request it sent, and no response.
    requests = [r for r in records if r["type"] == "request"]
    assert any(r["headers"]["WARC-Target-URI"] == site.page(P + "slow") and "WARC-Concurrent-To" not in r["headers"]
               for r in requests)  # fmt: skip
    assert site.page(P + "slow") not in responses


def test_wrong_charset_is_decoded_by_content(bad_crawl):
    _site, _result, _rows, data_dir = bad_crawl
    records = [json.loads(line) for p in (data_dir / "records").rglob("*.jsonl")
               for line in p.read_text(encoding="utf-8").splitlines()]  # fmt: skip
    cafe = next(r for r in records if "wrong-charset" in r["url"])
    assert cafe["title"].startswith("Café owners")
    assert "crêpe" in cafe["text"] and "\ufffd" not in cafe["text"]
    assert cafe["authors"] == ["Léa Fontaine"]


def test_index_without_article_links_fails_the_run(serve_site, data_dir, mirror_config):
    site = serve_site("bad-input")
    result = run_cli("crawl", "cnn-lite", "--start-url", site.page("/no-links.html"), "--no-progress",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 1
    assert "0 article links matched" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error:")
    check_archive(data_dir)


def test_unreachable_start_page_is_one_line_and_non_zero(data_dir, mirror_config):
    result = run_cli("crawl", "cnn-lite", "--start-url", "http://127.0.0.1:9/", "--no-progress",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1]
        == "error: the crawl failed: no start page of any site could be read"
    )
