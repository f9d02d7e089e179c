"""Baselines B and C: a bare Scrapy spider over a URL list, optionally calling trafilatura in parse
(C: `bare_extraction(html, with_metadata=True)`, A's default options).

No pipelines, no delay, no AutoThrottle, no robots.txt, 16 concurrent requests (16 per
domain). Writes a JSON file with the number of pages and the time from the first
response to the end of the last parse callback (start-up and shutdown excluded).

    python benchmarks/scrapy_bench.py URLS_FILE OUT_JSON [--extract]
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess


class ListSpider(scrapy.Spider):
    name = "bench-list"

    def __init__(self, urls: list[str], extract: bool, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.extract = extract
        self.first: float | None = None
        self.last: float | None = None
        self.pages = 0
        self.extracted = 0
        self.statuses: dict[int, int] = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_response, signal=signals.response_received)
        return spider

    def on_response(self, response, request, spider) -> None:  # type: ignore[no-untyped-def]
        if self.first is None:
            self.first = time.perf_counter()

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response):  # type: ignore[no-untyped-def]
        self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        if self.extract:
            import trafilatura

            doc = trafilatura.bare_extraction(response.text, with_metadata=True)  # A's options
            if doc is not None and doc.text:
                self.extracted += 1
        self.pages += 1
        self.last = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls")
    parser.add_argument("out")
    parser.add_argument(
        "--extract", action="store_true", help="call trafilatura in the parse callback (C)"
    )
    args = parser.parse_args()
    with open(args.urls) as f:
        urls = f.read().split()
    if args.extract:
        import trafilatura  # noqa: F401  (imported before the clock starts, like newsarchive's warm-up)

        for name in ("trafilatura", "htmldate", "charset_normalizer"):
            logging.getLogger(name).setLevel(logging.ERROR)
    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False, "ITEM_PIPELINES": {}, "USER_AGENT": "newsarchive-bench",
    })  # fmt: skip
    crawler = process.create_crawler(ListSpider)
    process.crawl(crawler, urls=urls, extract=args.extract)
    process.start()
    spider = crawler.spider
    assert spider is not None
    window = (spider.last or 0) - (spider.first or 0)
    result = {"pages": spider.pages, "seconds": window, "pages_per_s": spider.pages / window if window > 0 else None,
              "statuses": spider.statuses, "extracted": spider.extracted}  # fmt: skip
    with open(args.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
