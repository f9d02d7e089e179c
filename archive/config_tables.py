"""Every table of the config file as a pydantic model, validated when the file loads.

`ConfigFile` is the whole file: one field per table, `extra="forbid"` everywhere, so a typo
in any table (`[distributed] visiblity_timeout`, `[serve] workrs`) or an unknown table is an
error the moment the file is read, whichever command reads it. The application layer's
tables (`[serve]`, `[schedule]`, `[distributed]`) are plain models here too: archive/
imports nothing of the application, the application reads typed values from the loaded
`Config`. Checks that need another package's knowledge (a `[sites.*]` table's `extends`, the
site names a scheduled job crawls) stay with that package and run when it loads the config.

Adding a table is one class deriving from `Table` plus one field of `ConfigFile`:

    class NotifyTable(Table):   # `[notify]`: docstring, then one line per key
        webhook_url: Str | None = None
        timeout_seconds: Float = Field(default=10.0, gt=0)

    notify: NotifyTable = Field(default_factory=NotifyTable)   # in ConfigFile

(The real `[notify]` is a larger model of its own module, archive/notify_config.py, held by
`ConfigFile` the same way.)

Errors need nothing more: `first_problem` names the file, table and key of any of them.
Use `Field(default=…)` (keyword) for a default with bounds: mypy reads it as optional.

Types: `Bool` is true/false only, `Str` a string only, `Int`/`Float` numbers only (not
true/false, not strings; an integer setting takes a whole float such as `5e6`).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import types
import typing
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from archive.notify_config import NotifyConfig

DEFAULT_USER_AGENT = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive)"
# Names of the scheduler's built-in jobs (newsarchive/scheduling/config.py): a configured
# job may not take them.
RECHECK_JOB_ID = "recheck"
SYNC_JOB_ID = "s3-sync"
NOTIFY_JOB_ID = "notify"  # added when [notify] names a webhook or channel


def _problem(message: str) -> PydanticCustomError:
    """A validation error whose message is the one line shown (no template fields)."""
    return PydanticCustomError("config", message)


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("number_type", "expected a number")
    return value


def _one_or_more_strings(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Bool = StrictBool
Str = StrictStr
Int = Annotated[int, BeforeValidator(_number)]
Float = Annotated[float, BeforeValidator(_number)]
StrList = list[StrictStr]
# `start_urls = "https://…"` is taken as a list of one.
StrOrList = Annotated[list[StrictStr], BeforeValidator(_one_or_more_strings)]


class Table(BaseModel):
    """A config table: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class CrawlTable(Table):
    """`[crawl]`: politeness defaults are for real sites; a local mirror overrides them."""

    user_agent: Str = DEFAULT_USER_AGENT
    obey_robots: Bool = True
    download_delay: Float = 1.0
    autothrottle: Bool = True
    concurrent_requests: Int = 16
    concurrent_requests_per_domain: Int = 2
    max_page_bytes: Int = 5_000_000
    download_timeout: Float = 30.0
    retry_times: Int = 2
    max_redirects: Int = 10
    # The address policy of every fetch of every command (docs/security.md): public
    # addresses only, unless `allow_private_addresses`; `allowed_networks` (CIDRs) are
    # the private networks a local mirror or intranet site may be fetched from.
    allow_private_addresses: Bool = False
    allowed_networks: StrList = Field(default_factory=list)

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network.strip(), strict=False)
            except ValueError:
                raise _problem(f"not an IP address or network (CIDR): {network!r}") from None
        return value


class WarcTable(Table):
    """`[warc]`: file naming and rotation."""

    prefix: Str = "newsarchive"
    max_file_bytes: Int = 1_000_000_000
    operator: Str = ""


class ExtractTable(Table):
    """`[extract]`: the extraction worker pool (0 workers = one per core, at most 4)."""

    workers: Int = 0
    timeout_seconds: Float = 30.0
    max_pages_per_worker: Int = 500
    # While the pool starts, profile pages up to this size are extracted in the crawl process.
    in_process_max_bytes: Int = 1_000_000


