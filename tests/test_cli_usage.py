"""The command line's own surface, run as a new user runs it: the installed `newsarchive`
entry point in a child process. Version, help, usage errors (the parser's own message and
exit status 2), and the CLI libraries pinned to the range these tests pass on."""

from __future__ import annotations

import os
import subprocess
from importlib.metadata import requires, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import BIN, REPO

pytestmark = pytest.mark.timeout(120)


def newsarchive(
    *args: str, cwd: Path = REPO, columns: int = 100
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    env.pop("NEWSARCHIVE_CONFIG", None)
    return subprocess.run([str(BIN / "newsarchive"), *args], capture_output=True, text=True, timeout=60,
                          env=env, cwd=cwd)  # fmt: skip


def test_version():
    result = newsarchive("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"newsarchive {version('newsarchive')}\n"
    assert result.stderr == ""


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_flags(flag):
    result = newsarchive(flag)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: newsarchive [OPTIONS] COMMAND [ARGS]...")
    for command in ("crawl", "archive", "history", "export", "serve", "verify", "--version"):
        assert command in result.stdout
    # Help text carries config names in brackets: printed as written, not read as markup.
    assert "[[schedule.jobs]]" in newsarchive("schedule", flag).stdout
    sub = newsarchive("history", flag)
    assert sub.returncode == 0 and sub.stdout.startswith(
        "Usage: newsarchive history [OPTIONS] {URL_OR_ID}"
    )


def test_bare_command_prints_help_like_pip():
    """`newsarchive` alone is a question, not a mistake: the help on stdout, exit 0 (as `pip`)."""
    result = newsarchive()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: newsarchive [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in result.stdout and result.stderr == ""
    group = newsarchive("tracking")
    assert group.returncode == 0 and group.stdout.startswith("Usage: newsarchive tracking")
    assert "stop" in group.stdout and "start" in group.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawll"], "Error: No such command 'crawll'. Did you mean 'crawl'?"),
        (["crawl", "--nope", "cnn-lite"], "Error: No such option: --nope"),
        (["crawl"], "Error: Missing argument 'SITE'."),
        (["crawl", "cnn-lite", "--max-articles", "0"], "Error: Invalid value for '--max-articles'"),
        (["history"], "Error: Missing argument 'URL_OR_ID'."),
        (["serve", "--port", "http"], "Error: Invalid value for '--port'"),
        (["--data-dir"], "Error: Option '--data-dir' requires an argument."),
    ],
)
def test_usage_errors_are_the_parsers_own_message_with_status_2(args, message):
    result = newsarchive(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    # Not wrapped as an internal error, not a traceback.
    assert "error:" not in result.stderr and "Traceback" not in result.stderr
    assert "UsageError" not in result.stderr and "NoSuchOption" not in result.stderr
    assert result.stdout == ""


def test_usage_errors_point_at_help():
    result = newsarchive("crawll")
    assert result.stderr.startswith(
        "Usage: newsarchive [OPTIONS] COMMAND [ARGS]...\nTry 'newsarchive -h' for help."
    )


def test_cli_libraries_are_pinned_to_a_tested_range():
    """An unpinned Typer broke every usage error once (it started bundling its own Click):
    the CLI libraries have an upper bound, and what is installed falls inside it."""
    pins = {
        Requirement(r).name: Requirement(r)
        for r in requires("newsarchive") or []
        if "extra ==" not in r
    }
    for name in ("typer", "rich"):
        spec = pins[name].specifier
        assert any(s.operator == "<" for s in spec), f"{name} has no upper bound: {spec}"
        assert version(name) in spec, f"installed {name} {version(name)} is outside {spec}"


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "jsonl", "--out", "OUT", "--site", "cnn-lte"],
        ["export", "--format", "jsonl", "--out", "OUT", "--site", "cnn-lite", "--site", "cnn-lte"],
        ["recheck", "--site", "cnn-lte"],
        ["recheck", "--list", "--site", "cnn-lte"],
        ["tracking", "stop", "--site", "cnn-lte"],
        ["tracking", "start", "--site", "cnn-lte"],
        ["archive", "http://127.0.0.1:9/x", "--site", "cnn-lte"],
    ],
)
def test_unknown_site_names_are_refused_everywhere(tmp_path, args):
    """One rule for every --site: a typo is exit 2 with the known names, never 0 rows."""
    from archive.catalog import Catalog

    data_dir = tmp_path / "data"
    Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}").close()
    args = [str(tmp_path / "out.jsonl") if a == "OUT" else a for a in args]
    result = newsarchive("--data-dir", str(data_dir), *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert (
        result.stderr == "error: unknown site 'cnn-lte'; known sites: cnn-lite, generic, npr-text\n"
    )
    assert not (tmp_path / "out.jsonl").exists()


def test_known_and_configured_site_names_are_accepted(tmp_path):
    from archive.catalog import Catalog

    data_dir = tmp_path / "data"
    Catalog(f"sqlite:///{data_dir / 'catalog.sqlite'}").close()
    config = tmp_path / "c.toml"
    config.write_text(
        '[sites.mine]\nstart_urls = ["http://127.0.0.1:9/"]\narticle_pattern = "^/a/"\n'
    )
    for site in ("cnn-lite", "mine", "generic"):
        result = newsarchive(
            "--data-dir",
            str(data_dir),
            "--config",
            str(config),
            "recheck",
            "--list",
            "--site",
            site,
        )
        assert result.returncode == 0, result.stderr
        assert f"{site}: 0 due" in result.stdout


@pytest.mark.parametrize("command", ["crawl", "archive"])
def test_urls_without_a_scheme_are_refused_up_front(tmp_path, command):
    data_dir = tmp_path / "data"
    args = (
        ["crawl", "cnn-lite", "--start-url", "127.0.0.1:8801"]
        if command == "crawl"
        else ["archive", "127.0.0.1:8801"]
    )
    result = newsarchive("--data-dir", str(data_dir), *args)
    assert result.returncode == 2
    assert result.stderr == (
        "error: not an http(s) URL: '127.0.0.1:8801' (did you mean 'http://127.0.0.1:8801'?)\n"
    )
    assert not data_dir.exists()  # refused before anything was set up


def test_the_distribution_installs_exactly_its_four_import_packages():
    """`newsarchive`, `archive`, `crawler`, `pipelines` and nothing else (not `tests`, not `benchmarks`):
    the names the README's installation notes promise."""
    from importlib.metadata import packages_distributions

    ours = sorted(
        {name for name, dists in packages_distributions().items() if "newsarchive" in dists}
    )
    assert ours == ["archive", "crawler", "newsarchive", "pipelines"]


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_an_unexpected_error_is_one_line_and_its_traceback_with_v(tmp_path, flag):
    """A catalog file that is not a database: no handler expects that. Without -v: one
    line, exit 1; with -v the same line last, after the full traceback down to the driver."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "catalog.sqlite").write_bytes(b"not a database, only text. " * 8)
    plain = newsarchive("--data-dir", str(data_dir), "history", "https://example.org/a")
    assert plain.returncode == 1
    assert plain.stderr == "error: DatabaseError: file is not a database\n"
    verbose = newsarchive("--data-dir", str(data_dir), flag, "history", "https://example.org/a")
    assert verbose.returncode == 1
    lines = verbose.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "sqlite3.DatabaseError: file is not a database" in lines
    assert any(line.strip().startswith('File "') and "newsarchive/cli.py" in line for line in lines)
    assert lines[-1] == "error: DatabaseError: file is not a database"


def test_a_user_error_has_no_traceback_with_v(tmp_path):
    result = newsarchive("--data-dir", str(tmp_path), "-v", "history", "ftp://example.org/a")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
