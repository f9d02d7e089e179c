"""One address policy for every fetch of every command, against a hostile site on loopback.

The "public" site is a raw-socket server on 127.0.0.1, the one network these configs allow
(`[crawl] allowed_networks`); the "private service" it tries to make the archive fetch is
another on 127.0.0.2, which they do not. Whatever command fetches (crawl: index pages, a
redirect, an RSS item, a sitemap-index entry; archive; recheck; worker), the private server
must never receive a single request, robots.txt included, and every refused URL is a
capture with outcome `address-refused`. An article keeps the policy it was first archived
under: a recheck never fetches under a wider one, whatever the config says later.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.catalog import Catalog
from tests.conftest import mirror_config_text, run_cli
from tests.hostile_server import RawServer, article, redirect, response

pytestmark = pytest.mark.timeout(240)

SECRET = "PRIVATE-SERVICE-SECRET"
TEXT = ["The council met on Tuesday evening to discuss the new bus routes across the county, "
        "and residents spoke for three hours about the changes planned for next spring.",
        "Officials said the changes would shorten most commutes by ten minutes, although two "
        "rural stops will close when the new timetable begins in March."]  # fmt: skip


@pytest.fixture
def servers():
    public, private = RawServer("127.0.0.1"), RawServer("127.0.0.2")
    private.routes["/2024/01/01/us/secret"] = article(SECRET, [SECRET + " " + TEXT[0], TEXT[1]])
    private.routes["/sitemap-private.xml"] = response(200, _urlset([private.url + "/2024/01/01/us/secret"]),
                                                      {"Content-Type": "application/xml"})  # fmt: skip
    yield public, private
    public.close()
    private.close()


def _urlset(urls: list[str]) -> str:
    entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'


def _config(
    tmp_path: Path, name: str, public: RawServer, *, allowed: tuple[str, ...], extra: str = ""
) -> Path:
    path = tmp_path / name
    path.write_text(
        mirror_config_text(allowed_networks=allowed)
        + extra
        + f"""
[sites.hostile]
start_urls = ["{public.url}/"]
feeds = ["{public.url}/feed.xml"]
sitemaps = ["{public.url}/sitemap.xml"]
article_pattern = "^/2024/"
"""
    )
    return path


def _rows(data_dir: Path, sql: str, url: str | None = None) -> list[dict]:
    catalog = Catalog(url or f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.exec_driver_sql(sql)]
    finally:
        catalog.close()


def _hostile_site(public: RawServer, private: RawServer) -> None:
    public.routes["/"] = response(200, '<html><body><a href="/2024/01/01/us/good">good</a>'
                                       '<a href="/2024/01/01/us/moved">moved</a></body></html>')  # fmt: skip
    public.routes["/2024/01/01/us/good"] = article("A good story", TEXT)
    public.routes["/2024/01/01/us/moved"] = redirect(private.url + "/2024/01/01/us/secret")
    public.routes["/feed.xml"] = response(200, f"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><title>x</title><link>{private.url}/2024/01/01/us/secret?from=feed</link></item></channel></rss>""",
                                          {"Content-Type": "application/rss+xml"})  # fmt: skip
    public.routes["/sitemap.xml"] = response(200, f"""<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{private.url}/sitemap-private.xml</loc>
</sitemap></sitemapindex>""", {"Content-Type": "application/xml"})  # fmt: skip


def test_a_crawl_refuses_redirects_feed_items_and_sitemap_entries_to_private_addresses(
    servers, tmp_path, data_dir
):
    public, private = servers
    _hostile_site(public, private)
    config = _config(tmp_path, "c.toml", public, allowed=("127.0.0.1/32",))
    result = run_cli(
        "crawl", "hostile", "--no-progress", "--json", data_dir=data_dir, config=config
    )
    assert result.returncode == 0, result.stderr
    assert private.hits == [], "the private service was contacted"
    refused = {
        r["url"]
        for r in _rows(data_dir, "SELECT url FROM captures WHERE outcome = 'address-refused'")
    }
    assert refused == {private.url + "/2024/01/01/us/secret", private.url + "/2024/01/01/us/secret?from=feed",
                       private.url + "/sitemap-private.xml"}  # fmt: skip
    summary = json.loads(result.stdout)
    assert summary["errors"]["address-refused"] == 3 and summary["articles_new"] == 1
    texts = [r["record"] for r in _rows(data_dir, "SELECT record FROM versions")]
    assert len(texts) == 1 and SECRET not in "".join(texts)
    # The article keeps the policy it was archived under.
    assert _rows(data_dir, "SELECT address_policy FROM articles") == [
        {"address_policy": "public+127.0.0.1/32"}
    ]


