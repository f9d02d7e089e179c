"""The exported WACZ opens in ReplayWeb.page (issue 7): a fixture site crawled by the real CLI,
`newsarchive export --format wacz`, then the `<replay-web-page>` web component of the npm
package `replaywebpage` (installed by `./scripts/test` into .cache/replaywebpage/) served from
127.0.0.1 with its service worker, in headless Chromium driven over the DevTools Protocol. The
fixture site is stopped before the browser starts: the article can only come from the WACZ.

Every host name but 127.0.0.1 fails to resolve in the browser: nothing leaves this machine."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, SITES, run_cli

pytestmark = pytest.mark.timeout(240)

RWP_VERSION = "2.5.3"
RWP_DIR = REPO / ".cache" / "replaywebpage" / "package"
SETUP = "run ./scripts/test (or scripts/bootstrap.sh test), which installs it"
EXPECTED = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
ARTICLE = EXPECTED["articles"][0]
REPLAY_TIMEOUT = 60.0

# The DOM path from the top page to the replayed article, every step on 127.0.0.1 (same origin):
#   document > replay-web-page::shadow > iframe (./replay/?source=…archive.wacz…, the app)
#   > replay-app-main::shadow > wr-item::shadow > wr-coll-replay::shadow
#   > iframe (./replay/w/<collection>/<ts>mp_/<article URL>, the archived page)
# The probe walks every open shadow root and same-origin iframe rather than naming those
# elements, so that a renamed inner element of ReplayWeb.page does not break it; it reports
# the path it took (`where`), and, while nothing matches, every frame it saw (`seen`).
FIND_ARTICLE_JS = r"""
((needle, articleUrl) => {
  const seen = [];
  function walk(root, path) {
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) {
        const hit = walk(el.shadowRoot, path + " > " + el.localName + "::shadow");
        if (hit) return hit;
      }
      if (el.localName !== "iframe") continue;
      const where = path + " > iframe[src=" + JSON.stringify(el.getAttribute("src") || "") + "]";
      let doc = null;
      try { doc = el.contentDocument; } catch (e) { doc = null; }
      if (!doc) { seen.push(where + " (not readable)"); continue; }
      const href = doc.location.href;
      const text = doc.body ? doc.body.innerText : "";
      seen.push(where + " " + href + " " + JSON.stringify(text.slice(0, 120)));
      if (href.endsWith("mp_/" + articleUrl) && text.includes(needle)) {
        return {found: true, where, href, text, title: doc.title};
      }
      const hit = walk(doc, where);
      if (hit) return hit;
    }
    return null;
  }
  return walk(document, "document") || {found: false, seen};
})(%s, %s)
"""


def _env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and not k.startswith("NEWSARCHIVE_")
    }


class _RangeHandler(SimpleHTTPRequestHandler):
    """Static files with single-range requests (206), as ReplayWeb.page reads a WACZ on demand."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "application/javascript",
                      ".wacz": "application/wacz+zip"}  # fmt: skip

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        self.server.log.append(self.requestline)  # type: ignore[attr-defined]

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        path = Path(self.translate_path(self.path))
        if match is None or not path.is_file() or not any(match.groups()):
            return super().send_head()
        size = path.stat().st_size
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        f = path.open("rb")
        f.seek(start)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return _Slice(f, end - start + 1)


class _Slice:
    """The part of an open file that a range asks for, for SimpleHTTPRequestHandler.copyfile."""

    def __init__(self, f: Any, length: int) -> None:
        self.f, self.left = f, length

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n) if n else b""
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.f.close()


@pytest.fixture
def static_server(tmp_path: Path) -> Iterator:
    servers: list[ThreadingHTTPServer] = []

    def start(root: Path) -> tuple[str, list[str]]:
        handler = lambda *a, **kw: _RangeHandler(*a, directory=str(root), **kw)  # noqa: E731
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.log = []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/", server.log  # type: ignore[attr-defined]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class DevTools:
    """The page target of a Chromium over the DevTools Protocol (one websocket, in order)."""

    def __init__(self, ws_url: str) -> None:
        try:
            import websocket  # websocket-client, in the `test` extra
        except ImportError:
            pytest.fail(f"websocket-client is not installed in this virtual environment: {SETUP}")

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.console: list[str] = []

    def call(self, method: str, **params: Any) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, (method, message["error"])
                return message["result"]
            if message.get("method") == "Runtime.consoleAPICalled":
                args = message["params"]["args"]
                self.console.append(
                    " ".join(str(a.get("value", a.get("description", ""))) for a in args)
                )
            elif message.get("method") == "Runtime.exceptionThrown":
                self.console.append(
                    "exception: " + json.dumps(message["params"]["exceptionDetails"])[:500]
                )

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def close(self) -> None:
        self.ws.close()


def _chromium() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail(f"chromium is not installed: {SETUP}")
    return chromium


