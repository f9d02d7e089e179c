"""The newsarchive crawl benchmark: side by side with trafilatura and Scrapy, on one machine.

Two generated workloads (`--workloads lite,wide`, benchmarks/site.py): `lite`, a CNN Lite
mirror of N articles of 4–15 KB behind index pages of 100 links; `wide`, one index page
listing N articles of ~4–40 KB (most small, a fifth long). Each is served on 127.0.0.1
(nginx if installed, else the project's server) and measured, interleaved round by round
(medians of --repeats rounds):

    A    trafilatura alone, default options, one process, pages in memory (extract_bench.py)
    Ag   the same with the options of newsarchive's generic parser
    A2   A over 2 processes (the machine's limit; reference only)
    B    bare Scrapy fetching the article URLs, no pipelines     (scrapy_bench.py)
    C    the same spider calling trafilatura (A's options) in parse
    P    the trafilatura command line over the URL list, SLEEP_TIME = 0 (lite only)
    newsarchive first crawl, recheck of the unchanged site, recheck with 10 % changed;
    start-up: `newsarchive --help`, crawls of an empty index and of a one-article site, and
    a bare `scrapy runspider` of a one-page spider (scrapy_one.py) on the same server

then, once per workload, a first crawl under cProfile (CPU clock, profile_cpu.py) split by
stage (stage_profile.py) and
`python -X importtime` of the one-article crawl and of `--help`.

    .venv/bin/python benchmarks/run.py [--articles 2000] [--repeats 3] [--workloads lite,wide]
                                       [--only A,B,newsarchive,profile] [--out results/<time>.json]

Pages/s exclude start-up: B and C from the first response to the end of the last parse
callback; A over the extraction loop only; P and the newsarchive runs as
pages / (wall time − wall time of the same command over a site of one article).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
from serve import Server
from stage_profile import STAGES, profile_stages

_spec = importlib.util.spec_from_file_location("bench_site", HERE / "site.py")
bench_site = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(bench_site)  # type: ignore[union-attr]

console = Console(stderr=True)

CONFIG = """\
[crawl]
allowed_networks = ["127.0.0.0/8"]   # the benchmark site is on loopback: opt in (docs/security.md)
download_delay = 0
autothrottle = false
obey_robots = false
concurrent_requests = {concurrency}
concurrent_requests_per_domain = {concurrency}
"""

# (text, variant, reference, factor, workloads): judged on the median of per-round ratios.
TARGETS = [
    ("first crawl ≥ 1.2 × A (excluding start-up)", "first", "A", 1.2),
    ("first crawl ≥ 1.0 × A (including start-up)", "first_incl", "A", 1.0),
    ("first crawl ≥ 1.8 × C", "first", "C", 1.8),
    ("recheck (unchanged) ≥ 0.8 × B", "recheck-unchanged", "B", 0.8),
]

# --------------------------------------------------------------------------- measuring a child


class Monitor:
    """Samples the process tree of `pid` every `interval` s: peak of the summed RSS, CPU time."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self.peak_processes = 0
        self.root_cpu = 0.0  # CPU seconds of `pid` alone (the crawl process)
        self.cpu: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        rss = 0
        for p in procs:
            try:
                with p.oneshot():
                    rss += p.memory_info().rss
                    t = p.cpu_times()
                    self.cpu[(p.pid, p.create_time())] = t.user + t.system
                    if p is self.root:
                        self.root_cpu = t.user + t.system
            except psutil.Error:
                continue
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_processes = max(self.peak_processes, len(procs))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def measure(
    cmd: list[str], *, check: bool = True, env: dict[str, str] | None = None, cwd: Path = REPO
) -> dict[str, Any]:
    """Run `cmd`; wall time, CPU seconds of the whole tree, peak RSS (sum over the tree)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    monitor = Monitor(process.pid)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    monitor.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rusage_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sampled_cpu = sum(monitor.cpu.values())
    if check and process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[:4])} … exited {process.returncode}: {stderr.decode()[-2000:]}"
        )
    return {
        "wall_s": wall, "returncode": process.returncode,
        # Both are lower bounds: sampling misses each process's last < 50 ms; rusage misses
        # descendants nobody waited for (forkserver workers). Take the larger.
        "cpu_s": max(rusage_cpu, sampled_cpu), "cpu_s_rusage": rusage_cpu, "cpu_s_sampled": sampled_cpu,
        # The first process alone (the crawl process), sampled: misses its last < 50 ms.
        "cpu_s_root": monitor.root_cpu,
        "peak_rss_mb": monitor.peak_rss / 2**20, "peak_processes": monitor.peak_processes,
        "stdout": stdout.decode(errors="replace"), "stderr": stderr.decode(errors="replace"),
    }  # fmt: skip


# --------------------------------------------------------------------------- the variants


def newsarchive(data_dir: Path, config: Path, *args: str, check: bool = True,
                python_args: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    entry = (
        [sys.executable, *python_args, str(BIN / "newsarchive")]
        if python_args
        else [str(BIN / "newsarchive")]
    )
    cmd = [*entry, "--data-dir", str(data_dir), "--config", str(config), *args]
    result = measure(cmd, check=check, env=env)
    try:
        result["summary"] = json.loads(result["stdout"])
    except json.JSONDecodeError:
        result["summary"] = None
    return result


def crawl_args(server: Server, site: Path) -> list[str]:
    args = ["crawl", "cnn-lite", "--no-progress", "--json"]
    for path in bench_site.index_paths(site):
        args += ["--start-url", server.base_url + path]
    return args


RECHECK = ["recheck", "--all", "--no-progress", "--json"]


def runspider_one(url: str, work: Path) -> dict[str, Any]:
    """Bare Scrapy's start-up: `scrapy runspider` of a one-page spider, telnet off, run
    outside the repository (its scrapy.cfg would load the project's settings)."""
    return measure([str(BIN / "scrapy"), "runspider", str(HERE / "scrapy_one.py"), "-a", f"url={url}",
                    "-s", "TELNETCONSOLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"], cwd=work)  # fmt: skip


def capture_window(data_dir: Path, run_id: str | None) -> dict[str, Any]:
    """Article captures of one run: count, outcomes, first and last fetched_at."""
    if not run_id:
        return {}
    with sqlite3.connect(data_dir / "catalog.sqlite") as db:
        rows = db.execute("SELECT fetched_at, outcome, record_type FROM captures WHERE run_id = ? AND kind = 'article'",
                          (run_id,)).fetchall()  # fmt: skip
    if not rows:
        return {"articles": 0}
    stamps = sorted(datetime.fromisoformat(r[0]) for r in rows)
    outcomes: dict[str, int] = {}
    for _, outcome, record_type in rows:
        key = f"{outcome}/{record_type}"
        outcomes[key] = outcomes.get(key, 0) + 1
    window = (stamps[-1] - stamps[0]).total_seconds()
    return {"articles": len(rows), "fetch_window_s": window, "outcomes": outcomes,
            "fetch_window_pages_per_s": len(rows) / window if window > 0 else None}  # fmt: skip


def rate(pages: int, wall: float, overhead: float) -> float | None:
    net = wall - overhead
    return pages / net if net > 0 else None


def trafilatura_cli(urls: Path, cfg: Path, out_dir: Path, parallel: int) -> dict[str, Any]:
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    result = measure([str(BIN / "trafilatura"), "-i", str(urls), "--parallel", str(parallel), "--config-file",
                      str(cfg), "-o", str(out_dir), "--with-metadata", "--precision"], check=False)  # fmt: skip
    result["outputs"] = sum(1 for _ in out_dir.iterdir())
    return result


_IMPORT_LINE = re.compile(
    r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)"
)  # own, cumulative, depth, name


