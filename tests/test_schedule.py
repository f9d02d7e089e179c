"""`newsarchive schedule` (newsarchive/scheduling/scheduler.py and friends): the real scheduler in a child
process against local fixture sites; every job run recorded; one scheduler per data
directory; the config applied at each start; SIGTERM mid-crawl leaves only closed WARCs."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from archive import catalog_schema as t
from archive.catalog import Catalog
from archive.config import ConfigError, parse_config
from newsarchive.demo.run import SITE_ROOT
from newsarchive.scheduling.config import schedule_config_of
from newsarchive.scheduling.runs import JobRunLog
from tests.conftest import BIN, MIRROR_CONFIG, REPO, SITES, run_cli
from tests.s3_server import BUCKET
from tests.test_s3_publish import aws_env, local_files, moto, upload_rows  # noqa: F401 - fixtures
from tests.warc_assertions import check_archive, open_files

pytestmark = pytest.mark.timeout(120)


def _write_config(path: Path, *, sites: dict[str, str] | None = None, body: str = "",
                  base: str = MIRROR_CONFIG) -> Path:  # fmt: skip
    text = base
    for name, url in (sites or {}).items():
        text += f'\n[sites.{name}]\nextends = "cnn-lite"\nstart_urls = ["{url}"]\n'
    path.write_text(text + "\n" + body)
    return path


class RunningScheduler:
    """`newsarchive schedule` in a child process; its stderr goes to a file (a pipe nobody
    reads could fill up and block it)."""

    def __init__(self, data_dir: Path, config: Path, log: Path) -> None:
        self.log = log
        env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
        env.pop("NEWSARCHIVE_CONFIG", None)
        with open(log, "wb") as stderr:
            self.proc = subprocess.Popen(
                [str(BIN / "newsarchive"), "--data-dir", str(data_dir), "--config", str(config), "schedule"],
                cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr, env=env,
            )  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_started(self, timeout: float = 30) -> None:
        wait_for(
            lambda: "scheduler started" in self.text() or self.proc.poll() is not None,
            timeout,
            self.text,
        )
        assert self.proc.poll() is None, self.text()

    def stop(self, timeout: float = 70) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                "the scheduler did not stop after SIGTERM:\n" + self.text()
            ) from None


@pytest.fixture
def start_scheduler(tmp_path: Path) -> Iterator[Callable[[Path, Path], RunningScheduler]]:
    started: list[RunningScheduler] = []

    def start(data_dir: Path, config: Path) -> RunningScheduler:
        scheduler = RunningScheduler(data_dir, config, tmp_path / f"scheduler-{len(started)}.log")
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        if scheduler.proc.poll() is None:
            scheduler.proc.kill()
            scheduler.proc.wait()


def wait_for(
    condition: Callable[[], Any], timeout: float, explain: Callable[[], str] = lambda: ""
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s\n{explain()}")


def job_runs(data_dir: Path) -> list[dict[str, Any]]:
    """Every recorded job run, oldest first."""
    if not (data_dir / "catalog.sqlite").exists():
        return []
    log = JobRunLog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        return list(reversed(log.recent(1000)))
    finally:
        log.close()


def catalog_runs(data_dir: Path) -> dict[str, dict[str, Any]]:
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}")
    try:
        with catalog.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, command, status FROM runs").all()
    finally:
        catalog.close()
    return {r[0]: {"command": r[1], "status": r[2]} for r in rows}


def listing(data_dir: Path, config: Path) -> dict[str, Any]:
    result = run_cli("schedule", "--list", "--json", data_dir=data_dir, config=config)
    assert result.returncode == 0, result.stderr
    value: dict[str, Any] = json.loads(result.stdout)
    return value


def test_interval_crawls_run_in_child_processes_and_each_is_recorded(serve_site, data_dir, tmp_path,
                                                                      start_scheduler):  # fmt: skip
    site = serve_site("cnn-lite")
    config = _write_config(tmp_path / "schedule.toml", sites={"mirror": site.url, "dead": "http://127.0.0.1:9/"},
                           body="""
[[schedule.jobs]]
id = "mirror-every-2s"
crawl = ["mirror"]
interval_seconds = 2

