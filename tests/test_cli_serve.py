"""`newsarchive serve` as a new user starts it: the API docs page works with no internet
(its assets come from an installed package), and a busy port is one error line, with
nothing announced before the port is bound."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, REPO
from tests.test_serve import _OPENER, _config, _env, start_server  # noqa: F401 - a fixture

pytestmark = pytest.mark.timeout(180)


def test_api_docs_render_offline(data_dir, tmp_path, start_server):  # noqa: F811
    server = start_server(data_dir, _config(tmp_path, "serve.toml", ""), token=None)
    page = server.get("/docs")
    assert isinstance(page, str)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/docs-assets/") for a in assets), assets
    for asset in assets:
        with _OPENER.open(server.base + asset, timeout=30) as response:
            assert response.status == 200 and len(response.read()) > 500, asset
    # The page as a browser shows it, every host name but 127.0.0.1 unresolvable: Swagger UI
    # ran and listed the operations of the OpenAPI 3.1 document.
    dom = _rendered(server.base + "/docs", tmp_path)
    for path in ("/api/archive", "/api/articles/{article_id}/diff", "/healthz"):
        assert f'data-path="{path}"' in dom, dom[-2000:]
    assert "Unable to render this definition" not in dom


def test_busy_port_is_one_line_and_announces_nothing(data_dir, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([str(BIN / "newsarchive"), "--data-dir", str(data_dir), "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=60, env=_env(), cwd=REPO)  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    assert not Path(
        data_dir / "catalog.sqlite"
    ).exists()  # nothing was set up for a server that cannot run


def _rendered(url: str, tmp_path: Path) -> str:
    """The DOM after the page's scripts ran, in headless Chromium that can reach 127.0.0.1 only."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: run scripts/bootstrap.sh test")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-domain-reliability", "--no-pings", "--no-proxy-server",
           "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--virtual-time-budget=15000",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", url]  # fmt: skip
    result = subprocess.run(
        cmd, check=False, capture_output=True, text=True, timeout=90, env=_env()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
