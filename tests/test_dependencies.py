"""What the distribution declares is what the code imports: the runtime dependencies are
what runtime code imports, scale-out's (psycopg, redis) are the `scale` extra and say so in
one line when missing, the test tools are the `test` extra, and the libraries whose private
APIs the code uses have an upper bound that what is installed falls inside."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from importlib.metadata import packages_distributions, requires, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import BIN, REPO, SITES, mirror_config_text

CNN = json.loads((SITES / "cnn-lite" / "expected.json").read_text(encoding="utf-8"))
OURS = ("archive", "crawler", "pipelines", "newsarchive")
# Imported from a library another declared dependency installs and exposes as its own
# API: boto3's botocore and s3transfer, FastAPI's Starlette and AnyIO, pydantic's core,
# Twisted's zope.interface.
VIA = {"botocore": "boto3", "s3transfer": "boto3", "starlette": "fastapi", "anyio": "fastapi",
       "pydantic-core": "pydantic", "zope-interface": "twisted"}  # fmt: skip
# Private APIs used (pyproject.toml says where): these need an upper bound.
PRIVATE_API_USERS = ("scrapy", "twisted", "warcio", "sqlalchemy")


def declared(extra: str | None = None) -> dict[str, Requirement]:
    """The distribution's requirements, of the runtime (None) or of one extra."""
    result = {}
    for text in requires("newsarchive") or []:
        req = Requirement(text)
        marker = str(req.marker or "")
        in_extra = f'extra == "{extra}"' in marker if extra else "extra ==" not in marker
        if in_extra:
            result[canonicalize_name(req.name)] = req
    return result


def runtime_imports() -> dict[str, set[str]]:
    """Top-level module → files, of every import in the four packages (not the stdlib's)."""
    found: dict[str, set[str]] = {}
    for package in OURS:
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in (*OURS, "__future__"):
                        found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_imported_library_is_declared():
    runtime, scale = declared(), declared("scale")
    distributions = packages_distributions()
    for module, files in runtime_imports().items():
        if module in ("compression", "brotlicffi"):  # Python 3.14's stdlib; PyPy's brotli
            continue
        (dist,) = {canonicalize_name(d) for d in distributions.get(module, [module])}
        if dist in VIA:
            assert VIA[dist] in runtime, (module, files)
            continue
        assert dist in runtime or dist in scale, (
            f"{module} ({dist}) is imported by {files} but not declared"
        )


def test_scale_out_libraries_are_the_scale_extra():
    runtime, scale, test = declared(), declared("scale"), declared("test")
    assert {"psycopg", "redis"} <= set(scale)
    assert not {"psycopg", "redis"} & set(runtime)
    assert test["newsarchive"].extras == {"scale"}  # the tests run scale-out for real
    # Only imported when used, through archive.extras.require.
    imports = runtime_imports()
    assert "psycopg" not in imports and "redis" not in imports


def test_test_only_tools_are_not_runtime_dependencies():
    runtime, test = declared(), declared("test")
    assert "wacz" not in runtime and "wacz" in test
    assert "wacz" not in runtime_imports()
    assert {"surt", "protego", "pydantic", "w3lib"} <= set(runtime)


@pytest.mark.parametrize("name", PRIVATE_API_USERS)
def test_libraries_whose_private_api_is_used_have_an_upper_bound(name):
    spec = declared()[name].specifier
    assert any(s.operator == "<" for s in spec), f"{name} has no upper bound: {spec}"
    assert version(name) in spec, f"installed {name} {version(name)} is outside {spec}"


def test_the_license_file_matches_pyproject():
    import tomllib

    license_id = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert license_id == "MIT" and text.startswith("MIT License")


# -- without the scale extra --------------------------------------------------------------


@pytest.fixture
def without_scale(tmp_path) -> dict[str, str]:
    """An environment in which psycopg and redis cannot be imported, in every process."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for module in ("psycopg", "redis"):
        (blocked / f"{module}.py").write_text(
            f'raise ModuleNotFoundError("No module named {module!r} (blocked by the test)")\n'
        )
    return {"PYTHONPATH": os.pathsep.join([str(blocked), str(REPO)])}


def run(args: list[str], env: dict[str, str], data_dir: Path, config: Path | None = None):
    cmd = [str(BIN / "newsarchive"), "--data-dir", str(data_dir)]
    cmd += ["--config", str(config)] if config else []
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **env}
    full_env.pop("NEWSARCHIVE_CONFIG", None)
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=180,
                          env=full_env, cwd=REPO)  # fmt: skip


def test_the_block_works(without_scale):
    code = "import redis"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, **without_scale})  # fmt: skip
    assert result.returncode == 1 and "blocked by the test" in result.stderr


def test_archiving_needs_no_scale_extra(serve_site, tmp_path, without_scale):
    site = serve_site("cnn-lite")
    config = tmp_path / "mirror.toml"
    config.write_text(mirror_config_text())
    url = site.page(CNN["articles"][0]["path"])
    result = run(["archive", url, "--site", "cnn-lite", "--no-progress"], without_scale,
                 tmp_path / "data", config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    history = run(["history", url], without_scale, tmp_path / "data")
    assert history.returncode == 0 and CNN["articles"][0]["title"] in history.stdout


def test_a_postgresql_catalog_without_the_extra_is_one_line(tmp_path, without_scale):
    config = tmp_path / "pg.toml"
    config.write_text('catalog_url = "postgresql+psycopg://archive@127.0.0.1:9/newsarchive"\n')
    result = run(["history", "https://example.org/a"], without_scale, tmp_path / "data", config)
    assert result.returncode == 2
    assert result.stderr == (
        "error: PostgreSQL catalog needs the scale extra: pip install 'newsarchive[scale]'\n"
    )


def test_the_redis_frontier_without_the_extra_is_one_line(tmp_path, without_scale):
    config = tmp_path / "redis.toml"
    config.write_text('[distributed]\nredis_url = "redis://127.0.0.1:9/0"\n')
    result = run(["worker", "--exit-when-empty", "1"], without_scale, tmp_path / "data", config)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "error: Redis frontier (--distributed, worker) needs the scale extra: "
        "pip install 'newsarchive[scale]'\n"
    )