[[schedule.jobs]]
id = "dead-every-2s"
crawl = ["dead"]
interval_seconds = 2
""")  # fmt: skip
    scheduler = start_scheduler(data_dir, config)
    scheduler.wait_started()

    def finished(job_id: str, n: int) -> list[dict[str, Any]] | None:
        done = [
            r for r in job_runs(data_dir) if r["job_id"] == job_id and r["ended_at"] is not None
        ]
        return done if len(done) >= n else None

    wait_for(
        lambda: finished("mirror-every-2s", 2) and finished("dead-every-2s", 2), 40, scheduler.text
    )
    assert scheduler.stop() == 0, scheduler.text()

    runs = job_runs(data_dir)
    crawls = [
        r
        for r in runs
        if r["job_id"] == "mirror-every-2s" and r["exit_status"] == 0 and not r["error"]
    ]
    assert len(crawls) >= 2, runs
    by_id = catalog_runs(data_dir)
    for row in crawls:
        assert row["command"] == "crawl mirror --no-progress --json"
        assert by_id[row["run_id"]] == {"command": "crawl", "status": "done"}
        assert row["summary"]["pages_fetched"] >= 1 and "sites" not in row["summary"]
        assert row["ended_at"] >= row["started_at"] and row["pid"]
    assert crawls[0]["summary"]["versions_new"] > 0  # the first crawl found the articles
    # max_instances = 1: a crawl longer than its 2 s interval never overlaps the next one.
    mirror = [r for r in runs if r["job_id"] == "mirror-every-2s"]
    for earlier, later in itertools.pairwise(mirror):
        assert later["started_at"] >= earlier["ended_at"]
    # A failing job is recorded with its exit status and error, and runs again.
    failures = [
        r
        for r in runs
        if r["job_id"] == "dead-every-2s"
        and r["ended_at"] is not None
        and "stopped by the scheduler" not in (r["error"] or "")
    ]
    assert len(failures) >= 2
    assert all(r["exit_status"] == 1 and "crawl failed" in (r["error"] or "") for r in failures), [
        (r["exit_status"], r["error"]) for r in failures
    ]

    listed = run_cli("runs", "--json", "--limit", "100", data_dir=data_dir, config=config)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {r["run_id"] for r in crawls} <= {r["run_id"] for r in rows}
    assert datetime.fromisoformat(rows[0]["started_at"]) >= datetime.fromisoformat(
        rows[-1]["started_at"]
    )
    table = run_cli("runs", "--job", "dead-every-2s", data_dir=data_dir, config=config)
    assert (
        table.returncode == 0
        and "dead-every-2s" in table.stdout
        and "mirror-every" not in table.stdout
    )

    assert not open_files(data_dir)
    check_archive(data_dir)


JOBS_BEFORE = """
[[schedule.jobs]]
id = "keep"
crawl = ["cnn-lite"]
interval_seconds = 3600

[[schedule.jobs]]
id = "change"
crawl = ["cnn-lite"]
interval_seconds = 3600

