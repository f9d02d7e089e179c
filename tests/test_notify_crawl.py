"""The outbox end to end: crawls of a real fixture site write the events in the versions'
transactions while the webhook receiver is down (a socket that never answers); the crawls
finish, and once the receiver is back every event arrives, signed, exactly once."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.catalog import Catalog
from archive.outbox import Outbox
from tests.conftest import BIN, REPO, SITES, mirror_config_text, run_cli
from tests.notify_receiver import Receiver
from tests.test_notify_webhooks import ENV, SECRET
from tests.test_update_tracking import _edit

pytestmark = pytest.mark.timeout(300)

EXPECTED = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
ARTICLES = EXPECTED["articles"]
T0 = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)


def _collapse(html: str) -> str:
    for p in re.findall(r'<p class="paragraph--lite">.*?</p>', html, flags=re.S)[1:-1]:
        html = html.replace(p, "", 1)
    return html


def test_receiver_down_during_crawls_then_every_event_arrives_once(serve_site, data_dir, tmp_path):
    site = serve_site("cnn-lite")
    hanging = socket.socket()  # accepts connections (the kernel does), never answers
    hanging.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(64)
    port = hanging.getsockname()[1]
    config = tmp_path / "notify.toml"
    config.write_text(mirror_config_text() + f"""
[notify]
poll_seconds = 0.2
[[notify.webhooks]]
name = "newsroom"
url = "http://127.0.0.1:{port}/hook"
secret_env = "HOOK_SECRET"
timeout_seconds = 1
""")  # fmt: skip
    env = {**os.environ, **ENV, "NO_COLOR": "1"}
    env.pop("NEWSARCHIVE_CONFIG", None)
    # A runner delivering all along, against the dead receiver.
    runner_log = tmp_path / "runner.log"
    log_file = runner_log.open("w")
    runner = subprocess.Popen(
        [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config), "notify", "run"],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log_file,
    )  # fmt: skip
    receiver = None
    try:
        first = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                        data_dir=data_dir, config=config, env={**ENV, "NEWSARCHIVE_NOW": T0.isoformat()})  # fmt: skip
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["versions_new"] == len(ARTICLES)
        edited, retitled, _stamped, _spaced, collapsed, _untouched = (a["path"] for a in ARTICLES)
        _edit(site.root, edited, lambda h: h.replace(ARTICLES[0]["text_startswith"],
                                                     "UPDATE: " + ARTICLES[0]["text_startswith"], 1))  # fmt: skip
        _edit(
            site.root,
            retitled,
            lambda h: h.replace(ARTICLES[1]["title"], ARTICLES[1]["title"] + ", officials say"),
        )
        _edit(site.root, collapsed, _collapse)
        later = (T0 + timedelta(minutes=20)).isoformat()
        second = run_cli("recheck", "--all", "--no-progress", "--json", data_dir=data_dir,
                         config=config, env={**ENV, "NEWSARCHIVE_NOW": later})  # fmt: skip
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout)["versions_new"] == 2
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(30) == 0, runner_log.read_text()
        hanging.close()

        catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
        try:
            tried = Outbox(catalog.engine).log(limit=1000)
        finally:
            catalog.close()
        assert tried and all(
            r["status"] is None and "timed out" in (r["error"] or "") for r in tried
        )

        receiver = Receiver(secret=SECRET).start(port)
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        after = run_cli("notify", "run", "--once", "--json", data_dir=data_dir, config=config,
                        env={**ENV, "NEWSARCHIVE_NOW": tomorrow})  # fmt: skip
        assert after.returncode == 0, after.stderr
        assert all(r.signed_ok for r in receiver.requests)
        events = {i: r.json() for i, r in receiver.unique().items()}
        assert len(events) == len(receiver.requests)  # no duplicate when no runner died
        assert Counter(e["type"] for e in events.values()) == {
            "version.new": len(ARTICLES), "version.edit": 2, "capture.suspect": 1,
        }  # fmt: skip
        edits = {
            e["data"]["url"]: e["data"] for e in events.values() if e["type"] == "version.edit"
        }
        retitle = edits[site.page(retitled)]
        assert (
            "headline" in retitle["edit_types"]
            and retitle["previous_title"] == ARTICLES[1]["title"]
        )
        assert retitle["version"] == 2 and retitle["change"] == "edit"
        update = edits[site.page(edited)]
        assert update["edit_types"] and "+UPDATE:" in update["diff"]["excerpt"]
        [suspect] = [e["data"] for e in events.values() if e["type"] == "capture.suspect"]
        assert suspect["url"] == site.page(collapsed) and "shrank" in suspect["detail"]
        catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
        try:
            assert Outbox(catalog.engine).counts() == {"delivered": len(events), "undispatched": 0}
        finally:
            catalog.close()
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
        log_file.close()
        hanging.close()
        if receiver is not None:
            receiver.stop()


def test_without_notify_targets_no_version_event_is_written(serve_site, data_dir, mirror_config):
    site = serve_site("cnn-lite")
    crawled = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                      data_dir=data_dir, config=mirror_config)  # fmt: skip
    assert crawled.returncode == 0, crawled.stderr
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        assert Outbox(catalog.engine).events(types=["version.new", "version.edit"]) == []
    finally:
        catalog.close()


from tests.test_crash_safety import SLOW_CONFIG, slow_site  # noqa: E402,F401


def _kill_crawl_once_versions(site, data_dir: Path, config: Path, at_least: int) -> None:
    """Start a crawl; SIGKILL it (and its extraction workers) once `at_least` versions are
    committed."""
    import sqlite3
    import time

    cmd = [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config),
           "crawl", "cnn-lite", "--start-url", site.url, "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, **ENV})  # fmt: skip
    deadline = time.monotonic() + 90
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                db = sqlite3.connect(
                    f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True, timeout=1
                )
                try:
                    if db.execute("SELECT count(*) FROM versions").fetchone()[0] >= at_least:
                        break
                finally:
                    db.close()
            except sqlite3.Error:
                pass  # not created yet
            time.sleep(0.02)
        assert proc.poll() is None, "the crawl finished before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _versions(data_dir: Path) -> set[tuple[str, int]]:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        return {(v["article_id"], v["version"]) for v in catalog.all_versions()}
    finally:
        catalog.close()


def test_crawl_killed_after_committing_versions_loses_no_event_and_invents_none(
    slow_site,
    data_dir,
    tmp_path,  # noqa: F811
):
    """kill -9 of the crawl between version commits and any delivery: after the restart
    every committed version is announced exactly once, and no version that died with the
    crawl is."""
    receiver = Receiver(secret=SECRET).start()
    try:
        config = tmp_path / "slow.toml"
        config.write_text(SLOW_CONFIG + f"""
