"""Scrapy settings built from the newsarchive config: one place maps `[crawl]` to Scrapy."""

from __future__ import annotations

from typing import Any

from archive.config import Config, load_config

# Status codes worth a second try; every try is archived.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]


def build_settings(config: Config) -> dict[str, Any]:
    """Scrapy settings for crawling with this config (polite defaults for real sites)."""
    crawl = config.crawl
    return {
        "BOT_NAME": "newsarchive",
        "SPIDER_LOADER_CLASS": "crawler.spiderloader.ProfileSpiderLoader",
        "SPIDER_MODULES": [],
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "ROBOTSTXT_PARSER": "crawler.robots.BoundedRobotParser",  # 500 KiB, 1,000 rules at most
        "DOWNLOAD_DELAY": crawl.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if crawl.download_delay > 0 else 0.0,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        # Scrapy's default start delay (5 s) would make `archive URL` wait for nothing.
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.5),
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        # The capture extension stops a body at max_page_bytes (and archives what came, with
        # WARC-Truncated); Scrapy's own limit only guards decompression.
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes * 8,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_FAIL_ON_DATALOSS": False,
        "HTTPERROR_ALLOW_ALL": True,
        # Scrapy 2.19 starts CONCURRENT_ITEMS asyncio tasks for every response, however few
        # items it yields: an article page yields one, an index page only requests. Pages
        # are processed concurrently with each other whatever this is.
        "CONCURRENT_ITEMS": 1,
        # Scrapy checks each generator callback for a `return value` by parsing its source
        # (inspect.getsource + ast) on every response: its cache is keyed by weak references
        # to bound methods, which die at once (~1 ms a page). The spiders' callbacks are ours.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "STATS_CLASS": "crawler.stats.FastStatsCollector",
        "COOKIES_ENABLED": False,
        # Only codings every replay tool decodes (docs/warc.md, "Content-Encoding").
        "DEFAULT_REQUEST_HEADERS": _request_headers(),
        # Scrapy's HTTP/1.1 handler, keeping the wire's status line, headers and request bytes.
        "DOWNLOAD_HANDLERS": {"http": WIRE_HANDLER, "https": WIRE_HANDLER},
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "EXTENSIONS": {"crawler.extensions.warc_capture.WarcCaptureExtension": 100},
        **_without_unused_components(),
        "ITEM_PIPELINES": {
            "pipelines.extraction.ExtractionPipeline": 300,
            "pipelines.tracking.TrackingPipeline": 400,
        },
        "NEWSARCHIVE_DATA_DIR": str(config.data_dir),
        "NEWSARCHIVE_CONFIG": str(config.source) if config.source else "",
        "NEWSARCHIVE_MAX_PAGE_BYTES": crawl.max_page_bytes,
        "NEWSARCHIVE_EXTRACT_WORKERS": config.extract.workers,
        "NEWSARCHIVE_EXTRACT_TIMEOUT": config.extract.timeout_seconds,
        "NEWSARCHIVE_EXTRACT_MAX_PAGES_PER_WORKER": config.extract.max_pages_per_worker,
        "NEWSARCHIVE_EXTRACT_IN_PROCESS_MAX_BYTES": config.extract.in_process_max_bytes,
        **_address_guard(config),
    }


# Scrapy asks for `gzip, deflate, br, zstd`: warcio (so pywb) cannot decode zstd and decodes br
# only with the old brotlipy package, so the archive asks only for what all replay decodes,
# as pywb's own recorder does. A server may still send br or zstd: it is archived as sent,
# and the project's readers decode it (archive/content_coding.py).
ACCEPT_ENCODING = "gzip, deflate"
WIRE_HANDLER = "crawler.download_handler.WireHTTP11DownloadHandler"


def _request_headers() -> dict[str, str]:
    from scrapy.settings import default_settings

    return {**default_settings.DEFAULT_REQUEST_HEADERS, "Accept-Encoding": ACCEPT_ENCODING}


# Components a crawl never enables (cookies off, no remote control, no telnet console).
# Scrapy imports every component it is told about, even one set to None or disabled by its
# setting (it loads the class to match the key), so they are left out of the base lists
# instead: aiohttp, tldextract and requests cost ~0.2 s of start-up, twisted.conch ~0.05 s.
_UNUSED_COMPONENTS = {
    "EXTENSIONS_BASE": (
        "scrapy.extensions.remote_control.RemoteControl",
        "scrapy.extensions.telnet.TelnetConsole",
    ),
    "DOWNLOADER_MIDDLEWARES_BASE": ("scrapy.downloadermiddlewares.cookies.CookiesMiddleware",),
}


# Scrapy components replaced at the same priority by ones that report a refused response
# with its outcome (crawler/middlewares/responses.py).
_REPLACED_COMPONENTS = {
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware":
        "crawler.middlewares.responses.BoundedHttpCompressionMiddleware",
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware":
        "crawler.middlewares.responses.CheckedRedirectMiddleware",
}  # fmt: skip


def _without_unused_components() -> dict[str, Any]:
    from scrapy.settings import default_settings

    return {
        name: {_REPLACED_COMPONENTS.get(k, k): v for k, v in getattr(default_settings, name).items()
               if k not in unused}
        for name, unused in _UNUSED_COMPONENTS.items()
    }  # fmt: skip


def _address_guard(config: Config) -> dict[str, Any]:
    """Every fetch of every command under the config's address policy (docs/security.md).

    Two layers: the middleware refuses early and clearly (its own lookup; also a request's
    narrower policy, see crawler/middlewares/address_guard.py), and the resolver checks the
    addresses the connection really uses, which is what stops DNS rebinding
    (crawler/dns_guard.py). With `allow_private_addresses = true` there is nothing for the
    resolver to refuse: only the middleware runs (schemes, rechecks' narrower policies)."""
    from crawler import dns_guard
    from crawler.address_policy import AddressPolicy
    from crawler.middlewares.address_guard import POLICY_SETTING

    policy = AddressPolicy.from_config(config)
    # Before robots.txt (100): a refused host must not even be asked for robots.txt.
    middlewares = {"crawler.middlewares.address_guard.AddressGuardMiddleware": 50}
    settings: dict[str, Any] = {POLICY_SETTING: policy.spec}
    if not policy.allow_private:
        # Nearer the downloader than retry (550): a name the resolver refused is reported
        # as refused, not retried as a DNS failure.
        middlewares[dns_guard.MIDDLEWARE] = dns_guard.MIDDLEWARE_PRIORITY
        settings["TWISTED_DNS_RESOLVER"] = dns_guard.RESOLVER
        settings[dns_guard.UPSTREAM_SETTING] = dns_guard.DEFAULT_UPSTREAM
    settings["DOWNLOADER_MIDDLEWARES"] = middlewares
    return settings


def settings_from_env() -> dict[str, Any]:
    """Settings for `scrapy crawl` run from the repository (config from the environment)."""
    return build_settings(load_config())
