"""A shared crawl frontier in Redis (redis-py): queue, leases and duplicate filter.

Why not scrapy-redis: see docs/scaling.md. In short, its queue pops a request and forgets
it (a worker killed mid-crawl loses what it had taken) and its spiders are built on
`start_requests`. Here a taken item is *leased*: it stays in a sorted set scored by its
deadline until the worker acknowledges it, after the catalog committed what it produced.
A worker renews its leases while it holds them; one that dies stops renewing, and the
next `claim` by any worker puts its expired items back at the head of the queue.

Keys (prefix `newsarchive` by default, `[distributed] key_prefix`):
  <p>:queue   list of JSON items {"id", "url", "site", "kind", "refetch"}: RPUSH, LPOP (FIFO)
  <p>:leases  sorted set item → lease deadline (Redis server time, seconds)
  <p>:seen    sorted set normalised article URL → when it was queued (the dupefilter;
              an entry older than `seen_ttl` no longer counts, so a later discovery
              crawl may queue an article that failed long ago)
  <p>:budget:<token>  how many more articles one `crawl --distributed --max-articles N`
              may queue (per site); decremented atomically by whichever worker pushes
  <p>:rechecks  sorted set normalised article URL → when it was queued for a recheck and
              not yet acknowledged (`recheck --distributed` skips those; `recheck_ttl`)
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from typing import Any

from archive.urls import normalize_url

_CLAIM = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', t, 'LIMIT', 0, 100)
for i = #expired, 1, -1 do
  redis.call('ZREM', KEYS[2], expired[i])
  redis.call('LPUSH', KEYS[1], expired[i])
end
local items = {}
for i = 1, tonumber(ARGV[2] or '1') do
  local item = redis.call('LPOP', KEYS[1])
  if not item then break end
  redis.call('ZADD', KEYS[2], t + tonumber(ARGV[1]), item)
  items[#items + 1] = item
end
return {items, #expired}
"""

_EXTEND = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local n = 0
for i = 1, #ARGV - 1 do n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', t + tonumber(ARGV[#ARGV]), ARGV[i]) end
return n
"""

_RELEASE = """
local n = 0
for i = 1, #ARGV do
  if redis.call('ZREM', KEYS[2], ARGV[i]) == 1 then redis.call('LPUSH', KEYS[1], ARGV[i]); n = n + 1 end
end
return n
"""

_PUSH_NEW = """
local now = redis.call('TIME')
local t = tonumber(now[1])
local ttl = tonumber(ARGV[1])
local left = -1
if KEYS[3] then left = tonumber(redis.call('GET', KEYS[3]) or '0') end
local pushed = {}
for i = 2, #ARGV, 2 do
  if left == 0 then break end
  local seen = redis.call('ZSCORE', KEYS[2], ARGV[i])
  if (not seen) or tonumber(seen) < t - ttl then
    redis.call('ZADD', KEYS[2], t, ARGV[i])
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
    table.insert(pushed, ARGV[i])
    if left > 0 then left = left - 1 end
  end