[notify]
[[notify.webhooks]]
url = "{receiver.url}"
secret_env = "HOOK_SECRET"
events = ["version.new", "version.edit", "version.revert"]
""")  # fmt: skip
        _kill_crawl_once_versions(slow_site, data_dir, config, at_least=3)
        committed = _versions(data_dir)
        assert len(committed) >= 3
        first = run_cli(
            "notify", "run", "--once", "--json", data_dir=data_dir, config=config, env=ENV
        )
        assert first.returncode == 0, first.stderr
        announced = {
            (r.json()["data"]["article_id"], r.json()["data"]["version"]) for r in receiver.requests
        }
        assert announced == committed and len(receiver.requests) == len(committed)

        rerun = run_cli("crawl", "cnn-lite", "--start-url", slow_site.url, "--no-progress",
                        data_dir=data_dir, config=config, env=ENV)  # fmt: skip
        assert rerun.returncode == 0, rerun.stderr
        run_cli("notify", "run", "--once", data_dir=data_dir, config=config, env=ENV)
        every = _versions(data_dir)
        assert len(every) == len(list(slow_site.root.rglob("index.html"))) - 1  # every article
        keys = [
            (r.json()["data"]["article_id"], r.json()["data"]["version"]) for r in receiver.requests
        ]
        assert sorted(keys) == sorted(every)  # each version once, none missing
        assert all(r.signed_ok for r in receiver.requests)
    finally:
        receiver.stop()
