"""Webhooks: Standard Webhooks signatures checked by a real receiver on 127.0.0.1, retries and
the attempt log, the address policy, a runner killed mid-delivery."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.catalog import Catalog
from archive.outbox import write_event
from newsarchive.notify import signing
from tests.conftest import BIN, REPO, mirror_config_text, run_cli
from tests.notify_receiver import Receiver

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
ENV = {"HOOK_SECRET": SECRET}


def _config(tmp_path: Path, url: str, *, loopback: bool = True, allow_private: bool = False,
            extra: str = "") -> Path:  # fmt: skip
    text = mirror_config_text(allowed_networks=["127.0.0.0/8"] if loopback else [])
    text += f"""
[notify]
[[notify.webhooks]]
name = "hook"
url = "{url}"
secret_env = "HOOK_SECRET"
{"allow_private = true" if allow_private else ""}
timeout_seconds = 5
{extra}
"""
    path = tmp_path / "notify.toml"
    path.write_text(text)
    return path


def _events(data_dir: Path, n: int, type_: str = "version.edit") -> list[str]:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.begin() as conn:
            return [
                write_event(
                    conn,
                    type_,
                    {"title": f"Story {i}", "version": 2, "change": "edit"},
                    site="cnn-lite",
                    article_id=f"a{i:04d}",
                    version=2,
                )  # fmt: skip
                for i in range(n)
            ]
    finally:
        catalog.close()


def _later(hours: float = 1) -> dict[str, str]:
    moment = datetime.now(UTC) + timedelta(hours=hours)
    return {**ENV, "NEWSARCHIVE_NOW": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_signature_round_trip_and_tampering():
    body = b'{"type":"version.edit"}'
    headers = signing.headers(SECRET, "evt_1", body)
    assert signing.verify(SECRET, headers, body)
    assert not signing.verify(SECRET, headers, body + b" ")
    assert not signing.verify("whsec_" + base64.b64encode(b"other").decode(), headers, body)
    old = signing.headers(SECRET, "evt_1", body, timestamp=int(time.time()) - 3600)
    assert not signing.verify(SECRET, old, body)
    # The prefix is optional (the key is the same); a secret that is not base64 is refused.
    bare = SECRET.removeprefix("whsec_")
    assert signing.verify(SECRET, signing.headers(bare, "evt_2", body), body)
    with pytest.raises(ValueError, match="base64"):
        signing.headers("not base64!", "evt_3", body)


def test_events_are_delivered_signed_once_and_logged(tmp_path, data_dir):
    receiver = Receiver(secret=SECRET).start()
    try:
        config = _config(tmp_path, receiver.url)
        ids = _events(data_dir, 3)
        result = run_cli(
            "notify", "run", "--once", "--json", data_dir=data_dir, config=config, env=ENV
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["delivered"] == 3
        assert [r.headers["webhook-id"] for r in receiver.requests] == ids
        assert all(r.signed_ok for r in receiver.requests)
        first = receiver.requests[0].json()
        assert first["id"] == ids[0] and first["type"] == "version.edit"
        assert first["data"]["title"] == "Story 0"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["timestamp"])
        # Nothing is sent twice.
        again = run_cli(
            "notify", "run", "--once", "--json", data_dir=data_dir, config=config, env=ENV
        )
        assert json.loads(again.stdout)["delivered"] == 0 and len(receiver.requests) == 3
        log = run_cli("notify", "log", "--json", data_dir=data_dir, config=config)
        rows = json.loads(log.stdout)
        assert len(rows) == 3 and {r["status"] for r in rows} == {200}
        assert {r["state"] for r in rows} == {"delivered"}
    finally:
        receiver.stop()


def test_failures_are_retried_with_backoff_and_every_attempt_recorded(tmp_path, data_dir):
    receiver = Receiver(secret=SECRET, status=503).start()
    try:
        config = _config(tmp_path, receiver.url, extra="retry = {max_attempts = 3}")
        [event] = _events(data_dir, 1)
        first = run_cli(
            "notify", "run", "--once", "--json", data_dir=data_dir, config=config, env=ENV
        )
        assert json.loads(first.stdout)["retrying"] == 1
        # Not due yet: the backoff holds it.
        run_cli("notify", "run", "--once", data_dir=data_dir, config=config, env=ENV)
        assert len(receiver.requests) == 1
        run_cli("notify", "run", "--once", data_dir=data_dir, config=config, env=_later(1))
        receiver.status = 200
        run_cli("notify", "run", "--once", data_dir=data_dir, config=config, env=_later(3))
        assert [r.headers["webhook-id"] for r in receiver.requests] == [event] * 3
        rows = json.loads(
            run_cli("notify", "log", "--json", data_dir=data_dir, config=config).stdout
        )
        assert [r["status"] for r in rows] == [200, 503, 503]  # newest first
        assert rows[0]["state"] == "delivered" and rows[0]["attempts"] == 3
    finally:
        receiver.stop()


def test_private_address_refused_unless_allowed(tmp_path, data_dir):
    receiver = Receiver(secret=SECRET).start()
    try:
        _events(data_dir, 1)
        strict = _config(tmp_path, receiver.url, loopback=False)
        refused = run_cli("notify", "test", data_dir=data_dir, config=strict, env=ENV)
        assert refused.returncode == 1
        assert "refused" in refused.stdout and "127.0.0.1" in refused.stdout
        run_cli("notify", "run", "--once", data_dir=data_dir, config=strict, env=_later(2))
        assert receiver.requests == []  # never contacted, and not retried
        log = json.loads(
            run_cli("notify", "log", "--json", data_dir=data_dir, config=strict).stdout
        )
        assert {r["state"] for r in log} == {"failed"}
        allowed = _config(tmp_path, receiver.url, loopback=False, allow_private=True)
        ok = run_cli("notify", "test", data_dir=data_dir, config=allowed, env=ENV)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert [r.json()["type"] for r in receiver.requests] == ["test"]
    finally:
        receiver.stop()


def test_missing_secret_and_unknown_key_are_one_line_errors(tmp_path, data_dir):
    config = _config(tmp_path, "http://127.0.0.1:9/hook")
    _events(data_dir, 1)
    missing = run_cli("notify", "run", "--once", data_dir=data_dir, config=config)
    assert missing.returncode == 2 and "HOOK_SECRET" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(config.read_text().replace('name = "hook"', 'name = "hook"\nsecrets = "x"'))
    result = run_cli("notify", "run", "--once", data_dir=data_dir, config=bad, env=ENV)
    assert result.returncode == 2 and "secrets" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_runner_killed_mid_delivery_delivers_each_event_once_after_restart(tmp_path, data_dir):
    """kill -9 while the receiver holds the first message: after a restart every event
    reaches the receiver (deduplicated by webhook-id: exactly once each) and is marked
    delivered in the outbox."""
    hold = threading.Event()
    receiver = Receiver(secret=SECRET, hold=hold).start()
    try:
        config = _config(tmp_path, receiver.url)
        ids = _events(data_dir, 5)
        env = {**os.environ, **ENV, "NO_COLOR": "1"}
        env.pop("NEWSARCHIVE_CONFIG", None)
        runner = subprocess.Popen(
            [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config),
             "notify", "run"], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            assert receiver.arrived.wait(60), "the runner never sent"
        finally:
            os.kill(runner.pid, signal.SIGKILL)
            runner.wait(10)
        hold.set()
        receiver.hold = None
        assert len(receiver.requests) == 1  # the one it was sending when killed
        # Its lease ends (here: the clock moves on); the restarted runner sends everything.
        after = run_cli("notify", "run", "--once", "--json", data_dir=data_dir, config=config,
                        env=_later(1))  # fmt: skip
        assert after.returncode == 0, after.stderr
        assert len(receiver.requests) == 6  # the first one twice: at least once
        assert list(receiver.unique()) == ids
        catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
        try:
            from archive.outbox import Outbox

            assert Outbox(catalog.engine).counts() == {"delivered": 5, "undispatched": 0}
        finally:
            catalog.close()
    finally:
        receiver.stop()


@pytest.mark.parametrize("scheme", ["ftp://127.0.0.1/x", "127.0.0.1:80/x"])
def test_webhook_url_must_be_http(tmp_path, data_dir, scheme):
    _events(data_dir, 1)
    result = run_cli(
        "notify", "run", "--once", data_dir=data_dir, config=_config(tmp_path, scheme), env=ENV
    )
    assert result.returncode == 2 and "http(s) URL" in result.stderr


def test_the_scheduler_runs_a_notify_job_when_notify_has_targets(tmp_path, data_dir):
    config = _config(tmp_path, "http://127.0.0.1:9/hook", extra="")
    config.write_text(config.read_text().replace("[notify]", "[notify]\ninterval_seconds = 30", 1))
    listed = run_cli("schedule", "--list", "--json", data_dir=data_dir, config=config)
    assert listed.returncode == 0, listed.stderr
    jobs = {j["id"]: j for j in json.loads(listed.stdout)["jobs"]}
    assert jobs["notify"]["command"] == "notify run --once --json"
    assert jobs["notify"]["when"] == "every 30 s"
    plain = tmp_path / "plain.toml"
    plain.write_text(mirror_config_text())
    listed = run_cli("schedule", "--list", "--json", data_dir=data_dir, config=plain)
    assert "notify" not in {j["id"] for j in json.loads(listed.stdout)["jobs"]}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'url = "http://x/"\nsecret_env = "S"\nallow_private = "yes"',
            "webhooks[0].allow_private: expected true or false",
        ),
        (
            'url = "http://x/"\nsecret_env = "S"\ntimeout_seconds = "5"',
            "webhooks[0].timeout_seconds: expected a number",
        ),
        (
            'url = "http://x/"\nsecret_env = "S"\nevents = ["version.edited"]',
            "webhooks[0].events[0]",
        ),
        ('url = "http://x/"\nsecret_env = "NOT-A-NAME"', "not an environment variable name"),
        ('url = "http://x/"\nsecret_env = "S"\nsecrets = "x"', "unknown setting 'secrets'"),
    ],
)
def test_notify_table_errors_name_the_key(table, message):
    import tomllib

    from archive.config import ConfigError, parse_config

    raw = tomllib.loads("[notify]\n[[notify.webhooks]]\n" + table)
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(raw, data_dir=Path("data"), source=Path("n.toml"))
