"""`newsarchive demo`: serve the bundled sample sites on 127.0.0.1 and crawl them end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text

from archive.config import Config
from crawler.profiles import BUILTIN_PROFILES
from newsarchive.cli_output import command_line
from newsarchive.crawl import CrawlTarget, run_crawl
from newsarchive.demo.server import SiteServer
from newsarchive.summary import print_summary

SITE_ROOT = Path(__file__).parent / "site"
# Fixed ports keep the sample articles' URLs (and so their ids) the same from one demo run
# to the next, and the README's `history http://127.0.0.1:8701/…` working. A busy port is
# an error, never a silent move to another port (the second run would then archive every
# story again, as new articles under new URLs).
DEMO_PORT = 8701  # cnn-lite; npr-text on the next port
SITES = ("cnn-lite", "npr-text")


class DemoPortBusy(Exception):
    """A port the sample sites are served on is taken; the message says what to do."""


def demo_config(config: Config) -> Config:
    """The user's config with politeness off: the sample sites are ours, on loopback. The
    demo opts in to fetching them explicitly (the address policy refuses loopback by
    default, docs/security.md): 127.0.0.1 only, where its servers listen."""
    allowed = list(dict.fromkeys([*config.crawl.allowed_networks, "127.0.0.1/32"]))
    crawl = config.crawl.model_copy(update={"download_delay": 0.0, "autothrottle": False,
                                            "concurrent_requests_per_domain": 8,
                                            "allowed_networks": allowed})  # fmt: skip
    return config.model_copy(update={"crawl": crawl})


def run_demo(config: Config, *, console: Console, progress: bool = True, keep_serving: bool = False,
             verbose: bool = False, port: int = DEMO_PORT) -> int:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="newsarchive-demo-") as tmp:
        # Served from a copy: the demo edits a story to show how a new version is recorded.
        shutil.copytree(SITE_ROOT, Path(tmp) / "site")
        servers = _bind(Path(tmp) / "site", port)
        try:
            return _run_demo(config, Path(tmp) / "site", servers, console=console, progress=progress,
                             keep_serving=keep_serving, verbose=verbose)  # fmt: skip
        finally:
            for server in servers.values():
                server.server_close()


def _bind(site_root: Path, port: int) -> dict[str, SiteServer]:
    servers: dict[str, SiteServer] = {}
    for offset, name in enumerate(SITES):
        root = site_root / name
        if not root.is_dir():
            raise FileNotFoundError(f"sample site missing: {root}")
        try:
            servers[name] = SiteServer(root, port + offset)
        except OSError as exc:
            for server in servers.values():
                server.server_close()
            other = (
                "" if port != DEMO_PORT else " (another `newsarchive demo --serve` still running?)"
            )
            raise DemoPortBusy(
                f"cannot serve the sample {name} site on 127.0.0.1:{port + offset}: {exc.strerror or exc}{other}; "
                f"free the port, or run the demo on two other ports with --port N (N and N+1: the sample "
                f"stories then have other URLs, so other article ids)"
            ) from None
    return servers


def _run_demo(config: Config, site_root: Path, servers: dict[str, SiteServer], *, console: Console,
              progress: bool, keep_serving: bool, verbose: bool) -> int:  # fmt: skip
    for name, server in servers.items():
        server.start_in_thread()
        console.print(
            Text.assemble("serving sample ", (name, "bold"), f" site at {server.url}"),
            highlight=False,
        )
    config = demo_config(config)
    # refetch: a second demo run re-captures every article and shows them unchanged (revisits).
    targets = [CrawlTarget(BUILTIN_PROFILES[name], start_urls=[server.url], refetch=True)
               for name, server in servers.items()]  # fmt: skip
    started = time.monotonic()
    result = run_crawl(
        config, targets, command="demo", console=console, progress=progress, verbose=verbose
    )
    console.print(f"crawled in {time.monotonic() - started:.1f} s")
    print_summary(console, result.summary, config.data_dir)
    records = result.summary.get("records_file")
    if records and Path(records).exists():
        first = json.loads(Path(records).read_text(encoding="utf-8").splitlines()[0])
        console.print(
            Text.assemble("\n", ("one JSON record", "bold"), " (text cut):"), highlight=False
        )
        first["text"] = first["text"][:160] + "…"
        console.print_json(json.dumps(first, ensure_ascii=False))
    edited = _show_an_update(config, site_root, servers["cnn-lite"].url, console)
    if edited:
        hint = command_line("--data-dir", str(config.data_dir.absolute()), "history", edited)
        console.print(Text.assemble("\nnext: ", (hint, "bold")), highlight=False, soft_wrap=True)
    if keep_serving:
        console.print("serving until Ctrl-C …")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    for server in servers.values():
        server.shutdown()
    if result.status == "interrupted":
        return 130
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
    console.print(Text(f"\nthe story at {url} changes; archiving it again …", style="bold"), highlight=False,
                  soft_wrap=True)  # fmt: skip
    # `python -m newsarchive.demo.run URL`: `newsarchive archive URL` under demo_config.
    cmd = [sys.executable, "-m", "newsarchive.demo.run", "--data-dir", str(config.data_dir)]
    if config.source:
        cmd += ["--config", str(config.source)]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        console.print(Text.assemble(("archiving the changed story failed: ", "red"), done.stderr.strip()),
                      highlight=False)  # fmt: skip
        return None
    from archive.catalog import Catalog
    from archive.history import article_history
    from newsarchive.history_view import print_diff

    catalog = Catalog(config.resolved_catalog_url)
    try:
        history = article_history(catalog, url)
    finally:
        catalog.close()
    latest = history["versions"][-1]
    console.print(f"version {latest['version']} ({latest['change']}, changed: "
                  f"{', '.join(latest.get('changed_fields') or []) or 'nothing'})", highlight=False)  # fmt: skip
    if latest["version"] > 1:
        print_diff(console, history["versions"][-2], latest)
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
