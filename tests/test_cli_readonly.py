"""A read-only archive (a published copy, a snapshot, a colleague's disk): every read command
works on it and writes nothing; a write command fails at once with one line naming the
file and the cause.

The data directory is made read-only for real: each command runs in a private mount
namespace (`unshare -m`) where the directory is bind-mounted read-only. The tests run as
root, and file permissions do not stop root; a read-only mount does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BIN, MIRROR_CONFIG, REPO, SITES, run_cli

pytestmark = pytest.mark.timeout(300)

CNN = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Mount DIR read-only in a new mount namespace, then run the command there.
_READ_ONLY = 'mount --bind -o ro "$0" "$0" && exec "$@"'


def _read_only_mounts_work(tmp: Path) -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", _READ_ONLY + "", str(tmp), "sh", "-c", f"touch {tmp}/x"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    return probe.returncode != 0 and "Read-only file system" in probe.stderr


def _env(columns: str = "200") -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and not k.startswith("NEWSARCHIVE_")
    }
    return {**env, "COLUMNS": columns, "NO_COLOR": "1"}


def run_read_only(
    data_dir: Path, *args: str, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The real `newsarchive` with `data_dir` mounted read-only."""
    cmd = [
        str(BIN / "newsarchive"),
        "--data-dir",
        str(data_dir),
        *(["--config", str(config)] if config else []),
        *args,
    ]
    return subprocess.run(["unshare", "-m", "sh", "-c", _READ_ONLY, str(data_dir), *cmd], capture_output=True,
                          text=True, timeout=180, env=_env(), cwd=REPO, check=False)  # fmt: skip


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A data directory with two articles (one of them in two versions), closed cleanly;
    built once for the module, copied for each test."""
    tmp = tmp_path_factory.mktemp("read-only")
    if not _read_only_mounts_work(tmp):
        pytest.skip("needs root and `unshare -m` for a real read-only mount")
    root = tmp / "site"
    shutil.copytree(SITES / "cnn-lite", root)
    port_file = tmp / "port"
    server = subprocess.Popen([sys.executable, "-m", "newsarchive.demo.server", str(root), "--port-file", str(port_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            assert server.poll() is None and time.monotonic() < deadline, (
                "fixture server did not start"
            )
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        data_dir, config = tmp / "data", tmp / "newsarchive.toml"
        config.write_text(MIRROR_CONFIG + '\n[[schedule.jobs]]\nid = "cnn-hourly"\ncrawl = ["cnn-lite"]\n'
                          'cron = "5 * * * *"\n')  # fmt: skip
        urls = [base + a["path"] for a in CNN["articles"][:2]]
        first = run_cli(
            "archive",
            *urls,
            "--site",
            "cnn-lite",
            "--no-progress",
            data_dir=data_dir,
            config=config,
        )
        assert first.returncode == 0, first.stderr
        page = root / CNN["articles"][0]["path"].lstrip("/") / "index.html"
        marker = '<p class="paragraph--lite">'
        page.write_text(page.read_text(encoding="utf-8").replace(
            marker, f"{marker}\nUPDATE: a new first paragraph.\n</p>\n{marker}", 1), encoding="utf-8")  # fmt: skip
        second = run_cli(
            "archive",
            urls[0],
            "--site",
            "cnn-lite",
            "--no-progress",
            data_dir=data_dir,
            config=config,
        )
        assert second.returncode == 0, second.stderr
    finally:
        server.terminate()
        server.wait(10)
    assert not Path(
        f"{data_dir}/catalog.sqlite-wal"
    ).exists()  # the last connection checkpointed it
    return data_dir, config, urls


@pytest.fixture
def archive(built, tmp_path):
    template, config, urls = built
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    return data_dir, config, urls


def test_read_commands_work_on_a_read_only_archive(archive, tmp_path):
    data_dir, config, urls = archive
    before = _snapshot(data_dir)
    doc = json.loads(run_cli("history", urls[0], "--json", data_dir=data_dir).stdout)
    assert len(doc["versions"]) == 2

    history = run_read_only(data_dir, "history", urls[0])
    assert history.returncode == 0, history.stderr
    assert doc["title"] in history.stdout and "+UPDATE: a new first paragraph." in history.stdout
    as_json = run_read_only(data_dir, "history", doc["article_id"], "--json")
    assert json.loads(as_json.stdout) == doc
    response = run_read_only(data_dir, "history", urls[0], "--response", "1", "--headers-only")
    assert response.returncode == 0 and response.stdout.startswith("HTTP/1.1 200"), response.stderr

    out = tmp_path / "out" / "articles.jsonl"  # export writes elsewhere: it must work
    out.parent.mkdir()
    export = run_read_only(
        data_dir, "export", "--format", "jsonl", "--out", str(out), "--no-progress"
    )
    assert export.returncode == 0, export.stderr
    assert len(out.read_text().splitlines()) == 2 and (out.parent / "articles.jsonl.md").is_file()
    wacz = run_read_only(data_dir, "export", "--format", "wacz", "--out", str(tmp_path / "out" / "a.wacz"),
                         "--no-progress")  # fmt: skip
    assert wacz.returncode == 0, wacz.stderr

    verify = run_read_only(data_dir, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for args in (["runs"], ["sites"], ["recheck", "--list", "--all"], ["schedule", "--list"]):
        result = run_read_only(data_dir, *args, config=config)
        assert result.returncode == 0, (args, result.stderr)
        assert "error" not in result.stderr, (args, result.stderr)
    assert (
        doc["article_id"]
        in run_read_only(data_dir, "recheck", "--list", "--all", config=config).stdout
    )
    assert "cnn-hourly" in run_read_only(data_dir, "schedule", "--list", config=config).stdout
    # Nothing was written: no WAL or shared-memory file, no migration, no new file.
    assert _snapshot(data_dir) == before


@pytest.mark.parametrize(
    "args",
    [
        ["archive", "URL"],
        ["crawl", "cnn-lite", "--start-url", "SITE"],
        ["recheck", "--all"],
        ["tracking", "stop", "URL"],
        ["verify", "--repair"],
        ["schedule"],
        ["demo", "--no-progress"],
    ],
)
def test_write_commands_fail_with_one_line(archive, args):
    data_dir, config, urls = archive
    site = urls[0].split("/2026/")[0] + "/"
    args = [urls[0] if a == "URL" else site if a == "SITE" else a for a in args]
    before = _snapshot(data_dir)
    result = run_read_only(data_dir, *args, config=config)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr == f"error: cannot write to {data_dir}: Read-only file system\n"
    assert _snapshot(data_dir) == before


def test_a_crashed_writers_log_is_read_not_ignored(archive):
    """A snapshot taken while a crawl was writing holds committed rows in catalog.sqlite-wal:
    read-only, they are read through that log (SQLite's immutable mode would skip them)."""
    data_dir, _config, urls = archive
    doc = json.loads(run_cli("history", urls[1], "--json", data_dir=data_dir).stdout)
    script = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('PRAGMA wal_autocheckpoint=0')\n"
        "c.execute('UPDATE articles SET title = ? WHERE id = ?', ('Title only in the log', sys.argv[2]))\n"
        "c.commit()\n"
        "os._exit(0)\n"  # no checkpoint, no clean close: the -wal and -shm files stay
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-c", script, str(data_dir / "catalog.sqlite"), doc["article_id"]],
        check=True,
    )
    assert Path(f"{data_dir}/catalog.sqlite-wal").stat().st_size > 0
    result = run_read_only(data_dir, "history", doc["article_id"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Title only in the log"


def test_an_old_catalog_read_only_says_what_to_do(archive):
    data_dir, _config, urls = archive
    with sqlite3.connect(data_dir / "catalog.sqlite") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.close()
    result = run_read_only(data_dir, "history", urls[0])
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {data_dir / 'catalog.sqlite'}: read-only, and written by another "
                                    "version of newsarchive (catalog revision 0001")  # fmt: skip
    assert result.stderr.count("\n") == 1


def test_serve_reads_a_read_only_archive_and_refuses_writes(archive):
    data_dir, config, urls = archive
    with socket_port() as port:
        pass
    cmd = [
        str(BIN / "newsarchive"),
        "--data-dir",
        str(data_dir),
        "--config",
        str(config),
        "serve",
        "--port",
        str(port),
    ]
    env = {**_env(), "NEWSARCHIVE_API_TOKEN": "test-token-0123456789abcdef"}
    proc = subprocess.Popen(["unshare", "-m", "sh", "-c", _READ_ONLY, str(data_dir), *cmd], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        health = _wait_json(base + "/healthz", proc)
        assert health["read_only"] is True
        doc = json.loads(run_cli("history", urls[0], "--json", data_dir=data_dir).stdout)
        article = _wait_json(f"{base}/api/articles/{doc['article_id']}", proc)
        assert article["title"] == doc["title"] and len(article["versions"]) == 2
        request = urllib.request.Request(base + "/api/archive", data=json.dumps({"urls": [urls[0]]}).encode(),
                                         method="POST", headers={"Content-Type": "application/json",
                                         "Authorization": f"Bearer {env['NEWSARCHIVE_API_TOKEN']}"})  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            _OPENER.open(request, timeout=10)
        assert refused.value.code == 403
        refused.value.close()
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert f"warning: {data_dir / 'catalog.sqlite'} cannot be written: serving it read-only" in err


class socket_port:  # noqa: N801 - a context manager that finds a free port
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *_: object) -> None:
        self.sock.close()


def _wait_json(url: str, proc: subprocess.Popen[str]) -> dict:
    deadline = time.monotonic() + 30
    while True:
        try:
            with _OPENER.open(url, timeout=5) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, f"no answer from {url}"
            time.sleep(0.2)
