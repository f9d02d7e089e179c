"""Discovery accounts for every link: each one an index page, feed or sitemap offers is
followed or dropped by a named rule, in the summary, `--json` and the catalog; a malformed
link drops that link only (issue 19, item 9); a rule that starts dropping more than it did
in the previous run is a warning."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from archive.catalog import Catalog
from crawler.discovery import resolve_link
from crawler.profiles import CNN_LITE, NPR_TEXT
from tests.conftest import SITES, run_cli

pytestmark = pytest.mark.timeout(300)

CNN = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
DATED = [
    a["path"] for a in CNN["articles"] if re.match(r"^/\d{4}/\d{2}/\d{2}/", a["path"])
]  # served
UNDATED = "/travel/vientiane-laos-50th-anniversary-intl-hnk"
FEATURE = "/world/longform-river-delta-spc"
BAD = "http://[object Object]/"


def _cnn_index(hrefs: list[str], *, container: str = "container_lead-plus-headlines--lite") -> str:
    cards = "".join(f'<li class="card--lite">\n  <a href="{h}">\n    Story {i}\n  </a>\n</li>\n'
                    for i, h in enumerate(hrefs))  # fmt: skip
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Breaking News | CNN</title></head>'
        '<body class="cnn"><header class="header--lite"><a href="/">CNN</a></header>'
        f'<div class="layout-homepage__lite"><section data-tabcontent="Content"><div class="{container}">'
        f'<p class="title">Latest Stories</p><ul>\n{cards}</ul></div></section></div>'
        '<footer class="footer--lite"><a href="https://www.cnn.com/terms">Terms of Use</a></footer></body></html>'
    )


def _add_story(root: Path, path: str, source: str = DATED[0]) -> None:
    """Serve a copy of a fixture story at `path`, with its own headline."""
    src = root / source.lstrip("/")
    src = src / "index.html" if src.is_dir() else src
    html = src.read_text(encoding="utf-8")
    title = CNN["articles"][0]["title"]
    target = root / path.lstrip("/") / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html.replace(title, f"Story at {path}"), encoding="utf-8")


def _listing_rows(data_dir: Path) -> list[dict]:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT run_id, url, kind, outcome, error, links FROM captures "
                "WHERE kind IN ('index', 'feed', 'sitemap') ORDER BY id").mappings().all()  # fmt: skip
        return [{**r, "links": json.loads(r["links"]) if r["links"] else None} for r in rows]
    finally:
        catalog.close()


def _site(summary: dict, name: str) -> dict:
    return next(r for r in summary["sites"] if r["site"] == name)


def test_malformed_links_are_invalid_urls_and_never_raise():
    base = "http://127.0.0.1:8000/"
    assert resolve_link(base, BAD) == (None, "invalid-url")
    assert resolve_link(base, "http://example.org:99999/x") == (None, "invalid-url")
    assert resolve_link(base, "/a\x00b") == (None, "invalid-url")
    assert resolve_link(base, "javascript:void(0)") == (None, "not-http")
    assert resolve_link(base, "mailto:desk@example.org") == (None, "not-http")
    # Whitespace around and inside (WHATWG drops tabs and newlines), fragments stripped.
    assert resolve_link(base, "  /2025/01/0\n2/us/x#top ") == (
        "http://127.0.0.1:8000/2025/01/02/us/x",
        None,
    )


def test_cnn_profile_follows_undated_stories_and_skips_interactives():
    rule = CNN_LITE.link_rule
    for story in (
        DATED[0],
        UNDATED,
        FEATURE,
        "/2024/02/02/economy/january-jobs-report-wages/index.html",
        "/2025/05/05/weather/hurricane-tracker",
    ):  # fmt: skip  (a dated path is a story)
        assert rule("http://lite.cnn.com" + story) is None, story
    for page in ("/interactive/2025/politics/trump-approval-rating-tracker/", "/weather/maps",
                 "/world/ukraine-russia-war-map", "/us/election-results-trackers"):  # fmt: skip
        assert rule("http://lite.cnn.com" + page) == "skip-pattern", page
    # NPR story ids, with an edition suffix too; section-like paths stay refused by the pattern.
    for story in ("/nx-s1-5921392", "/nx-s1-5921392-e1", "/g-s1-64816", "/1234569831"):
        assert NPR_TEXT.link_rule("http://text.npr.org" + story) is None, story
    for other in ("/nx-s1-5921392-e1/comments", "/sections/news", "/nx-s1-"):
        assert NPR_TEXT.link_rule("http://text.npr.org" + other) == "pattern", other


def test_every_index_link_is_followed_or_dropped_by_a_named_rule(
    serve_site, data_dir, mirror_config
):
    site = serve_site("cnn-lite")
    _add_story(site.root, UNDATED)
    _add_story(site.root, FEATURE)
    hrefs = [
        DATED[0],
        UNDATED,
        FEATURE,
        DATED[1],
        "/interactive/2025/politics/trump-approval-rating-tracker/",  # skip-pattern
        "/weather/maps",  # skip-pattern
        "https://www.cnn.com/2025/12/01/us/full-site-story",  # off-host
        BAD,  # invalid-url: must not empty the page
        "javascript:void(0)",  # not-http
        DATED[0] + "#comments",  # duplicate (fragment only)
        *DATED[2:],
    ]
    (site.root / "index.html").write_text(_cnn_index(hrefs), encoding="utf-8")

    first = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--max-articles", "4", "--no-progress",
                    "--json", data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["articles_new"] == 4  # two dated, the undated story and the -spc feature
    found = _site(summary, "cnn-lite")["discovery"]
    want_dropped = {"invalid-url": 1, "not-http": 1, "off-host": 1, "skip-pattern": 2, "duplicate": 1,
                    "max-articles": len(DATED) - 2}  # fmt: skip
    assert found["matched"] == len(hrefs)
    assert found["followed"] == 4
    assert found["dropped"] == want_dropped
    assert found["matched"] == found["followed"] + sum(found["dropped"].values())
    (page,) = found["pages"]
    assert page["url"] == site.url and page["kind"] == "index"
    assert page["dropped"] == want_dropped
    records = [
        json.loads(x)
        for p in (data_dir / "records").rglob("*.jsonl")
        for x in p.read_text().splitlines()
    ]
    assert {r["url"] for r in records} == {
        site.page(p) for p in (DATED[0], UNDATED, FEATURE, DATED[1])
    }
    undated = next(r for r in records if r["url"] == site.page(UNDATED))
    assert undated["section"] == "travel"

    # The catalog keeps the tally with the index capture.
    (row,) = _listing_rows(data_dir)
    assert row["outcome"] == "index" and row["links"] == {**page, "url": site.url}
    assert f"{len(hrefs)} links matched, 4 followed, {len(hrefs) - 4} dropped" in row["error"]

    # Next run: the four archived stories are known (left to rechecks); the rest followed.
    second = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", data_dir=data_dir,
                     config=mirror_config)  # fmt: skip
    assert second.returncode == 0, second.stderr
    again = len(DATED) - 2
    assert (
        f"{len(hrefs)} matched · {again} followed · {len(hrefs) - again} dropped" in second.stdout
    )
    for line in ("dropped: known", "dropped: skip-pattern", "dropped: invalid-url"):
        assert line in second.stdout
    rows = _listing_rows(data_dir)
    assert rows[-1]["links"]["dropped"] == {"invalid-url": 1, "not-http": 1, "off-host": 1, "skip-pattern": 2,
                                            "duplicate": 1, "known": 4}  # fmt: skip
    assert rows[-1]["links"]["followed"] == again
    assert "warning" not in second.stderr  # the same rules dropped the same share as before


def test_a_rule_that_drops_more_than_in_the_previous_run_is_a_warning(
    serve_site, tmp_path, data_dir
):
    site = serve_site("cnn-lite")
    config = tmp_path / "sites.toml"
    config.write_text(f"""
