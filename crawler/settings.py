"""Settings module named in scrapy.cfg, so that `scrapy crawl cnn-lite` works from the repo.

The config file and data directory come from `NEWSARCHIVE_CONFIG` / `NEWSARCHIVE_DATA_DIR`.
"""

from crawler.scrapy_settings import settings_from_env

globals().update(settings_from_env())
