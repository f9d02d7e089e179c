"""The catalog's tables (SQLAlchemy Core): what is known about articles, versions, captures,
runs and WARC files. The catalog is the single source of truth; SQLite by default."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("command", String(32), nullable=False),
    Column("sites", JSON, nullable=False, default=list),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False, default="running"),
    Column("summary", JSON),
    Column("pid", Integer),
    Column("host", String(255)),  # socket.gethostname() of the process; NULL: written before 0002
    # The data directory the run wrote its WARC and records files into (absolute); NULL:
    # written before 0002. Several workers of one host share a catalog, each with its own.
    Column("data_dir", Text),
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("fetch_url", Text),  # the URL last fetched (rechecks fetch it; `url` is normalised)
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_changed_at", DateTime(timezone=True), nullable=False),
    Column("latest_version", Integer, nullable=False, default=0),
    Column("title", Text),
    # As the page declares them (archive/dates.py): `YYYY-MM-DDTHH:MM:SSZ` (UTC) for a time,
    # `YYYY-MM-DD` for a day without one (never an invented midnight).
    Column("published_at", String(32)),
    Column("modified_at", String(32)),
    Column("next_check_at", DateTime(timezone=True)),
    Column("tracking", Boolean, nullable=False, default=True),
    # The address policy the article was first archived under (crawler/address_policy.py
    # AddressPolicy.spec: "public", "public+127.0.0.1/32", "any"); rechecks never widen it.
    # NULL: archived before 0003 (the current policy applies).
    Column("address_policy", Text),
    Index("ix_articles_due", "tracking", "next_check_at"),
    Index("ix_articles_site_due", "site", "tracking", "next_check_at"),
    Index("ix_articles_url", "url"),
)

versions = Table(
    "versions",
    metadata,
    Column("article_id", String(32), ForeignKey("articles.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content_sha256", String(64), nullable=False),
    Column("change", String(16), nullable=False),
    Column("captured_at", DateTime(timezone=True), nullable=False),
    Column("capture_id", Integer),
    Column("run_id", String(64)),
    Column("warc_filename", Text),
    Column("warc_offset", Integer),
    Column("warc_length", Integer),
    Column("warc_record_id", String(64)),
    Column("record", JSON, nullable=False),
    # The edit's types (archive/edit_types.py), as in the record: [] for a first version;
    # NULL only for a version of an archive whose search index is still to be built (0008).
    Column("edit_types", JSON),
    # The extractor that made the version (migration 0009; its record's `extractor`):
    # parser, a short hash of its rules, newsarchive's and trafilatura's versions. NULL:
    # written before provenance was recorded.
    Column("extractor_parser", String(32)),
    Column("extractor_rules", String(16)),
    Column("extractor_version", String(32)),
    Column("trafilatura_version", String(32)),
    Index("ix_versions_hash", "article_id", "content_sha256"),
    Index("ix_versions_captured", "captured_at"),
    # The change feeds' sequence (newsarchive/feeds/query.py), read from the index alone.
    Index("ix_versions_feed", "captured_at", "article_id", "version", "change"),
)

captures = Table(
    "captures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64)),
    Column("site", String(64)),
    Column("url", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # page, article, index, robots, redirect, feed
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("status", Integer),
    Column("content_type", Text),
    Column("outcome", String(32), nullable=False),
    Column("error", Text),
    Column("article_id", String(32)),
    Column("version", Integer),
    Column("record_type", String(16)),  # response, revisit, request
    Column("warc_filename", Text),
    Column("warc_offset", Integer),
    Column("warc_length", Integer),
    Column("warc_record_id", String(64)),
    Column("warc_date", String(40)),
    Column("payload_digest", String(64)),
    Column("body_bytes", Integer),
    # A listing page's (index, feed, sitemap) discovery tally: {"url", "kind", "follows",
    # "matched", "followed", "dropped": {rule: n}} (crawler/discovery.py); NULL otherwise
    # and for captures written before 0003.
    Column("links", JSON),
    Index("ix_captures_run", "run_id", "outcome"),
    Index("ix_captures_url", "url"),
    Index("ix_captures_article", "article_id"),
    Index("ix_captures_record", "warc_record_id"),
    Index("ix_captures_outcome", "outcome", "fetched_at"),  # the feeds' suspect captures
)

warc_files = Table(
    "warc_files",
    metadata,
    Column("filename", Text, primary_key=True),
    Column("relpath", Text, nullable=False),
    Column("run_id", String(64)),
    Column("status", String(16), nullable=False),  # open, closed, repaired, invalid
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("size", Integer),
    Column("records", Integer),
    Column("sha256", String(64)),
    UniqueConstraint("relpath"),
)

# Publishing to S3 (archive/upload_state.py): one row per closed data-directory file.
uploads = Table(
    "uploads",
    metadata,
    Column("relpath", Text, primary_key=True),  # warc/…/x.warc.gz, index/x.warc.gz.cdxj, records/…
    Column("kind", String(16), nullable=False),  # warc, index, records
    Column("key", Text),  # object key once uploaded
    Column("state", String(16), nullable=False),  # pending, uploaded, failed
    Column("sha256", String(64)),  # hex; for WARCs the digest computed while writing
    Column("size", Integer),
    Column("checksum", Text),  # the S3 checksum verified (SHA-256, base64; composite "…-N")
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("error", Text),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("uploaded_at", DateTime(timezone=True)),
    Column("local_deleted_at", DateTime(timezone=True)),
    Index("ix_uploads_state", "state", "next_attempt_at"),
)

# The HTTP service's archive jobs (newsarchive/serve/jobs.py): queued requests survive a restart.
api_jobs = Table(
    "api_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("status", String(16), nullable=False),  # queued, running, done, failed
    Column("urls", JSON, nullable=False),
    Column("site", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column(
        "results", JSON
    ),  # one {"requested_url", "url", "outcome", "article_id", "version", "error"} per URL
    Column("error", Text),
    Column("token_hash", String(64)),  # SHA-256 of the token that queued it
    Column("attempts", Integer, nullable=False, default=0),
    Index("ix_api_jobs_status", "status", "created_at"),
)

# Scheduling (newsarchive/scheduling/runs.py): one row per run of a scheduled job, written by `schedule`.
job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(64), nullable=False),
    Column("command", Text, nullable=False),  # newsarchive arguments, e.g. "crawl cnn-lite --json"
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("exit_status", Integer),  # the child's; negative: killed by that signal
    Column("run_id", String(64)),  # the crawl's run (runs.id), from its JSON summary
    Column("summary", JSON),
    Column("error", Text),
    Column("pid", Integer),
    Column("host", String(255)),  # the scheduler's host; NULL: written before 0002
    Index("ix_job_runs_started", "started_at"),
    Index("ix_job_runs_job", "job_id", "started_at"),
)

# Notifications (archive/outbox.py): the outbox. An event is written in the transaction that
# records what it tells of (a version, a suspect capture) or at the end of a run (site health);
# `newsarchive notify run` fans it out into one delivery per matching target and delivers it.
notify_events = Table(
    "notify_events",
    metadata,
    Column("id", String(40), primary_key=True),  # "evt_" + time-ordered hex: the webhook-id
    Column("type", String(32), nullable=False),  # version.new, version.edit, site.unhealthy, …
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("site", String(64)),
    Column("article_id", String(32)),
    Column("version", Integer),
    Column("payload", JSON, nullable=False),
    Column("dispatched_at", DateTime(timezone=True)),  # fanned out to the targets; NULL: not yet
    Index("ix_notify_events_pending", "dispatched_at", "id"),
    Index("ix_notify_events_site", "site", "type", "created_at"),
)

notify_deliveries = Table(
    "notify_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(40), ForeignKey("notify_events.id"), nullable=False),
    Column("target", String(128), nullable=False),  # "webhook:<name>" or "channel:<name>"
    Column("state", String(16), nullable=False),  # pending, delivered, failed (gave up)
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True)),  # also a runner's lease while sending
    Column("delivered_at", DateTime(timezone=True)),
    Column("last_error", Text),
    UniqueConstraint("event_id", "target"),
    Index("ix_notify_deliveries_due", "state", "next_attempt_at"),
)

notify_attempts = Table(
    "notify_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("notify_deliveries.id"), nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("status", Integer),  # the receiver's HTTP status; NULL: no response
    Column("error", Text),
    Column("duration_ms", Integer),
    Column("digest_size", Integer),  # a channel's digest: how many events this one message held
    Index("ix_notify_attempts_delivery", "delivery_id"),
    Index("ix_notify_attempts_at", "attempted_at"),
)