def _replaywebpage() -> Path:
    package = RWP_DIR / "package.json"
    if not package.is_file():
        pytest.fail(f"the npm package replaywebpage@{RWP_VERSION} is not in {RWP_DIR}: {SETUP}")
    version = json.loads(package.read_text(encoding="utf-8"))["version"]
    if version != RWP_VERSION:
        pytest.fail(f"{RWP_DIR} holds replaywebpage {version}, not {RWP_VERSION}: {SETUP}")
    return RWP_DIR


def _start_chromium(chromium: str, profile: Path, log: Path) -> subprocess.Popen[bytes]:
    """Headless Chromium in a process group of its own, its DevTools port chosen by itself."""
    cmd = [chromium, "--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-domain-reliability", "--no-pings", "--no-proxy-server",
           "--disable-extensions", "--mute-audio",
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
           "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"]  # fmt: skip
    if os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    with log.open("wb") as out:
        return subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=_env(), start_new_session=True
        )


def _page_target(profile: Path, proc: subprocess.Popen[bytes], log: Path) -> str:
    """The DevTools websocket of the browser's page (`DevToolsActivePort` names the port)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    active_port = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while True:
        lines = active_port.read_text().split() if active_port.is_file() else []
        if lines:
            try:
                with opener.open(f"http://127.0.0.1:{lines[0]}/json/list", timeout=2) as response:
                    pages = [t for t in json.load(response) if t["type"] == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            except OSError:
                pass
        assert proc.poll() is None, f"chromium exited: {log.read_text(errors='replace')[-3000:]}"
        assert time.monotonic() < deadline, (
            f"no DevTools endpoint: {log.read_text(errors='replace')[-3000:]}"
        )
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End the browser, then whatever of its process group (renderers, GPU, zygote) is left."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


INDEX_HTML = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>newsarchive WACZ in ReplayWeb.page</title>
<script src="./ui.js"></script></head>
<body style="margin:0;height:100vh">
<replay-web-page source="{source}" url="{url}" replayBase="./replay/" embed="replayonly"></replay-web-page>
</body>
</html>
"""


def test_exported_wacz_replays_the_article_in_replaywebpage(serve_site, data_dir, mirror_config,
                                                            tmp_path, static_server):  # fmt: skip
    rwp = _replaywebpage()
    chromium = _chromium()

    site = serve_site("cnn-lite")
    result = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", data_dir=data_dir,
                     config=mirror_config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    www = tmp_path / "www"
    (www / "replay").mkdir(parents=True)
    result = run_cli("export", "--format", "wacz", "--out", str(www / "archive.wacz"), "--no-progress",
                     data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert result.returncode == 0 and result.stdout.startswith("exported "), (
        result.stdout + result.stderr
    )
    # From here on the article exists only in the WACZ.
    site.process.terminate()
    site.process.wait(10)

    article_url = site.page(ARTICLE["path"])
    shutil.copy(rwp / "ui.js", www / "ui.js")
    shutil.copy(rwp / "sw.js", www / "replay" / "sw.js")
    (www / "index.html").write_text(
        INDEX_HTML.format(source="archive.wacz", url=article_url), encoding="utf-8"
    )
    base, requests = static_server(www)

    profile, log = tmp_path / "chromium-profile", tmp_path / "chromium.log"
    proc = _start_chromium(chromium, profile, log)
    devtools = None
    try:
        devtools = DevTools(_page_target(profile, proc, log))
        devtools.call("Runtime.enable")
        navigation = devtools.call("Page.navigate", url=base + "index.html")
        assert "errorText" not in navigation, navigation
        probe = FIND_ARTICLE_JS % (json.dumps(ARTICLE["title"]), json.dumps(article_url))
        deadline = time.monotonic() + REPLAY_TIMEOUT
        while True:
            hit = devtools.evaluate(probe)
            if hit["found"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert hit["found"], (
            f"the replayed article {article_url} did not show its headline within {REPLAY_TIMEOUT:.0f} s"
            f"\nframes seen: {json.dumps(hit['seen'], indent=1)}\nbrowser console: {devtools.console[-30:]}"
            f"\nrequests to the replay server: {requests[-40:]}")  # fmt: skip
        # Replayed from the WACZ by the service worker (./replay/ is its scope; nothing else
        # serves /replay/w/), and it is the archived page: its headline and its paragraphs.
        assert hit["href"].startswith(base + "replay/w/"), hit["href"]
        assert (
            "replay-web-page::shadow" in hit["where"] and "replay-app-main::shadow" in hit["where"]
        )
        assert ARTICLE["title"] in hit["title"], hit["title"]
        assert ARTICLE["text_startswith"] in hit["text"], hit["text"][:2000]
        assert ARTICLE["text_endswith"] in hit["text"], hit["text"][-2000:]
        assert any(r.startswith("GET /archive.wacz ") for r in requests), requests
        assert not any("/replay/w/" in r for r in requests), (
            "the service worker did not answer the replay"
        )
    finally:
        if devtools is not None:
            devtools.close()
        _stop(proc)
