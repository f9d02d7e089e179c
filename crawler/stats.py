"""Scrapy's in-memory stats collector without its per-attribute-access shim.

Scrapy 2.19's `StatsCollector.__getattribute__` wraps every stats method to warn about a
deprecated `spider` argument, looking up a cached wrapper through a raised and caught
`AttributeError` on each access — its own `self._stats` included. A crawl touches the stats
a dozen times per page (downloader, scheduler, our capture counts): that shim was ~2 % of
the reactor's time. Nothing here passes `spider`; the collector is otherwise Scrapy's.
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class FastStatsCollector(MemoryStatsCollector):
    __getattribute__ = object.__getattribute__
