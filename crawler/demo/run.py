"""`newsarchive demo`: serve the bundled sample sites on 127.0.0.1 and crawl them end to end."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from archive.config import Config
from crawler.demo.server import SiteServer
from crawler.profiles import BUILTIN_PROFILES
from crawler.runner import CrawlTarget, run_crawl
from crawler.summary import print_summary

SITE_ROOT = Path(__file__).parent / "site"
# Fixed ports keep the sample articles' URLs (and so their ids) the same from one demo run
# to the next; a busy port falls back to any free one.
DEMO_PORTS = {"cnn-lite": 8701, "npr-text": 8702}


def demo_config(config: Config) -> Config:
    """The user's config with politeness off: the sample sites are ours, on loopback. The
    demo opts in to fetching them explicitly (the address policy refuses loopback by
    default, docs/security.md): 127.0.0.1 only, where its servers listen."""
    allowed = list(dict.fromkeys([*config.crawl.allowed_networks, "127.0.0.1/32"]))
    crawl = dataclasses.replace(config.crawl, download_delay=0.0, autothrottle=False,
                                concurrent_requests_per_domain=8, allowed_networks=allowed)  # fmt: skip
    return dataclasses.replace(config, crawl=crawl)


def run_demo(config: Config, *, console: Console, progress: bool = True, keep_serving: bool = False,
             verbose: bool = False) -> int:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="newsarchive-demo-") as tmp:
        # Served from a copy: the demo edits a story to show how a new version is recorded.
        shutil.copytree(SITE_ROOT, Path(tmp) / "site")
        return _run_demo(config, Path(tmp) / "site", console=console, progress=progress,
                         keep_serving=keep_serving, verbose=verbose)  # fmt: skip


def _run_demo(config: Config, site_root: Path, *, console: Console, progress: bool, keep_serving: bool,
              verbose: bool) -> int:  # fmt: skip
    servers = {}
    for name in ("cnn-lite", "npr-text"):
        root = site_root / name
        if not root.is_dir():
            raise FileNotFoundError(f"sample site missing: {root}")
        try:
            server = SiteServer(root, DEMO_PORTS[name])
        except OSError:
            server = SiteServer(root, 0)
        server.start_in_thread()
        servers[name] = server
        console.print(f"serving sample [bold]{name}[/] site at {server.url}", highlight=False)
    config = demo_config(config)
    # refetch: a second demo run re-captures every article and shows them unchanged (revisits).
    targets = [CrawlTarget(BUILTIN_PROFILES[name], start_urls=[server.url], refetch=True)
               for name, server in servers.items()]  # fmt: skip
    started = time.monotonic()
    result = run_crawl(config, targets, command="demo", console=console, progress=progress, verbose=verbose)
    console.print(f"crawled in {time.monotonic() - started:.1f} s")
    print_summary(console, result.summary, config.data_dir)
    records = result.summary.get("records_file")
    if records and Path(records).exists():
        first = json.loads(Path(records).read_text(encoding="utf-8").splitlines()[0])
        console.print("\n[bold]one JSON record[/] (text cut):", highlight=False)
        first["text"] = first["text"][:160] + "…"
        console.print_json(json.dumps(first, ensure_ascii=False))
    edited = _show_an_update(config, site_root, servers["cnn-lite"].url, console)
    if edited:
        console.print(f"\nnext: [bold]newsarchive --data-dir {config.data_dir} history {edited}[/]",
                      highlight=False, soft_wrap=True)  # fmt: skip
    if keep_serving:
        console.print("serving until Ctrl-C …")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    for server in servers.values():
        server.shutdown()
    return 1 if result.whole_run_failed else 0


DEMO_STORY = "2026/05/05/politics/senate-panel-air-traffic-control-bill"
DEMO_UPDATE = ("UPDATE: The full Senate is expected to take up the bill next week, "
               "according to two aides familiar with the schedule.")  # fmt: skip


def _show_an_update(config: Config, site_root: Path, cnn_url: str, console: Console) -> str | None:
    """Edit one story on the served copy, archive it again (a child process: Twisted's
    reactor cannot restart) and show the new version's diff."""
    page = site_root / "cnn-lite" / DEMO_STORY / "index.html"
    if not page.is_file():
        return None
    html = page.read_text(encoding="utf-8")
    marker = '<p class="paragraph--lite">'
    if marker not in html:
        return None
    page.write_text(html.replace(marker, f"{marker}\n          {DEMO_UPDATE}\n        </p>\n        {marker}", 1),
                    encoding="utf-8")  # fmt: skip
    url = cnn_url + DEMO_STORY
    console.print(f"\n[bold]the story at {url} changes; archiving it again …[/]", highlight=False, soft_wrap=True)
    # `python -m crawler.demo.run URL`: `newsarchive archive URL` under demo_config.
    cmd = [sys.executable, "-m", "crawler.demo.run", "--data-dir", str(config.data_dir)]
    if config.source:
        cmd += ["--config", str(config.source)]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        console.print(f"[red]archiving the changed story failed:[/] {done.stderr.strip()}", highlight=False)
        return None
    from archive.catalog import Catalog
    from archive.history import article_history, diff_between
    from crawler.summary import print_diff

    catalog = Catalog(config.resolved_catalog_url)
    try:
        history = article_history(catalog, url)
    finally:
        catalog.close()
    latest = history["versions"][-1]
    console.print(f"version {latest['version']} ({latest['change']}, changed: "
                  f"{', '.join(latest.get('changed_fields') or []) or 'nothing'})", highlight=False)  # fmt: skip
    if latest["version"] > 1:
        print_diff(console, diff_between(history, latest["version"] - 1, latest["version"]),
                   latest["version"] - 1, latest["version"])  # fmt: skip
    return url


def _archive_again(argv: list[str] | None = None) -> int:
    """Archive one sample story again under the demo's config (a child of `run_demo`)."""
    import argparse

    from archive.config import load_config

    parser = argparse.ArgumentParser(description=_archive_again.__doc__)
    parser.add_argument("url")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--config")
    args = parser.parse_args(argv)
    config = demo_config(load_config(args.config, args.data_dir))
    result = run_crawl(config, [CrawlTarget(BUILTIN_PROFILES["cnn-lite"], urls=[args.url])], command="archive",
                       console=Console(stderr=True), progress=False)  # fmt: skip
    results = [r for report in result.reports for r in report.get("results", {}).values()]
    print(json.dumps({"results": results}, default=str))
    return 0 if any(r.get("version") for r in results) else 1


if __name__ == "__main__":
    sys.exit(_archive_again())