def import_offenders(stderr: str, top: int = 12) -> dict[str, Any]:
    """`-X importtime` output → the module count, the summed own import time, and the
    modules and top-level packages with the most own time (milliseconds)."""
    own: dict[str, int] = {}
    packages: dict[str, int] = {}
    for line in stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if not m:
            continue
        self_us, name = int(m[1]), m[4]
        own[name] = own.get(name, 0) + self_us
        package = name.split(".")[0]
        packages[package] = packages.get(package, 0) + self_us
    return {
        "modules": len(own), "total_ms": sum(own.values()) / 1000,
        "top_modules_ms": {k: v / 1000 for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:top]},
        "top_packages_ms": {k: v / 1000 for k, v in sorted(packages.items(), key=lambda kv: -kv[1])[:top]},
    }  # fmt: skip


# --------------------------------------------------------------------------- main


def machine_info(server: Server) -> dict[str, Any]:
    import scrapy
    import trafilatura

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(), "cpu_model": model, "platform": platform.platform(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1), "load_avg_at_start": os.getloadavg(),
        "python": platform.python_version(), "scrapy": scrapy.__version__, "trafilatura": trafilatura.__version__,
        "server": f"{server.kind} ({server.version})",
    }  # fmt: skip


def med(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description="newsarchive vs trafilatura vs Scrapy on local generated sites"
    )
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workloads", default="lite,wide",
                        help="comma-separated: lite (index pages of 100 links, 4–15 KB articles), "
                        "wide (one index page of N links, ~4–40 KB articles)")  # fmt: skip
    parser.add_argument(
        "--server",
        choices=("nginx", "python"),
        default="nginx",
        help="nginx when installed (default), else / or the project's newsarchive.demo.server",
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="concurrent requests (and per domain)"
    )
    parser.add_argument(
        "--parallel", type=int, default=os.cpu_count() or 1, help="trafilatura CLI --parallel"
    )
    parser.add_argument(
        "--changed", type=float, default=0.10, help="fraction of articles edited for recheck 2"
    )
    parser.add_argument("--only", default="",
                        help="comma-separated subset of A,Ag,A2,B,C,P,newsarchive,profile (debugging)")  # fmt: skip
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the sites and data here (default: temp)"
    )
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    want = lambda v: not only or v in only
    workloads = [w for w in args.workloads.split(",") if w]
    for w in workloads:
        if w not in bench_site.SHAPES:
            parser.error(f"unknown workload {w!r} (known: {', '.join(bench_site.SHAPES)})")

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or HERE / "results" / f"{stamp}.json"
    tmp = tempfile.TemporaryDirectory(prefix="newsarchive-bench-") if args.workdir is None else None
    work = Path(tmp.name) if tmp else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(
        0o755
    )  # nginx's workers run as another user (nobody / www-data) when started by root
    try:
        results = {w: run_workload(w, args, want, work / w) for w in workloads}
    finally:
        if tmp:
            tmp.cleanup()
    first = next(iter(results.values()))
    document = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]), "when": datetime.now(UTC).isoformat(),
        "machine": first["machine"], "load_avg_at_end": os.getloadavg(), "workloads": results,
    }  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, default=str) + "\n")
    for name, result in results.items():
        print_result(name, result)
    console.print(f"result: {out}", highlight=False)


