"""Site health: a real fixture site breaks between crawls (its index stops yielding links,
robots.txt starts disallowing us) and works again; the events go to the outbox, a webhook
receiver on 127.0.0.1, the crawl's summary and `newsarchive runs`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.catalog import Catalog
from archive.outbox import Outbox
from tests.conftest import mirror_config_text, run_cli
from tests.notify_receiver import Receiver
from tests.test_notify_webhooks import ENV, SECRET

pytestmark = pytest.mark.timeout(300)


def _health_events(data_dir: Path) -> list[dict]:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        events = Outbox(catalog.engine).events(types=["site.unhealthy", "site.healthy"])
    finally:
        catalog.close()
    return list(reversed(events))  # oldest first


def _crawl(site, data_dir: Path, config: Path) -> dict:
    result = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                     data_dir=data_dir, config=config, env=ENV)  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_index_without_links_then_robots_then_healthy_again(serve_site, data_dir, tmp_path):
    site = serve_site("cnn-lite")
    receiver = Receiver(secret=SECRET).start()
    config = tmp_path / "notify.toml"
    config.write_text(mirror_config_text() + f"""
[notify]
[[notify.webhooks]]
url = "{receiver.url}"
secret_env = "HOOK_SECRET"
events = ["site.unhealthy", "site.healthy"]
""")  # fmt: skip
    try:
        healthy = _crawl(site, data_dir, config)
        assert healthy["health"] == [{"site": "cnn-lite", "state": "healthy", "reasons": []}]
        assert _health_events(data_dir) == []

        index = site.root / "index.html"
        original = index.read_text(encoding="utf-8")
        index.write_text(
            "<html><head><title>CNN</title></head><body><p>We are updating the site.</p></body></html>"
        )
        broken = _crawl(site, data_dir, config)
        [report] = broken["health"]
        assert report["state"] == "unhealthy" and report["event"] == "site.unhealthy"
        assert "no longer yielded article links" in report["reasons"][0]
        # The same problem again: no second event.
        _crawl(site, data_dir, config)
        assert [e["type"] for e in _health_events(data_dir)] == ["site.unhealthy"]

        runs = run_cli("runs", data_dir=data_dir, config=config)
        assert "site health" in runs.stdout and "no longer yielded article links" in runs.stdout

        index.write_text(original, encoding="utf-8")
        (site.root / "robots.txt").write_text("User-agent: *\nDisallow: /2026/\n")
        robots = _crawl(site, data_dir, config)
        [report] = robots["health"]
        assert report["state"] == "unhealthy" and report["event"] == "site.unhealthy"
        assert any("robots.txt disallowed" in r for r in report["reasons"])

        (site.root / "robots.txt").unlink()
        again = _crawl(site, data_dir, config)
        assert (
            again["health"][0]["state"] == "healthy"
            and again["health"][0]["event"] == "site.healthy"
        )
        events = _health_events(data_dir)
        assert [e["type"] for e in events] == ["site.unhealthy", "site.unhealthy", "site.healthy"]
        assert events[1]["payload"]["kinds"] == ["robots"]
        assert (
            "site health: every site works"
            in run_cli("runs", data_dir=data_dir, config=config).stdout
        )

        delivered = run_cli(
            "notify", "run", "--once", "--json", data_dir=data_dir, config=config, env=ENV
        )
        assert json.loads(delivered.stdout)["delivered"] == 3
        assert [r.json()["type"] for r in receiver.requests] == [
            "site.unhealthy",
            "site.unhealthy",
            "site.healthy",
        ]
        assert all(r.signed_ok for r in receiver.requests)
    finally:
        receiver.stop()


def test_health_events_without_targets_are_never_sent_later(
    serve_site, data_dir, tmp_path, mirror_config
):
    site = serve_site("cnn-lite")
    (site.root / "index.html").write_text("<html><body><p>Nothing here.</p></body></html>")
    summary = _crawl(site, data_dir, mirror_config)
    assert summary["health"][0]["state"] == "unhealthy"
    [event] = _health_events(data_dir)
    assert event["dispatched_at"] is not None  # nobody was configured to hear it


def test_rules_suspect_share_and_errors_against_previous_runs():
    from newsarchive.notify.config import Health
    from newsarchive.notify.health import SiteFigures, problems

    limits = Health()

    def run(**counts) -> SiteFigures:
        figures = SiteFigures()
        for outcome, n in counts.items():
            figures.add("index" if outcome == "index" else "article", outcome.replace("_", "-"), n)
        return figures

    normal = run(index=1, new=18, suspect=1, timeout=1)
    assert problems(normal, [normal], limits, set()) == {}
    collapsed = run(index=1, new=6, suspect=6)
    assert set(problems(collapsed, [normal], limits, set())) == {"suspect"}
    assert (
        "6 of 12 extracted articles were suspect"
        in problems(collapsed, [normal], limits, set())["suspect"]
    )
    # Errors: 30 % is below error_share but 25 points above the previous runs' 5 %.
    erring = run(index=1, new=13, http_503=6)
    assert set(problems(erring, [normal], limits, set())) == {"errors"}
    assert problems(erring, [erring], limits, set()) == {}  # as usual for this site
    assert set(problems(erring, [erring], limits, {"errors"})) == {"errors"}  # still erring
    # Too few pages to judge a share.
    assert problems(run(new=1, suspect=2), [], limits, set()) == {}
    # robots.txt: new now; known before it is only a problem while the site is unhealthy for it.
    blocked = run(index=1, new=18, robots_disallowed=3)
    assert set(problems(blocked, [normal], limits, set())) == {"robots"}
    assert problems(blocked, [blocked], limits, set()) == {}
    assert set(problems(blocked, [blocked], limits, {"robots"})) == {"robots"}


from tests.test_serve import start_server  # noqa: E402,F401


def test_the_web_page_lists_broken_sites(serve_site, data_dir, mirror_config, start_server):  # noqa: F811
    site = serve_site("cnn-lite")
    (site.root / "index.html").write_text("<html><body><p>Nothing here.</p></body></html>")
    _crawl(site, data_dir, mirror_config)
    server = start_server(data_dir, mirror_config, token=None)
    page = server.get("/")
    assert isinstance(page, str)
    assert "Sites that look broken" in page and "cnn-lite" in page
    assert "its index pages yielded no article links" in page