[[schedule.jobs]]
id = "drop"
crawl = ["npr-text"]
cron = "0 3 * * *"
"""
JOBS_AFTER = JOBS_BEFORE.split('[[schedule.jobs]]\nid = "drop"')[0].replace(
    'id = "change"\ncrawl = ["cnn-lite"]\ninterval_seconds = 3600',
    'id = "change"\ncrawl = ["cnn-lite"]\ninterval_seconds = 7200',
)


def test_one_scheduler_per_data_dir_and_a_restart_applies_the_config(
    data_dir, tmp_path, start_scheduler
):
    config = _write_config(tmp_path / "schedule.toml", body=JOBS_BEFORE)
    first = start_scheduler(data_dir, config)
    first.wait_started()

    second = run_cli("schedule", data_dir=data_dir, config=config, timeout=60)
    assert second.returncode == 1, second.stdout + second.stderr
    message = " ".join(second.stderr.split())
    assert (
        "another scheduler is already running" in message and f"pid {first.proc.pid}" in message
    ), message

    before = listing(data_dir, config)
    assert before["scheduler"]["pid"] == first.proc.pid
    jobs = {j["id"]: j for j in before["jobs"]}
    assert set(jobs) == {"keep", "change", "drop", "recheck"}
    assert {j["state"] for j in jobs.values()} == {"scheduled"}
    assert jobs["drop"]["when"] == "cron 0 3 * * *" and jobs["recheck"]["when"] == "every 300 s"
    assert first.stop() == 0, first.text()
    assert first.proc.poll() == 0

    # The config changes while the scheduler is down: --list says what the next start does.
    config.write_text(config.read_text().replace(JOBS_BEFORE, JOBS_AFTER))
    pending = {j["id"]: j for j in listing(data_dir, config)["jobs"]}
    assert pending["drop"]["state"].startswith("not in the config")
    assert pending["change"]["state"].startswith("changed")
    assert pending["keep"]["state"] == "scheduled"

    restarted = start_scheduler(data_dir, config)
    restarted.wait_started()
    after = {j["id"]: j for j in listing(data_dir, config)["jobs"]}
    assert restarted.stop() == 0, restarted.text()
    log = restarted.text()
    assert (
        "job drop: removed" in log and "job change: updated" in log and "job keep: kept" in log
    ), log
    assert set(after) == {"keep", "change", "recheck"}
    # The job store survived the restart: an unchanged job keeps its next run time.
    assert after["keep"]["next_run_time"] == jobs["keep"]["next_run_time"]
    assert after["change"]["when"] == "every 7200 s"
    gap = (datetime.fromisoformat(after["change"]["next_run_time"])
           - datetime.fromisoformat(jobs["change"]["next_run_time"])).total_seconds()  # fmt: skip
    assert 3000 < gap < 3700, gap  # 7200 s from the restart, not 3600 s from the first start
    assert listing(data_dir, config)["scheduler"] is None

    table = run_cli("schedule", "--list", data_dir=data_dir, config=config)
    assert (
        table.returncode == 0
        and "keep" in table.stdout
        and "scheduler: not running" in table.stdout
    )
    assert not job_runs(data_dir)  # nothing was due


@pytest.fixture
def slow_site(serve_site, tmp_path):
    """The demo's 24-article site, every article answering after 300 ms."""
    root = tmp_path / "slow-cnn"
    shutil.copytree(SITE_ROOT / "cnn-lite", root)
    routes = {}
    for page in root.rglob("index.html"):
        rel = page.relative_to(root)
        if rel != Path("index.html"):
            routes["/" + str(rel)] = {"delay": 0.3, "body_file": str(rel)}
            routes["/" + str(rel.parent)] = {"delay": 0.3, "body_file": str(rel)}
    (root / "_routes.json").write_text(json.dumps(routes))
    return serve_site(root, copy=False)