def run_workload(shape: str, args: argparse.Namespace, want: Any, work: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)
    site, one, empty = work / "site", work / "one", work / "empty"
    options = bench_site.SHAPES[shape]
    for root, n in ((site, args.articles), (one, 1), (empty, 0)):
        shutil.rmtree(root, ignore_errors=True)
        bench_site.generate(root, n, **options)
    sizes = [
        bench_site.article_file(site, p).stat().st_size for p in bench_site.article_paths(site)
    ]
    console.print(f"[{shape}] generated {len(sizes)} articles ({min(sizes)}–{max(sizes)} bytes, median "
                  f"{statistics.median(sizes):.0f}) in {time.perf_counter() - t0:.1f} s", highlight=False)  # fmt: skip
    config = work / "bench.toml"
    config.write_text(CONFIG.format(concurrency=args.concurrency))
    traf_cfg = work / "trafilatura.cfg"
    default_cfg = Path(__import__("trafilatura").__file__).with_name("settings.cfg").read_text()
    # SLEEP_TIME: no politeness delay for a local mirror. SSRF_PROTECTION: trafilatura ≥ 2.1
    # refuses loopback and private addresses unless told "off" (its documented intranet switch).
    traf_cfg.write_text(default_cfg.replace("SLEEP_TIME = 5.0", "SLEEP_TIME = 0")
                        .replace("SSRF_PROTECTION = on", "SSRF_PROTECTION = off"))  # fmt: skip
    n = args.articles
    runs: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    with Server(site, prefer=args.server) as server, Server(one, prefer=args.server) as server_one, \
            Server(empty, prefer=args.server) as server_empty:  # fmt: skip
        info = machine_info(server)
        console.print(f"[{shape}] serving with {info['server']} on {server.base_url}; {info['nproc']} CPU(s) "
                      f"{info['cpu_model']}; load average {info['load_avg_at_start'][0]:.2f}", highlight=False)  # fmt: skip
        for srv, root in ((server, site), (server_one, one)):
            probe = srv.base_url + bench_site.article_paths(root)[0]
            with urllib.request.urlopen(probe) as response:  # fails loudly on 403/404
                assert response.status == 200, probe
        urls = work / "urls.txt"
        urls.write_text("".join(server.base_url + p + "\n" for p in bench_site.article_paths(site)))
        one_url = work / "one-url.txt"
        one_article = server_one.base_url + bench_site.article_paths(one)[0]
        one_url.write_text(one_article + "\n")
        for r in range(args.repeats):
            rnd: dict[str, Any] = {"round": r + 1, "load_avg": os.getloadavg()[0]}
            step = lambda name: console.print(f"[{shape}] round {r + 1}/{args.repeats}: {name}", highlight=False)  # fmt: skip
            for key, extra_args, label in (("A", [], "A trafilatura (default options), 1 process"),
                                           ("Ag", ["--options", "generic"], "Ag trafilatura (generic parser's options)"),
                                           ("A2", ["--processes", "2"], "A×2 trafilatura, 2 processes")):  # fmt: skip
                if want(key):
                    step(label)
                    m = measure([sys.executable, str(HERE / "extract_bench.py"), str(site), server.base_url,
                                 str(work / "a.json"), *extra_args])  # fmt: skip
                    rnd[key] = {**json.loads((work / "a.json").read_text()), **_lean(m)}
            for name, extra_args in (("B", []), ("C", ["--extract"])):
                if want(name):
                    step(f"{name} Scrapy{' + trafilatura in parse' if extra_args else ''}")
                    m = measure([sys.executable, str(HERE / "scrapy_bench.py"), str(urls), str(work / "s.json"),
                                 *extra_args])  # fmt: skip
                    rnd[name] = {**json.loads((work / "s.json").read_text()), **_lean(m)}
                    if rnd[name]["statuses"] != {"200": n}:
                        raise RuntimeError(
                            f"{name}: not every page answered 200: {rnd[name]['statuses']}"
                        )
                    if name == "B":
                        # The same spider over one URL: its start-up CPU, subtracted per page.
                        m1 = measure([sys.executable, str(HERE / "scrapy_bench.py"), str(one_url),
                                      str(work / "s1.json")])  # fmt: skip
                        rnd["B"]["startup_cpu_s"] = m1["cpu_s_root"]
                        rnd["B"]["cpu_ms_per_page"] = (
                            1000 * (m["cpu_s_root"] - m1["cpu_s_root"]) / max(n - 1, 1)
                        )
            if want("P") and shape == "lite":
                step("P trafilatura CLI")
                m1 = trafilatura_cli(one_url, traf_cfg, work / "p-out", args.parallel)
                m = trafilatura_cli(urls, traf_cfg, work / "p-out", args.parallel)
                rnd["P"] = {"pages": n, "outputs": m["outputs"], "startup_s": m1["wall_s"],
                            "pages_per_s": rate(n, m["wall_s"], m1["wall_s"]), **_lean(m)}  # fmt: skip
            if want("newsarchive"):
                rnd.update(newsarchive_round(r, server, server_one, server_empty, site, one, work, config, n,
                                             args.changed, step, one_article))  # fmt: skip
            runs.append(rnd)
            console.print(f"[{shape}] round {r + 1}: " + ", ".join(f"{k} {v['pages_per_s']:.0f}/s" for k, v in rnd.items()
                          if isinstance(v, dict) and v.get("pages_per_s")), highlight=False)  # fmt: skip
        if want("profile"):
            extra = profile_round(shape, server, server_one, site, one, work, config, n)
    result = summarise(runs, info, args, n, sizes, shape)
    result.update(extra)
    return result


