"""Change feeds end to end: a fixture site crawled, edited (one title made hostile), one page
collapsed, rechecked, one story reverted; then the real `newsarchive serve` answers the
Atom and JSON feeds, and `newsarchive feed` writes the same documents as static files.

Checked: feedparser reads every Atom document without complaint (no bozo); every JSON Feed
document passes a JSON Schema of JSON Feed 1.1; following `prev-archive` (Atom) or `next_url`
(JSON) from the subscription document reaches every entry of the catalog exactly once, for
each scope; conditional GET answers 304; hostile text is escaped; the paging query gives the
same pages on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import feedparser
import jsonschema
import pytest
from lxml import etree

from archive.catalog import Catalog
from tests.conftest import SITES, mirror_config_text, run_cli
from tests.test_serve import Server, _env, _free_port
from tests.test_update_tracking import _edit, _page_file

pytestmark = pytest.mark.timeout(300)

EXPECTED = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
ARTICLES = EXPECTED["articles"]
HOSTILE = "<script>alert('feed')</script> & <b>bold</b>"
PAGE_SIZE = 2
T0 = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"

# JSON Feed 1.1 (https://jsonfeed.org/version/1.1): the keys the spec requires, and the
# types of the ones these documents use.
JSON_FEED_SCHEMA = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"},
        "home_page_url": {"type": "string", "pattern": "^https?://"},
        "feed_url": {"type": "string", "pattern": "^https?://"},
        "next_url": {"type": "string", "pattern": "^https?://"},
        "description": {"type": "string"},
        "authors": {
            "type": "array",
            "items": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": {"type": "string", "pattern": "^https?://"},
                    "external_url": {"type": "string"},
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "date_published": {"type": "string", "format": "date-time"},
                    "date_modified": {"type": "string", "format": "date-time"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
                "patternProperties": {"^_": {"type": "object"}},
                "additionalProperties": False,
            },
        },
    },
    "patternProperties": {"^_": {"type": "object"}},
    "additionalProperties": False,
}


class Archive:
    def __init__(self, root: Path, data_dir: Path, config: Path, server: Server) -> None:
        self.root, self.data_dir, self.config, self.server = root, data_dir, config, server

    def fetch(
        self, path_or_url: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> tuple[int, dict, bytes]:
        url = path_or_url if path_or_url.startswith("http") else self.server.base + path_or_url
        assert url.startswith(self.server.base), url
        request = urllib.request.Request(url, headers=headers or {}, method=method)
        try:
            with _OPENER.open(request, timeout=30) as response:
                return (
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    response.read(),
                )
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()

    def body(self, path_or_url: str) -> bytes:
        status, _, body = self.fetch(path_or_url)
        assert status == 200, (path_or_url, body[:500])
        return body

    def catalog_entries(self, kinds: tuple[str, ...], site: str | None = None,
                        article: str | None = None) -> set[str]:  # fmt: skip
        """The ids a feed of these kinds must hold, read straight from the catalog."""
        conn = sqlite3.connect(self.data_dir / "catalog.sqlite")
        try:
            ids = set()
            for article_id, version, change, row_site in conn.execute(
                "SELECT v.article_id, v.version, v.change, a.site FROM versions v "
                "JOIN articles a ON a.id = v.article_id"
            ):
                if change in kinds and site in (None, row_site) and article in (None, article_id):
                    ids.add(f"urn:newsarchive:version:{article_id}:{version}")
            if "suspect" in kinds:
                for capture_id, article_id, row_site in conn.execute(
                    "SELECT id, article_id, site FROM captures WHERE outcome = 'suspect'"
                ):
                    if site in (None, row_site) and article in (None, article_id):
                        ids.add(f"urn:newsarchive:capture:{capture_id}")
            return ids
        finally:
            conn.close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Archive:
    root = tmp_path_factory.mktemp("feeds")
    site_root = root / "site"
    shutil.copytree(SITES / "cnn-lite", site_root)
    port_file = root / "site-port"
    site_proc = subprocess.Popen([sys.executable, "-m", "newsarchive.demo.server", str(site_root),
                                  "--port-file", str(port_file)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    server: Server | None = None
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            assert site_proc.poll() is None and time.monotonic() < deadline, (
                "fixture site did not start"
            )
            time.sleep(0.05)
        site_url = f"http://127.0.0.1:{port_file.read_text()}/"
        data_dir = root / "data"
        data_dir.mkdir()
        config = root / "newsarchive.toml"
        config.write_text(mirror_config_text() + "\n[serve]\nworkers = 0\nfeed_settle_seconds = 0\n"
                          f"feed_page_size = {PAGE_SIZE}\n")  # fmt: skip

        def cli(*args: str, at: datetime) -> None:
            result = run_cli(*args, "--no-progress", "--json", data_dir=data_dir, config=config,
                             env={"NEWSARCHIVE_NOW": at.isoformat()})  # fmt: skip
            assert result.returncode == 0, result.stderr

        cli("crawl", "cnn-lite", "--start-url", site_url, at=T0)
        edited, retitled, _, _, collapsed, _ = (a["path"] for a in ARTICLES)
        original = _page_file(site_root, edited).read_text(encoding="utf-8")
        _edit(site_root, edited, lambda h: h.replace(ARTICLES[0]["text_startswith"],
                                                     "UPDATE: " + ARTICLES[0]["text_startswith"], 1))  # fmt: skip
        # The title as the page's markup escapes it: the archived title *is* the hostile text.
        escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        _edit(
            site_root,
            retitled,
            lambda h: h.replace(ARTICLES[1]["title"], f"{ARTICLES[1]['title']} {escaped}"),
        )

        def collapse(html: str) -> str:
            paragraphs = re.findall(r'<p class="paragraph--lite">.*?</p>', html, flags=re.S)
            for p in paragraphs[1:-1]:
                html = html.replace(p, "", 1)
            return html

        _edit(site_root, collapsed, collapse)
        cli("recheck", "--all", at=T0 + timedelta(minutes=20))
        _page_file(site_root, edited).write_text(original, encoding="utf-8")  # back: a revert
        cli("recheck", "--all", at=T0 + timedelta(minutes=40))

        port = _free_port()
        log = root / "serve.log"
        cmd = [str(Path(sys.executable).parent / "newsarchive"), "--data-dir", str(data_dir), "--config",
               str(config), "serve", "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=_env())
        server = Server(proc, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + 30
        while True:
            try:
                with _OPENER.open(server.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, f"serve exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"serve did not start: {log.read_text()}"
            time.sleep(0.1)
        yield Archive(site_root, data_dir, config, server)
    finally:
        if server is not None:
            server.stop()
        site_proc.terminate()
        site_proc.wait(10)


def _article_id(archive: Archive, index: int) -> str:
    conn = sqlite3.connect(archive.data_dir / "catalog.sqlite")
    try:
        path = ARTICLES[index]["path"]
        [(article_id,)] = conn.execute(
            "SELECT id FROM articles WHERE url LIKE ?", ("%" + path.rstrip("/"),)
        ).fetchall()
        return str(article_id)
    finally:
        conn.close()


def _walk_atom(archive: Archive, path: str) -> tuple[list[str], list[str]]:
    """(entry ids of every document, archive page URLs) from the subscription document,
    following prev-archive; each document parsed by feedparser (no bozo) and by lxml."""
    ids: list[str] = []
    pages: list[str] = []
    url: str | None = path
    first = True
    while url:
        body = archive.body(url)
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (url, parsed.get("bozo_exception"))
        tree = etree.fromstring(body)
        is_archive = tree.find(f"{FH}archive") is not None
        assert is_archive == (not first), url
        rels = {link.get("rel"): link.get("href") for link in tree.findall(f"{ATOM}link")}
        if is_archive:
            assert rels["current"].endswith(path.split("/")[-1]), rels
        updated = [e.updated_parsed for e in parsed.entries]
        assert updated == sorted(updated, reverse=True), "newest first"
        ids += [e.id for e in parsed.entries]
        url = rels.get("prev-archive")
        if url:
            pages.append(url)
        first = False
    return ids, pages


def _walk_json(archive: Archive, path: str) -> list[str]:
    ids: list[str] = []
    url: str | None = path
    while url:
        doc = json.loads(archive.body(url))
        jsonschema.validate(doc, JSON_FEED_SCHEMA, format_checker=jsonschema.FormatChecker())
        dates = [i["date_published"] for i in doc["items"]]
        assert dates == sorted(dates, reverse=True), "newest first"
        ids += [i["id"] for i in doc["items"]]
        url = doc.get("next_url")
    return ids


SCOPES = [
    # (path without extension, query, kinds)
    ("/feeds/changes", "", ("edit", "revert")),
    ("/feeds/changes", "?include=new,suspect", ("edit", "revert", "new", "suspect")),
    ("/feeds/sites/cnn-lite", "?include=new", ("edit", "revert", "new")),
]


@pytest.mark.parametrize(("path", "query", "kinds"), SCOPES)
def test_every_entry_appears_exactly_once_across_the_pages(archive, path, query, kinds):
    expected = archive.catalog_entries(kinds)
    ids, pages = _walk_atom(archive, f"{path}.atom{query}")
    assert len(ids) == len(set(ids)), "an entry in two documents"
    assert set(ids) == expected
    assert _walk_json(archive, f"{path}.json{query}") == ids, "JSON pages hold the same entries"
    if len(expected) >= 2 * PAGE_SIZE:
        assert pages, "the feed is paged"
    # Archive pages are stable: page 0 is the oldest entries, the same on every request.
    if pages:
        assert archive.body(pages[-1]) == archive.body(pages[-1])
        assert pages[-1].endswith("page=0")


def test_the_article_feed_has_its_versions(archive):
    article_id = _article_id(archive, 0)
    ids, _ = _walk_atom(archive, f"/feeds/articles/{article_id}.atom?include=new")
    assert ids == [f"urn:newsarchive:version:{article_id}:{n}" for n in (3, 2, 1)]
    assert set(ids) == archive.catalog_entries(("edit", "revert", "new"), article=article_id)


def test_an_atom_entry_says_what_changed_and_links_the_diff_page(archive):
    article_id = _article_id(archive, 0)
    parsed = feedparser.parse(archive.body("/feeds/changes.atom"))
    by_id = {e.id: e for e in parsed.entries}
    edit = by_id[f"urn:newsarchive:version:{article_id}:2"]
    revert = by_id[f"urn:newsarchive:version:{article_id}:3"]
    assert edit.link.endswith(f"/articles/{article_id}?from=1&to=2#diff")
    page = archive.body(edit.link.split("#")[0]).decode()
    assert "Changes from version 1 to version 2" in page
    # The pages announce their feeds (a reader given the page finds the feed).
    assert (
        f'type="application/atom+xml" title="Atom" href="/feeds/articles/{article_id}.atom"' in page
    )
    assert 'href="/feeds/changes.json"' in archive.body("/").decode()
    assert edit.content[0].type == "text/html"
    assert "<ins>UPDATE:</ins>" in edit.content[0].value
    terms = {(t.scheme, t.term) for t in edit.tags}
    assert ("urn:newsarchive:change", "edit") in terms and (
        "urn:newsarchive:field",
        "text",
    ) in terms
    assert any(s == "urn:newsarchive:edit-type" for s, _ in terms)
    assert "reverted to version 1" in revert.title
    assert "<del>UPDATE:</del>" in revert.content[0].value
    # updated = the capture time of the version
    conn = sqlite3.connect(archive.data_dir / "catalog.sqlite")
    [(captured,)] = conn.execute(
        "SELECT captured_at FROM versions WHERE article_id = ? AND version = 2", (article_id,)
    ).fetchall()
    conn.close()
    assert edit.updated.startswith(captured.replace(" ", "T")[:19])


def test_hostile_titles_are_escaped_in_both_formats(archive):
    atom = archive.body("/feeds/changes.atom")
    assert b"<script" not in atom and b"<b>" not in atom
    parsed = feedparser.parse(atom, sanitize_html=False)
    [hostile] = [e for e in parsed.entries if HOSTILE in e.title]
    assert "&lt;script&gt;" in hostile.content[0].value, "the title's diff: escaped HTML"
    data = archive.body("/feeds/changes.json")
    assert b"<script" not in data and b"<b>" not in data
    doc = json.loads(data)
    [item] = [i for i in doc["items"] if HOSTILE in i["title"]]  # plain text, as JSON Feed says
    assert "<script" not in item["content_html"] and "&lt;script&gt;" in item["content_html"]


def test_conditional_get_answers_304(archive):
    for path in (
        "/feeds/changes.atom",
        "/feeds/changes.json?include=new",
        "/feeds/changes.atom?page=0",
    ):
        status, headers, body = archive.fetch(path)
        assert status == 200 and headers["etag"] and headers["last-modified"], path
        status, again, body304 = archive.fetch(path, {"If-None-Match": headers["etag"]})
        assert status == 304 and body304 == b"" and again["etag"] == headers["etag"]
        status, _, _ = archive.fetch(path, {"If-Modified-Since": headers["last-modified"]})
        assert status == 304
        earlier = datetime.strptime(headers["last-modified"], "%a, %d %b %Y %H:%M:%S GMT")
        earlier = format_datetime((earlier - timedelta(hours=1)).replace(tzinfo=UTC), usegmt=True)
        status, _, _ = archive.fetch(path, {"If-Modified-Since": earlier})
        assert status == 200
        # If-None-Match decides when both are sent.
        status, _, _ = archive.fetch(
            path, {"If-None-Match": '"other"', "If-Modified-Since": headers["last-modified"]}
        )
        assert status == 200
    # HEAD: the same status and validators, no body (feed readers and link checkers ask it).
    for path in ("/feeds/changes.atom", "/feeds/sites/cnn-lite.json", "/feeds/changes.json?page=0"):
        status, got, body = archive.fetch(path)
        assert status == 200, path
        head_status, head, head_body = archive.fetch(path, method="HEAD")
        assert (head_status, head_body) == (200, b""), path
        assert head["etag"] == got["etag"] and head["content-type"] == got["content-type"]
        assert archive.fetch(path, {"If-None-Match": got["etag"]}, method="HEAD")[0] == 304
    assert archive.fetch("/feeds/sites/no-such-site.atom", method="HEAD")[0] == 404
    # Another feed has another ETag.
    assert (
        archive.fetch("/feeds/changes.atom")[1]["etag"]
        != archive.fetch("/feeds/changes.json")[1]["etag"]
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "atom"),
        ("--format", "json", "--include", "new,suspect"),
        ("--site", "cnn-lite", "--include", "new", "--page", "0"),
    ],
)
def test_the_static_file_is_the_served_document(archive, args, tmp_path):
    out = tmp_path / "feed.out"
    result = run_cli("feed", *args, "--base-url", archive.server.base, "--out", str(out),
                     data_dir=archive.data_dir, config=archive.config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    opts = dict(zip(args[::2], args[1::2], strict=True))
    fmt = opts.get("--format", "atom")
    path = f"/feeds/sites/{opts['--site']}.{fmt}" if "--site" in opts else f"/feeds/changes.{fmt}"
    params = [f"include={opts['--include']}"] if "--include" in opts else []
    params += [f"page={opts['--page']}"] if "--page" in opts else []
    assert out.read_bytes() == archive.body(path + ("?" + "&".join(params) if params else ""))


def test_bad_feed_requests_are_one_line_errors(archive, tmp_path):
    for path, status in (("/feeds/changes.atom?include=reextract", 400), ("/feeds/changes.atom?page=999", 404),
                         ("/feeds/changes.rss", 404), ("/feeds/articles/nope.atom", 404),
                         ("/feeds/sites/no-such-site.json", 404), ("/feeds/changes.atom?page=-1", 400)):  # fmt: skip
        got, _, body = archive.fetch(path)
        assert got == status, (path, body)
        assert json.loads(body)["error"]
    result = run_cli("feed", "--include", "reextract", "--out", str(tmp_path / "x"),
                     data_dir=archive.data_dir, config=archive.config)  # fmt: skip
    assert (
        result.returncode == 2
        and "include" in result.stderr
        and len(result.stderr.strip().splitlines()) == 1
    )
    assert not (tmp_path / "x").exists()
    result = run_cli("feed", "--site", "no-such-site", "--out", str(tmp_path / "x"),
                     data_dir=archive.data_dir, config=archive.config)  # fmt: skip
    assert result.returncode == 2 and "unknown site 'no-such-site'" in result.stderr


# -- the paging query on both catalog backends --------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def feed_catalog(request, tmp_path):
    """Seven articles, three of them edited twice, with known capture times."""
    from archive.versions import Observation, VersionTracker

    url = (f"sqlite:///{tmp_path / 'catalog.sqlite'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))  # fmt: skip
    catalog = Catalog(url)
    tracker = VersionTracker(catalog)
    body = " A paragraph of a long enough article text for a version of the story." * 5
    minute = 0
    for round_ in range(3):
        for n in range(7):
            if round_ and n % 2:
                continue
            minute += 1
            text = f"Story {n} words, round {round_}." + body
            obs = Observation(article_id=f"f{n}", site="cnn-lite" if n < 4 else "npr-text",
                              url=f"http://example.test/{n}", normalized_url=f"http://example.test/{n}",
                              captured_at=T0 + timedelta(minutes=minute),
                              fields={"title": f"Story <{n}>", "authors": [], "text": text})  # fmt: skip
            tracker.commit(obs, tracker.decide(obs))
    catalog.flush()
    from sqlalchemy import insert

    from archive import catalog_schema as t

    with catalog.engine.begin() as conn:  # a suspect capture of f3, between two edits
        conn.execute(insert(t.captures).values(
            site="cnn-lite", url="http://example.test/3", kind="article", outcome="suspect",
            fetched_at=T0 + timedelta(minutes=9, seconds=30), article_id="f3", version=1,
            error="the text shrank from 800 to 40 characters <b>twice</b>"))  # fmt: skip
    yield catalog
    catalog.close()


def test_pages_are_the_same_on_sqlite_and_postgresql(feed_catalog):
    from newsarchive.feeds import query
    from newsarchive.feeds.document import build

    horizon = datetime(2030, 1, 1, tzinfo=UTC)
    scope = query.Scope(kinds=("edit", "revert", "new"))
    lay = query.layout(feed_catalog.engine, scope, 3, horizon)
    assert (lay.total, lay.pages) == (15, 5)
    seen = []
    for page in range(lay.pages):
        got = query.entries(feed_catalog.engine, scope, horizon, page * 3, page * 3 + 3)
        seen += [(e.article_id, e.version) for e in reversed(got)]
    order = [(f"f{n}", 1) for n in range(7)] + [(f"f{n}", r) for r in (2, 3) for n in (0, 2, 4, 6)]
    assert seen == order, "oldest first, by capture time"
    # Versions and suspect captures in one sequence.
    everything = query.Scope(kinds=query.KINDS)
    lay = query.layout(feed_catalog.engine, everything, 3, horizon)
    assert lay.total == 16
    got = query.entries(feed_catalog.engine, everything, horizon, 0, 16, lay.total)
    assert [(e.kind, e.article_id) for e in got[5:8]] == [
        ("edit", "f4"),
        ("suspect", "f3"),
        ("edit", "f2"),
    ], "newest first, the suspect capture at its fetch time"
    assert got[6].entry_id.startswith("urn:newsarchive:capture:") and got[6].version is None
    doc = build(feed_catalog.engine, everything, "atom", base_url="http://x.test", page_size=3,
                settle_seconds=0, now=horizon)  # fmt: skip
    assert not feedparser.parse(doc.body).bozo and b"<b>" not in doc.body
    assert (
        query.layout(
            feed_catalog.engine, query.Scope(kinds=("suspect", "edit"), site="npr-text"), 3, horizon
        ).total
        == 4
    )
    edits = query.Scope(site="cnn-lite")
    assert query.layout(feed_catalog.engine, edits, 3, horizon).total == 4
    # The horizon: an entry captured less than the settle time ago is not shown yet.
    assert (
        query.layout(feed_catalog.engine, scope, 3, T0 + timedelta(minutes=7, seconds=30)).total
        == 7
    )
    doc = build(feed_catalog.engine, scope, "atom", base_url="http://x.test", page_size=3,
                settle_seconds=60, now=T0 + timedelta(minutes=8, seconds=1))  # fmt: skip
    parsed = feedparser.parse(doc.body)
    assert not parsed.bozo and [e.id for e in parsed.entries][:1] == [
        "urn:newsarchive:version:f6:1"
    ]
    assert doc.last_modified == T0 + timedelta(minutes=7, seconds=60)
    assert "Story <6>" in parsed.entries[0].title


@pytest.mark.parametrize("fmt", ["atom", "json"])
def test_static_publishing_writes_linked_archive_pages(archive, tmp_path, fmt):
    folder = tmp_path / "public"
    folder.mkdir()
    publish = "http://files.test/news"

    def publish_feed() -> dict:
        result = run_cli("feed", "--format", fmt, "--include", "new,suspect", "--publish-url", publish,
                         "--base-url", archive.server.base, "--out", str(folder / f"changes.{fmt}"), "--json",
                         data_dir=archive.data_dir, config=archive.config)  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    summary = publish_feed()
    assert summary["pages"] >= 2 and len(summary["pages_written"]) == summary["pages"]
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [f"changes.{fmt}"] + [f"changes.page-{k}.{fmt}" for k in range(summary["pages"])]
    )
    # Read as a reader of the published folder would: every link names a file in it.
    ids: list[str] = []
    url: str | None = f"{publish}/changes.{fmt}"
    while url:
        assert url.startswith(publish + "/"), url
        body = (folder / url.removeprefix(publish + "/")).read_bytes()
        if fmt == "atom":
            parsed = feedparser.parse(body)
            assert not parsed.bozo
            ids += [e.id for e in parsed.entries]
            url = next(
                (link.href for link in parsed.feed.links if link.rel == "prev-archive"), None
            )
        else:
            doc = json.loads(body)
            jsonschema.validate(doc, JSON_FEED_SCHEMA)
            ids += [i["id"] for i in doc["items"]]
            url = doc.get("next_url")
    assert len(ids) == len(set(ids)) and set(ids) == archive.catalog_entries(
        ("edit", "revert", "new", "suspect")
    )
    # Run again: the full pages are kept, not rewritten.
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert publish_feed()["pages_written"] == []
    assert all(
        p.stat().st_mtime_ns == before[p.name] for p in folder.iterdir() if ".page-" in p.name
    )


def test_a_cached_document_is_rebuilt_when_an_entry_settles(feed_catalog):
    from archive.versions import Observation, VersionTracker
    from newsarchive.feeds import query
    from newsarchive.feeds.document import DocumentCache, build

    cache = DocumentCache()
    now = T0 + timedelta(hours=1)

    def doc():  # noqa: ANN202
        return build(feed_catalog.engine, query.Scope(), "json", base_url="http://x.test", page_size=3,
                     settle_seconds=60, now=now, cache=cache)  # fmt: skip

    first = doc()
    assert doc() is first, "nothing new: the built document is reused"
    tracker = VersionTracker(feed_catalog)
    text = "An edit made after the feed was read." + " More words of the story for its length." * 8
    obs = Observation(article_id="f1", site="cnn-lite", url="http://example.test/1",
                      normalized_url="http://example.test/1", captured_at=T0 + timedelta(minutes=30),
                      fields={"title": "Story <1>", "authors": [], "text": text})  # fmt: skip
    tracker.commit(obs, tracker.decide(obs))
    feed_catalog.flush()
    second = doc()
    assert second is not first and second.etag != first.etag
    assert json.loads(second.body)["items"][0]["id"] == "urn:newsarchive:version:f1:2"
    assert second.last_modified == T0 + timedelta(minutes=31)


def test_feed_settings_are_checked():
    from archive.config import ConfigError
    from newsarchive.serve.settings import serve_settings

    settings = serve_settings({"feed_page_size": 20, "feed_settle_seconds": 30,
                                          "public_url": "https://archive.example.org/"})  # fmt: skip
    assert (settings.feed_page_size, settings.feed_settle_seconds) == (20, 30.0)
    assert settings.public_url == "https://archive.example.org"
    for bad in (
        {"feed_page_size": 0},
        {"public_url": "ftp://x"},
        {"public_url": 5},
        {"feed_settle_seconds": -1},
    ):
        with pytest.raises(ConfigError):
            serve_settings(bad)
