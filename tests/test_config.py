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
    assert config.sites == {} and config.s3 is None


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
    assert config.sites["my-mirror"].extends == "cnn-lite"
    assert config.sites["my-mirror"].article_pattern == r"^/\d{4}/\d{2}/\d{2}/"
    assert config.s3 is not None and config.s3.endpoint_url == "http://127.0.0.1:9000"
    assert [(j.id, j.crawl, j.cron) for j in config.schedule.jobs] == [
        ("cnn-hourly", ["cnn-lite"], "5 * * * *")
    ]
    assert config.recheck.ladder is not None and config.recheck.ladder[0] == ("3h", "15m")
    assert config.serve.workers == 2 and config.serve.page_size == 50
    assert config.crawl.allow_private_addresses is False and config.crawl.allowed_networks == [
        "10.1.2.0/24"
    ]
    assert config.distributed.redis_url is not None
    assert config.distributed.redis_url.startswith("redis://")


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
        ("[crawl]\nobey_robot = false\n", "[crawl]: unknown setting 'obey_robot'"),
        ('[crawl]\nobey_robots = "no"\n', "obey_robots: expected true or false"),
        ('[crawl]\ndownload_delay = "1s"\n', "download_delay: expected a number"),
        ("[crawl]\nmax_page_bytes = true\n", "max_page_bytes: expected a number"),
        ("[crawl]\nuser_agent = 3\n", "user_agent: expected a string"),
        ("crawl = 3\n", "[crawl]: expected a table"),
        ('[warcs]\nprefix = "x"\n', "unknown top-level setting 'warcs' (did you mean 'warc'?)"),
        ("catalog_url = 5\n", "catalog_url: expected a string"),
        ('s3 = "bucket"\n', "[s3]: expected a table"),
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
        load_config(write(tmp_path, "[warc]\nfoo = 1\n"), data_dir=tmp_path)


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


# -- one model for every table, validated when the file loads (archive/config_tables.py) ----

REPO = Path(__file__).resolve().parent.parent


def doc_toml_blocks() -> list[tuple[str, str]]:
    """Every ```toml block of the README and docs/*.md, as (where, text)."""
    import re

    blocks = []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^( *)```toml\n(.*?)^\1```", text, re.S | re.M):
            indent = len(match.group(1))
            block = "\n".join(line[indent:] for line in match.group(2).splitlines())
            where = f"{path.relative_to(REPO)}:{text[: match.start()].count(chr(10)) + 1}"
            blocks.append((where, block))
    return blocks


DOC_BLOCKS = doc_toml_blocks()


def test_the_docs_have_config_examples():
    tables = {line.strip() for _, block in DOC_BLOCKS for line in block.splitlines()}
    for table in ("[crawl]", "[warc]", "[extract]", "[s3]", "[serve]", "[schedule]",
                  "[recheck]", "[distributed]", "[[schedule.jobs]]"):  # fmt: skip
        assert table in tables


@pytest.mark.parametrize(("where", "block"), DOC_BLOCKS, ids=[w for w, _ in DOC_BLOCKS])
def test_every_config_example_of_the_docs_loads(tmp_path, where, block):
    load_config(write(tmp_path, block), data_dir=tmp_path)


# A typo in each table: refused when the file loads, the close spelling suggested.
TYPOS = [
    ("[crawl]\nobey_robot = false\n", "[crawl]", "obey_robot", "obey_robots"),
    ('[warc]\nprefx = "x"\n', "[warc]", "prefx", "prefix"),
    ("[extract]\nworkrs = 2\n", "[extract]", "workrs", "workers"),
    ('[sites.mine]\nstart_url = ["http://127.0.0.1/"]\n', "[sites.mine]", "start_url",
     "start_urls"),
    ('[s3]\nbucket = "b"\nregoin = "eu"\n', "[s3]", "regoin", "region"),
    ("[schedule]\nstop_timeout = 5\n", "[schedule]", "stop_timeout", "stop_timeout_seconds"),
    ('[[schedule.jobs]]\nid = "a"\ncrawl = ["cnn-lite"]\ncorn = "5 * * * *"\n',
     "[schedule].jobs[0]", "corn", "cron"),
    ("[recheck]\nmax_per_sites = 3\n", "[recheck]", "max_per_sites", "max_per_site"),
    ("[serve]\nworkrs = 4\n", "[serve]", "workrs", "workers"),
    ("[distributed]\nvisiblity_timeout = 5\n", "[distributed]", "visiblity_timeout",
     "visibility_timeout"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "table", "typo", "meant"), TYPOS, ids=[t[1] for t in TYPOS])
