"""`[schedule]` in the config file: which jobs run when. The config is the source of truth.

```toml
[schedule]
recheck_interval_seconds = 300   # the built-in `recheck` job; 0 turns it off
sync_interval_seconds = 900      # the built-in `s3-sync` job, added only when [s3] is set
                                 # (the built-in `notify` job: added when [notify] names targets,
                                 # every [notify] interval_seconds)
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

import re
from dataclasses import dataclass, field
from typing import Any

from archive.config import Config, ConfigError

RECHECK_JOB_ID = "recheck"
SYNC_JOB_ID = "s3-sync"
NOTIFY_JOB_ID = "notify"
_RESERVED = (RECHECK_JOB_ID, SYNC_JOB_ID, NOTIFY_JOB_ID)
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SCHEDULE_KEYS = ("jobs", "recheck_interval_seconds", "sync_interval_seconds", "stop_timeout_seconds",
                  "timezone", "distributed")  # fmt: skip
_JOB_KEYS = ("id", "crawl", "cron", "interval_seconds", "max_articles", "misfire_grace_seconds")
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
    """The validated `[schedule]` table plus the built-in recheck and S3 sync jobs.

    Reads `[schedule]` (keys above), `[s3]` (is it set?) and `[sites.*]` (site names).
    """

    jobs: list[ScheduledJob] = field(default_factory=list)
    stop_timeout_seconds: float = 60.0
    timezone: str = "UTC"
    distributed: bool = False  # crawl and recheck jobs push into Redis (docs/scaling.md)


def _number(raw: dict[str, Any], key: str, where: str, default: float, *, minimum: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ConfigError(f"{where}.{key}: expected a number ≥ {minimum:g}, got {value!r}")
    return float(value)


def _interval_job(job_id: str, cli_args: tuple[str, ...], seconds: float) -> ScheduledJob:
    # A run may start up to one interval late (at least 1 s): later than that, the next one is near.
    return ScheduledJob(
        job_id, cli_args, interval_seconds=seconds, misfire_grace_seconds=max(1, round(seconds))
    )


def _distributed(config: Config, raw: dict[str, Any], where: str) -> bool:
    """`[schedule] distributed`, by default on exactly when `[distributed] redis_url` is set: a
    scheduler given the cluster's config feeds the workers instead of crawling beside them."""
    has_redis = bool((config.distributed or {}).get("redis_url"))
    value = raw.get("distributed", has_redis)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.distributed: expected true or false, got {value!r}")
    if value and not has_redis:
        raise ConfigError(
            f"{where}.distributed = true needs [distributed] redis_url in the config file"
        )
    return value


def _config_job(
    raw: Any, where: str, sites: set[str], timezone: str, *, distributed: bool = False
) -> ScheduledJob:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: each [[schedule.jobs]] entry must be a table")
    for key in raw:
        if key not in _JOB_KEYS:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(_JOB_KEYS)})")
    job_id = raw.get("id")
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        raise ConfigError(
            f"{where}.id: expected a name of letters, digits, '.', '_' or '-', got {job_id!r}"
        )
    if job_id in _RESERVED:
        raise ConfigError(f"{where}.id: {job_id!r} is the built-in job's name; choose another")
    where = f"{where} ({job_id})"
    crawl = raw.get("crawl")
    if not isinstance(crawl, list) or not crawl or not all(isinstance(s, str) for s in crawl):
        raise ConfigError(f"{where}.crawl: expected a list of site names, got {crawl!r}")
    for site in crawl:
        if site not in sites:
            raise ConfigError(
                f"{where}.crawl: unknown site {site!r}; known sites: {', '.join(sorted(sites))}"
            )
    cli_args: tuple[str, ...] = ("crawl", *crawl)
    if "max_articles" in raw:
        cli_args += ("--max-articles", str(int(_number(raw, "max_articles", where, 1, minimum=1))))
    if distributed:
        cli_args += ("--distributed",)
    cli_args += ("--no-progress", "--json")
    if ("cron" in raw) == ("interval_seconds" in raw):
        raise ConfigError(f'{where}: give either cron = "…" or interval_seconds = N')
    if "cron" in raw:
        cron = raw["cron"]
        if not isinstance(cron, str):
            raise ConfigError(
                f'{where}.cron: expected a crontab string like "5 * * * *", got {cron!r}'
            )
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(cron, timezone=timezone)
        except ValueError as exc:
            raise ConfigError(
                f"{where}.cron: not a valid crontab expression {cron!r}: {exc}"
            ) from None
        grace = _number(raw, "misfire_grace_seconds", where, CRON_MISFIRE_GRACE_SECONDS, minimum=1)
        return ScheduledJob(job_id, cli_args, cron=cron, misfire_grace_seconds=int(grace))
    job = _interval_job(job_id, cli_args, _number(raw, "interval_seconds", where, 0, minimum=1))
    if "misfire_grace_seconds" in raw:
        grace = _number(raw, "misfire_grace_seconds", where, 1, minimum=1)
        job = ScheduledJob(job.id, job.cli_args, interval_seconds=job.interval_seconds,
                           misfire_grace_seconds=int(grace))  # fmt: skip
    return job


def schedule_config_of(config: Config) -> ScheduleConfig:
    """Validate `[schedule]` and list every job: the configured ones, then the built-ins."""
    from crawler.profiles import load_profiles

    raw = config.schedule
    where = f"{config.source or 'config'} [schedule]"
    for key in raw:
        if key not in _SCHEDULE_KEYS:
            raise ConfigError(
                f"{where}: unknown setting {key!r} (known: {', '.join(_SCHEDULE_KEYS)})"
            )
    timezone = raw.get("timezone", "UTC")
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(
            f'{where}.timezone: unknown time zone {timezone!r} (e.g. "UTC", "Europe/Berlin")'
        ) from None
    result = ScheduleConfig(
        stop_timeout_seconds=_number(raw, "stop_timeout_seconds", where, 60, minimum=1),
        timezone=timezone,
        distributed=_distributed(config, raw, where),
    )
    entries = raw.get("jobs", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{where}.jobs: expected [[schedule.jobs]] tables")
    sites = set(load_profiles(config))
    for n, entry in enumerate(entries):
        job = _config_job(
            entry, f"{where}.jobs[{n}]", sites, timezone, distributed=result.distributed
        )
        if any(j.id == job.id for j in result.jobs):
            raise ConfigError(f"{where}.jobs[{n}]: job id {job.id!r} is used twice")
        result.jobs.append(job)
    recheck = _number(raw, "recheck_interval_seconds", where, 300, minimum=0)
    if recheck:
        recheck_args = (
            "recheck",
            *(("--distributed",) if result.distributed else ()),
            "--no-progress",
            "--json",
        )
        result.jobs.append(_interval_job(RECHECK_JOB_ID, recheck_args, recheck))
    if config.s3:
        sync = _number(raw, "sync_interval_seconds", where, 900, minimum=1)
        result.jobs.append(_interval_job(SYNC_JOB_ID, ("sync", "--no-progress", "--json"), sync))
    if config.notify:
        # The built-in `notify` job: delivers the outbox every [notify] interval_seconds, in its
        # own process (a dead receiver never holds a crawl job).
        from newsarchive.notify.config import notify_config_of

        notify = notify_config_of(config)
        if notify.enabled:
            result.jobs.append(_interval_job(NOTIFY_JOB_ID, ("notify", "run", "--once", "--json"),
                                             notify.interval_seconds))  # fmt: skip
    return result
