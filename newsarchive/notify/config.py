"""`[notify]` as delivery reads it: the validated table (archive/notify_config.py, checked
when the config file loads) and what comes from the environment when delivering: webhook
secrets (`secret_env`) and channel URLs (`url_env`).
"""

from __future__ import annotations

import os
import re

from archive.config import Config, ConfigError
from archive.notify_config import (
    DEFAULT_EVENTS,
    TEMPLATE_FIELDS,
    ChannelTarget,
    EventType,
    Health,
    NotifyConfig,
    Retry,
    WebhookTarget,
)

__all__ = ["DEFAULT_EVENTS", "TEMPLATE_FIELDS", "ChannelTarget", "EventType", "Health", "NotifyConfig",
           "Retry", "WebhookTarget", "channel_urls", "notify_config_of", "webhook_secret"]  # fmt: skip


def notify_config_of(config: Config) -> NotifyConfig:
    """The loaded `[notify]` table (defaults when the file has none)."""
    return config.notify


def webhook_secret(hook: WebhookTarget) -> str:
    """The webhook's signing secret from the environment; ConfigError when it is not set or
    not base64 (newsarchive/notify/signing.py)."""
    value = os.environ.get(hook.secret_env, "")
    if not value:
        raise ConfigError(
            f"[[notify.webhooks]] {hook.name}: the environment variable {hook.secret_env} "
            "(secret_env) is not set"
        )
    from newsarchive.notify.signing import secret_key

    try:
        secret_key(value)
    except ValueError as exc:
        raise ConfigError(f"[[notify.webhooks]] {hook.name}: {hook.secret_env}: {exc}") from None
    return value


def channel_urls(channel: ChannelTarget) -> list[str]:
    """The channel's apprise URLs (from the environment for `url_env`: whitespace- or
    comma-separated); ConfigError when that variable is not set."""
    if channel.url_env is not None:
        value = os.environ.get(channel.url_env, "")
        if not value.strip():
            raise ConfigError(
                f"[[notify.channels]] {channel.name}: the environment variable {channel.url_env} "
                "(url_env) is not set"
            )
        return [u for u in re.split(r"[\s,]+", value) if u]
    return [channel.url] if isinstance(channel.url, str) else list(channel.url or [])
