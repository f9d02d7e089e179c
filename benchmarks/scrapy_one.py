"""The start-up reference: a minimal spider for `scrapy runspider`, one page, nothing else.

    scrapy runspider benchmarks/scrapy_one.py -a url=http://127.0.0.1:PORT/page \
        -s TELNETCONSOLE_ENABLED=0 -s LOG_LEVEL=WARNING

What a user of bare Scrapy pays to fetch one page: import Scrapy, start the reactor, fetch,
parse, stop. `benchmarks/run.py` compares newsarchive's crawl of a one-article site with it.
"""

from __future__ import annotations

import scrapy


class OnePage(scrapy.Spider):
    name = "one-page"

    def __init__(self, url: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.start_urls = [url]

    def parse(self, response):  # type: ignore[no-untyped-def]
        yield {"url": response.url, "status": response.status, "bytes": len(response.body)}
