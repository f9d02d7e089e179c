"""`newsarchive serve` end to end: the real server in a child process on 127.0.0.1, fixture
sites on loopback, headless Chromium for the article page. Nothing here connects to a
non-loopback address: refused URLs are refused before any fetch, and address
classification of other ranges is tested as a function (tests/test_address_policy.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from archive.catalog import Catalog
from tests.conftest import MIRROR_CONFIG, REPO, SITES, mirror_config_text

pytestmark = pytest.mark.timeout(180)

TOKEN = "test-token-0123456789abcdef"
EXPECTED = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
ARTICLE = EXPECTED["articles"][0]
# No proxy may carry a test's request off this machine.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and not k.startswith("NEWSARCHIVE_")
    }
    return {**env, "NO_COLOR": "1", "COLUMNS": "200", **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.proc, self.base, self.log = proc, base, log

    def call(self, method: str, path: str, body: object = None, *, token: str | None = TOKEN,
             raw: bytes | None = None) -> tuple[int, dict, object]:  # fmt: skip
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with _OPENER.open(request, timeout=30) as response:
                status, headers, payload = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, payload = exc.code, exc.headers, exc.read()
        headers = {k.lower(): v for k, v in headers.items()}
        text = payload.decode("utf-8")
        is_json = headers.get("content-type", "").startswith("application/json")
        return status, headers, json.loads(text) if is_json else text

    def get(self, path: str) -> object:
        status, _, payload = self.call("GET", path, token=None)
        assert status == 200, (path, payload)
        return payload

    def wait_job(self, job_id: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(f"/api/jobs/{job_id}")
            assert isinstance(job, dict)
            if job["status"] in ("done", "failed"):
                return job
            assert time.monotonic() < deadline, f"job still {job['status']}: {self.log.read_text()}"
            time.sleep(0.25)

    def archive(self, *urls: str, site: str | None = None) -> dict:
        status, _, payload = self.call("POST", "/api/archive", {"urls": list(urls), "site": site})
        assert status == 202, payload
        assert isinstance(payload, dict)
        return self.wait_job(payload["id"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _config(
    tmp_path: Path, name: str, serve: str, *, allowed_networks: tuple[str, ...] = ("127.0.0.0/8",)
) -> Path:
    """The mirror config (loopback allowed unless `allowed_networks` says otherwise) + [serve]."""
    path = tmp_path / name
    path.write_text(mirror_config_text(allowed_networks=allowed_networks) + "\n[serve]\n" + serve)
    return path


@pytest.fixture
def start_server(tmp_path: Path):
    started: list[Server] = []

    def start(data_dir: Path, config: Path, *, token: str | None = TOKEN) -> Server:
        port = _free_port()
        log = tmp_path / f"serve-{len(started)}.log"
        env = _env(**({"NEWSARCHIVE_API_TOKEN": token} if token else {}))
        cmd = [str(Path(sys.executable).parent / "newsarchive"), "--data-dir", str(data_dir), "--config",
               str(config), "serve", "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        server = Server(proc, f"http://127.0.0.1:{port}", log)
        started.append(server)
        deadline = time.monotonic() + 30
        while True:
            try:
                with _OPENER.open(server.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return server
            except OSError:
                pass
            assert proc.poll() is None, f"serve exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"serve did not start: {log.read_text()}"
            time.sleep(0.1)

    yield start
    for server in started:
        server.stop()


def _page_file(root: Path, path: str) -> Path:
    page = root / path.lstrip("/")
    return page / "index.html" if page.is_dir() else page


def _dump_dom(url: str, tmp_path: Path) -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: run scripts/bootstrap.sh test")
    # Every host name but 127.0.0.1 fails to resolve: the browser cannot phone home.
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-domain-reliability", "--no-pings", "--no-proxy-server",
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", url]  # fmt: skip
    result = subprocess.run(
        cmd, check=False, capture_output=True, text=True, timeout=60, env=_env()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_archive_poll_read_back_diff_and_article_page(serve_site, data_dir, tmp_path, start_server):
    site = serve_site("cnn-lite")
    server = start_server(data_dir, _config(tmp_path, "serve.toml", ""))
    url = site.page(ARTICLE["path"])

    # Writes need the token.
    for token in (None, "wrong-token-0123456789"):
        status, headers, payload = server.call("POST", "/api/archive", {"urls": [url]}, token=token)
        assert status == 401 and "Bearer" in payload["error"] + headers.get("www-authenticate", "")
    assert server.get("/healthz")["jobs"]["queued"] == 0

    job = server.archive(url, site="cnn-lite")
    assert job["status"] == "done", job
    [result] = job["results"]
    assert result["requested_url"] == url and result["version"] == 1 and result["outcome"] == "new"
    article_id = result["article_id"]

    article = server.get(f"/api/articles/{article_id}")
    assert (
        article["title"] == ARTICLE["title"] and article["latest"]["authors"] == ARTICLE["authors"]
    )
    assert [v["version"] for v in article["versions"]] == [1]

    page = _page_file(site.root, ARTICLE["path"])
    page.write_text(page.read_text(encoding="utf-8").replace(ARTICLE["text_startswith"],
                    "UPDATE: " + ARTICLE["text_startswith"], 1), encoding="utf-8")  # fmt: skip
    # The same URL twice at once: queued once.
    status, _, first = server.call("POST", "/api/archive", {"urls": [url], "site": "cnn-lite"})
    status2, _, second = server.call("POST", "/api/archive", {"urls": [url, url]})
    assert status == status2 == 202
    assert (
        second["id"] == first["id"]
        and second["urls"] == []
        and second["already_queued"] == {url: first["id"]}
    )
    job = server.wait_job(first["id"])
    assert (
        job["status"] == "done"
        and job["results"][0]["version"] == 2
        and job["results"][0]["outcome"] == "edit"
    )

    article = server.get(f"/api/articles/{article_id}")
    assert article["latest_version"] == 2 and article["latest"]["text"].startswith("UPDATE: ")
    assert server.get(f"/api/articles/{article_id}/versions/1")["text"].startswith(
        ARTICLE["text_startswith"]
    )
    diff = server.get(f"/api/articles/{article_id}/diff?from=1&to=2")
    assert "+UPDATE: " + ARTICLE["text_startswith"] in diff["unified"]
    assert diff["chars_added"] == len("UPDATE:") and diff["chars_removed"] == 0
    assert any(row["new"].startswith("<ins>UPDATE:</ins>") for row in diff["side_by_side"])
    status, _, payload = server.call("GET", f"/api/articles/{article_id}/versions/9", token=None)
    assert status == 404 and "no version 9" in payload["error"]

    listing = server.get("/api/articles?q=update:")
    assert [i["article_id"] for i in listing["items"]] == [article_id] and listing["next"] is None
    assert server.get("/api/articles?q=no-such-words-anywhere")["items"] == []
    assert server.get("/api/articles?site=no-such-site")["items"] == []
    assert (
        server.get("/api/articles?since=2000-01-01&until=2999-12-31")["items"][0]["article_id"]
        == article_id
    )
    assert server.get("/api/articles?until=2000-01-01")["items"] == []
    index = server.get("/")  # recent changes, newest first
    assert (
        index.index("v2 edit") < index.index("v1 new")
        and f"/articles/{article_id}?from=1&amp;to=2" in index
    )

    dom = _dump_dom(f"{server.base}/articles/{article_id}?from=1&to=2", tmp_path)
    assert "Changes from version 1 to version 2" in dom
    assert "<ins>UPDATE:</ins>" in dom and "version 1" in dom and ARTICLE["title"] in dom


def test_private_addresses_and_redirects_to_them_are_refused(
    serve_site, data_dir, tmp_path, start_server
):
    site = serve_site("cnn-lite")  # on 127.0.0.1: not allowed
    # A second copy on 127.0.0.2, the one network this config exempts; it redirects to 127.0.0.1.
    other = tmp_path / "other-site"
    shutil.copytree(SITES / "cnn-lite", other)
    (other / "_routes.json").write_text(
        json.dumps({"/moved": {"redirect": site.page(ARTICLE["path"])}})
    )
    port = _free_port()
    other_proc = subprocess.Popen([sys.executable, "-m", "newsarchive.demo.server", str(other), "--host", "127.0.0.2",
                                   "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        server = start_server(
            data_dir, _config(tmp_path, "serve.toml", "", allowed_networks=("127.0.0.2/32",))
        )
        port_of_site = site.url.rsplit(":", 1)[1].strip("/")
        for url in (site.page(ARTICLE["path"]), f"http://localhost:{port_of_site}/", f"http://[::1]:{port_of_site}/",
                    f"http://[::ffff:127.0.0.1]:{port_of_site}/", f"http://0.0.0.0:{port_of_site}/",
                    # urllib reads host pub.test here; Scrapy fetches 127.0.0.1: the API checks what Scrapy fetches
                    f"http://127.0.0.1:{port_of_site}\\@pub.test/"):  # fmt: skip
            status, _, payload = server.call("POST", "/api/archive", {"urls": [url]})
            assert status == 400 and "private address" in payload["error"], (url, payload)
        for url in (
            "file:///etc/passwd",
            f"gopher://127.0.0.1:{port_of_site}/_GET",
            "ftp://127.0.0.1/x",
        ):
            status, _, payload = server.call("POST", "/api/archive", {"urls": [url]})
            assert status == 400 and "only http and https" in payload["error"], (url, payload)

        # The exempted host archives; its redirect to 127.0.0.1 is refused at fetch time.
        other_url = f"http://127.0.0.2:{port}"
        job = server.archive(other_url + ARTICLE["path"], other_url + "/moved", site="cnn-lite")
        allowed, redirected = job["results"]
        assert allowed["version"] == 1 and allowed["outcome"] == "new"
        assert redirected["version"] is None and redirected["outcome"] == "address-refused", (
            redirected
        )
        assert "refused: 127.0.0.1 resolves to a private address" in redirected["error"]
        assert job["status"] == "done"
        # The refused hop got no response: its capture has no status, and no other capture of that site exists.
        catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
        try:
            with catalog.engine.connect() as conn:
                refused = [dict(r._mapping) for r in conn.exec_driver_sql(
                    "SELECT url, status, outcome FROM captures WHERE url LIKE ?", (site.url + "%",))]  # fmt: skip
        finally:
            catalog.close()
        assert refused == [
            {"url": site.page(ARTICLE["path"]), "status": None, "outcome": "address-refused"}
        ]
        assert server.get("/api/articles")["items"][0]["url"].startswith(other_url)
        assert len(server.get("/api/articles")["items"]) == 1
    finally:
        other_proc.terminate()
        other_proc.wait(5)


def test_limits_rate_limit_and_json_errors(data_dir, tmp_path, start_server):
    config = _config(tmp_path, "limits.toml", "workers = 0\n"
                     "max_urls_per_request = 3\nmax_body_bytes = 2000\nrate_limit_per_minute = 4\n")  # fmt: skip
    server = start_server(data_dir, config)
    status, _, payload = server.call(
        "POST", "/api/archive", {"urls": [f"http://127.0.0.1:9/{i}" for i in range(4)]}
    )
    assert status == 400 and "at most 3 URLs" in payload["error"]
    status, _, payload = server.call(
        "POST", "/api/archive", raw=b'{"urls": ["' + b"x" * 3000 + b'"]}'
    )
    assert status == 413 and "2000 bytes" in payload["error"]
    status, _, payload = server.call("POST", "/api/archive", raw=b"{not json")
    assert status == 400 and payload["error"].startswith("invalid request")
    status, _, payload = server.call("POST", "/api/archive", {"urls": ["http://127.0.0.1:9/"]})
    assert (
        status == 202 and payload["status"] == "queued"
    )  # the 4th of 4 a minute; `workers = 0` keeps it queued
    status, headers, payload = server.call(
        "POST", "/api/archive", {"urls": ["http://127.0.0.1:9/"]}
    )
    assert status == 429 and "too many" in payload["error"] and int(headers["retry-after"]) >= 1
    status, _, payload = server.call("GET", "/api/jobs/nope", token=None)
    assert status == 404 and payload == {"error": "no job 'nope'", "status": 404}
    status, _, payload = server.call("GET", "/api/articles?since=yesterday", token=None)
    assert status == 400 and "ISO date" in payload["error"]
    status, _, payload = server.call("GET", "/api/articles?cursor=zzz", token=None)
    assert status == 400 and "cursor" in payload["error"]
    assert (
        "openapi" in server.get("/openapi.json")
        and "/api/archive" in server.get("/openapi.json")["paths"]
    )
    assert "swagger" in server.get("/docs").lower()


def test_without_a_token_only_a_read_only_loopback_server_starts(data_dir, tmp_path, start_server):
    config = _config(tmp_path, "serve.toml", "workers = 0\n")
    refused = subprocess.run([str(Path(sys.executable).parent / "newsarchive"), "--data-dir", str(data_dir),
                              "--config", str(config), "serve", "--host", "0.0.0.0", "--port", str(_free_port())],
                             check=False, capture_output=True, text=True, timeout=60, env=_env(), cwd=REPO)  # fmt: skip
    assert refused.returncode == 2 and "NEWSARCHIVE_API_TOKEN" in refused.stderr
    server = start_server(data_dir, config, token=None)
    assert server.get("/healthz")["read_only"] is True
    status, _, payload = server.call(
        "POST", "/api/archive", {"urls": ["http://127.0.0.1:9/"]}, token=TOKEN
    )
    assert status == 403 and "read-only" in payload["error"]
    assert server.get("/api/articles") == {"items": [], "next": None}


def test_a_job_queued_before_a_restart_completes_after_it(
    serve_site, data_dir, tmp_path, start_server
):
    site = serve_site("cnn-lite")
    url = site.page(ARTICLE["path"])
    paused = start_server(data_dir, _config(tmp_path, "paused.toml", "workers = 0\n"))
    status, _, payload = paused.call("POST", "/api/archive", {"urls": [url], "site": "cnn-lite"})
    assert status == 202 and payload["status"] == "queued"
    job_id = payload["id"]
    paused.proc.kill()  # no goodbye: the job lives only in the catalog
    paused.proc.wait()

    server = start_server(data_dir, _config(tmp_path, "serve.toml", "workers = 1\n"))
    job = server.wait_job(job_id)
    assert job["status"] == "done" and job["results"][0]["version"] == 1, job
    assert (
        server.get(f"/api/articles/{job['results'][0]['article_id']}")["title"] == ARTICLE["title"]
    )


# -- the pure parts, in process (FastAPI itself is only imported by the server) ----------------


def test_side_by_side_aligns_paragraphs_and_escapes():
    from newsarchive.serve.pages import side_by_side

    rows = side_by_side(
        "Kept.\n\nThe vote was 21-5.\n\nGone <b>.",
        "Kept.\n\nThe vote was 21-6.\n\nNew <script>.\n\nMore",
    )
    assert [(r.kind, r.old, r.new) for r in rows] == [
        ("equal", "Kept.", "Kept."),
        ("changed", "The vote was <del>21-5.</del>", "The vote was <ins>21-6.</ins>"),
        ("changed", "<del>Gone &lt;b&gt;.</del>", "<ins>New &lt;script&gt;.</ins>"),
        ("added", "", "<ins>More</ins>"),
    ]


def test_rate_limiter_refills_per_token():
    from newsarchive.serve.security import ApiError, RateLimiter

    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    limiter.take("a")
    limiter.take("a")
    limiter.take("b")
    with pytest.raises(ApiError) as refused:
        limiter.take("a")
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "30"
    now[0] += 30
    limiter.take("a")


def test_token_auth_and_serve_settings():
    from archive.config import ConfigError
    from newsarchive.serve.security import ApiError, TokenAuth, is_loopback_host
    from newsarchive.serve.settings import serve_settings

    auth = TokenAuth(TOKEN)
    assert len(auth.check(f"Bearer {TOKEN}")) == 64
    for header in (None, "", "Basic abc", f"bearer {TOKEN}x"):
        with pytest.raises(ApiError) as refused:
            auth.check(header)
        assert refused.value.status == 401
    with pytest.raises(ApiError, match="read-only"):
        TokenAuth(None).check(f"Bearer {TOKEN}")
    assert (
        is_loopback_host("127.0.0.1") and is_loopback_host("localhost") and is_loopback_host("::1")
    )
    assert not is_loopback_host("0.0.0.0") and not is_loopback_host("192.168.1.5")
    assert serve_settings({"workers": 0}).workers == 0
    for bad in ({"wokers": 1}, {"workers": -1}, {"max_urls_per_request": 0}):
        with pytest.raises(ConfigError, match=r"\[serve\]"):
            serve_settings(bad)
    # The address policy is the crawl's, set once for every command.
    for moved in ({"allow_private_addresses": True}, {"allowed_networks": ["10.0.0.0/8"]}):
        with pytest.raises(
            ConfigError, match=r"\[crawl\] (allow_private_addresses|allowed_networks)"
        ):
            serve_settings(moved)


# -- the article filters on both catalog backends -------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def filter_catalog(request, tmp_path):
    """A catalog with five articles (one of them edited), on SQLite and on PostgreSQL."""
    from datetime import UTC, datetime

    from archive.versions import Observation, VersionTracker

    url = (f"sqlite:///{tmp_path / 'catalog.sqlite'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))  # fmt: skip
    catalog = Catalog(url)
    tracker = VersionTracker(catalog)
    body = " Paragraph of a long enough article text for a version." * 5
    stories = [  # (id, site, captured, title, text)
        ("a1", "cnn-lite", "2026-05-01T10:00:00", "Senate Panel Backs the BILL", "First words." + body),
        ("a2", "cnn-lite", "2026-05-02T10:00:00", "Prices: 100% up at the Market", "Second words." + body),
        ("a3", "npr-text", "2026-05-03T10:00:00", "Ärger in Zürich über STRAßENBAU", "Third words." + body),
        ("a4", "npr-text", "2026-05-04T10:00:00", "snake_case and back\\slash", "Fourth words." + body),
        ("a5", "cnn-lite", "2026-05-05T10:00:00", "A quiet day", "Nothing EXCEPTIONAL happened." + body),
        ("a5", "cnn-lite", "2026-05-06T10:00:00", "A quiet day", "Later an edit replaced the words." + body),
    ]  # fmt: skip
    for article, site, captured, title, text in stories:
        obs = Observation(article_id=article, site=site, url=f"http://example.test/{article}",
                          normalized_url=f"http://example.test/{article}",
                          captured_at=datetime.fromisoformat(captured).replace(tzinfo=UTC),
                          fields={"title": title, "authors": [], "text": text})  # fmt: skip
        tracker.commit(obs, tracker.decide(obs))
    catalog.flush()
    yield catalog
    catalog.close()


def test_article_filters_on_sqlite_and_postgresql(filter_catalog):
    from datetime import UTC, datetime

    from newsarchive.serve.queries import ArticleFilter, list_articles

    def ids(**kw: object) -> list[str]:
        items, _ = list_articles(filter_catalog.engine, ArticleFilter(**kw), limit=50)  # type: ignore[arg-type]
        return [i["article_id"] for i in items]

    assert ids() == ["a5", "a4", "a3", "a2", "a1"]  # most recently changed first
    # q: in the title or the text of any version, whatever the case
    assert ids(q="bill") == ids(q="BiLl") == ["a1"]
    assert ids(q="exceptional") == ["a5"], "the text of an earlier version counts"
    assert ids(q="an EDIT replaced") == ["a5"]
    assert ids(q="ärger") == ids(q="ZÜRICH") == ["a3"], "not only ASCII letters"
    assert ids(q="straßenbau") == ["a3"]
    # LIKE's wildcards and escape character are plain characters in q
    assert ids(q="100%") == ["a2"] and ids(q="%") == ["a2"]
    assert ids(q="_") == ["a4"] and ids(q="snake_case") == ["a4"]
    assert ids(q="back\\slash") == ["a4"] and ids(q="\\") == ["a4"]
    assert ids(q="no such words") == []
    # site, since / until (a version captured in the window)
    assert ids(site="npr-text") == ["a4", "a3"] and ids(site="nope") == []
    assert ids(since=datetime(2026, 5, 4, tzinfo=UTC)) == ["a5", "a4"]
    assert ids(until=datetime(2026, 5, 2, 10, tzinfo=UTC)) == ["a2", "a1"]
    assert ids(
        since=datetime(2026, 5, 5, 12, tzinfo=UTC), until=datetime(2026, 5, 6, 12, tzinfo=UTC)
    ) == ["a5"]
    assert ids(site="cnn-lite", q="words", since=datetime(2026, 5, 2, tzinfo=UTC)) == ["a5", "a2"]
    # the cursor walks every page exactly once
    seen, cursor = [], None
    while True:
        items, cursor = list_articles(
            filter_catalog.engine, ArticleFilter(), limit=2, cursor=cursor
        )
        seen += [i["article_id"] for i in items]
        if cursor is None:
            break
    assert seen == ["a5", "a4", "a3", "a2", "a1"]


def test_the_api_filters_on_a_postgresql_catalog(data_dir, tmp_path, postgres_url, start_server):
    """GET /api/articles with q, site, since and until through the server on PostgreSQL."""
    from datetime import UTC, datetime

    from archive.versions import Observation, VersionTracker

    catalog = Catalog(postgres_url)
    try:
        tracker = VersionTracker(catalog)
        for article, site, title in (
            ("p1", "cnn-lite", "Mixed CASE Headline"),
            ("p2", "npr-text", "Другая НОВОСТЬ"),
        ):
            fields = {"title": title, "authors": [], "text": "Body text of the story. " * 10}
            obs = Observation(article_id=article, site=site, url=f"http://example.test/{article}",
                              normalized_url=f"http://example.test/{article}",
                              captured_at=datetime(2026, 5, 1, tzinfo=UTC), fields=fields)  # fmt: skip
            tracker.commit(obs, tracker.decide(obs))
    finally:
        catalog.close()
    config = tmp_path / "pg.toml"
    config.write_text(
        f'catalog_url = "{postgres_url}"\n' + MIRROR_CONFIG + "\n[serve]\nworkers = 0\n"
    )
    server = start_server(data_dir, config, token=None)

    def ids(query: str) -> list[str]:
        return [i["article_id"] for i in server.get("/api/articles?" + query)["items"]]

    assert ids("q=mixed%20case") == ["p1"] and ids("q=HEADLINE") == ["p1"]
    assert ids("q=%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D1%8C") == ["p2"]  # "новость"
    assert ids("q=BODY%20TEXT") == ["p2", "p1"] and ids("q=%25") == []
    assert ids("site=npr-text") == ["p2"]
    assert ids("since=2026-05-01&until=2026-05-01") == ["p2", "p1"]
    assert ids("since=2026-05-02") == [] and ids("until=2026-04-30") == []
    assert not (data_dir / "catalog.sqlite").exists()