def profile_round(shape: str, server: Server, server_one: Server, site: Path, one: Path, work: Path,
                  config: Path, n: int) -> dict[str, Any]:  # fmt: skip
    """A first crawl under cProfile (CPU clock of the reactor's thread: profile_cpu.py), split by
    stage; `-X importtime` of start-up."""
    console.print(
        f"[{shape}] profile: first crawl under cProfile, -X importtime of start-up", highlight=False
    )
    data, prof = work / "data-profile", work / "crawl.prof"
    shutil.rmtree(data, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    measure([sys.executable, str(HERE / "profile_cpu.py"), str(prof), "--data-dir", str(data), "--config",
             str(config), *crawl_args(server, site)], env=env)  # fmt: skip
    stages = profile_stages(str(prof))
    shutil.rmtree(data, ignore_errors=True)
    one_dir = work / "data-importtime"
    shutil.rmtree(one_dir, ignore_errors=True)
    one_crawl = newsarchive(
        one_dir, config, *crawl_args(server_one, one), python_args=("-X", "importtime")
    )
    help_ = measure([sys.executable, "-X", "importtime", str(BIN / "newsarchive"), "--help"])
    shutil.rmtree(one_dir, ignore_errors=True)
    return {"stage_profile_s": stages,
            "importtime": {"crawl_one_article": import_offenders(one_crawl["stderr"]),
                           "help": import_offenders(help_["stderr"])}}  # fmt: skip


def _lean(m: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in m.items() if k not in ("stdout", "stderr", "summary")}


def newsarchive_round(r: int, server: Server, server_one: Server, server_empty: Server, site: Path, one: Path,
                      work: Path, config: Path, n: int, changed: float, step: Any,
                      one_article: str) -> dict[str, Any]:  # fmt: skip
    rnd: dict[str, Any] = {}
    step(
        "start-up (newsarchive --help, scrapy runspider of one page, crawls of an empty index and one article)"
    )
    help_ = measure([str(BIN / "newsarchive"), "--help"])
    runspider = runspider_one(one_article, work)
    empty_dir = work / f"data-empty-{r}"
    empty_run = newsarchive(
        empty_dir, config, *crawl_args(server_empty, work / "empty"), check=False
    )
    one_dir = work / f"data-one-{r}"
    one_crawl = newsarchive(one_dir, config, *crawl_args(server_one, one))
    one_recheck = newsarchive(one_dir, config, *RECHECK)
    originals = bench_site.mutate(one, 1.0, seed=r)
    one_recheck_changed = newsarchive(one_dir, config, *RECHECK)
    bench_site.restore(originals)
    rnd["startup"] = {
        "help_s": help_["wall_s"], "help_cpu_s": help_["cpu_s"],
        "runspider_one_page_s": runspider["wall_s"], "runspider_one_page_cpu_s": runspider["cpu_s"],
        "crawl_empty_index_s": empty_run["wall_s"],
        "crawl_one_article_s": one_crawl["wall_s"], "crawl_one_article_cpu_s": one_crawl["cpu_s"],
        "recheck_one_unchanged_s": one_recheck["wall_s"], "recheck_one_changed_s": one_recheck_changed["wall_s"],
    }  # fmt: skip
    data = work / f"data-{r}"
    shutil.rmtree(data, ignore_errors=True)
    for name, args_, start in (
        ("first", crawl_args(server, site), one_crawl),
        ("recheck-unchanged", RECHECK, one_recheck),
        ("recheck-changed", RECHECK, one_recheck_changed),
    ):
        originals = {}
        if name == "recheck-changed":
            originals = bench_site.mutate(site, changed, seed=100 + r)
        step(f"newsarchive {name}")
        m = newsarchive(data, config, *args_)
        if originals:
            bench_site.restore(originals)
        summary = m.get("summary") or {}
        window = capture_window(data, summary.get("run_id"))
        rnd[name] = {
            "pages": n, "pages_per_s": rate(n, m["wall_s"], start["wall_s"]), "overhead_s": start["wall_s"],
            "pages_per_s_incl_startup": n / m["wall_s"], "cpu_s_per_page": m["cpu_s"] / n,
            # The crawl process alone, start-up (the one-article run's) excluded.
            "cpu_ms_per_page": 1000 * (m["cpu_s_root"] - start["cpu_s_root"]) / max(n - 1, 1),
            **_lean(m), **window, "summary": {k: v for k, v in summary.items() if k not in ("sites",)},
        }  # fmt: skip
        if name == "first":
            rnd["first_incl"] = {"pages_per_s": n / m["wall_s"]}
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(one_dir, ignore_errors=True)
    shutil.rmtree(empty_dir, ignore_errors=True)
    return rnd


VARIANTS = [
    ("A", "A trafilatura, default options"),
    ("Ag", "Ag trafilatura, generic parser's options"),
    ("A2", "A×2 trafilatura, 2 procs"),
    ("B", "B bare Scrapy"),
    ("C", "C Scrapy+trafilatura"),
    ("P", "P trafilatura CLI"),
    ("first", "newsarchive first crawl"),
    ("first_incl", "first crawl incl. start-up"),
    ("recheck-unchanged", "recheck, unchanged"),
    ("recheck-changed", "recheck, 10 % changed"),
]


def _per_round(runs: list[dict[str, Any]], key: str, ref: str) -> list[float]:
    return [(rnd[key].get("pages_per_s") or 0) / rnd[ref]["pages_per_s"]
            for rnd in runs if key in rnd and ref in rnd and rnd[ref].get("pages_per_s")]  # fmt: skip


def summarise(runs: list[dict[str, Any]], info: dict[str, Any], args: argparse.Namespace, n: int,
              sizes: list[int], shape: str) -> dict[str, Any]:  # fmt: skip
    medians: dict[str, Any] = {}
    for key, label in VARIANTS:
        samples = [rnd[key] for rnd in runs if key in rnd]
        if not samples:
            continue
        rates = [s.get("pages_per_s") for s in samples]
        medians[key] = {
            "label": label, "pages_per_s": med(rates), "min": min((x for x in rates if x), default=0),
            "max": max((x for x in rates if x), default=0),
            "cpu_s": med([s.get("cpu_s") for s in samples]),
            "cpu_s_per_page": med([s["cpu_s"] / n for s in samples if "cpu_s" in s]),
            "cpu_ms_per_page": med([s.get("cpu_ms_per_page") for s in samples]),
            "peak_rss_mb": med([s.get("peak_rss_mb") for s in samples]),
            "peak_rss_mb_max": max(s.get("peak_rss_mb", 0) for s in samples),
            "fetch_window_pages_per_s": med([s.get("fetch_window_pages_per_s") for s in samples]),
        }  # fmt: skip
    startup = [rnd["startup"] for rnd in runs if "startup" in rnd]
    startup_medians = {k: med([s[k] for s in startup]) for k in (startup[0] if startup else {})}
    targets = []
    for text, key, ref, factor in TARGETS:
        if key in medians and ref in medians and medians[ref]["pages_per_s"]:
            # Judged on the ratio within each round (both measured minutes apart, the machine
            # in the same state), the median over rounds; the ratio of the medians (the
            # table's) mixes rounds and is shown beside it.
            per_round = _per_round(runs, key, ref)
            ratio = med(per_round) or 0.0
            of_medians = (medians[key]["pages_per_s"] or 0) / medians[ref]["pages_per_s"]
            also = ""
            if ref == "A" and "Ag" in medians:
                also = f"; × Ag (generic options) {med(_per_round(runs, key, 'Ag')) or 0:.2f}"
            targets.append({"target": text, "measured": f"{ratio:.2f} × {ref} (median of {len(per_round)} rounds' "
                            f"ratios; ratio of medians {of_medians:.2f}{also})", "met": ratio >= factor,
                            "per_round": per_round, "ratio_of_medians": of_medians})  # fmt: skip
    if "first" in medians and "B" in medians:
        per_round = [rnd["first"]["cpu_ms_per_page"] - rnd["B"]["cpu_ms_per_page"]
                     for rnd in runs if "first" in rnd and "B" in rnd]  # fmt: skip
        over = med(per_round) or 0.0
        targets.append({"target": "crawl-process CPU per page ≤ bare Scrapy's + 1.5 ms (start-up excluded)",
                        "measured": f"{medians['first']['cpu_ms_per_page']:.2f} ms vs B "
                        f"{medians['B']['cpu_ms_per_page']:.2f} ms: + {over:.2f} ms (median of per-round "
                        "differences)", "met": over <= 1.5, "per_round": per_round})  # fmt: skip
    if "first" in medians:
        peak = max(medians[k]["peak_rss_mb_max"] for k in ("first", "recheck-unchanged", "recheck-changed")
                   if k in medians)  # fmt: skip
        targets.append({"target": f"peak RSS of all processes < 500 MB (measured at N = {n:,}; the target is "
                        "for N = 10,000)", "measured": f"{peak:.0f} MB", "met": peak < 500})  # fmt: skip
    if startup:
        for text, key, factor in (("crawl of one article ≤ 1.2 × bare `scrapy runspider` of one page",
                                   "crawl_one_article", 1.2),
                                  ("`newsarchive --help` ≤ 0.5 × bare `scrapy runspider` of one page", "help", 0.5)):  # fmt: skip
            wall = med([s[f"{key}_s"] / s["runspider_one_page_s"] for s in startup]) or 0.0
            cpu = med([s[f"{key}_cpu_s"] / s["runspider_one_page_cpu_s"] for s in startup]) or 0.0
            targets.append({"target": text, "measured": f"{wall:.2f} × wall, {cpu:.2f} × CPU (medians of per-round "
                            "ratios)", "met": wall <= factor, "met_cpu": cpu <= factor,
                            "wall_ratio": wall, "cpu_ratio": cpu})  # fmt: skip
    return {
        "workload": shape, "machine": info, "load_avg_at_end": os.getloadavg(), "articles": n, "repeats": args.repeats,
        "concurrency": args.concurrency, "trafilatura_cli_parallel": args.parallel, "changed_fraction": args.changed,
        "article_bytes": {"min": min(sizes), "median": statistics.median(sizes), "max": max(sizes)},
        "medians": medians, "startup": startup_medians, "targets": targets, "runs": runs,
    }  # fmt: skip


def print_result(shape: str, result: dict[str, Any]) -> None:
    medians = result["medians"]
    refs = [k for k in ("A", "Ag", "B", "C", "P") if k in medians and medians[k]["pages_per_s"]]
    b = result["article_bytes"]
    table = Table(title=f"[{shape}] {result['articles']:,} articles ({b['min'] / 1000:.1f}–{b['max'] / 1000:.1f} KB, "
                  f"median {b['median'] / 1000:.1f}), medians of {result['repeats']} · "
                  f"{result['machine']['nproc']} CPU · {result['machine']['server']}")  # fmt: skip
    table.add_column("variant")
    table.add_column("pages/s", justify="right")
    table.add_column("min–max", justify="right")
    for ref in refs:
        table.add_column(f"× {ref}", justify="right")
    table.add_column("CPU/page (tree)", justify="right")
    table.add_column("crawl proc CPU/page", justify="right")
    table.add_column("peak RSS", justify="right")
    for key, m in medians.items():
        r = m["pages_per_s"]
        ratios = [f"{r / medians[ref]['pages_per_s']:.2f}" if r else "–" for ref in refs]
        tree = f"{m['cpu_s_per_page'] * 1000:.1f} ms" if m.get("cpu_s_per_page") else ""
        own = f"{m['cpu_ms_per_page']:.2f} ms" if m.get("cpu_ms_per_page") else ""
        rss = f"{m['peak_rss_mb']:.0f} MB" if m.get("peak_rss_mb") else ""
        table.add_row(m["label"], f"{r:.0f}" if r else "–", f"{m['min']:.0f}–{m['max']:.0f}", *ratios, tree, own,
                      rss)  # fmt: skip
    out = Console(width=max(Console().width, 140))
    out.print(table)
    if result["startup"]:
        out.print(f"[{shape}] start-up (median): " + ", ".join(f"{k} {v:.2f} s" for k, v in result["startup"].items()),
                  highlight=False)  # fmt: skip
    stages = result.get("stage_profile_s")
    if stages:
        own = (medians.get("first") or {}).get("cpu_ms_per_page")
        run_time = sum(v for k, v in stages.items() if k != "imports") or 1.0
        parts = []
        for stage in STAGES:
            if stage == "imports":
                continue
            share = stages[stage] / run_time
            parts.append(
                f"{stage} {100 * share:.0f} %" + (f" ≈ {share * own:.2f} ms" if own else "")
            )
        out.print(f"[{shape}] crawl process by stage (cProfile, CPU clock, of a first crawl, imports excluded; ms/page = share × "
                  f"the crawl process's CPU per page): " + ", ".join(parts), highlight=False)  # fmt: skip
    for what, info in (result.get("importtime") or {}).items():
        top = ", ".join(f"{k} {v:.0f}" for k, v in list(info["top_packages_ms"].items())[:8])
        mods = ", ".join(f"{k} {v:.0f}" for k, v in list(info["top_modules_ms"].items())[:8])
        out.print(f"[{shape}] -X importtime, {what}: {info['modules']} modules, {info['total_ms']:.0f} ms; "
                  f"packages (ms): {top}; modules (ms): {mods}", highlight=False)  # fmt: skip
    for t in result["targets"]:
        mark = "[green]met[/]" if t["met"] else "[red]NOT met[/]"
        out.print(f"[{shape}] target: {t['target']}: {t['measured']} — {mark}", highlight=False)


if __name__ == "__main__":
    main()
