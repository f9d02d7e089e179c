"""Real PostgreSQL and Redis servers for the scale-out tests (fixtures imported by conftest).

PostgreSQL: env NEWSARCHIVE_TEST_POSTGRES_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test
when it answers, else a throwaway cluster (`initdb` + `pg_ctl`, Debian package `postgresql`,
installed by `scripts/bootstrap.sh test`) in a temporary directory. Every test gets a
database of its own, dropped at the end.

Redis: env NEWSARCHIVE_TEST_REDIS_URL, else redis://127.0.0.1:6379 when it answers, else a
`redis-server` on a free port without persistence. Every test gets a key prefix of its own.

Neither is skipped silently in CI (env CI set): no server is a failure there.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def _unavailable(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is needed in CI and none could be found or started")
    pytest.skip(f"no {what} available")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_answers(url: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _start_cluster() -> tuple[str, callable] | None:  # type: ignore[valid-type]
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    root = Path(tempfile.mkdtemp(prefix="newsarchive-pg-"))
    prefix: list[str] = []
    if os.getuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = root / "data"
    subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "start",
                    "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"],
                   check=True, capture_output=True)  # fmt: skip

    def stop() -> None:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """An admin URL of a PostgreSQL server (may create databases)."""
    url = os.environ.get("NEWSARCHIVE_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if _pg_answers(DEFAULT_PG):
        yield DEFAULT_PG
        return
    started = None
    try:
        started = _start_cluster()
    except (subprocess.CalledProcessError, OSError, LookupError):
        started = None
    if started is None:
        _unavailable("PostgreSQL server")
    url, stop = started  # type: ignore[misc]
    try:
        yield url
    finally:
        stop()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database for this test; dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"newsarchive_test_{secrets.token_hex(5)}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    url = os.environ.get("NEWSARCHIVE_TEST_REDIS_URL")
    if url:
        yield url
        return
    if _redis_answers(DEFAULT_REDIS):
        yield DEFAULT_REDIS
        return
    binary = shutil.which("redis-server")
    if not binary:
        _unavailable("Redis server")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not _redis_answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            _unavailable("Redis server")
        time.sleep(0.05)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[tuple[str, str]]:
    """(Redis URL, a key prefix of this test's own); its keys are deleted afterwards."""
    import redis

    prefix = f"newsarchive-test-{secrets.token_hex(4)}"
    yield redis_server, prefix
    client = redis.Redis.from_url(redis_server)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()