def test_sigterm_during_a_crawl_exits_0_and_leaves_only_closed_warcs(slow_site, data_dir, tmp_path,
                                                                     start_scheduler):  # fmt: skip
    slow = MIRROR_CONFIG.replace(
        "concurrent_requests_per_domain = 8", "concurrent_requests_per_domain = 2"
    )
    config = _write_config(tmp_path / "slow.toml", base=slow, sites={"slow": slow_site.url}, body="""
[schedule]
stop_timeout_seconds = 45

[[schedule.jobs]]
id = "slow"
crawl = ["slow"]
interval_seconds = 1
""")  # fmt: skip
    scheduler = start_scheduler(data_dir, config)
    scheduler.wait_started()
    wait_for(lambda: open_files(data_dir), 30, scheduler.text)  # a WARC file is being written
    assert scheduler.stop() == 0, scheduler.text()

    assert not open_files(data_dir)
    check_archive(data_dir)
    runs = job_runs(data_dir)
    assert len(runs) == 1 and runs[0]["ended_at"] is not None, runs
    assert "stopped by the scheduler" in runs[0]["error"]
    assert runs[0]["run_id"] and catalog_runs(data_dir)[runs[0]["run_id"]]["status"] != "running"
    assert "killed" not in scheduler.text()  # it stopped gracefully, in time
    verify = run_cli("verify", data_dir=data_dir)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_s3_sync_job_uploads_what_a_crawl_left_pending(
    moto, serve_site, data_dir, tmp_path, start_scheduler
):
    """`[s3]` set: the built-in `s3-sync` job (every 2 s here) runs `newsarchive sync` in a
    child process. While S3 is down its runs fail, are recorded, and the scheduler goes on;
    once S3 is back a run uploads every file a crawl made during the outage left pending."""
    site = serve_site("cnn-lite")
    config = _write_config(tmp_path / "s3.toml", body=f"""
[warc]
max_file_bytes = 15_000

[s3]
bucket = "{BUCKET}"
prefix = "news"
endpoint_url = "{moto.url}"
region = "us-east-1"
connect_timeout_seconds = 1
max_attempts = 1

[schedule]
recheck_interval_seconds = 0
sync_interval_seconds = 2
""")  # fmt: skip
    moto.stop()
    crawled = run_cli("crawl", "cnn-lite", "--start-url", site.url, "--no-progress", "--json",
                      data_dir=data_dir, config=config, timeout=60)  # fmt: skip
    assert crawled.returncode == 0, crawled.stderr
    local = local_files(data_dir)
    pending = json.loads(crawled.stdout)["uploads"]["pending"]
    assert pending == len(local) >= 4  # WARCs, their indexes, the records file
    assert {r["state"] for r in upload_rows(data_dir)} <= {"pending", "failed"}
    jobs = listing(data_dir, config)["jobs"]
    assert [(j["id"], j["when"], j["command"]) for j in jobs] == [
        ("s3-sync", "every 2 s", "sync --no-progress --json")
    ]

    scheduler = start_scheduler(data_dir, config)
    scheduler.wait_started()

    def sync_runs(status: int | None = None) -> list[dict[str, Any]]:
        return [r for r in job_runs(data_dir) if r["job_id"] == "s3-sync" and r["ended_at"] is not None
                and (status is None or r["exit_status"] == status)]  # fmt: skip

    wait_for(lambda: sync_runs(1), 30, scheduler.text)  # S3 still down: a failed run, recorded
    assert scheduler.proc.poll() is None, scheduler.text()
    moto.start()  # same port; moto starts empty (the bucket is recreated)
    wait_for(
        lambda: any(r["summary"] and r["summary"]["pending"] == 0 for r in sync_runs(0)),
        30,
        scheduler.text,
    )
    assert scheduler.stop() == 0, scheduler.text()

    assert moto.objects() == local  # every pending file, byte for byte
    assert {r["state"] for r in upload_rows(data_dir)} == {"uploaded"}
    runs = sync_runs()
    for row in runs:
        assert (
            row["command"] == "sync --no-progress --json"
            and row["pid"]
            and row["ended_at"] >= row["started_at"]
        )
        assert row["run_id"] is None  # sync is no crawl run
    failed = [r for r in runs if r["exit_status"] == 1]
    assert failed and all("not uploaded" in (r["error"] or "") for r in failed), failed
    first = failed[0]
    assert first["summary"]["uploaded"] == 0 and first["summary"]["pending"] == pending
    assert "could not connect" in first["error"].lower()
    done = next(r for r in runs if r["exit_status"] == 0 and r["summary"]["pending"] == 0)
    assert done["error"] is None and done["summary"]["failed"] == 0
    # Each file went up exactly once, across the runs (a run may have caught S3 coming back).
    assert sum(r["summary"]["uploaded"] for r in runs if r["summary"]) == pending
    assert (
        "job s3-sync: done" in scheduler.text()
        and "job s3-sync: failed with exit status 1" in scheduler.text()
    )
    check_archive(data_dir)


# -- configuration ------------------------------------------------------------------------


def _schedule(raw: dict[str, Any]) -> Any:
    return schedule_config_of(parse_config(raw, data_dir=Path("data")))


def test_schedule_config_jobs_and_built_ins():
    plain = _schedule({})
    assert [(j.id, j.cli_args, j.interval_seconds) for j in plain.jobs] == [
        ("recheck", ("recheck", "--no-progress", "--json"), 300.0)
    ]
    assert plain.stop_timeout_seconds == 60
    settings = _schedule({
        "s3": {"bucket": "b"},
        "schedule": {"recheck_interval_seconds": 0, "sync_interval_seconds": 60, "jobs": [
            {"id": "hourly", "crawl": ["cnn-lite", "npr-text"], "cron": "5 * * * *", "max_articles": 10},
            {"id": "fast", "crawl": ["cnn-lite"], "interval_seconds": 30},
        ]},
    })  # fmt: skip
    jobs = {j.id: j for j in settings.jobs}
    assert list(jobs) == ["hourly", "fast", "s3-sync"]
    assert jobs["hourly"].cli_args == (
        "crawl",
        "cnn-lite",
        "npr-text",
        "--max-articles",
        "10",
        "--no-progress",
        "--json",
    )
    assert jobs["hourly"].misfire_grace_seconds == 3600 and jobs["fast"].misfire_grace_seconds == 30
    assert jobs["s3-sync"].cli_args == ("sync", "--no-progress", "--json")
    assert not plain.distributed and not settings.distributed


