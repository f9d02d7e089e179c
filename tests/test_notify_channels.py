"""Notification channels through apprise, pointed at a real receiver on 127.0.0.1 (json://):
the message of an edit, and a burst past the rate limit sent as one digest."""

from __future__ import annotations

import json
from pathlib import Path

from archive.catalog import Catalog
from archive.outbox import version_payload, write_event
from tests.conftest import mirror_config_text, run_cli
from tests.notify_receiver import Receiver


def _config(tmp_path: Path, port: int, extra: str = "") -> Path:
    path = tmp_path / "notify.toml"
    path.write_text(mirror_config_text() + f"""
[notify]
base_url = "https://archive.example.org"

[[notify.channels]]
name = "newsroom"
url_env = "CHANNEL_URL"
max_messages = 10
window_seconds = 3600
{extra}
""")  # fmt: skip
    return path


def _edits(data_dir: Path, n: int, start: int = 0) -> None:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.begin() as conn:
            for i in range(start, start + n):
                record = {
                    "article_id": f"a{i:04d}", "site": "cnn-lite", "url": f"https://lite.cnn.com/{i}",
                    "version": 2, "change": "edit", "changed_fields": ["title", "text"],
                    "title": f"Storm hits coast, {i} dead",
                    "diff": {"from_version": 1, "chars_added": 9, "chars_removed": 8,
                             "unified": "--- version 1\n+++ version 2\n@@ -1 +1 @@\n-eight dead\n+nine dead"},
                }  # fmt: skip
                previous = {"title": f"Storm nears coast {i}"}
                write_event(conn, "version.edit", version_payload(record, ["headline", "numbers"], previous),
                            site="cnn-lite", article_id=record["article_id"], version=2)  # fmt: skip
    finally:
        catalog.close()


def _env(receiver: Receiver) -> dict[str, str]:
    return {"CHANNEL_URL": f"json://127.0.0.1:{receiver.port}/notify"}


def test_an_edit_becomes_one_message_with_headline_change_diff_and_link(tmp_path, data_dir):
    receiver = Receiver().start()
    try:
        _edits(data_dir, 1)
        config = _config(tmp_path, receiver.port)
        result = run_cli("notify", "run", "--once", "--json", data_dir=data_dir, config=config,
                         env=_env(receiver))  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["delivered"] == 1
        [message] = [r.json() for r in receiver.requests]
        assert message["title"] == "cnn-lite: Storm hits coast, 0 dead (was: Storm nears coast 0)"
        body = message["message"]
        assert "edited (headline, numbers)" in body
        assert "-eight dead\n+nine dead" in body
        assert "https://archive.example.org/articles/a0000?from=1&to=2" in body
    finally:
        receiver.stop()


def test_a_burst_of_500_edits_is_one_digest_not_500_messages(tmp_path, data_dir):
    receiver = Receiver().start()
    try:
        _edits(data_dir, 500)
        config = _config(tmp_path, receiver.port)
        result = run_cli("notify", "run", "--once", "--json", data_dir=data_dir, config=config,
                         env=_env(receiver))  # fmt: skip
        assert result.returncode == 0, result.stderr
        totals = json.loads(result.stdout)
        assert totals["delivered"] == 500 and totals["messages"] == 1 and totals["digests"] == 1
        [digest] = [r.json() for r in receiver.requests]
        assert digest["title"] == "500 changes on cnn-lite"
        lines = digest["message"].splitlines()
        assert len(lines) == 21 and lines[-1] == "… and 480 more"
        assert lines[0].startswith("- [edited (headline, numbers)] Storm hits coast, 0 dead")
        log = json.loads(run_cli("notify", "log", "--json", "--limit", "1000", data_dir=data_dir,
                                 config=config).stdout)  # fmt: skip
        assert len(log) == 500 and {r["digest_size"] for r in log} == {500}
        assert {r["state"] for r in log} == {"delivered"}

        # The window still has room for 9 messages: three more edits go one by one.
        _edits(data_dir, 3, start=500)
        again = run_cli("notify", "run", "--once", "--json", data_dir=data_dir, config=config,
                        env=_env(receiver))  # fmt: skip
        assert json.loads(again.stdout)["messages"] == 3
        assert len(receiver.requests) == 4
    finally:
        receiver.stop()


def test_a_full_window_waits_then_sends_one_digest(tmp_path, data_dir):
    receiver = Receiver().start()
    try:
        config = (
            _config(tmp_path, receiver.port)
            .read_text()
            .replace("max_messages = 10", "max_messages = 2")
        )
        path = tmp_path / "two.toml"
        path.write_text(config)
        _edits(data_dir, 2)
        run_cli("notify", "run", "--once", data_dir=data_dir, config=path, env=_env(receiver))
        assert len(receiver.requests) == 2
        _edits(data_dir, 5, start=2)
        held = run_cli(
            "notify", "run", "--once", "--json", data_dir=data_dir, config=path, env=_env(receiver)
        )
        assert json.loads(held.stdout)["pending"] == 5 and len(receiver.requests) == 2
    finally:
        receiver.stop()


def test_channel_to_a_private_address_is_refused_without_allow(tmp_path, data_dir):
    receiver = Receiver().start()
    try:
        path = tmp_path / "strict.toml"
        path.write_text(f"""
[notify]
[[notify.channels]]
url = "json://127.0.0.1:{receiver.port}/notify"
""")  # fmt: skip
        _edits(data_dir, 0)  # an archive (its catalog)
        result = run_cli("notify", "test", data_dir=data_dir, config=path)
        assert result.returncode == 1 and "private address" in result.stdout
        assert receiver.requests == []
    finally:
        receiver.stop()
