"""Notification channels through apprise (Mastodon, Bluesky, Slack, Matrix, e-mail, ntfy, …):
the message of one event, the digest of many, and sending either.

A message holds the headline, the change class and edit types, a short diff and a link (to
`serve`'s diff page when `[notify] base_url` is set, else to the article). A channel that
has sent `max_messages` in the last `window_seconds` (or that would pass that with what is
due) sends the due events as ONE digest instead (newsarchive/notify/runner.py decides).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from crawler.address_policy import AddressPolicy, AddressRefused
from newsarchive.notify.config import ChannelTarget
from newsarchive.notify.webhooks import SendResult

SHORT_DIFF_CHARS = 280
# Apprise schemas that POST to an address of the user's choosing: the address policy applies.
_HTTP_SCHEMAS = ("json", "jsons", "form", "forms", "xml", "xmls")


def link(event: Mapping[str, Any], base_url: str | None) -> str:
    """The diff page on `serve` (base_url) for a version; else the article's own URL."""
    payload = event.get("payload") or {}
    article, version = event.get("article_id"), event.get("version")
    if base_url and article:
        page = f"{base_url.rstrip('/')}/articles/{quote(str(article))}"
        if event.get("type") in ("version.edit", "version.revert") and version:
            page += f"?from={int(version) - 1}&to={int(version)}"
        return page
    return str(payload.get("url") or payload.get("canonical_url") or base_url or "")


def fields(event: Mapping[str, Any], base_url: str | None) -> dict[str, str]:
    """The template fields of one event (TEMPLATE_FIELDS)."""
    payload = event.get("payload") or {}
    kind = str(event.get("type"))
    title = str(payload.get("title") or payload.get("url") or "")
    change = {"version.new": "new article", "version.edit": "edited",
              "version.revert": f"reverted to version {payload.get('reverted_to')}",
              "capture.suspect": "suspect capture (text collapsed)",
              "site.unhealthy": "site unhealthy", "site.healthy": "site healthy again",
              "test": "test"}.get(kind, kind)  # fmt: skip
    headline = title
    if kind.startswith("site."):
        headline = f"{event.get('site')}: " + "; ".join(payload.get("reasons") or [change])
    elif kind == "test":
        headline = str(payload.get("message") or "newsarchive test notification")
    elif payload.get("previous_title") and payload.get("previous_title") != title:
        headline = f"{title} (was: {payload['previous_title']})"
    types = payload.get("edit_types") or []
    diff = str((payload.get("diff") or {}).get("excerpt") or payload.get("detail") or "")
    if len(diff) > SHORT_DIFF_CHARS:
        diff = diff[: SHORT_DIFF_CHARS - 1].rstrip() + "…"
    return {
        "headline": headline, "change": change, "edit_types": f" ({', '.join(types)})" if types else "",
        "changed_fields": ", ".join(payload.get("changed_fields") or []), "diff": diff,
        "link": link(event, base_url), "site": str(event.get("site") or payload.get("site") or "newsarchive"),
        "title": title, "type": kind,
    }  # fmt: skip


def message(
    channel: ChannelTarget, event: Mapping[str, Any], base_url: str | None
) -> tuple[str, str]:
    """(title, body) of one event's message, by the channel's templates."""
    values = fields(event, base_url)
    body = channel.template.format(**values)
    lines = [line for line in body.splitlines() if line.strip()]  # empty fields leave no gaps
    return channel.title_template.format(**values), "\n".join(lines)


def digest(
    channel: ChannelTarget, events: Sequence[Mapping[str, Any]], base_url: str | None
) -> tuple[str, str]:
    """(title, body) of one message standing for many events: one line each, up to
    `digest_items`, then how many more."""
    sites = sorted({str(e.get("site") or "") for e in events if e.get("site")})
    title = f"{len(events)} changes" + (f" on {', '.join(sites[:3])}" if sites else "")
    if len(sites) > 3:
        title += f" and {len(sites) - 3} more sites"
    lines = []
    for event in events[: channel.digest_items]:
        values = fields(event, base_url)
        lines.append(
            f"- [{values['change']}{values['edit_types']}] {values['headline']} {values['link']}".rstrip()
        )
    if len(events) > channel.digest_items:
        lines.append(f"… and {len(events) - channel.digest_items} more")
    return title, "\n".join(lines)


def check_urls(urls: Sequence[str], policy: AddressPolicy) -> None:
    """AddressRefused for an apprise URL that would POST to an address the policy refuses."""
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme.lower() in _HTTP_SCHEMAS and parts.hostname:
            policy.check_host(parts.hostname)


def send(urls: Sequence[str], title: str, body: str, *, policy: AddressPolicy) -> SendResult:
    """Send one message to every URL of a channel; ok only when all of them took it."""
    import apprise

    started = time.monotonic()

    def result(ok: bool, error: str | None, retry: bool = True) -> SendResult:
        return SendResult(ok, None, error, int((time.monotonic() - started) * 1000), retry)

    try:
        check_urls(urls, policy)
    except AddressRefused as exc:
        return result(False, f"address {exc}", retry=False)
    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            return result(False, "apprise does not understand the URL "
                                 f"{urlsplit(url).scheme}://… (see apprise's list of services)", retry=False)  # fmt: skip
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = bool(sender.notify(body=body, title=title))
        log = captured.getvalue().strip() if hasattr(captured, "getvalue") else ""
    if ok:
        return result(True, None)
    return result(
        False, (log.splitlines()[-1] if log else "apprise could not send the message")[:300]
    )
