"""Scrapy extensions; `warc_capture` is the only adapter between Scrapy and `archive`."""
