"""Scale-out end to end: a real Redis frontier, a real PostgreSQL catalog, three worker
processes crawling a generated site of 160 articles (docs/scaling.md).

The frontier delivers at least once: an item whose lease (3 s here) ran out before its
worker acknowledged it (a slow or stalled process) is fetched again by another worker. What
the design guarantees, and what these tests assert, is that every article is archived,
exactly one version of each (the catalog's primary key settles a race: the loser records
`unchanged`), one JSON record per version, valid WARCs in every data directory, and a
duplicate filter that queues each discovered article once. Not that each URL is fetched
exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive import catalog_schema as t
from archive.catalog import Catalog
from benchmarks.site import generate
from newsarchive.distributed.frontier import Frontier
from tests.conftest import BIN, LOOPBACK, REPO, run_cli
from tests.warc_assertions import check_archive

pytestmark = pytest.mark.timeout(240)
ARTICLES = 160


@pytest.fixture
def cluster(tmp_path, serve_site, postgres_url, redis_url):
    root = tmp_path / "site"
    made = generate(root, ARTICLES, index_size=40)
    site = serve_site(root, copy=False)
    url, prefix = redis_url
    config = tmp_path / "cluster.toml"
    config.write_text(f"""
catalog_url = "{postgres_url}"

[crawl]
allowed_networks = {json.dumps(list(LOOPBACK))}
download_delay = 0
autothrottle = false
obey_robots = false
concurrent_requests_per_domain = 16
download_timeout = 5

[extract]
workers = 1

