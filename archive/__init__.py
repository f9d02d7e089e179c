"""Storage that knows nothing of Scrapy: WARC files, the catalog, records, versions, diffs.

Modules: `config` (TOML), `urls` (article identity), `content` (normalised content hash),
`exchange` (an HTTP exchange), `warc_records` / `warc_files` (WARC writing), `catalog` /
`catalog_schema` (SQLAlchemy Core), `versions` (change detection), `diffs`, `records`
(JSONL), `outcomes` (capture outcome names), `session` (one run's writers).
"""

__version__ = "0.1.0"
