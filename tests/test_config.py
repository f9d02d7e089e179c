"""The TOML configuration file (archive/config.py): defaults, overrides, actionable errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.config import (
    DEFAULT_USER_AGENT,
    Config,
    ConfigError,
    CrawlConfig,
    ExtractConfig,
    WarcConfig,
    load_config,
    parse_config,
)
from tests.conftest import MIRROR_CONFIG

# The example of DESIGN.md, "Config file (TOML)", with its placeholders filled in.
DESIGN_EXAMPLE = """
catalog_url = "postgresql+psycopg://archive@db/newsarchive"

[crawl]
user_agent = "newsarchive/0.1 (+https://example.org/contact)"
obey_robots = true
download_delay = 1.0
autothrottle = true
concurrent_requests_per_domain = 2
max_page_bytes = 5_000_000
allow_private_addresses = false
allowed_networks = ["10.1.2.0/24"]

[warc]
prefix = "newsarchive"
max_file_bytes = 1_000_000_000

[sites.my-mirror]
extends = "cnn-lite"
start_urls = ["http://127.0.0.1:8000/"]
article_pattern = "^/\\\\d{4}/\\\\d{2}/\\\\d{2}/"

[s3]
bucket = "my-archive"
prefix = "news"
endpoint_url = "http://127.0.0.1:9000"
region = "us-east-1"

[[schedule.jobs]]
id = "cnn-hourly"
crawl = ["cnn-lite"]
cron = "5 * * * *"

[recheck]
ladder = [["3h", "15m"], ["1d", "1h"]]

[serve]
workers = 2

