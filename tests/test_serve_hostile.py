"""The HTTP service against hostile input and hostile clients: bounded diffs with /healthz
answering while they run, a bounded job queue with dedup of every spelling of a URL,
failed logins and searches limited per client, URLs validated up front, JSON for every
error. The application runs in a real uvicorn server on 127.0.0.1 (in this process, so
that a test can hold a diff in flight); the archive it reads was made by the real
`newsarchive archive` from a hostile raw-socket site."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from newsarchive.serve.app import DIFF_THREADS
from tests.conftest import MIRROR_CONFIG, run_cli
from tests.hostile_server import RawServer, article

pytestmark = pytest.mark.timeout(240)

TOKEN = "test-token-0123456789abcdef"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
WORDS = 16_000  # the page that cost 65–77 s of CPU per GET before diffs were bounded


class InProcessServer:
    def __init__(self, data_dir: Path, config: Path, *, run_worker: bool = False) -> None:
        import uvicorn

        from archive.config import load_config
        from newsarchive.serve.app import create_app

        cfg = load_config(config, data_dir)
        settings = cfg.serve
        self.app = create_app(cfg, settings, TOKEN, run_worker=run_worker)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False,
                                                    proxy_headers=False, lifespan="on"))  # fmt: skip
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def call(self, method: str, path: str, body: object = None, *, token: str | None = TOKEN,
             timeout: float = 60) -> tuple[int, dict, object]:  # fmt: skip
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                status, headers, payload = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, payload = exc.code, exc.headers, exc.read()
        headers = {k.lower(): v for k, v in headers.items()}
        is_json = headers.get("content-type", "").startswith("application/json")
        return status, headers, json.loads(payload) if is_json else payload.decode()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def serve(tmp_path):
    started: list[InProcessServer] = []

    def start(
        data_dir: Path, serve_settings: str = "", *, run_worker: bool = False
    ) -> InProcessServer:
        config = tmp_path / f"serve-{len(started)}.toml"
        config.write_text(MIRROR_CONFIG + "\n[serve]\n" + serve_settings)
        server = InProcessServer(data_dir, config, run_worker=run_worker)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def hostile_article(tmp_path_factory):
    """Two versions of a page of 16,000 repeated words, archived by `newsarchive archive`."""
    tmp = tmp_path_factory.mktemp("hostile-diff")
    data = tmp / "data"
    config = tmp / "c.toml"
    with RawServer() as site:
        config.write_text(
            MIRROR_CONFIG.replace("max_page_bytes = 100_000", "max_page_bytes = 1_000_000")
        )
        url = site.url + "/2024/01/01/words"
        words = ["word"] * WORDS
        site.routes["/2024/01/01/words"] = article("Words", " ".join(words))
        first = run_cli("archive", url, "--json", "--no-progress", data_dir=data, config=config)
        assert first.returncode == 0, first.stdout + first.stderr
        site.routes["/2024/01/01/words"] = article(
            "Words", " ".join(words[:8000] + ["changed"] + words[8000:])
        )
        second = run_cli("archive", url, "--json", "--no-progress", data_dir=data, config=config)
        assert second.returncode == 0, second.stdout + second.stderr
    [row] = json.loads(second.stdout)["results"]
    assert row["version"] == 2 and row["outcome"] == "edit", row
    history = json.loads(run_cli("history", url, "--json", data_dir=data, config=config).stdout)
    return data, row["article_id"], history


def test_the_crawl_records_a_bounded_diff_of_the_hostile_page(hostile_article):
    _, _, history = hostile_article
    diff = history["versions"][1]["diff"]
    assert diff["approximate"] is True and diff["chars_added"] >= len("changed")


def test_healthz_answers_while_diffs_are_in_flight(hostile_article, serve, monkeypatch):
    data, article_id, _ = hostile_article
    server = serve(data)
    status, _, diff = server.call("GET", f"/api/articles/{article_id}/diff")
    assert status == 200 and diff["from"] == 1 and diff["to"] == 2 and diff["approximate"] is True
    status, _, page = server.call("GET", f"/articles/{article_id}")
    assert status == 200 and "Changes from version 1 to version 2" in page

    # Hold every diff computation in flight (instrumentation only: the requests are real).
    from newsarchive.serve import pages

    release, inside = threading.Event(), []
    original = pages.side_by_side

    def held(*args, **kwargs):
        inside.append(1)
        release.wait(60)
        return original(*args, **kwargs)

    monkeypatch.setattr(pages, "side_by_side", held)
    results: list[int] = []
    # More requests than the server's shared thread pool has threads (40): each a distinct diff.
    requests = [threading.Thread(target=lambda n=n: results.append(
        server.call("GET", f"/articles/{article_id}?from=1&to={n}", token=None, timeout=120)[0]))
        for n in range(2, 50)]  # fmt: skip
    for thread in requests:
        thread.start()
    deadline = time.monotonic() + 30
    while len(inside) < DIFF_THREADS:
        assert time.monotonic() < deadline, "no diff started"
        time.sleep(0.05)
    try:
        status, _, health = server.call("GET", "/healthz", token=None, timeout=10)
        assert status == 200 and health["status"] == "ok"
        status, _, listing = server.call("GET", "/api/articles", token=None, timeout=10)
        assert status == 200 and listing["items"][0]["article_id"] == article_id
        assert len(inside) == DIFF_THREADS, "diffs are computed a few at a time, off the event loop"
    finally:
        release.set()
        for thread in requests:
            thread.join(120)
    assert results == [200] * len(requests)


def test_the_job_queue_is_bounded_and_one_url_is_queued_once_however_spelled(tmp_path, serve):
    data = tmp_path / "data"
    server = serve(data, "max_queued_urls = 3\n")
    spellings = ["http://127.0.0.1:9/a b/story", "HTTP://127.0.0.1:9/a%20b/story", "http://127.0.0.1:9/a b/story#top",
                 "http://127.0.0.1:9/a b/story/", "http://127.0.0.1:9/a b/story?utm_source=x",
                 "http://127.0.0.1:9/a%20b/story/index.html"]  # fmt: skip
    status, _, job = server.call("POST", "/api/archive", {"urls": spellings})
    assert status == 202 and job["urls"] == spellings[:1] and job["already_queued"] == {}
    status, _, again = server.call(
        "POST", "/api/archive", {"urls": ["http://127.0.0.1:9/a%20b/story?fbclid=1"]}
    )
    assert status == 202 and again["id"] == job["id"] and again["urls"] == []
    status, _, more = server.call(
        "POST", "/api/archive", {"urls": ["http://127.0.0.1:9/b", "http://127.0.0.1:9/c"]}
    )
    assert status == 202 and len(more["urls"]) == 2
    status, headers, full = server.call("POST", "/api/archive", {"urls": ["http://127.0.0.1:9/d"]})
    assert status == 503 and "queue is full" in full["error"] and headers["retry-after"] == "60"
    assert server.call("GET", "/healthz", token=None)[2]["jobs"]["queued"] == 2
    server.stop()
    # The index is rebuilt from the catalog by the next server.
    restarted = serve(data, "max_queued_urls = 3\n")
    status, _, after = restarted.call(
        "POST", "/api/archive", {"urls": ["HTTP://127.0.0.1:9/a b/story"]}
    )
    assert status == 202 and after["id"] == job["id"] and after["already_queued"]


def test_failed_logins_are_limited_per_client(tmp_path, serve):
    server = serve(tmp_path / "data", "failed_logins_per_minute = 3\n")
    for _ in range(3):
        status, _, payload = server.call(
            "POST", "/api/archive", {"urls": ["http://127.0.0.1:9/"]}, token="wrong-token-123456789"
        )
        assert status == 401
    status, headers, payload = server.call(
        "POST", "/api/archive", {"urls": ["http://127.0.0.1:9/"]}, token="wrong-token-123456789"
    )
    assert (
        status == 429 and "failed logins" in payload["error"] and int(headers["retry-after"]) >= 1
    )
    # Even the right token waits now: guessing cannot go on between correct requests.
    status, _, payload = server.call("POST", "/api/archive", {"urls": ["http://127.0.0.1:9/"]})
    assert status == 429
    assert server.call("GET", "/healthz", token=None)[0] == 200  # reads are not affected


def test_searches_are_limited_per_client(hostile_article, serve):
    data, article_id, _ = hostile_article
    server = serve(data, "search_rate_limit_per_minute = 2\n")
    for _ in range(2):
        status, _, found = server.call("GET", "/api/articles?q=changed", token=None)
        assert status == 200 and [i["article_id"] for i in found["items"]] == [article_id]
    status, headers, payload = server.call("GET", "/api/articles?q=changed", token=None)
    assert status == 429 and "searches" in payload["error"] and int(headers["retry-after"]) >= 1
    assert (
        server.call("GET", "/api/articles", token=None)[0] == 200
    )  # listing without q: not limited


@pytest.mark.parametrize(("url", "message"), [
    ("http://127.0.0.1:9/a\x00b", "control character"),
    ("http://127.0.0.1:99999/", "not a valid URL"),
    ("javascript:alert(1)", "only http and https"),
    ("http://user:pw@127.0.0.1:9/", "user name or password"),
    ("http://[object Object]/", "not a valid URL"),
    ("http://127.0.0.1:9/\r\nX-Injected: 1", "control character"),
])  # fmt: skip
def test_bad_urls_are_refused_before_anything_is_queued(tmp_path, serve, url, message):
    server = serve(tmp_path / "data")
    status, _, payload = server.call(
        "POST", "/api/archive", {"urls": ["http://127.0.0.1:9/fine", url]}
    )
    assert status == 400 and message in payload["error"] and payload["status"] == 400
    assert server.call("GET", "/healthz", token=None)[2]["jobs"]["queued"] == 0
    status, _, payload = server.call(
        "POST", "/api/archive", {"urls": ["hTTp://127.0.0.1:9/upper-case-scheme"]}
    )
    assert status == 202, payload


def test_every_error_is_json(hostile_article, serve):
    data, article_id, _ = hostile_article
    server = serve(data)
    deep = base64.urlsafe_b64encode(
        b"[" * 3000 + b"]" * 3000
    ).decode()  # RecursionError in json.loads
    odd = base64.urlsafe_b64encode(json.dumps([{"a": 1}, 2]).encode()).decode()
    assert (
        server.call("GET", "/api/articles?until=9999-12-31", token=None)[0] == 200
    )  # the last day is a day
    for path in ("/api/articles?since=0001-01-01T00:00+01:00",
                 "/api/articles?since=9999-12-31T23:59:59-01:00", f"/api/articles?cursor={deep}",
                 f"/api/articles?cursor={odd}", "/api/articles?cursor=" + "A" * 5000):  # fmt: skip
        status, headers, payload = server.call("GET", path, token=None)
        assert status == 400 and headers["content-type"] == "application/json", (path, payload)
        assert set(payload) == {"error", "status"}
    for path in (
        "/api/articles/%00",
        "/api/articles/" + "a" * 500,
        f"/api/articles/{article_id}/versions/99999999999999999999",
    ):
        status, headers, payload = server.call("GET", path, token=None)
        assert 400 <= status < 500 and headers["content-type"] == "application/json", (
            path,
            payload,
        )


def test_a_deeply_nested_cursor_is_a_bad_cursor_not_a_crash():
    from newsarchive.serve.queries import BadCursor, decode_cursor

    for raw in (
        b"[" * 100_000 + b"]" * 100_000,
        b'["9999-12-31T23:59:59+00:00", "x", 1]',
        b'[1e999, "x"]',
    ):
        with pytest.raises(BadCursor):
            decode_cursor(base64.urlsafe_b64encode(raw).decode())


def test_a_job_reports_urls_scrapy_re_encodes_as_archived(tmp_path, serve):
    """Non-ASCII, a space, a backslash: the job matches each URL as sent with what was fetched."""
    with RawServer() as site:
        site.routes["/2024/01/01/caf%C3%A9%20story"] = article(
            "Café story", " ".join(["Word"] * 60)
        )
        site.routes["/2024/01/01/back/slash"] = article("Backslash story", " ".join(["Other"] * 60))
        server = serve(tmp_path / "data", "workers = 1\n", run_worker=True)
        sent = [f"{site.url}/2024/01/01/café story", f"{site.url}/2024/01/01/back\\slash"]
        status, _, job = server.call("POST", "/api/archive", {"urls": sent})
        assert status == 202 and job["urls"] == sent
        deadline = time.monotonic() + 120
        while True:
            done = server.call("GET", f"/api/jobs/{job['id']}", token=None)[2]
            if done["status"] in ("done", "failed"):
                break
            assert time.monotonic() < deadline, done
            time.sleep(0.25)
    assert done["status"] == "done", done
    assert [(r["requested_url"], r["version"], r["outcome"]) for r in done["results"]] == [
        (sent[0], 1, "new"),
        (sent[1], 1, "new"),
    ]