def test_a_typo_in_any_table_is_refused_at_load(tmp_path, text, table, typo, meant):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, data_dir=tmp_path)
    assert str(caught.value) == (
        f"{path} {table}: unknown setting {typo!r} (did you mean {meant!r}?)"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[warcs]\nprefix = "x"\n', "unknown top-level setting 'warcs' (did you mean 'warc'?)"),
        ("[notatable]\nx = 1\n", "unknown top-level setting 'notatable' (known: catalog_url, "),
        ('[serve]\nworkers = "four"\n', "[serve].workers: expected a number, got 'four'"),
        ("[serve]\nworkers = -1\n", "[serve].workers: must be at least 0"),
        ("[serve]\nworkers = 1.5\n", "[serve].workers: expected a whole number, got 1.5"),
        ("[distributed]\nvisibility_timeout = 0\n",
         "[distributed].visibility_timeout: must be more than 0"),
        ("[distributed]\nredis_url = 6379\n", "[distributed].redis_url: expected a string, got 6379"),
        ("[crawl]\nobey_robots = 1\n", "[crawl].obey_robots: expected true or false, got 1"),
        ('[s3]\nprefix = "p"\n', "[s3]: 'bucket' is required"),
        ('[s3]\nbucket = "b"\naws_secret_access_key = "k"\n',
         "[s3]: 'aws_secret_access_key' is not allowed: credentials come from the AWS chain"),
        ('[[schedule.jobs]]\nid = "a"\ncrawl = ["x"]\ncron = "61 * * * *"\n',
         "[schedule].jobs[0].cron: not a valid crontab expression '61 * * * *'"),
        ('[[schedule.jobs]]\nid = "a"\ncrawl = ["x"]\n',
         '[schedule].jobs[0]: give either cron = "…" or interval_seconds = N'),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "[schedule].timezone: unknown time zone"),
        ("[schedule]\ndistributed = true\n",
         ": [schedule] distributed = true needs [distributed] redis_url"),
        ('[recheck]\nladder = [["1d", "1h"], ["3h", "15m"]]\n',
         "[recheck].ladder: ladder ages must increase"),
        ('[recheck]\nladder = [["1d", "1 hour"]]\n', "[recheck].ladder: bad duration '1 hour'"),
        ('[sites.mine]\narticle_pattern = "(["\n',
         "[sites.mine].article_pattern: not a valid regular expression"),
        ('[crawl]\nallowed_networks = ["10.0.0.0/33"]\n',
         "[crawl].allowed_networks: not an IP address or network (CIDR): '10.0.0.0/33'"),
        ("[serve]\nallowed_networks = []\n",
         "[serve]: allowed_networks: the address policy is set once for every command: use "
         "[crawl] allowed_networks"),
        ('[serve]\nworkers = "a"\npage_size = 0\n',
         "[serve].workers: expected a number, got 'a' (and 1 more)"),
    ],
)  # fmt: skip
def test_the_error_is_one_line_naming_file_table_and_key(tmp_path, text, line):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, data_dir=tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}")
    assert line in message


def test_a_typo_fails_every_command_with_exit_2(tmp_path):
    from tests.conftest import run_cli

    path = write(tmp_path, "[serve]\nworkrs = 4\n")
    result = run_cli("sites", data_dir=tmp_path / "data", config=path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"error: {path} [serve]: unknown setting 'workrs' (did you mean 'workers'?)"
    )


def test_typed_values_of_the_application_tables(tmp_path):
    config = load_config(
        write(
            tmp_path,
            '[distributed]\nredis_url = "redis://h/0"\nvisibility_timeout = 5\n'
            "[serve]\nworkers = 4\n[recheck]\nmax_per_site = 7\n",
        ),
        data_dir=tmp_path,
    )
    assert config.distributed.visibility_timeout == 5.0
    assert config.distributed.seen_ttl_days == 7.0 and config.distributed.max_inflight is None
    assert config.serve.workers == 4 and config.serve.max_queued_urls == 10_000
    assert config.recheck.max_per_site == 7 and config.s3 is None
    assert config.schedule.distributed is None and config.schedule.jobs == []