[distributed]
redis_url = "{url}"
key_prefix = "{prefix}"
visibility_timeout = 3
""")
    start_urls = [a for p in made["indexes"] for a in ("--start-url", site.url.rstrip("/") + p)]
    return {"config": config, "start_urls": start_urls, "postgres": postgres_url,
            "frontier": Frontier(url, prefix=prefix), "tmp": tmp_path}  # fmt: skip


def _worker(cluster: dict, n: int, *extra: str) -> tuple[subprocess.Popen[str], Path]:
    data_dir = cluster["tmp"] / f"worker-{n}"
    cmd = [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(cluster["config"]),
           "worker", "--max-inflight", "6", "--json", *extra]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("NEWSARCHIVE_CONFIG", None)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env
    )
    return proc, data_dir


def _push(cluster: dict) -> None:
    pushed = run_cli("crawl", "cnn-lite", *cluster["start_urls"], "--distributed", "--json",
                     data_dir=cluster["tmp"] / "pusher", config=cluster["config"])  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout) == {"queued": {"cnn-lite": 4}}


def _finish(proc: subprocess.Popen[str], timeout: float = 150) -> dict:
    stdout, stderr = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, stderr[-3000:]
    return json.loads(stdout)


def _shared_catalog_state(url: str) -> tuple[list[dict], dict[str, int]]:
    catalog = Catalog(url)
    try:
        with catalog.reading() as conn:
            fetched = dict(conn.execute(
                select(t.captures.c.url, func.count()).where(t.captures.c.kind == "article")
                .group_by(t.captures.c.url)).all())  # fmt: skip
        return catalog.all_versions(), fetched
    finally:
        catalog.close()


def _assert_each_article_archived_once(versions: list[dict], fetched: dict[str, int],
                                       articles: int) -> None:  # fmt: skip
    """Every article fetched (at least once) and exactly one version of each."""
    assert len(fetched) == articles and min(fetched.values()) >= 1
    assert len(versions) == articles, "one version per article: none lost, none duplicated"
    assert {v["version"] for v in versions} == {1}
    assert len({v["article_id"] for v in versions}) == articles


def _records(data_dir: Path) -> list[dict]:
    return [json.loads(line) for path in (data_dir / "records").rglob("*.jsonl")
            for line in path.read_text(encoding="utf-8").splitlines()]  # fmt: skip


def test_three_workers_archive_every_article_once(cluster):
    _push(cluster)
    workers = [_worker(cluster, n, "--exit-when-empty", "3") for n in range(3)]
    summaries = [_finish(proc) for proc, _ in workers]

    versions, fetched = _shared_catalog_state(cluster["postgres"])
    _assert_each_article_archived_once(versions, fetched, ARTICLES)
    # Each worker wrote its own valid WARCs and records; together they hold every version,
    # one record each, in WARC files whose names no two workers share.
    records, warcs_of = [], []
    for _, data_dir in workers:
        check_archive(data_dir)
        records += _records(data_dir)
        warcs_of.append({p.name for p in (data_dir / "warc").rglob("*.warc.gz")})
        assert not (data_dir / "catalog.sqlite").exists()
    assert sum(s["worker"]["claimed"] for s in summaries) >= ARTICLES + 4  # each item at least once
    assert sorted((r["article_id"], r["version"]) for r in records) == sorted(
        (v["article_id"], v["version"]) for v in versions
    )
    assert sum(map(len, warcs_of)) == len(set().union(*warcs_of)), "WARC names are per worker"
    assert {v["warc_filename"] for v in versions} <= set().union(*warcs_of)
    # The duplicate filter queued each discovered article once, whatever was fetched twice.
    assert sum(s["worker"]["discovered"] for s in summaries) == ARTICLES
    assert cluster["frontier"].counts() == {"queued": 0, "leased": 0, "seen": ARTICLES}

    # A second discovery finds nothing new: known articles are the recheck ladder's job.
    _push(cluster)
    proc, _ = _worker(cluster, 0, "--exit-when-empty", "1")
    again = _finish(proc)
    assert again["worker"]["discovered"] == 0 and again["versions_new"] == 0


def test_killed_worker_loses_nothing_and_makes_no_duplicate(cluster):
    _push(cluster)
    victim, victim_dir = _worker(cluster, 0)
    # The victim works alone until it has archived some articles; then it is frozen while it
    # holds leases (no other worker exists yet: every lease is its own) and killed.
    deadline = time.monotonic() + 90
    while True:
        versions, _ = _shared_catalog_state(cluster["postgres"])
        if len(versions) >= 20:
            victim.send_signal(signal.SIGSTOP)
            if cluster["frontier"].counts()["leased"] > 0:
                break
            victim.send_signal(signal.SIGCONT)
        assert victim.poll() is None and time.monotonic() < deadline, (
            "the first worker made no progress"
        )
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=10)  # reaps it and closes its pipes
    others = [_worker(cluster, n, "--exit-when-empty", "5") for n in (1, 2)]
    summaries = [_finish(proc) for proc, _ in others]

    versions, fetched = _shared_catalog_state(cluster["postgres"])
    _assert_each_article_archived_once(versions, fetched, ARTICLES)
    assert sum(s["worker"]["requeued_expired_leases"] for s in summaries) > 0, (
        "the victim's leases came back"
    )
    assert (
        cluster["frontier"].counts()["queued"] == 0 and cluster["frontier"].counts()["leased"] == 0
    )
    for _, data_dir in others:
        check_archive(data_dir)
    # The victim's own data directory is repaired by its next start (or `verify --repair`).
    repaired = run_cli(
        "verify", "--repair", "--json", data_dir=victim_dir, config=cluster["config"]
    )
    assert repaired.returncode in (0, 1), repaired.stderr
    check_archive(victim_dir)


def test_max_articles_is_a_budget_shared_by_the_workers(cluster):
    pushed = run_cli("crawl", "cnn-lite", *cluster["start_urls"], "--distributed", "--max-articles", "7", "--json",
                     data_dir=cluster["tmp"] / "pusher", config=cluster["config"])  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout) == {"queued": {"cnn-lite": 4}}  # the four index pages
    workers = [_worker(cluster, n, "--exit-when-empty", "2") for n in range(2)]
    summaries = [_finish(proc) for proc, _ in workers]

    versions, fetched = _shared_catalog_state(cluster["postgres"])
    _assert_each_article_archived_once(versions, fetched, 7)
    assert sum(s["worker"]["discovered"] for s in summaries) == 7
    # Only what was queued is remembered by the dupefilter: a later discovery finds the rest.
    assert cluster["frontier"].counts() == {"queued": 0, "leased": 0, "seen": 7}
    frontier = cluster["frontier"]
    [budget] = list(frontier.client.scan_iter(f"{frontier.prefix}:budget:*"))
    assert frontier.budget_left(budget.decode()) == 0 and frontier.client.ttl(budget) > 0
    # Every link of the four index pages is accounted for, in the catalog and the summaries.
    catalog = Catalog(cluster["postgres"])
    try:
        with catalog.reading() as conn:
            index_captures = conn.execute(
                select(t.captures.c.url, t.captures.c.links).where(t.captures.c.kind == "index")
            ).all()
    finally:
        catalog.close()
    # An index page fetched again (its lease ran out) follows nothing more: the budget and
    # the duplicate filter are in Redis.
    tallies = [links for _url, links in index_captures]
    assert len({url for url, _links in index_captures}) == 4
    assert sum(x["followed"] for x in tallies) == 7
    for tally in tallies:
        assert tally["matched"] == tally["followed"] + sum(tally["dropped"].values())
        assert set(tally["dropped"]) <= {"frontier"}
    assert sum(s["worker"]["discovery"]["followed"] for s in summaries) == 7


def test_article_budget_and_pending_rechecks_in_redis(redis_url):
    url, prefix = redis_url
    frontier = Frontier(url, prefix=prefix, recheck_ttl=3600)
    try:
        budget = frontier.new_budget(3)
        urls = [f"http://site.test/2026/01/0{n}/story" for n in range(1, 6)]
        assert frontier.push_new_articles("s", urls, budget=budget) == urls[:3]
        assert frontier.push_new_articles("s", urls, budget=budget) == []  # spent
        assert frontier.budget_left(budget) == 0 and frontier.counts()["seen"] == 3
        assert frontier.push_new_articles("s", urls) == urls[3:]  # no budget: not limited
        assert (
            frontier.push_new_articles("s", ["http://site.test/x"], budget=f"{prefix}:budget:gone")
            == []
        )

        frontier.client.delete(frontier.queue_key)
        due = ["http://site.test/a", "http://site.test/b"]
        assert frontier.push_rechecks("s", due) == due
        assert frontier.push_rechecks("s", [*due, "http://site.test/a#frag"]) == [], (
            "queued: not again"
        )
        raw, item = frontier.claim()
        assert item["recheck"] and item["refetch"] and item["kind"] == "article"
        assert frontier.push_rechecks("s", due) == [], "leased: not again"
        assert frontier.ack(raw)
        assert frontier.push_rechecks("s", due) == [item["url"]], "done: due again"
        assert not frontier.ack(raw), "a second acknowledgement changes nothing"
        assert frontier.push_rechecks("s", due) == []

        # Batches: claim several in one round trip, in queue order, each under a lease;
        # acknowledge several at once.
        frontier.client.delete(frontier.queue_key, frontier.leases_key)
        frontier.push([frontier.item(f"http://site.test/{n}", "s", "article") for n in range(5)])
        batch = frontier.claim_many(3)
        assert [item["url"] for _raw, item in batch] == [f"http://site.test/{n}" for n in range(3)]
        assert frontier.counts()["queued"] == 2 and frontier.counts()["leased"] == 3
        assert frontier.ack_many([raw for raw, _item in batch] + [batch[0][0]]) == 3
        assert frontier.counts()["leased"] == 0 and frontier.ack_many([]) == 0
        assert len(frontier.claim_many(10)) == 2 and frontier.claim_many(10) == []
    finally:
        frontier.close()
