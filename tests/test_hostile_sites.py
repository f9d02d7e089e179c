"""A hostile site on a raw socket (exact bytes): decompression bombs, unfollowable
redirects, a huge robots.txt, a sitemap bomb, a stray NUL, URLs Scrapy re-encodes. Each
failure is one capture with its documented outcome (docs/outcomes.md), the crawl goes on,
and what can be archived is."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from pathlib import Path

import pytest

from archive.catalog import Catalog
from crawler.robots import MAX_ROBOTS_RULES, BoundedRobotParser, bounded_robots
from tests.conftest import MIRROR_CONFIG, run_cli
from tests.hostile_server import RawServer, article, redirect, response

pytestmark = pytest.mark.timeout(240)

TEXT = ["The harbour authority said on Monday that the old ferry pier will close for repairs "
        "in the autumn, and that the summer timetable will run until the end of September.",
        "Fishermen who moor at the pier were offered berths on the north quay while the work "
        "lasts, a spokeswoman said, adding that no date had been set for reopening."]  # fmt: skip
ZEROS = 50_000_000  # decompressed size of the bombs: far over 8 × max_page_bytes (100_000)


def _bomb(content_length: bool) -> bytes:
    body = gzip.compress(bytes(ZEROS), 9)
    assert len(body) < 100_000  # downloads in full: only decompression can tell
    return response(200, body, {"Content-Encoding": "gzip"}, content_length=content_length)


def _rows(data_dir: Path, sql: str) -> list[dict]:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.exec_driver_sql(sql)]
    finally:
        catalog.close()


def _config(tmp_path: Path, site: RawServer, extra: str = "", **crawl: str) -> Path:
    text = MIRROR_CONFIG
    for key, value in crawl.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    path = tmp_path / "hostile.toml"
    path.write_text(
        text
        + f'\n[sites.hostile]\nstart_urls = ["{site.url}/"]\narticle_pattern = "^/a/"\n'
        + extra
    )
    return path


def test_bombs_and_unfollowable_redirects_get_their_outcome_on_their_own_capture(
    tmp_path, data_dir
):
    with RawServer() as site:
        routes = {
            "/a/bomb-no-length": _bomb(content_length=False),
            "/a/bomb": _bomb(content_length=True),
            "/a/to-javascript": redirect("javascript:alert(document.cookie)"),
            "/a/to-bad-port": redirect("http://127.0.0.1:99999/a/x", 301),
            "/a/to-invalid": redirect("http://[not-an-ip/a/x"),
            "/a/to-ftp": redirect("ftp://127.0.0.1/a/x", 307),
            "/a/to-nul": response(302, b"", [("Location", "http://127.0.0.1\x00.evil.test/a/x")]),
            "/a/stray-nul": response(
                200,
                article("A stray NUL byte", TEXT)
                .split(b"\r\n\r\n", 1)[1]
                .replace(b"<p>", b"<p>\x00", 1),
            ),
            "/a/good": article("A good story", TEXT),
        }
        site.routes.update(routes)
        site.routes["/"] = response(200, "".join(f'<a href="{p}">x</a>' for p in routes))
        result = run_cli("crawl", "hostile", "--no-progress", "--json", data_dir=data_dir,
                         config=_config(tmp_path, site))  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = _rows(
        data_dir, "SELECT url, status, outcome, error FROM captures WHERE kind = 'article'"
    )
    by_path: dict[str, list[dict]] = {}
    for row in rows:
        by_path.setdefault(row["url"].split(str(site.port), 1)[1], []).append(row)
    outcomes = {
        path: [(r["status"], r["outcome"]) for r in found] for path, found in by_path.items()
    }
    assert outcomes == {
        "/a/bomb-no-length": [
            (200, "too-large")
        ],  # one capture: the response, no second `fetch-error`
        "/a/bomb": [(200, "too-large")],
        "/a/to-javascript": [(302, "redirect-invalid")],
        "/a/to-bad-port": [(301, "redirect-invalid")],
        "/a/to-invalid": [(302, "redirect-invalid")],
        "/a/to-ftp": [(307, "redirect-invalid")],
        "/a/to-nul": [(302, "redirect-invalid")],
        "/a/stray-nul": [(200, "new")],  # browsers render it; so do we
        "/a/good": [(200, "new")],
    }, outcomes
    errors = {path: found[0]["error"] for path, found in by_path.items()}
    assert (
        "decompress" in errors["/a/bomb-no-length"] and "javascript" in errors["/a/to-javascript"]
    )
    assert "99999" in errors["/a/to-bad-port"]
    summary = json.loads(result.stdout)
    assert summary["errors"] == {"too-large": 2, "redirect-invalid": 5}
    assert "fetch-error" not in summary["outcomes"]
    # No request for the unfollowable targets ever left.
    assert not any("/a/x" in hit for hit in site.hits)


def test_a_sitemap_gz_bomb_is_read_within_the_page_limit(tmp_path, data_dir):
    with RawServer() as site:
        bomb = gzip.compress(b"<urlset>" + b" " * ZEROS + b"</urlset>", 9)
        site.routes["/sitemap.xml.gz"] = response(200, bomb, {"Content-Type": "application/x-gzip"})
        good = gzip.compress(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                             f'<url><loc>{site.url}/a/good</loc></url></urlset>'.encode())  # fmt: skip
        site.routes["/good.xml.gz"] = response(200, good, {"Content-Type": "application/x-gzip"})
        site.routes["/a/good"] = article("A good story", TEXT)
        site.routes["/"] = response(200, "<html><body>no links</body></html>")
        config = _config(
            tmp_path,
            site,
            extra=f'sitemaps = ["{site.url}/sitemap.xml.gz", "{site.url}/good.xml.gz"]\n',
        )
        result = run_cli(
            "crawl", "hostile", "--no-progress", "--json", data_dir=data_dir, config=config
        )
    assert result.returncode == 0, result.stderr
    rows = {r["url"].rsplit("/", 1)[1]: (r["outcome"], r["error"])
            for r in _rows(data_dir, "SELECT url, outcome, error FROM captures WHERE kind = 'sitemap'")}  # fmt: skip
    assert (
        rows["sitemap.xml.gz"][0] == "too-large"
        and "100000 bytes once decompressed" in rows["sitemap.xml.gz"][1]
    )
    assert rows["good.xml.gz"][0] == "sitemap"
    assert json.loads(result.stdout)["articles_new"] == 1


def test_a_huge_robots_txt_is_read_within_bounds(tmp_path, data_dir):
    rules = [f"Disallow: /*a{i}*b*c{i}$" for i in range(150_000)]  # 4.4 MB of wildcard rules
    robots = (
        "User-agent: *\nDisallow: /a/early-disallowed\n"
        + "\n".join(rules)
        + "\nDisallow: /a/late\n"
    ).encode()
    assert len(robots) > 4_000_000
    kept, cut = bounded_robots(robots)
    assert len(kept) <= 500 * 1024 and kept.count(b"Disallow") == MAX_ROBOTS_RULES
    assert cut and "500 KiB" in cut and "ignored" in cut
    parser = BoundedRobotParser(robots, None)
    assert not parser.allowed("http://x/a/early-disallowed", "newsarchive")
    assert parser.allowed("http://x/a/late", "newsarchive")  # past the bounds: not read
    with RawServer() as site:
        site.routes["/robots.txt"] = response(200, robots, {"Content-Type": "text/plain"})
        for name in ("one", "two", "three", "early-disallowed"):
            site.routes[f"/a/{name}"] = article(f"Story {name}", TEXT)
        site.routes["/"] = response(200, "".join(f'<a href="/a/{n}">x</a>' for n in ("one", "two", "three",
                                                                                    "early-disallowed")))  # fmt: skip
        config = _config(tmp_path, site, max_page_bytes="5_000_000")
        result = run_cli(
            "crawl", "hostile", "--no-progress", "--json", data_dir=data_dir, config=config
        )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["articles_new"] == 3 and summary["errors"] == {"robots-disallowed": 1}


def test_archive_reports_urls_scrapy_re_encodes_as_archived(tmp_path, data_dir):
    """Non-ASCII, a space, a backslash: Scrapy fetches the percent-encoded URL; the result is
    matched with the URL as typed."""
    with RawServer() as site:
        site.routes["/a/caf%C3%A9%20story/x"] = article("Café story", TEXT)
        site.routes["/a/slash/back"] = article("Backslash story", TEXT)
        config = _config(tmp_path, site)
        typed = [
            f"{site.url}/a/café story/x",
            f"{site.url}/a/slash\\back",
            f"HTTP://127.0.0.1:{site.port}/a/slash/back",
        ]
        result = run_cli(
            "archive", *typed, "--json", "--no-progress", data_dir=data_dir, config=config
        )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(result.stdout)["results"]
    assert [r["requested_url"] for r in rows] == typed
    assert [r["version"] for r in rows] == [1, 1, 1] and rows[1]["article_id"] == rows[2][
        "article_id"
    ]
    assert site.paths().count("/a/slash/back") == 1  # two spellings of one URL: fetched once


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/a\x01b", "http://127.0.0.1:9/a\tb", "http://127.0.0.1:99999/", "javascript:alert(1)",
                                 "HTTP://[::1", "http://user:pw@127.0.0.1:9/"])  # fmt: skip
def test_archive_refuses_bad_urls_up_front(url, data_dir):
    result = run_cli("archive", url, data_dir=data_dir)
    assert (
        result.returncode == 2
        and result.stderr.startswith("error: ")
        and result.stderr.count("\n") == 1
    )
    assert not (data_dir / "catalog.sqlite").exists()


def test_zlib_and_gzip_helpers_stop_at_the_limit():
    from crawler.spiders.site import BodyTooLarge, gunzip_bounded

    two = gzip.compress(b"a" * 1000) + gzip.compress(b"b" * 10)
    assert gunzip_bounded(two, 2000) == b"a" * 1000 + b"b" * 10
    with pytest.raises(BodyTooLarge):
        gunzip_bounded(gzip.compress(bytes(10_000_000)), 1_000_000)
    with pytest.raises(zlib.error):
        gunzip_bounded(b"\x1f\x8b" + b"garbage" * 10, 1000)


def test_sniffing_is_browser_like():
    """Binary only by signature or when control bytes are common (compressed, random data),
    never because of a stray NUL in a page a browser renders."""
    import random

    from pipelines.extract import extract_article
    from pipelines.extract.sniffing import not_html_reason

    page = ("<html><head><title>Stray bytes</title></head><body><article><p>" + " ".join(TEXT)
            + "</p><p>" + " ".join(TEXT) + "</p></article></body></html>").encode()  # fmt: skip
    stray = page.replace(b"<p>", b"<p>\x00\x01", 1)
    assert not_html_reason(stray, "text/html") is None
    result = extract_article(
        stray, url="http://127.0.0.1/a/x", content_type="text/html", parser="generic"
    )
    assert (
        result.problem is None
        and "\x00" not in result.text
        and result.text.startswith("The harbour")
    )
    rng = random.Random(3)
    noise = bytes(rng.getrandbits(8) for _ in range(5000))
    assert "binary data" in (not_html_reason(b"<html>" + noise, "text/html") or "")
    assert (
        not_html_reason(b"%PDF-1.7\n" + page, "text/html") is not None
    )  # a signature decides alone
    utf16 = page.decode().encode("utf-16-le")  # NUL every other byte, no BOM: the charset says so
    assert not_html_reason(utf16, "text/html; charset=UTF-16LE") is None
    assert not_html_reason(utf16, "text/html") is not None


def test_a_bad_start_url_is_refused_up_front(data_dir):
    result = run_cli(
        "crawl", "cnn-lite", "--start-url", "http://127.0.0.1:99999/", data_dir=data_dir
    )
    assert result.returncode == 2 and result.stderr.startswith(
        "error: --start-url: not a valid URL"
    )


def test_every_outcome_is_documented():
    from archive.outcomes import (
        ERROR_OUTCOMES,
        NEUTRAL_OUTCOMES,
        UNCHANGED_OUTCOMES,
        VERSION_OUTCOMES,
    )

    doc = (Path(__file__).resolve().parents[1] / "docs" / "outcomes.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9<>-]+)` \|", doc, re.MULTILINE))
    every = (
        VERSION_OUTCOMES
        | UNCHANGED_OUTCOMES
        | NEUTRAL_OUTCOMES
        | ERROR_OUTCOMES
        | {"http-<status>", "not-fetched"}
    )
    assert every == documented, (every - documented, documented - every)