class SiteTable(Table):
    """`[sites.NAME]`: a site profile (crawler/profiles.py reads which keys are set)."""

    extends: Str | None = None
    start_urls: StrOrList = Field(default_factory=list)
    article_links: Str | None = None
    article_pattern: Str | None = None
    skip_pattern: Str | None = None
    feeds: StrOrList = Field(default_factory=list)
    sitemaps: StrOrList = Field(default_factory=list)
    hosts: StrOrList | None = None
    parser: Str | None = None
    description: Str | None = None
    terms_url: Str | None = None

    @field_validator("article_pattern", "skip_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise _problem(f"not a valid regular expression: {exc}") from None
        return value


# Keys a user might be tempted to put in `[s3]`; named in the error so it can be acted on.
_CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token",
                    "access_key", "secret_key", "access_key_id", "secret_access_key")  # fmt: skip
_MIN_PART = 5 * 1024 * 1024


class S3Table(Table):
    """`[s3]`: where closed files are published, and how (absent: no publishing).

    bucket, prefix, endpoint_url (any S3-compatible service; omit for AWS), region, profile
    (a named profile of the AWS chain), delete_local_after_upload (default false),
    multipart_threshold_bytes / multipart_chunk_bytes (boto3 TransferConfig; S3 parts are
    at least 5 MiB), connect_timeout_seconds, max_attempts (botocore retries per request),
    close_timeout_seconds (how long the end of a crawl waits for its uploads). Credentials
    never come from the file: boto3 reads them from the standard AWS chain.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket: Str = Field(min_length=1)
    prefix: Str = ""
    endpoint_url: Str | None = None
    region: Str | None = None
    profile: Str | None = None
    delete_local_after_upload: Bool = False
    multipart_threshold_bytes: Int = 64 * 1024 * 1024
    multipart_chunk_bytes: Int = 16 * 1024 * 1024
    connect_timeout_seconds: Float = 5.0
    read_timeout_seconds: Float = 60.0
    max_attempts: Int = Field(default=3, ge=1)
    close_timeout_seconds: Float = 300.0

    @model_validator(mode="before")
    @classmethod
    def _no_credentials(cls, raw: Any) -> Any:
        for key in raw if isinstance(raw, dict) else ():
            if str(key).lower() in _CREDENTIAL_KEYS:
                raise _problem(f"{key!r} is not allowed: credentials come from the AWS chain "
                               "(env AWS_ACCESS_KEY_ID…, a profile, an instance role)")  # fmt: skip
        return raw

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return value.strip("/")

    @field_validator("multipart_chunk_bytes")
    @classmethod
    def _part(cls, value: int) -> int:
        if value < _MIN_PART:
            raise _problem("S3 parts are at least 5 MiB (5242880)")
        return value

    def key_for(self, relpath: str) -> str:
        """Object key of a data-directory file: `<prefix>/warc/YYYY/MM/DD/<file>`,
        `<prefix>/index/<file>.cdxj`, `<prefix>/records/YYYY/MM/DD/<run>.jsonl`."""
        rel = relpath.replace("\\", "/").lstrip("/")
        return f"{self.prefix}/{rel}" if self.prefix else rel


_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ScheduleJobTable(Table):
    """One `[[schedule.jobs]]` entry: the sites it crawls and when (cron or interval)."""

    id: Str
    crawl: StrList = Field(min_length=1)
    cron: Str | None = None
    interval_seconds: Float | None = Field(default=None, ge=1)
    max_articles: Int | None = Field(default=None, ge=1)
    misfire_grace_seconds: Float | None = Field(default=None, ge=1)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _JOB_ID.match(value):
            raise _problem(f"expected a name of letters, digits, '.', '_' or '-', got {value!r}")
        if value in (RECHECK_JOB_ID, SYNC_JOB_ID, NOTIFY_JOB_ID):
            raise _problem(f"{value!r} is the built-in job's name; choose another")
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value, timezone="UTC")
            except ValueError as exc:
                raise _problem(f"not a valid crontab expression {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _when(self) -> ScheduleJobTable:
        if (self.cron is None) == (self.interval_seconds is None):
            raise _problem('give either cron = "…" or interval_seconds = N')
        return self


class ScheduleTable(Table):
    """`[schedule]`: which jobs the scheduler runs when (newsarchive/scheduling/config.py)."""

    jobs: list[ScheduleJobTable] = Field(default_factory=list)
    recheck_interval_seconds: Float = Field(default=300.0, ge=0)  # the built-in recheck job; 0: off
    sync_interval_seconds: Float = Field(
        default=900.0, ge=1
    )  # the built-in s3-sync job (with [s3])
    stop_timeout_seconds: Float = Field(default=60.0, ge=1)
    timezone: Str = "UTC"  # of cron expressions
    distributed: Bool | None = None  # default: whether [distributed] redis_url is set

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _problem(f'unknown time zone {value!r} (e.g. "UTC", "Europe/Berlin")') from None
        return value

    @field_validator("jobs")
    @classmethod
    def _unique(cls, jobs: list[ScheduleJobTable]) -> list[ScheduleJobTable]:
        ids = [job.id for job in jobs]
        for job_id in ids:
            if ids.count(job_id) > 1:
                raise _problem(f"job id {job_id!r} is used twice")
        return jobs


class RecheckTable(Table):
    """`[recheck]`: the recheck ladder (archive/recheck.py; absent keys: its defaults)."""

    ladder: list[tuple[Str, Str]] | None = None  # [["age", "interval"], …], ages increasing
    max_per_site: Int | None = Field(default=None, ge=1)

    @field_validator("ladder")
    @classmethod
    def _ladder(cls, value: list[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
        from archive.recheck import parse_duration

        if value is not None:
            ages = [parse_duration(age) for age, _ in value]
            for every in (every for _, every in value):
                parse_duration(every)
            if any(a >= b for a, b in zip(ages, ages[1:], strict=False)):
                raise _problem("ladder ages must increase")
        return value


# The address policy is the crawl's, for every command (docs/security.md).
_MOVED_FROM_SERVE = {"allow_private_addresses": "[crawl] allow_private_addresses",
                     "allowed_networks": "[crawl] allowed_networks"}  # fmt: skip


class ServeTable(Table):
    """`[serve]`: the HTTP service (newsarchive/serve/); every key has a working default.

    Which addresses a job may fetch is not set here: every fetch of every command follows
    `[crawl] allow_private_addresses` / `allowed_networks` (docs/security.md).

    - `workers`: archive jobs run at once, each in its own process; 0 queues without running.
    - `job_timeout_seconds`: a job's process is killed after this long (the job fails).
    - `max_body_bytes`, `max_urls_per_request`: limits on one POST /api/archive.
    - `rate_limit_per_minute`: archive requests per token per minute (a burst of that many).
    - `max_queued_urls`: URLs waiting or being archived, all jobs together; past it a POST
      gets 503 with Retry-After.
    - `failed_logins_per_minute`: wrong or missing tokens per client address per minute;
      past it every write from that address gets 429 until the bucket refills.
    - `search_rate_limit_per_minute`: `GET /api/articles?q=…` (a scan of every version's
      text) per client address per minute.
    - `page_size`: default and maximum page of GET /api/articles is page_size and 4×.
    - `feed_page_size`: entries per archive page of the change feeds (docs/feeds.md); a
      change of it renumbers every archive page, so pick it once.
    - `feed_settle_seconds`: a feed shows a version this long after its capture (a version
      is committed a little after its page was fetched: pages never change once full).
    - `public_url`: the service's address as readers reach it (behind a proxy, say), for
      the absolute links of the feeds; empty: the address of each request.
    """

    workers: Int = Field(default=2, ge=0)
    job_timeout_seconds: Float = Field(default=600.0, ge=0)
    max_body_bytes: Int = Field(default=64 * 1024, ge=1)
    max_urls_per_request: Int = Field(default=50, ge=1)
    rate_limit_per_minute: Int = Field(default=30, ge=1)
    max_queued_urls: Int = Field(default=10_000, ge=1)
    failed_logins_per_minute: Int = Field(default=10, ge=1)
    search_rate_limit_per_minute: Int = Field(default=30, ge=1)
    page_size: Int = Field(default=50, ge=1)
    feed_page_size: Int = Field(default=50, ge=1)
    feed_settle_seconds: Float = Field(default=120.0, ge=0)
    public_url: Str = ""

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, raw: Any) -> Any:
        for key in raw if isinstance(raw, dict) else ():
            if key in _MOVED_FROM_SERVE:
                raise _problem(f"{key}: the address policy is set once for every command: "
                               f"use {_MOVED_FROM_SERVE[key]} (see docs/security.md)")  # fmt: skip
        return raw


class DistributedTable(Table):
    """`[distributed]`: the Redis frontier of scale-out crawling (docs/scaling.md)."""

    redis_url: Str | None = None
    key_prefix: Str = "newsarchive"  # several archives can share one Redis
    visibility_timeout: Float = Field(default=60.0, gt=0)  # seconds a claimed item stays leased
    seen_ttl_days: Float = Field(
        default=7.0, gt=0
    )  # the dupefilter forgets an article URL after this
    recheck_ttl_hours: Float = Field(
        default=6.0, gt=0
    )  # a queued recheck is not queued again this long
    max_inflight: Int | None = Field(default=None, ge=1)  # default: [crawl] concurrent_requests


class ConfigFile(Table):
    """The whole file: every table, each with its defaults when absent."""

    catalog_url: Str | None = None
    crawl: CrawlTable = Field(default_factory=CrawlTable)
    warc: WarcTable = Field(default_factory=WarcTable)
    extract: ExtractTable = Field(default_factory=ExtractTable)
    sites: dict[str, SiteTable] = Field(default_factory=dict)
    s3: S3Table | None = None
    schedule: ScheduleTable = Field(default_factory=ScheduleTable)
    recheck: RecheckTable = Field(default_factory=RecheckTable)
    serve: ServeTable = Field(default_factory=ServeTable)
    distributed: DistributedTable = Field(default_factory=DistributedTable)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)  # archive/notify_config.py

    @field_validator("s3", mode="before")
    @classmethod
    def _empty_s3(cls, raw: Any) -> Any:
        return None if raw == {} else raw  # an empty [s3] table: no publishing

    @model_validator(mode="after")
    def _across_tables(self) -> ConfigFile:
        if self.schedule.distributed and not self.distributed.redis_url:
            raise PydanticCustomError(
                "needs_redis", "[schedule] distributed = true needs [distributed] redis_url"
            )
        return self


# -- errors as one line -------------------------------------------------------------------

_EXPECTED = {
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected a string",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
    "int_type": "expected a number",
    "int_parsing": "expected a number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "number_type": "expected a number",
}


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the table at `loc` (a path into the file) knows."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        else:  # a dict of tables or a list of tables: the value type
            args = [a for a in typing.get_args(current) if a is not str]
            current = args[-1] if args else None
        while typing.get_origin(current) in (typing.Union, types.UnionType):
            current = next(a for a in typing.get_args(current) if a is not type(None))
        if typing.get_origin(current) is Annotated:
            current = typing.get_args(current)[0]
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _where(
    source: str, loc: tuple[int | str, ...], model: type[BaseModel] = ConfigFile
) -> tuple[str, str]:
    """(`file [table]`, `.key[0].sub`) for a location in the file."""
    if not loc:
        return source, ""
    if loc[0] == "sites" and len(loc) > 1:
        table, rest = f"sites.{loc[1]}", loc[2:]
    elif _fields_at(model, loc[:1]):  # a table
        table, rest = str(loc[0]), loc[1:]
    else:
        return source, ".".join(str(p) for p in loc)
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest)
    return f"{source} [{table}]", key


def describe(error: dict[str, Any], source: str, model: type[BaseModel] = ConfigFile) -> str:
    """One line for one pydantic error: the file, the table, the key, what is wrong."""
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        where, path = _where(source, loc[:-1], model)
        key = str(loc[-1])
        known = _fields_at(model, loc[:-1])
        what = "top-level setting" if len(loc) == 1 else "setting"
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
        return f"{where}{path}: unknown {what} {key!r}{hint}"
    where, path = _where(source, loc, model)
    if kind == "missing":
        where, path = _where(source, loc[:-1], model)
        return f"{where}{path}: {str(loc[-1])!r} is required"
    if kind in _EXPECTED:
        return f"{where}{path}: {_EXPECTED[kind]}, got {error.get('input')!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind in ("greater_than_equal", "greater_than"):
        bound = (error.get("ctx") or {}).get("ge", (error.get("ctx") or {}).get("gt"))
        message = f"must be {'at least' if kind == 'greater_than_equal' else 'more than'} {bound}"
    elif kind == "too_short":
        message = "must not be empty"
    return f"{where}{path}: {message}"


def first_problem(exc: ValidationError, source: str, model: type[BaseModel] = ConfigFile) -> str:
    """The first problem of a failed validation as one line (and how many more there are)."""
    errors = exc.errors(include_url=False)
    line = describe(dict(errors[0]), source, model)
    if len(errors) > 1:
        line += f" (and {len(errors) - 1} more)"
    return line