def test_the_default_policy_refuses_loopback_for_crawl_and_archive(servers, tmp_path, data_dir):
    public, private = servers
    _hostile_site(public, private)
    config = _config(
        tmp_path, "strict.toml", public, allowed=()
    )  # no opt-in: public addresses only
    crawl = run_cli("crawl", "hostile", "--no-progress", data_dir=data_dir, config=config)
    assert crawl.returncode == 1 and "no start page" in crawl.stderr, crawl.stderr
    archive = run_cli("archive", public.url + "/2024/01/01/us/good", "--json", "--no-progress",
                      data_dir=data_dir, config=config)  # fmt: skip
    assert archive.returncode == 1
    [row] = json.loads(archive.stdout)["results"]
    assert row["outcome"] == "address-refused" and "127.0.0.1" in row["error"]
    assert public.hits == [] and private.hits == []


def test_a_recheck_never_widens_the_policy_an_article_was_archived_under(
    servers, tmp_path, data_dir
):
    public, private = servers
    public.routes["/2024/01/01/us/story"] = article("A story that will move", TEXT)
    narrow = _config(tmp_path, "narrow.toml", public, allowed=("127.0.0.1/32",))
    url = public.url + "/2024/01/01/us/story"
    first = run_cli("archive", url, "--json", "--no-progress", data_dir=data_dir, config=narrow)
    assert first.returncode == 0, first.stderr
    # Later: the config allows all of loopback (a mirror on 127.0.0.2, say), and the site
    # redirects the story to the private service.
    wide = _config(tmp_path, "wide.toml", public, allowed=("127.0.0.0/8",))
    public.routes["/2024/01/01/us/story"] = redirect(private.url + "/2024/01/01/us/secret", 301)
    recheck = run_cli("recheck", "--all", "--json", "--no-progress", data_dir=data_dir, config=wide)
    assert recheck.returncode == 0, recheck.stderr
    assert private.hits == []
    assert json.loads(recheck.stdout)["errors"] == {"address-refused": 1}
    [refused] = _rows(data_dir, "SELECT url, error FROM captures WHERE outcome = 'address-refused'")
    assert refused["url"] == private.url + "/2024/01/01/us/secret"
    assert "127.0.0.2" in refused["error"]
    # The wide config itself does allow 127.0.0.2: only the article's own policy refused it.
    direct = run_cli("archive", private.url + "/2024/01/01/us/secret", "--json", "--no-progress",
                     data_dir=data_dir, config=wide)  # fmt: skip
    assert direct.returncode == 0 and private.hits == [
        "GET /robots.txt",
        "GET /2024/01/01/us/secret",
    ]


def test_a_worker_rechecks_under_the_articles_own_policy(
    servers, tmp_path, postgres_url, redis_url
):
    """`recheck --distributed` carries each article's policy through Redis to the worker."""
    public, private = servers
    url, prefix = redis_url
    cluster = f'catalog_url = "{postgres_url}"\n'
    distributed = f'\n[distributed]\nredis_url = "{url}"\nkey_prefix = "{prefix}"\n'
    public.routes["/2024/01/01/us/story"] = article("A story that will move", TEXT)
    narrow = tmp_path / "narrow.toml"
    narrow.write_text(
        cluster + _config(tmp_path, "n.toml", public, allowed=("127.0.0.1/32",)).read_text()
    )
    story = public.url + "/2024/01/01/us/story"
    first = run_cli(
        "archive", story, "--json", "--no-progress", data_dir=tmp_path / "d0", config=narrow
    )
    assert first.returncode == 0, first.stderr
    wide = tmp_path / "wide.toml"
    wide.write_text(
        cluster
        + _config(tmp_path, "w.toml", public, allowed=("127.0.0.0/8",)).read_text()
        + distributed
    )
    public.routes["/2024/01/01/us/story"] = redirect(private.url + "/2024/01/01/us/secret", 301)
    pushed = run_cli(
        "recheck", "--all", "--distributed", "--json", data_dir=tmp_path / "d1", config=wide
    )
    assert pushed.returncode == 0 and json.loads(pushed.stdout) == {"queued": {"hostile": 1}}, (
        pushed.stderr
    )
    worker = run_cli(
        "worker", "--exit-when-empty", "1", "--json", data_dir=tmp_path / "d2", config=wide
    )
    assert worker.returncode == 0, worker.stderr
    assert private.hits == []
    assert json.loads(worker.stdout)["errors"] == {"address-refused": 1}