[crawl]
allowed_networks = ["127.0.0.0/8"]
download_delay = 0
autothrottle = false
download_timeout = 2
[sites.cnn-dated]
extends = "cnn-lite"
start_urls = ["{site.url}"]
article_pattern = "^/\\\\d{{4}}/\\\\d{{2}}/\\\\d{{2}}/"
""")
    (site.root / "index.html").write_text(_cnn_index(DATED), encoding="utf-8")
    first = run_cli(
        "crawl", "cnn-dated", "--no-progress", "--json", data_dir=data_dir, config=config
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["warnings"] == []

    # The site moves half of its stories to undated paths: the pattern now drops them.
    for path in ("/us/story-one", "/us/story-two", "/us/story-three"):
        _add_story(site.root, path)
    (site.root / "index.html").write_text(
        _cnn_index([*DATED[:3], "/us/story-one", "/us/story-two", "/us/story-three"]),
        encoding="utf-8",
    )
    second = run_cli(
        "crawl", "cnn-dated", "--no-progress", "--json", data_dir=data_dir, config=config
    )
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert _site(summary, "cnn-dated")["discovery"]["dropped"] == {"pattern": 3, "known": 3}
    (warning,) = summary["warnings"]
    assert warning.startswith(
        "cnn-dated: pattern dropped 3 of 6 matched links (50%; previous run 0%)"
    )
    assert "warning: cnn-dated: pattern dropped 3 of 6" in second.stderr

    # The same share again: nothing new to warn about.
    third = run_cli(
        "crawl", "cnn-dated", "--no-progress", "--json", data_dir=data_dir, config=config
    )
    assert json.loads(third.stdout)["warnings"] == []


def test_one_malformed_link_never_empties_a_feed_or_sitemap(serve_site, tmp_path, data_dir):
    """Issue 19, item 9: `http://[object Object]/` in a feed, a sitemap and a sitemap index."""
    site = serve_site("cnn-lite")
    root = site.root
    (root / "feed.xml").write_text(
        '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>t</title>\n'
        f"<item><link>{BAD}</link></item>\n"
        + "".join(f"<item><title>x</title><link>{site.page(p)}</link></item>\n" for p in DATED[:2])
        + "<item><link>mailto:desk@example.org</link></item>\n</channel></rss>\n"
    )
    (root / "articles.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + f"<url><loc>{BAD}</loc></url>\n"
        + "".join(f"<url><loc>{site.page(p)}</loc></url>\n" for p in DATED[2:4])
        + f"<url><loc>{site.page(DATED[0])}</loc></url>\n</urlset>\n"  # also in the feed: a duplicate
    )
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"<sitemap><loc>{BAD}</loc></sitemap>\n<sitemap><loc>{site.page('/articles.xml')}</loc></sitemap>\n"
        "</sitemapindex>\n"
    )
    config = tmp_path / "feeds.toml"
    config.write_text(f"""
