"""`[schedule]` in the config file: which jobs run when. The config is the source of truth.

```toml
[schedule]
recheck_interval_seconds = 300   # the built-in `recheck` job; 0 turns it off
sync_interval_seconds = 900      # the built-in `s3-sync` job, added only when [s3] is set
stop_timeout_seconds = 60        # SIGINT/SIGTERM: how long a running crawl may take to close
timezone = "UTC"                 # for cron expressions
# distributed = true             # default: true when [distributed] redis_url is set — crawl and
                                 # recheck jobs then only queue work in Redis for the workers

[[schedule.jobs]]
id = "cnn-hourly"
crawl = ["cnn-lite"]             # site names
cron = "5 * * * *"               # or interval_seconds = 3600
# max_articles = 50              # passed on as --max-articles
# misfire_grace_seconds = 3600   # how late a run may still start (default: one interval, or 1 h for cron)
```
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.config import Config, ConfigError
from archive.config_tables import RECHECK_JOB_ID, SYNC_JOB_ID, ScheduleJobTable

__all__ = ["CRON_MISFIRE_GRACE_SECONDS", "RECHECK_JOB_ID", "SYNC_JOB_ID", "ScheduleConfig",
           "ScheduledJob", "schedule_config_of"]  # fmt: skip

# A cron job that could not start on time (scheduler down, machine asleep) still runs if it is
# at most this late; coalescing turns several missed runs into one.
CRON_MISFIRE_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class ScheduledJob:
    """One job: the `newsarchive` arguments it runs and when (`cron` or `interval_seconds`)."""

    id: str
    cli_args: tuple[str, ...]
    cron: str | None = None
    interval_seconds: float | None = None
    misfire_grace_seconds: int = CRON_MISFIRE_GRACE_SECONDS

    @property
    def when(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron}"
        return f"every {self.interval_seconds:g} s"


@dataclass
class ScheduleConfig:
    """The `[schedule]` table (validated when the config loaded: archive/config_tables.py)
    as the jobs to run: the configured ones plus the built-in recheck and S3 sync jobs.

    Reads `[schedule]`, `[s3]` (is it set?), `[distributed]` and `[sites.*]` (site names).
    """

    jobs: list[ScheduledJob] = field(default_factory=list)
    stop_timeout_seconds: float = 60.0
    timezone: str = "UTC"
    distributed: bool = False  # crawl and recheck jobs push into Redis (docs/scaling.md)


def _interval_job(job_id: str, cli_args: tuple[str, ...], seconds: float) -> ScheduledJob:
    # A run may start up to one interval late (at least 1 s): later than that, the next one is near.
    return ScheduledJob(
        job_id, cli_args, interval_seconds=seconds, misfire_grace_seconds=max(1, round(seconds))
    )


def _config_job(
    raw: ScheduleJobTable, where: str, sites: set[str], *, distributed: bool = False
) -> ScheduledJob:
    where = f"{where} ({raw.id})"
    for site in raw.crawl:
        if site not in sites:
            raise ConfigError(
                f"{where}.crawl: unknown site {site!r}; known sites: {', '.join(sorted(sites))}"
            )
    cli_args: tuple[str, ...] = ("crawl", *raw.crawl)
    if raw.max_articles is not None:
        cli_args += ("--max-articles", str(raw.max_articles))
    if distributed:
        cli_args += ("--distributed",)
    cli_args += ("--no-progress", "--json")
    if raw.cron is not None:
        grace = raw.misfire_grace_seconds or CRON_MISFIRE_GRACE_SECONDS
        return ScheduledJob(raw.id, cli_args, cron=raw.cron, misfire_grace_seconds=int(grace))
    assert raw.interval_seconds is not None  # the model requires cron or interval_seconds
    job = _interval_job(raw.id, cli_args, raw.interval_seconds)
    if raw.misfire_grace_seconds is not None:
        job = ScheduledJob(job.id, job.cli_args, interval_seconds=job.interval_seconds,
                           misfire_grace_seconds=int(raw.misfire_grace_seconds))  # fmt: skip
    return job


def schedule_config_of(config: Config) -> ScheduleConfig:
    """List every job of the loaded config: the configured ones, then the built-ins. The
    table's keys and values were checked when the file loaded; what needs the site profiles
    (the names a job crawls) is checked here."""
    from crawler.profiles import load_profiles

    raw = config.schedule
    where = f"{config.source or 'config'} [schedule]"
    # By default on exactly when `[distributed] redis_url` is set: a scheduler given the
    # cluster's config feeds the workers instead of crawling beside them.
    distributed = bool(config.distributed.redis_url) if raw.distributed is None else raw.distributed
    result = ScheduleConfig(stop_timeout_seconds=raw.stop_timeout_seconds, timezone=raw.timezone,
                            distributed=distributed)  # fmt: skip
    sites = set(load_profiles(config))
    for n, entry in enumerate(raw.jobs):
        result.jobs.append(_config_job(entry, f"{where}.jobs[{n}]", sites, distributed=distributed))
    if raw.recheck_interval_seconds:
        recheck_args = (
            "recheck",
            *(("--distributed",) if distributed else ()),
            "--no-progress",
            "--json",
        )
        result.jobs.append(
            _interval_job(RECHECK_JOB_ID, recheck_args, raw.recheck_interval_seconds)
        )
    if config.s3 is not None:
        result.jobs.append(_interval_job(SYNC_JOB_ID, ("sync", "--no-progress", "--json"),
                                         raw.sync_interval_seconds))  # fmt: skip
    return result
