"""`[notify]` of the config file: webhooks, notification channels, site-health thresholds.

One pydantic model (unknown keys are errors), a field of the whole file's model
(archive/config_tables.py `ConfigFile.notify`), so it is validated when the file loads.
Delivering (newsarchive/notify/) reads it from the loaded `Config.notify`.

```toml
[notify]
base_url = "https://archive.example.org"   # links go to `serve`'s diff page; default: the article

[[notify.webhooks]]
name = "newsroom"                  # default: "webhook-" + a hash of the URL
url = "https://hooks.example.org/newsarchive"
secret_env = "NEWSROOM_WEBHOOK_SECRET"     # the environment variable holding the secret
events = ["version.edit", "version.revert", "site.unhealthy"]   # default: every event
sites = ["cnn-lite"]               # default: every site
# allow_private = false            # true: private and loopback addresses may be reached

[[notify.channels]]
name = "mastodon"
url_env = "MASTODON_APPRISE_URL"   # or url = "ntfy://…" (tokens belong in the environment)
events = ["version.edit"]
max_messages = 10                  # per window_seconds; past that, one digest message
window_seconds = 3600
```

Secrets and channel URLs named by `*_env` are read when delivering (newsarchive/notify/
config.py), not here: a config check passes on a machine that does not deliver.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from archive.event_types import EVENT_TYPES

EventType = Literal[
    "version.new", "version.edit", "version.revert", "capture.suspect",
    "site.unhealthy", "site.healthy", "test",
]  # fmt: skip
DEFAULT_EVENTS: tuple[str, ...] = tuple(e for e in EVENT_TYPES if e != "test")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("number_type", "expected a number")
    return value


# As in archive/config_tables.py: true/false only, strings only, numbers only.
Bool = StrictBool
Str = StrictStr
Int = Annotated[int, BeforeValidator(_number)]
Float = Annotated[float, BeforeValidator(_number)]
StrList = list[StrictStr]


def _default_events() -> list[EventType]:
    return cast(list[EventType], list(DEFAULT_EVENTS))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(f"not an environment variable name: {value!r}")
    return value


def _check_name(value: str | None) -> str | None:
    if value is not None and not _NAME.match(value):
        raise ValueError(f"expected a name of letters, digits, '.', '_' or '-', got {value!r}")
    return value


class Retry(_Strict):
    """Exponential backoff with jitter: attempt n waits between half and all of base·2^(n-1), at most max."""

    max_attempts: Int = Field(default=8, ge=1, le=100)
    backoff_base_seconds: Float = Field(default=10.0, gt=0)
    backoff_max_seconds: Float = Field(default=3600.0, gt=0)


class WebhookTarget(_Strict):
    """One `[[notify.webhooks]]` entry: a receiver of signed JSON POSTs."""

    name: Str = ""
    url: Str
    secret_env: Str
    events: list[EventType] = Field(default_factory=_default_events)
    sites: StrList | None = None
    allow_private: Bool = False
    timeout_seconds: Float = Field(default=10.0, gt=0, le=300)
    retry: Retry = Retry()

    @field_validator("secret_env")
    @classmethod
    def _env(cls, value: str) -> str:
        return _check_env_name(value) or ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_name(value or None) or ""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value, re.IGNORECASE):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _default_name(self) -> WebhookTarget:
        if not self.name:
            object.__setattr__(
                self, "name", "webhook-" + hashlib.sha256(self.url.encode()).hexdigest()[:8]
            )
        return self

    @property
    def target(self) -> str:
        return f"webhook:{self.name}"


class ChannelTarget(_Strict):
    """One `[[notify.channels]]` entry: an apprise notification URL (or several)."""

    name: Str = ""
    url: Str | StrList | None = None
    url_env: Str | None = None
    events: list[EventType] = Field(default_factory=_default_events)
    sites: StrList | None = None
    # str.format fields: headline, change, edit_types, changed_fields, diff, link, site, title, type
    template: Str = "{headline}\n{change}{edit_types}\n{diff}\n{link}"
    title_template: Str = "{site}: {headline}"
    max_messages: Int = Field(default=10, ge=1)  # per window; past that, one digest message
    window_seconds: Float = Field(default=3600.0, gt=0)
    digest_items: Int = Field(default=20, ge=1)  # headlines a digest lists before "… and N more"
    allow_private: Bool = False
    retry: Retry = Retry()

    @field_validator("url_env")
    @classmethod
    def _env(cls, value: str | None) -> str | None:
        return _check_env_name(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_name(value or None) or ""

    @model_validator(mode="after")
    def _one_source(self) -> ChannelTarget:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give either url or url_env")
        if not self.name:
            seed = self.url_env or repr(self.url)
            object.__setattr__(
                self, "name", "channel-" + hashlib.sha256(seed.encode()).hexdigest()[:8]
            )
        for field_name, text in (
            ("template", self.template),
            ("title_template", self.title_template),
        ):
            try:
                text.format(**dict.fromkeys(TEMPLATE_FIELDS, ""))
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"{field_name}: unknown field or bad format {exc}") from None
        return self

    @property
    def target(self) -> str:
        return f"channel:{self.name}"


TEMPLATE_FIELDS = ("headline", "change", "edit_types", "changed_fields", "diff", "link", "site",
                   "title", "type")  # fmt: skip


class Health(_Strict):
    """Site-health thresholds (newsarchive/notify/health.py)."""

    suspect_share: Float = Field(default=0.3, ge=0, le=1)  # of the extracted articles
    error_share: Float = Field(default=0.5, ge=0, le=1)  # of the captures
    error_rise: Float = Field(default=0.25, ge=0, le=1)  # above the previous runs' share
    min_pages: Int = Field(default=5, ge=1)  # below this, shares say nothing
    previous_runs: Int = Field(default=5, ge=1, le=50)


class NotifyConfig(_Strict):
    """The whole `[notify]` table."""

    base_url: Str | None = None
    webhooks: list[WebhookTarget] = Field(default_factory=list)
    channels: list[ChannelTarget] = Field(default_factory=list)
    interval_seconds: Float = Field(default=60.0, ge=1)  # the scheduler's `notify` job
    poll_seconds: Float = Field(
        default=5.0, gt=0
    )  # `notify run` without --once: how often it looks
    health: Health = Health()

    @model_validator(mode="after")
    def _unique_names(self) -> NotifyConfig:
        names = [w.target for w in self.webhooks] + [c.target for c in self.channels]
        twice = {n for n in names if names.count(n) > 1}
        if twice:
            raise ValueError(f"target names used twice: {', '.join(sorted(twice))}")
        return self

    @property
    def targets(self) -> list[WebhookTarget | ChannelTarget]:
        return [*self.webhooks, *self.channels]

    @property
    def enabled(self) -> bool:
        return bool(self.webhooks or self.channels)

    def targets_of(self, event: dict[str, Any]) -> list[str]:
        """The targets that want this event (its type, its site)."""
        wanted = []
        for target in self.targets:
            if event["type"] != "test" and event["type"] not in target.events:
                continue
            if event["type"] == "test" and event.get("payload", {}).get("target") not in (
                None,
                target.target,
            ):
                continue
            if target.sites is not None and event.get("site") not in target.sites:
                continue
            wanted.append(target.target)
        return wanted