def test_a_redis_url_alone_makes_the_scheduler_push():
    job = {"id": "hourly", "crawl": ["cnn-lite"], "cron": "5 * * * *", "max_articles": 10}
    raw = {
        "distributed": {"redis_url": "redis://127.0.0.1:6379/0"},
        "s3": {"bucket": "b"},
        "schedule": {"jobs": [job]},
    }
    settings = _schedule(raw)
    assert settings.distributed
    assert {j.id: j.cli_args for j in settings.jobs} == {
        "hourly": (
            "crawl",
            "cnn-lite",
            "--max-articles",
            "10",
            "--distributed",
            "--no-progress",
            "--json",
        ),
        "recheck": ("recheck", "--distributed", "--no-progress", "--json"),
        "s3-sync": (
            "sync",
            "--no-progress",
            "--json",
        ),  # each worker publishes its own files; this syncs here
    }
    local = _schedule({**raw, "schedule": {**raw["schedule"], "distributed": False}})
    assert not local.distributed and all("--distributed" not in j.cli_args for j in local.jobs)


@pytest.mark.parametrize(("schedule", "message"), [
    ({"jobz": []}, "unknown setting 'jobz'"),
    ({"jobs": [{"id": "a", "crawl": ["cnn-lite"], "every": 3}]}, "unknown setting 'every'"),
    ({"jobs": [{"id": "a", "crawl": ["cnn-lite"], "cron": "61 * * * *"}]}, "not a valid crontab"),
    ({"jobs": [{"id": "a", "crawl": ["nope"], "interval_seconds": 5}]}, "unknown site 'nope'"),
    ({"jobs": [{"id": "a", "crawl": ["cnn-lite"]}]}, "either cron"),
    ({"jobs": [{"id": "a", "crawl": ["cnn-lite"], "cron": "* * * * *", "interval_seconds": 5}]}, "either cron"),
    ({"jobs": [{"id": "recheck", "crawl": ["cnn-lite"], "interval_seconds": 5}]}, "built-in job"),
    ({"jobs": [{"id": "a", "crawl": ["cnn-lite"], "interval_seconds": 5}] * 2}, "used twice"),
    ({"jobs": [{"id": "a", "crawl": "cnn-lite", "interval_seconds": 5}]}, r"jobs\[0\]\.crawl: expected a list"),
    ({"jobs": [{"id": "a", "crawl": ["cnn-lite"], "interval_seconds": 0}]}, "interval_seconds"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
    ({"distributed": "yes"}, "distributed: expected true or false"),
    ({"distributed": True}, "needs \\[distributed\\] redis_url"),
])  # fmt: skip
def test_schedule_config_errors_name_the_key(schedule, message):
    with pytest.raises(ConfigError, match=message):
        _schedule({"schedule": schedule})


def test_a_bad_schedule_is_a_one_line_error(data_dir, tmp_path):
    config = _write_config(
        tmp_path / "bad.toml",
        body='[[schedule.jobs]]\nid = "x"\ncrawl = ["cnn-lite"]\ncron = "bad"\n',
    )
    result = run_cli("schedule", data_dir=data_dir, config=config)
    assert result.returncode == 2
    assert "cron" in result.stderr and "Traceback" not in result.stderr


# -- distributed: the scheduler only feeds the Redis frontier ----------------------------


def test_with_redis_the_scheduler_pushes_and_a_worker_archives(serve_site, tmp_path, postgres_url, redis_url,
                                                               start_scheduler):  # fmt: skip
    """`[distributed] redis_url` alone switches the scheduler: its crawl job and its recheck
    job run `… --distributed` in child processes that push into Redis, and are recorded; a
    worker archives; the scheduler's children crawl nothing."""
    site = serve_site("cnn-lite")
    n_articles = len(
        json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))["articles"]
    )
    redis_server, prefix = redis_url
    config = _write_config(tmp_path / "cluster.toml", base=f'catalog_url = "{postgres_url}"\n' + MIRROR_CONFIG,
                           sites={"mirror": site.url}, body=f"""
[distributed]
redis_url = "{redis_server}"
key_prefix = "{prefix}"
visibility_timeout = 3

[recheck]
ladder = [["1d", "2s"]]          # every article is due again 2 s after each check

[schedule]
recheck_interval_seconds = 2

[[schedule.jobs]]
id = "mirror-every-2s"
crawl = ["mirror"]
interval_seconds = 2
""")  # fmt: skip
    scheduler_dir, worker_dir = tmp_path / "scheduler", tmp_path / "worker"
    listed = {j["id"]: j["command"] for j in listing(scheduler_dir, config)["jobs"]}
    assert listed == {"mirror-every-2s": "crawl mirror --distributed --no-progress --json",
                      "recheck": "recheck --distributed --no-progress --json"}  # fmt: skip
    scheduler = start_scheduler(scheduler_dir, config)
    scheduler.wait_started()
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("NEWSARCHIVE_CONFIG", None)
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen([str(BIN / "newsarchive"), "--data-dir", str(worker_dir), "--config", str(config),
                                   "worker", "--json"],
                                  stdout=subprocess.PIPE, stderr=log, cwd=REPO, env=env)  # fmt: skip
    runs_log = JobRunLog(postgres_url)
    catalog = Catalog(postgres_url)
    try:

        def finished(job_id: str, pushed: bool = False) -> list[dict[str, Any]]:
            return [r for r in runs_log.recent(1000, job_id=job_id)
                    if r["ended_at"] is not None and r["exit_status"] == 0
                    and (not pushed or sum((r["summary"] or {}).get("queued", {}).values()) > 0)]  # fmt: skip

        def rechecked() -> bool:  # every article archived, and fetched again from a pushed recheck
            with catalog.reading() as conn:
                counts = dict(conn.execute(select(t.captures.c.article_id, func.count()).where(
                    t.captures.c.kind == "article", t.captures.c.article_id.is_not(None))
                    .group_by(t.captures.c.article_id)).all())  # fmt: skip
            return len(counts) == n_articles and min(counts.values()) >= 2

        def explain() -> str:
            with catalog.reading() as conn:
                captures = conn.execute(select(t.captures.c.url, t.captures.c.outcome, func.count())
                                        .group_by(t.captures.c.url, t.captures.c.outcome)).all()  # fmt: skip
            return (
                f"{scheduler.text()}\nworker: {(tmp_path / 'worker.log').read_text(errors='replace')}\n"
                f"captures: {captures}\njob runs: {runs_log.recent(6)}"
            )

        wait_for(lambda: len(finished("mirror-every-2s")) >= 2 and finished("recheck", pushed=True) and rechecked(),
                 45, explain)  # fmt: skip
        assert scheduler.stop() == 0, scheduler.text()
        worker.send_signal(signal.SIGTERM)
        stdout, _ = worker.communicate(timeout=30)
        assert worker.returncode == 0, explain()

        crawls = finished("mirror-every-2s")
        for row in crawls:
            assert row["command"] == "crawl mirror --distributed --no-progress --json"
            assert (
                row["summary"] == {"queued": {"mirror": 1}} and row["run_id"] is None and row["pid"]
            )
            assert row["host"] == socket.gethostname()
        for row in finished("recheck"):
            assert row["command"] == "recheck --distributed --no-progress --json"
            assert set(row["summary"]["queued"]) <= {"mirror"}
        assert max(sum(r["summary"]["queued"].values()) for r in finished("recheck")) <= n_articles
        # Nothing was crawled by the scheduler's children: every run is the worker's.
        with catalog.reading() as conn:
            commands = set(conn.execute(select(t.runs.c.command)).scalars())
            versions = conn.execute(select(func.count()).select_from(t.versions)).scalar_one()
        assert commands == {"worker"}
        assert versions == n_articles, "rechecks of unchanged pages make no version"
        assert not (scheduler_dir / "warc").exists() and not (scheduler_dir / "records").exists()
        summary = json.loads(stdout)
        assert summary["worker"]["claimed"] >= n_articles * 2
        check_archive(worker_dir)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
        runs_log.close()
        catalog.close()