[distributed]
redis_url = "redis://127.0.0.1:6379/0"
"""


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("NEWSARCHIVE_CONFIG", raising=False)
    monkeypatch.delenv("NEWSARCHIVE_DATA_DIR", raising=False)


def write(tmp_path: Path, text: str, name: str = "newsarchive.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.data_dir == Path("data")
    assert config.source is None
    assert config.crawl == CrawlConfig()
    assert config.warc == WarcConfig()
    assert config.extract == ExtractConfig()
    # Polite defaults for real sites (DESIGN.md).
    assert config.crawl.obey_robots is True
    assert config.crawl.download_delay == 1.0
    assert config.crawl.autothrottle is True
    assert config.crawl.concurrent_requests_per_domain == 2
    assert config.crawl.max_page_bytes == 5_000_000
    assert config.crawl.user_agent == DEFAULT_USER_AGENT and "+" in DEFAULT_USER_AGENT
    # Public addresses only, for every command (docs/security.md).
    assert config.crawl.allow_private_addresses is False and config.crawl.allowed_networks == []
    assert config.warc.prefix == "newsarchive"
    assert config.warc.max_file_bytes == 1_000_000_000
    assert config.sites == {} and config.s3 == {}


def test_default_catalog_is_sqlite_in_the_data_dir(tmp_path):
    config = load_config(data_dir=tmp_path / "d")
    assert (
        config.resolved_catalog_url == f"sqlite:///{(tmp_path / 'd' / 'catalog.sqlite').resolve()}"
    )
    config.catalog_url = "postgresql+psycopg://u@h/db"
    assert config.resolved_catalog_url == "postgresql+psycopg://u@h/db"


def test_data_dir_from_argument_then_env(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSARCHIVE_DATA_DIR", str(tmp_path / "from-env"))
    assert load_config().data_dir == tmp_path / "from-env"
    assert load_config(data_dir=tmp_path / "from-arg").data_dir == tmp_path / "from-arg"


def test_config_file_from_argument_then_env(monkeypatch, tmp_path):
    env_file = write(tmp_path, '[warc]\nprefix = "from-env"\n', "env.toml")
    arg_file = write(tmp_path, '[warc]\nprefix = "from-arg"\n', "arg.toml")
    monkeypatch.setenv("NEWSARCHIVE_CONFIG", str(env_file))
    assert load_config().warc.prefix == "from-env"
    assert load_config().source == env_file
    assert load_config(arg_file).warc.prefix == "from-arg"


def test_file_overrides_only_what_it_names(tmp_path):
    config = load_config(
        write(tmp_path, "[crawl]\nobey_robots = false\n[warc]\nmax_file_bytes = 2_000_000\n"),
        data_dir=tmp_path,
    )
    assert config.crawl.obey_robots is False
    assert config.crawl.download_delay == 1.0
    assert config.warc.max_file_bytes == 2_000_000
    assert config.warc.prefix == "newsarchive"


def test_the_design_example_parses(tmp_path):
    config = load_config(write(tmp_path, DESIGN_EXAMPLE), data_dir=tmp_path)
    assert config.catalog_url == "postgresql+psycopg://archive@db/newsarchive"
    assert config.crawl.user_agent == "newsarchive/0.1 (+https://example.org/contact)"
    assert config.sites["my-mirror"]["extends"] == "cnn-lite"
    assert config.sites["my-mirror"]["article_pattern"] == r"^/\d{4}/\d{2}/\d{2}/"
    assert config.s3["endpoint_url"] == "http://127.0.0.1:9000"
    assert config.schedule["jobs"] == [
        {"id": "cnn-hourly", "crawl": ["cnn-lite"], "cron": "5 * * * *"}
    ]
    assert config.recheck["ladder"][0] == ["3h", "15m"]
    assert config.serve == {"workers": 2}
    assert config.crawl.allow_private_addresses is False and config.crawl.allowed_networks == [
        "10.1.2.0/24"
    ]
    assert config.distributed["redis_url"].startswith("redis://")


def test_the_test_suites_mirror_config_parses(tmp_path):
    config = load_config(write(tmp_path, MIRROR_CONFIG), data_dir=tmp_path)
    assert config.crawl.download_delay == 0.0
    assert isinstance(config.crawl.download_delay, float)  # `0` in TOML is an int
    assert config.crawl.download_timeout == 2.0 and isinstance(config.crawl.download_timeout, float)
    assert config.crawl.max_page_bytes == 100_000
    assert config.extract.workers == 2


def test_a_float_for_an_integer_setting_is_taken_when_whole(tmp_path):
    config = load_config(write(tmp_path, "[warc]\nmax_file_bytes = 5e6\n"), data_dir=tmp_path)
    assert config.warc.max_file_bytes == 5_000_000 and isinstance(config.warc.max_file_bytes, int)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[crawl]\nobey_robot = false\n", "unknown setting 'obey_robot'"),
        ('[crawl]\nobey_robots = "no"\n', "obey_robots: expected true or false"),
        ('[crawl]\ndownload_delay = "1s"\n', "download_delay: expected a number"),
        ("[crawl]\nmax_page_bytes = true\n", "max_page_bytes: expected a number"),
        ("[crawl]\nuser_agent = 3\n", "user_agent: expected a string"),
        ("crawl = 3\n", "expected a table"),
        ('[warcs]\nprefix = "x"\n', "unknown top-level setting 'warcs'"),
        ("catalog_url = 5\n", "catalog_url must be a string"),
        ('s3 = "bucket"\n', "[s3] must be a table"),
    ],
)
def test_bad_settings_name_the_file_and_the_key(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, data_dir=tmp_path)
    message = str(caught.value)
    assert fragment in message
    assert str(path) in message


def test_unknown_setting_lists_the_known_ones(tmp_path):
    with pytest.raises(ConfigError, match="known: .*max_file_bytes"):
        load_config(write(tmp_path, "[warc]\nmax_bytes = 1\n"), data_dir=tmp_path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found: .*nope.toml"):
        load_config(tmp_path / "nope.toml", data_dir=tmp_path)


def test_invalid_toml(tmp_path):
    path = write(tmp_path, "[crawl\nobey_robots = ")
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_config(path, data_dir=tmp_path)
    assert str(path) in str(caught.value)


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_parse_config_without_a_source():
    config = parse_config({"warc": {"operator": "Archive desk"}}, data_dir=Path("/srv/data"))
    assert config == Config(data_dir=Path("/srv/data"), warc=WarcConfig(operator="Archive desk"))
    with pytest.raises(ConfigError, match=r"^config \[warc\]: unknown setting"):
        parse_config({"warc": {"x": 1}}, data_dir=Path("."))
