"""`newsarchive notify run`: deliver the outbox, outside any crawl.

One pass (`NotifyRunner.run_once`): fan new events out into deliveries (one per target that
wants the event), then per webhook send each due delivery, signed, and per channel send the
due events one message each, or as one digest when that would pass the channel's rate
limit. Every attempt is recorded. A failed attempt is retried after an exponential backoff
with jitter, up to the target's `max_attempts`; an address the policy refuses is not
retried. A receiver that cannot be reached postpones the rest of its deliveries to the same
time, without spending their attempts.

Delivery is at least once: a runner killed after the receiver got a message but before the
attempt was recorded sends it again (same `webhook-id`) once its lease has passed.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from archive import catalog_schema as t
from archive import clock
from archive.config import Config
from archive.outbox import TEST_EVENT, Outbox, write_event
from crawler.address_policy import AddressPolicy
from newsarchive.notify import channels, webhooks
from newsarchive.notify.config import (
    ChannelTarget,
    NotifyConfig,
    Retry,
    WebhookTarget,
    channel_urls,
    webhook_secret,
)

log = logging.getLogger(__name__)
LEASE_SLACK_SECONDS = 30.0  # a claim outlives the send's own timeout by this much
BATCH = 500  # deliveries read per target and pass


@dataclass
class PassResult:
    """What one pass (or several, for `--once`) did."""

    dispatched: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    messages: int = 0  # HTTP requests or channel messages sent (a digest is one)
    digests: int = 0

    def add(self, other: PassResult) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def did_something(self) -> bool:
        return bool(self.dispatched or self.messages)


def backoff_seconds(retry: Retry, attempts: int, rng: random.Random | None = None) -> float:
    """After `attempts` failed attempts: half of base·2^(attempts-1) (at most max) plus a
    random share of the other half ("equal jitter": receivers coming back are not hit by
    every sender at once, and the wait still grows)."""
    ceiling = min(retry.backoff_max_seconds, retry.backoff_base_seconds * 2 ** max(0, attempts - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


class NotifyRunner:
    """Delivers the outbox of one catalog to the targets of `[notify]`."""

    def __init__(self, config: Config, notify: NotifyConfig, engine: Engine) -> None:
        self.config = config
        self.notify = notify
        self.engine = engine
        self.outbox = Outbox(engine)
        self.base_policy = AddressPolicy.from_config(config)

    def policy(self, target: WebhookTarget | ChannelTarget) -> AddressPolicy:
        """The `[crawl]` address policy (the one of `serve` and the crawl), or every address
        for a target with `allow_private = true`."""
        return AddressPolicy(True) if target.allow_private else self.base_policy

    # -- passes ----------------------------------------------------------------------------
    def run_once(self) -> PassResult:
        result = PassResult(dispatched=self.outbox.dispatch(self.notify.targets_of))
        for hook in self.notify.webhooks:
            self._webhook(hook, result)
        for channel in self.notify.channels:
            self._channel(channel, result)
        return result

    def run_until_idle(self, max_passes: int = 100) -> PassResult:
        """`--once`: passes until one finds nothing due (bounded)."""
        total = PassResult()
        for _ in range(max_passes):
            result = self.run_once()
            total.add(result)
            if not result.did_something:
                break
        return total

    def run_forever(self, stop: threading.Event, *, on_pass: Any = None) -> PassResult:
        """Passes every `poll_seconds` until `stop` is set (SIGINT/SIGTERM)."""
        total = PassResult()
        while not stop.is_set():
            try:
                result = self.run_until_idle()
            except Exception as exc:  # a catalog hiccup: log, try again next time
                log.warning("notify pass failed: %s", exc)
                result = PassResult()
            total.add(result)
            if on_pass is not None:
                on_pass(result)
            stop.wait(self.notify.poll_seconds)
        return total

    # -- webhooks --------------------------------------------------------------------------
    def _webhook(self, hook: WebhookTarget, result: PassResult) -> None:
        due = self.outbox.due(target=hook.target, limit=BATCH)
        if not due:
            return
        secret = webhook_secret(
            hook
        )  # ConfigError: said once per pass, the deliveries stay pending
        policy = self.policy(hook)
        lease = hook.timeout_seconds + LEASE_SLACK_SECONDS
        for n, row in enumerate(due):
            if not self.outbox.claim([row["id"]], lease):
                continue  # another runner has it
            sent = webhooks.send_event(row, url=hook.url, secret=secret, policy=policy,
                                       timeout=hook.timeout_seconds)  # fmt: skip
            result.messages += 1
            retry_at = self._settle([row], sent, hook.retry, result)
            if not sent.ok and sent.status is None and sent.retry and retry_at is not None:
                # Unreachable: the others wait as long, without spending attempts.
                self._postpone([r["id"] for r in due[n + 1 :]], retry_at)
                break

    def _settle(self, rows: Sequence[Mapping[str, Any]], sent: webhooks.SendResult, retry: Retry,
                result: PassResult, digest_size: int | None = None) -> datetime | None:  # fmt: skip
        """Record the attempt of these deliveries; returns when they are retried (if they are)."""
        now = clock.now()
        ids = [int(r["id"]) for r in rows]
        if sent.ok:
            self.outbox.record(ids, ok=True, status=sent.status, error=None,
                               duration_ms=sent.duration_ms, at=now, digest_size=digest_size)  # fmt: skip
            result.delivered += len(ids)
            return None
        attempts = max(int(r["attempts"]) for r in rows) + 1
        retry_at = None
        if sent.retry and attempts < retry.max_attempts:
            retry_at = now + timedelta(seconds=backoff_seconds(retry, attempts))
            result.retrying += len(ids)
        else:
            result.failed += len(ids)
        self.outbox.record(ids, ok=False, status=sent.status, error=sent.error or "failed",
                           duration_ms=sent.duration_ms, at=now, retry_at=retry_at,
                           digest_size=digest_size)  # fmt: skip
        log.warning("notify: %d delivery(ies) failed: %s", len(ids), sent.error)
        return retry_at

    def _postpone(self, ids: list[int], until: datetime) -> None:
        if not ids:
            return
        d = t.notify_deliveries.c
        with self.engine.begin() as conn:
            conn.execute(
                update(t.notify_deliveries)
                .where(d.id.in_(ids), d.state == "pending")
                .values(next_attempt_at=until)
            )

    # -- channels --------------------------------------------------------------------------
    def messages_since(self, target: str, since: datetime) -> list[datetime]:
        """When the channel's messages of the window were sent (a digest counts once)."""
        a, d = t.notify_attempts.c, t.notify_deliveries.c
        query = (
            select(a.attempted_at, a.digest_size)
            .join_from(t.notify_attempts, t.notify_deliveries, a.delivery_id == d.id)
            .where(d.target == target, a.attempted_at >= since, a.error.is_(None))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        singles = [r.attempted_at for r in rows if r.digest_size is None]
        digests = {r.attempted_at for r in rows if r.digest_size is not None}
        return sorted([*singles, *digests])

    def _channel(self, channel: ChannelTarget, result: PassResult) -> None:
        due = self.outbox.due(target=channel.target, limit=100_000)
        if not due:
            return
        urls = channel_urls(channel)
        now = clock.now()
        window = timedelta(seconds=channel.window_seconds)
        sent_times = self.messages_since(channel.target, now - window)
        room = channel.max_messages - len(sent_times)
        if room <= 0:  # wait until the oldest message of the window leaves it
            self._postpone([r["id"] for r in due], _aware(sent_times[0]) + window)
            return
        policy = self.policy(channel)
        lease = 60 + LEASE_SLACK_SECONDS
        claimed = set(self.outbox.claim([r["id"] for r in due], lease))
        rows = [r for r in due if r["id"] in claimed]
        if not rows:
            return
        base_url = self.notify.base_url
        if len(rows) <= room:
            for row in rows:
                title, body = channels.message(channel, _event(row), base_url)
                sent = channels.send(urls, title, body, policy=policy)
                result.messages += 1
                self._settle([row], sent, channel.retry, result)
            return
        title, body = channels.digest(channel, [_event(r) for r in rows], base_url)
        sent = channels.send(urls, title, body, policy=policy)
        result.messages += 1
        result.digests += 1
        self._settle(rows, sent, channel.retry, result, digest_size=len(rows))

    # -- test ------------------------------------------------------------------------------
    def send_test(self, target_name: str | None = None) -> str:
        """Write a `test` event (for one target, or every one); the next pass delivers it."""
        payload = {"message": "newsarchive test notification", "target": target_name}
        with self.engine.begin() as conn:
            return write_event(conn, TEST_EVENT, payload)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _event(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "payload": row.get("payload") or {}}