end
if KEYS[3] and #pushed > 0 then redis.call('DECRBY', KEYS[3], #pushed) end
return pushed
"""


_ACK = """
local n = redis.call('ZREM', KEYS[1], ARGV[1])
if n == 1 and ARGV[2] ~= '' then redis.call('ZREM', KEYS[2], ARGV[2]) end
return n
"""


class Frontier:
    """The queue shared by every worker (one Redis; any number of processes and machines)."""

    def __init__(self, redis_url: str, *, prefix: str = "newsarchive", visibility_timeout: float = 60.0,
                 seen_ttl: float = 7 * 86400, recheck_ttl: float = 6 * 3600) -> None:  # fmt: skip
        from archive.extras import require

        redis = require("redis", "Redis frontier (--distributed, worker)")

        self.client = redis.Redis.from_url(redis_url)
        self.prefix = prefix
        self.visibility_timeout = float(visibility_timeout)
        self.seen_ttl = float(seen_ttl)
        self.recheck_ttl = float(recheck_ttl)
        self.queue_key, self.leases_key, self.seen_key = (
            f"{prefix}:queue",
            f"{prefix}:leases",
            f"{prefix}:seen",
        )
        self.rechecks_key = f"{prefix}:rechecks"
        self._claim = self.client.register_script(_CLAIM)
        self._extend = self.client.register_script(_EXTEND)
        self._release = self.client.register_script(_RELEASE)
        self._push_new = self.client.register_script(_PUSH_NEW)
        self._ack = self.client.register_script(_ACK)
        self.requeued = 0  # expired leases this process put back

    @classmethod
    def from_config(cls, config: Any) -> Frontier:
        """The frontier of the config's `[distributed]` table (validated when it loaded)."""
        table = config.distributed
        if not table.redis_url:
            raise ValueError("[distributed] redis_url is not set in the config file")
        return cls(table.redis_url, prefix=table.key_prefix,
                   visibility_timeout=table.visibility_timeout,
                   seen_ttl=table.seen_ttl_days * 86400,
                   recheck_ttl=table.recheck_ttl_hours * 3600)  # fmt: skip

    @staticmethod
    def item(url: str, site: str, kind: str, *, refetch: bool = False, budget: str | None = None,
             recheck: bool = False, policy: str | None = None) -> str:  # fmt: skip
        value: dict[str, Any] = {"id": secrets.token_hex(8), "url": url, "site": site, "kind": kind,
                                 "refetch": refetch}  # fmt: skip
        if budget:
            value["budget"] = budget
        if recheck:
            value["recheck"] = True
        if policy:  # the address policy the article was first archived under (a recheck)
            value["policy"] = policy
        return json.dumps(value, separators=(",", ":"))

    # -- article budgets (`crawl --distributed --max-articles N`) ----------------------------
    def new_budget(self, articles: int) -> str:
        """A counter of how many more articles the listings of one discovery may queue; its
        key goes into each listing item (and the child sitemaps found from them). It expires
        with the dupefilter's memory; an expired or spent budget queues nothing more."""
        key = f"{self.prefix}:budget:{secrets.token_hex(8)}"
        self.client.set(key, int(articles), ex=max(1, int(self.seen_ttl)))
        return key

    def budget_left(self, key: str) -> int | None:
        value = self.client.get(key)
        return None if value is None else int(value)

    # -- producers -----------------------------------------------------------------------
    def push(self, items: Iterable[str]) -> int:
        """Queue items as they are (listing pages, rechecks: not subject to the dupefilter)."""
        items = list(items)
        if not items:
            return 0
        self.client.rpush(self.queue_key, *items)
        return len(items)

    def push_new_articles(self, site: str, urls: Iterable[str], *, refetch: bool = False,
                          budget: str | None = None) -> list[str]:  # fmt: skip
        """Queue the article URLs the dupefilter has not seen, in order, and with a `budget`
        (`new_budget`) no more than it has left; returns those queued."""
        keys = [self.queue_key, self.seen_key] + ([budget] if budget else [])
        return self._push_articles(keys, self.seen_ttl, site, urls, refetch=refetch)

    def push_rechecks(
        self, site: str, urls: Iterable[str], policies: dict[str, str] | None = None
    ) -> list[str]:
        """Queue due articles for a recheck, except those already queued or leased for one
        (a recheck every few minutes must not pile up copies behind a slow queue); the mark
        goes when a worker acknowledges the recheck, or after `recheck_ttl` in any case.
        `policies`: the address policy each URL's article was first archived under."""
        keys = [self.queue_key, self.rechecks_key]
        return self._push_articles(keys, self.recheck_ttl, site, urls, refetch=True, recheck=True,
                                   policies=policies)  # fmt: skip

    def _push_articles(self, keys: list[str], ttl: Any, site: str, urls: Iterable[str],
                       policies: dict[str, str] | None = None, *, refetch: bool = False,
                       recheck: bool = False) -> list[str]:  # fmt: skip
        """Push each normalised URL once through the `_push_new` script (its set at keys[1]
        decides which are new); returns the URLs queued, in order."""
        args: list[Any] = [ttl]
        by_key: dict[str, str] = {}
        for url in urls:
            key = normalize_url(url)
            if key in by_key:
                continue
            by_key[key] = url
            args += [
                key,
                self.item(
                    url,
                    site,
                    "article",
                    refetch=refetch,
                    recheck=recheck,
                    policy=(policies or {}).get(url),
                ),  # fmt: skip
            ]
        if not by_key:
            return []
        pushed = self._push_new(keys=keys, args=args)
        return [by_key[k.decode() if isinstance(k, bytes) else k] for k in pushed]

    # -- consumers -----------------------------------------------------------------------
    def claim(self) -> tuple[str, dict[str, Any]] | None:
        """Take the next item under a lease (putting expired leases back first)."""
        claimed = self.claim_many(1)
        return claimed[0] if claimed else None

    def claim_many(self, n: int) -> list[tuple[str, dict[str, Any]]]:
        """Take up to `n` items under leases in one round trip (expired leases go back first)."""
        raws, requeued = self._claim(
            keys=[self.queue_key, self.leases_key], args=[self.visibility_timeout, max(1, n)]
        )
        self.requeued += int(requeued)
        claimed = []
        for raw in raws or []:
            text = raw.decode() if isinstance(raw, bytes) else raw
            claimed.append((text, json.loads(text)))
        return claimed

    def ack(self, raw: str) -> bool:
        """Done with an item (what it produced is committed): it leaves the frontier (and a
        recheck's article may be queued for a recheck again)."""
        return self.ack_many([raw]) == 1

    def ack_many(self, raws: Iterable[str]) -> int:
        """Acknowledge several items in one round trip; returns how many were still leased."""
        pipe = self.client.pipeline(transaction=False)
        count = 0
        for raw in raws:
            self._ack(
                keys=[self.leases_key, self.rechecks_key],
                args=[raw, self._recheck_mark(raw)],
                client=pipe,
            )
            count += 1
        if not count:
            return 0
        return sum(int(n) for n in pipe.execute())

    @staticmethod
    def _recheck_mark(raw: str) -> str:
        if '"recheck":true' not in raw:
            return ""
        try:
            return normalize_url(json.loads(raw)["url"])
        except (ValueError, KeyError, TypeError):
            return ""

    def extend(self, raws: Iterable[str]) -> int:
        raws = list(raws)
        if not raws:
            return 0
        return int(self._extend(keys=[self.leases_key], args=[*raws, self.visibility_timeout]))

    def release(self, raws: Iterable[str]) -> int:
        """Give leased items back at once (a worker stopping cleanly)."""
        raws = list(raws)
        if not raws:
            return 0
        return int(self._release(keys=[self.queue_key, self.leases_key], args=raws))

    def counts(self) -> dict[str, int]:
        pipe = self.client.pipeline()
        pipe.llen(self.queue_key)
        pipe.zcard(self.leases_key)
        pipe.zcard(self.seen_key)
        queued, leased, seen = pipe.execute()
        return {"queued": int(queued), "leased": int(leased), "seen": int(seen)}

    def close(self) -> None:
        self.client.close()
