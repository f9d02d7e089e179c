"""The `[s3]` config table: where closed files are published, and how.

The table's model is `archive.config_tables.S3Table` (validated when the file loads);
credentials never come from the config file: boto3 reads them from the standard AWS chain
(environment, shared profile, instance role), so a key in the file is a config error.
"""

from __future__ import annotations

from typing import Any

from archive.config import Config, parse_table
from archive.config_tables import S3Table

S3Config = S3Table  # the historical name


def parse_s3_config(raw: dict[str, Any], where: str = "config") -> S3Config | None:
    """An `[s3]` table as an `S3Config`, or None when the table is absent or empty."""
    result: S3Config | None = parse_table("s3", raw or {}, where)
    return result


def s3_config_of(config: Config) -> S3Config | None:
    """The loaded config's `[s3]` table (None: no publishing)."""
    return config.s3


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
