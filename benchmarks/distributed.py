"""Pages per second with 1, 2, 3 … `newsarchive worker` processes on this machine.

A generated lite mirror (benchmarks/site.py) is served locally; each run uses a fresh
PostgreSQL database and Redis key prefix, pushes the discovery with `crawl --distributed`,
starts N workers (each with its own data directory) and times until every article has its
version in the shared catalog.

    .venv/bin/python benchmarks/distributed.py [--articles 600] [--workers 1 2 3] \
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent


def main() -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from archive.catalog import Catalog
    from benchmarks.site import generate

    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="na-dist-bench-"))
    made = generate(tmp / "site", args.articles, index_size=100)
    port_file = tmp / "port"
    server = subprocess.Popen([sys.executable, "-m", "newsarchive.demo.server", str(tmp / "site"), "--port-file",
                               str(port_file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    while not port_file.exists():
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port_file.read_text()}"
    pages = args.articles + len(made["indexes"])
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    try:
        for n in args.workers:
            db = f"na_bench_{secrets.token_hex(4)}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{db}"'))
            url = make_url(args.postgres).set(database=db).render_as_string(hide_password=False)
            Catalog(url).close()  # migrations done before the clock starts
            config = tmp / f"w{n}.toml"
            config.write_text(f"""catalog_url = "{url}"
[crawl]
allowed_networks = ["127.0.0.0/8"]
download_delay = 0
autothrottle = false
obey_robots = false
concurrent_requests_per_domain = 32
[extract]
workers = 1
[distributed]
redis_url = "{args.redis}"
key_prefix = "na-bench-{db}"
""")
            starts = [a for p in made["indexes"] for a in ("--start-url", base + p)]
            env = {**os.environ, "NO_COLOR": "1"}
            subprocess.run([str(BIN / "newsarchive"), "--config", str(config), "--data-dir", str(tmp / "push"),
                            "crawl", "cnn-lite", *starts, "--distributed"], check=True, env=env,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            began = time.monotonic()
            procs = [subprocess.Popen([str(BIN / "newsarchive"), "--config", str(config), "--data-dir",
                                       str(tmp / f"run{n}-worker{i}"), "worker", "--exit-when-empty", "1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
                     for i in range(n)]  # fmt: skip
            catalog = Catalog(url)
            while catalog.count("versions") < args.articles:
                time.sleep(0.05)
            elapsed = time.monotonic() - began
            catalog.close()
            for p in procs:
                p.wait()
            print(f"{n} worker(s): {pages} pages in {elapsed:.1f} s = {pages / elapsed:.1f} pages/s "
                  f"(start-up included)", flush=True)  # fmt: skip
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{db}" WITH (FORCE)'))
    finally:
        server.terminate()
        admin.dispose()


if __name__ == "__main__":
    main()