[crawl]
allowed_networks = ["127.0.0.0/8"]
download_delay = 0
autothrottle = false
download_timeout = 2
[sites.cnn-feeds]
extends = "cnn-lite"
start_urls = []
feeds = ["{site.page("/feed.xml")}"]
sitemaps = ["{site.page("/sitemap.xml")}"]
""")
    result = run_cli(
        "crawl", "cnn-feeds", "--no-progress", "--json", data_dir=data_dir, config=config
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["articles_new"] == 4
    found = _site(summary, "cnn-feeds")["discovery"]
    assert found["listings"] == 3 and found["sitemaps_followed"] == 1
    assert found["matched"] == 4 + 4 and found["followed"] == 4
    assert found["dropped"] == {"invalid-url": 2, "not-http": 1, "duplicate": 1}

    rows = {r["url"]: r for r in _listing_rows(data_dir)}
    feed, index, articles = (
        rows[site.page(p)] for p in ("/feed.xml", "/sitemap.xml", "/articles.xml")
    )
    # The feed and the sitemap share one link: whichever was parsed second counts it a
    # duplicate (they are fetched concurrently: either may come first).
    dup_feed = feed["links"]["dropped"].get("duplicate", 0)
    dup_articles = articles["links"]["dropped"].get("duplicate", 0)
    assert dup_feed + dup_articles == 1
    assert feed["outcome"] == "feed"
    assert {k: n for k, n in feed["links"]["dropped"].items() if k != "duplicate"} == {
        "invalid-url": 1,
        "not-http": 1,
    }
    assert feed["links"]["followed"] == 2 - dup_feed
    assert index["outcome"] == "sitemap" and index["links"]["follows"] == "sitemaps"
    assert index["links"]["matched"] == 2 and index["links"]["dropped"] == {"invalid-url": 1}
    assert articles["outcome"] == "sitemap"
    assert articles["links"]["dropped"]["invalid-url"] == 1
    assert articles["links"]["followed"] == 3 - dup_articles


def test_an_index_whose_every_link_is_dropped_says_which_rules(serve_site, data_dir, mirror_config):
    site = serve_site("cnn-lite")
    (site.root / "index.html").write_text(
        _cnn_index([BAD, "https://www.cnn.com/2025/01/01/us/x", "/interactive/2025/maps/"]),
        encoding="utf-8",
    )
    result = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 1
    assert (
        "all 3 matched links were dropped (invalid-url 1, off-host 1, skip-pattern 1)"
        in result.stderr
    )
    (row,) = _listing_rows(data_dir)
    assert row["outcome"] == "index-no-links" and row["links"]["matched"] == 3


def test_older_container_class_still_matches(serve_site, data_dir, mirror_config):
    site = serve_site("cnn-lite")
    (site.root / "index.html").write_text(
        _cnn_index(DATED[:2], container="container--lite"), encoding="utf-8"
    )
    result = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["articles_new"] == 2
