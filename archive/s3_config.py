"""The `[s3]` config table: where closed files are published, and how.

Credentials never come from the config file: boto3 reads them from the standard AWS chain
(environment, shared profile, instance role), so a key in the file is a config error.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from archive.config import Config, ConfigError

# Keys a user might be tempted to put in the file; named in the error so it can be acted on.
_CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token",
                    "access_key", "secret_key", "access_key_id", "secret_access_key")  # fmt: skip


@dataclass(frozen=True)
class S3Config:
    """`[s3]` settings.

    bucket, prefix, endpoint_url (any S3-compatible service; omit for AWS), region, profile
    (a named profile of the AWS chain), delete_local_after_upload (default false),
    multipart_threshold_bytes / multipart_chunk_bytes (boto3 TransferConfig; S3 parts are
    at least 5 MiB), connect_timeout_seconds, max_attempts (botocore retries per request),
    close_timeout_seconds (how long the end of a crawl waits for its uploads).
    """

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    delete_local_after_upload: bool = False
    multipart_threshold_bytes: int = 64 * 1024 * 1024
    multipart_chunk_bytes: int = 16 * 1024 * 1024
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 60.0
    max_attempts: int = 3
    close_timeout_seconds: float = 300.0

    def key_for(self, relpath: str) -> str:
        """Object key of a data-directory file: `<prefix>/warc/YYYY/MM/DD/<file>`,
        `<prefix>/index/<file>.cdxj`, `<prefix>/records/YYYY/MM/DD/<run>.jsonl`."""
        rel = relpath.replace("\\", "/").lstrip("/")
        return f"{self.prefix}/{rel}" if self.prefix else rel


_TYPES: dict[str, tuple[type, ...]] = {
    "bucket": (str,), "prefix": (str,), "endpoint_url": (str,), "region": (str,),
    "profile": (str,), "delete_local_after_upload": (bool,),
    "multipart_threshold_bytes": (int,), "multipart_chunk_bytes": (int,),
    "connect_timeout_seconds": (int, float), "read_timeout_seconds": (int, float),
    "max_attempts": (int,), "close_timeout_seconds": (int, float),
}  # fmt: skip


def parse_s3_config(raw: dict[str, Any], where: str = "config [s3]") -> S3Config | None:
    """The `[s3]` table as an `S3Config`, or None when the table is absent or empty."""
    if not raw:
        return None
    known = {f.name for f in fields(S3Config)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key.lower() in _CREDENTIAL_KEYS:
            raise ConfigError(f"{where}: {key!r} is not allowed: credentials come from the AWS "
                              "chain (env AWS_ACCESS_KEY_ID…, a profile, an instance role)")  # fmt: skip
        if key not in known:
            raise ConfigError(
                f"{where}: unknown setting {key!r} (known: {', '.join(sorted(known))})"
            )
        types = _TYPES[key]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            expected = " or ".join(t.__name__ for t in types)
            raise ConfigError(f"{where}.{key}: expected {expected}, got {value!r}")
        values[key] = value
    if not values.get("bucket"):
        raise ConfigError(f"{where}: 'bucket' is required")
    values["prefix"] = str(values.get("prefix", "")).strip("/")
    if values.get("multipart_chunk_bytes", 5 * 1024 * 1024) < 5 * 1024 * 1024:
        raise ConfigError(f"{where}.multipart_chunk_bytes: S3 parts are at least 5 MiB (5242880)")
    if values.get("max_attempts", 1) < 1:
        raise ConfigError(f"{where}.max_attempts: at least 1")
    return S3Config(**values)


def s3_config_of(config: Config) -> S3Config | None:
    source = f"{config.source} [s3]" if config.source else "config [s3]"
    return parse_s3_config(config.s3, source)


def make_s3_client(cfg: S3Config) -> Any:
    """A boto3 S3 client for the configured endpoint; credentials from the AWS chain."""
    import boto3
    from botocore.config import Config as BotoConfig

    session = (
        boto3.session.Session(profile_name=cfg.profile) if cfg.profile else boto3.session.Session()
    )
    boto_config = BotoConfig(
        connect_timeout=cfg.connect_timeout_seconds,
        read_timeout=cfg.read_timeout_seconds,
        retries={"max_attempts": cfg.max_attempts, "mode": "standard"},
        # Path-style works with every S3-compatible service (MinIO, moto, R2 …); AWS accepts it.
        s3={"addressing_style": "path"} if cfg.endpoint_url else None,
    )
    return session.client(
        "s3", endpoint_url=cfg.endpoint_url, region_name=cfg.region, config=boto_config
    )
