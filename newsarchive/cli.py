"""`newsarchive`: the command line, a thin typed layer over library functions."""

from __future__ import annotations

import gc
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from archive.config import Config, ConfigError, load_config
from newsarchive.cli_output import err, error_line, out, print_table, warning_line

# `-h` as well as `--help`, on every command.
CONTEXT = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
    help="Archive every version of every story from lite news sites into WARC files and JSON records.",
)


# `-v`/`--verbose` as given on this run: `main` prints an unexpected error's traceback then.
_RUN = {"verbose": False}


class UserError(Exception):
    """An error the user can act on: printed as one line, exit status 2 (1 for failed runs)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class State:
    data_dir: Path | None
    config_path: Path | None
    verbose: bool

    def config(self) -> Config:
        """The config, its `[sites.*]` tables checked up front: an error names the file."""
        config = load_config(self.config_path, self.data_dir)
        if config.sites:
            from crawler.profiles import load_profiles

            try:
                load_profiles(config)
            except ConfigError as exc:
                where = str(config.source or "config")
                raise ConfigError(
                    str(exc) if str(exc).startswith(where) else f"{where}: {exc}"
                ) from None
        return config


def _state(ctx: typer.Context) -> State:
    return ctx.obj  # type: ignore[no-any-return]


def _check_sites(names: list[str] | None, config: Config, catalog: Any = None) -> None:
    """One rule for every `--site`: a name that is neither a profile (built-in, configured,
    `generic`) nor a site the archive holds is a usage error listing the known names."""
    if not names:
        return
    from crawler.profiles import load_profiles

    known = {*load_profiles(config), "generic"}
    if catalog is not None:
        from sqlalchemy import select

        from archive import catalog_schema as t

        with catalog.reading() as conn:
            known.update(conn.execute(select(t.articles.c.site).distinct()).scalars())
    for name in names:
        if name not in known:
            raise UserError(f"unknown site {name!r}; known sites: {', '.join(sorted(known))}")


def _check_urls(urls: list[str], what: str = "an http(s) URL") -> None:
    """A URL typed without a scheme gets the likely fix; everything else is checked by
    `crawler.url_form.fetch_url` (one parser for the CLI, the API and the fetch)."""
    for u in urls:
        if "://" not in u:
            raise UserError(f"not {what}: {u!r} (did you mean 'http://{u}'?)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsarchive")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"newsarchive {_version()}\n")
        raise typer.Exit(0)


def _help_when_bare(ctx: typer.Context) -> None:
    """A group named without a command prints its help on stdout and exits 0 (as pip does)."""
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        sys.stdout.write(ctx.get_help() + "\n")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _options(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", envvar="NEWSARCHIVE_DATA_DIR", help="Data directory (default ./data)."
        ),
    ] = None,  # fmt: skip
    config: Annotated[
        Path | None, typer.Option("--config", envvar="NEWSARCHIVE_CONFIG", help="TOML config file.")
    ] = None,  # fmt: skip
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request.")] = False,
    _version_flag: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,  # fmt: skip
) -> None:
    ctx.obj = State(data_dir, config, verbose)
    _RUN["verbose"] = verbose
    _help_when_bare(ctx)


# Options several commands share: one wording, in one place.
SitesOption = Annotated[
    list[str] | None,
    typer.Option("--site", metavar="NAME", help="Only these sites (repeatable)."),
]
NoProgressOption = Annotated[bool, typer.Option("--no-progress", help="No progress bar.")]


@app.command()
def sites(ctx: typer.Context) -> None:
    """List site profiles (built-in and from the config file)."""
    from crawler.profiles import load_profiles

    rows = []
    for profile in load_profiles(_state(ctx).config()).values():
        rule = " + ".join(x for x in (profile.article_links, profile.article_pattern) if x)
        urls = "\n".join(profile.start_urls + profile.feeds + profile.sitemaps)
        rows.append([profile.name, profile.parser, urls, rule, profile.description])
    print_table(out, ["site", "parser", "start URLs", "article links", "description"], rows)


@app.command()
def crawl(
    ctx: typer.Context,
    site: Annotated[
        list[str],
        typer.Argument(metavar="SITE", help="Site profile names (see `newsarchive sites`)."),
    ],
    start_url: Annotated[
        list[str] | None,
        typer.Option(
            "--start-url",
            metavar="URL",
            help="Crawl a mirror: index URL(s) replacing the profile's start URLs.",
        ),
    ] = None,  # fmt: skip
    max_articles: Annotated[
        int | None,
        typer.Option("--max-articles", min=1, help="Stop queueing articles after N per site."),
    ] = None,  # fmt: skip
    refetch: Annotated[
        bool,
        typer.Option(
            "--refetch",
            help="Also fetch articles already in the archive (normally the recheck ladder's job).",
        ),
    ] = False,  # fmt: skip
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="No progress display.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed",
            help="Queue the discovery in Redis for `newsarchive worker`s; crawl nothing here.",
        ),
    ] = False,  # fmt: skip
) -> None:
    """Discovery crawl: index pages (feeds, sitemaps) → new articles → WARC + versions."""
    from crawler.profiles import get_profile, load_profiles
    from newsarchive.crawl import CrawlTarget, run_crawl
    from newsarchive.summary import print_summary

    state = _state(ctx)
    config = state.config()
    profiles = load_profiles(config)
    _check_sites(site, config)
    chosen = [get_profile(name, profiles) for name in site]
    _check_urls(list(start_url or []))
    if start_url and len(chosen) > 1:
        raise UserError("--start-url applies to one site at a time: name a single site with it")
    from crawler.url_form import InvalidUrl, fetch_url

    try:
        start_url = [fetch_url(u) for u in start_url or []]
    except InvalidUrl as exc:
        raise UserError(f"--start-url: {exc}") from None
    targets = [CrawlTarget(p, start_urls=list(start_url or []), max_articles=max_articles, refetch=refetch)
               for p in chosen]  # fmt: skip
    if distributed:
        return _push_distributed(
            config,
            lambda: _worker().push_discovery(
                config,
                chosen,
                start_urls=list(start_url or []),
                refetch=refetch,
                max_articles=max_articles,
            ),
            json_out,
        )
    _check_writable(config)
    _check_no_reextract(config)
    result = run_crawl(config, targets, command="crawl", console=err, progress=not no_progress,
                       verbose=state.verbose)  # fmt: skip
    if json_out:
        out.print_json(json.dumps(result.summary, default=str))
    else:
        print_summary(out, result.summary, config.data_dir)
    for report in result.failed_sites if result.status != "interrupted" else []:
        error_line(f"{report['site']}: no index page gave article links "
                   f"({'; '.join(report['index_failed']) or 'nothing fetched'})")  # fmt: skip
    _fail_on_fatal(result)
    if result.whole_run_failed:
        raise UserError("the crawl failed: no start page of any site could be read", status=1)


def _fail_on_fatal(result: Any) -> None:
    """A run stopped because nothing more could be archived (e.g. the disk is full), or
    because it was interrupted (Ctrl-C: exit status 130, as a shell reports it)."""
    if result.fatal_error:
        raise UserError(f"the crawl stopped: {result.fatal_error}", status=1)
    if result.status == "interrupted":
        import signal

        signum = result.signal or signal.SIGINT
        raise UserError(f"interrupted ({signal.Signals(signum).name}): what was fetched is archived, "
                        "the rest was not fetched", status=128 + signum)  # fmt: skip


@app.command()
def archive(
    ctx: typer.Context,
    url: Annotated[list[str], typer.Argument(metavar="URL", help="URLs to archive now.")],
    site: Annotated[
        str | None,
        typer.Option(
            "--site", metavar="NAME", help="Parse with this site profile (default: by host)."
        ),
    ] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """On-demand: fetch, capture, extract and track the given URLs now."""
    from crawler.profiles import get_profile, load_profiles, profile_for_url
    from crawler.url_form import InvalidUrl, fetch_url, url_key
    from newsarchive.crawl import CrawlTarget, run_crawl
    from newsarchive.history_view import print_archive_results

    state = _state(ctx)
    config = state.config()
    profiles = load_profiles(config)
    _check_sites([site] if site else None, config)
    _check_urls(url)
    # Each URL as the crawler will fetch it (crawler/url_form.py): checked once, up front,
    # and matched with what was fetched through the same key, however Scrapy re-encoded it.
    fetched: dict[str, str] = {}
    for u in url:
        try:
            fetched.setdefault(url_key(u), fetch_url(u))
        except InvalidUrl as exc:
            raise UserError(str(exc)) from None
    groups: dict[str, list[str]] = {}
    for u in fetched.values():
        profile = get_profile(site, profiles) if site else profile_for_url(u, profiles)
        groups.setdefault(profile.name, []).append(u)
    targets = [CrawlTarget(get_profile(name, profiles), urls=urls) for name, urls in groups.items()]
    _check_writable(config)
    _check_no_reextract(config)
    result = run_crawl(config, targets, command="archive", console=err, progress=not no_progress,
                       verbose=state.verbose)  # fmt: skip
    results: dict[str, Any] = {}
    for report in result.reports:
        results.update({url_key(k): v for k, v in report.get("results", {}).items()})
    rows = [{"requested_url": u, **results.get(url_key(u), {"outcome": "not-fetched", "error": "no response recorded"})}
            for u in url]  # fmt: skip
    if json_out:
        out.print_json(
            json.dumps({"run_id": result.summary["run_id"], "results": rows}, default=str)
        )
    else:
        print_archive_results(out, rows)
    _fail_on_fatal(result)
    failed = [r for r in rows if r.get("version") is None]
    if failed:
        raise UserError(f"{len(failed)} of {len(rows)} URL(s) could not be archived", status=1)


@app.command()
def recheck(
    ctx: typer.Context,
    site: SitesOption = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every tracked article now, due or not.")
    ] = False,
    list_: Annotated[
        bool, typer.Option("--list", help="Show what is due and when; fetch nothing.")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help="At most N articles per site this run (default [recheck] max_per_site).",
        ),
    ] = None,  # fmt: skip
    no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the summary (or the list) as JSON.")
    ] = False,
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed",
            help="Queue the due articles in Redis for `newsarchive worker`s; fetch nothing here.",
        ),
    ] = False,  # fmt: skip
) -> None:
    """Re-fetch known articles that are due by the recheck ladder, most overdue first."""
    from archive import clock
    from archive.recheck import RecheckLadder
    from crawler.profiles import load_profiles
    from newsarchive.crawl import run_crawl
    from newsarchive.recheck import due_by_site, overdue, recheck_targets
    from newsarchive.summary import print_summary

    state = _state(ctx)
    config = state.config()
    ladder = RecheckLadder.from_config(config.recheck)
    catalog = _open_catalog(config)
    at = clock.now()
    try:
        _check_sites(site, config, catalog)
        groups = due_by_site(catalog, load_profiles(config), at=at, sites=site, everything=all_,
                             per_site=limit or ladder.max_per_site)  # fmt: skip
    finally:
        catalog.close()
    if list_:
        rows = [{"site": g.site, "article_id": a["id"], "url": a["fetch_url"] or a["url"],
                 "next_check_at": clock.iso_utc(a["next_check_at"]), "due": overdue(a, at), "title": a["title"]}
                for g in groups for a in g.articles]  # fmt: skip
        if json_out:
            out.print_json(json.dumps({"at": clock.iso_utc(at), "due": rows,
                                       "upcoming": {g.site: g.upcoming for g in groups}}))  # fmt: skip
            return
        print_table(out, ["site", "article", "due", "title"],
                    [[r["site"], r["article_id"], r["due"], r["title"] or r["url"]] for r in rows],
                    title=f"due at {at:%Y-%m-%d %H:%M:%S}Z")  # fmt: skip
        for g in groups:
            out.print(f"{g.site}: {len(g.articles)} due, {g.upcoming} scheduled later")
        return
    targets = recheck_targets(groups)
    if distributed:
        return _push_distributed(config, lambda: {t.profile.name: _worker().push_urls(
            config, t.profile.name, t.urls, t.address_policies) for t in targets}, json_out)  # fmt: skip
    if not targets:
        if json_out:
            out.print_json(json.dumps({"due": 0}))
        else:
            out.print("nothing is due for a recheck")
        return
    _check_writable(config)
    _check_no_reextract(config)
    result = run_crawl(config, targets, command="recheck", console=err, progress=not no_progress,
                       verbose=state.verbose)  # fmt: skip
    if json_out:
        out.print_json(json.dumps(result.summary, default=str))
    else:
        print_summary(out, result.summary, config.data_dir)
    _fail_on_fatal(result)


tracking_app = typer.Typer(help="Start or stop rechecking an article or a whole site.", rich_markup_mode=None,
                           context_settings=CONTEXT)  # fmt: skip
app.add_typer(tracking_app, name="tracking")


@tracking_app.callback(invoke_without_command=True)
def _tracking(ctx: typer.Context) -> None:
    _help_when_bare(ctx)


def _set_tracking(ctx: typer.Context, target: str | None, site: str | None, tracking: bool) -> None:
    from archive.history import ArticleNotFound, find_article

    if (target is None) == (site is None):
        raise UserError("name one article (URL or id) or one --site")
    config = _state(ctx).config()
    catalog = _open_catalog(config, write=True)
    try:
        if site is not None:
            _check_sites([site], config, catalog)
            n = catalog.set_tracking(tracking, site=site)
            out.print(f"{'tracking' if tracking else 'stopped tracking'} {n} article(s) of {site}")
        else:
            try:
                article = find_article(catalog, str(target))
            except ArticleNotFound as exc:
                raise UserError(str(exc), status=1) from None
            catalog.set_tracking(tracking, article_id=article["id"])
            out.print(
                f"{'tracking' if tracking else 'stopped tracking'} {article['id']} {article['url']}"
            )
    finally:
        catalog.close()


@tracking_app.command("stop")
def tracking_stop(
    ctx: typer.Context,
    article: Annotated[
        str | None, typer.Argument(metavar="URL_OR_ID", help="Article URL or id.")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", metavar="NAME", help="Every article of this site.")
    ] = None,
) -> None:
    """Stop rechecking an article (or a site's articles); its versions stay."""
    _set_tracking(ctx, article, site, False)


@tracking_app.command("start")
def tracking_start(
    ctx: typer.Context,
    article: Annotated[
        str | None, typer.Argument(metavar="URL_OR_ID", help="Article URL or id.")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", metavar="NAME", help="Every article of this site.")
    ] = None,
) -> None:
    """Resume rechecking an article (or a site's articles)."""
    _set_tracking(ctx, article, site, True)


def _open_catalog(config: Config, *, write: bool = False) -> Any:
    """The catalog. For reading, a SQLite catalog that cannot be written (a read-only
    mount, a snapshot) is opened read-only: no migration, no WAL file, nothing written.
    For writing, a data directory or catalog that cannot be written fails up front."""
    from archive.catalog import Catalog, CatalogNotWritable, catalog_writable

    if not config.catalog_url and not (config.data_dir / "catalog.sqlite").exists():
        raise UserError(f"no archive in {config.data_dir} (run a crawl first, or pass --data-dir)")
    if write:
        _check_writable(config)
    url = config.resolved_catalog_url
    try:
        return Catalog(url, read_only=not write and not catalog_writable(url))
    except CatalogNotWritable as exc:
        raise UserError(str(exc), status=1) from None


def _check_no_reextract(config: Config) -> None:
    """A crawl does not start while `reextract` appends versions to the same archive (the
    two would race for the same articles' next version): one line naming the run, exit 1."""
    if not config.catalog_url and not (config.data_dir / "catalog.sqlite").exists():
        return
    from archive.catalog import Catalog
    from archive.reextract import running_writers

    catalog = Catalog(config.resolved_catalog_url)
    try:
        busy = [r for r in running_writers(catalog, config.data_dir) if r["command"] == "reextract"]
    finally:
        catalog.close()
    if busy:
        raise UserError(f"a reextract run ({busy[0]['id']}, pid {busy[0]['pid']}) is writing to this archive: "
                        "crawl when it has finished", status=1)  # fmt: skip


def _check_writable(config: Config) -> None:
    """A command that writes stops before it starts when the data directory or the catalog
    cannot be written, with one line naming the file and the cause (exit status 1)."""
    import tempfile

    from archive.catalog import sqlite_path

    catalog = sqlite_path(config.resolved_catalog_url)
    folders = [config.data_dir.absolute()] + ([catalog.parent] if catalog is not None else [])
    for folder in dict.fromkeys(folders):
        existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        try:
            with tempfile.TemporaryFile(dir=existing, prefix=".newsarchive-write-check-"):
                pass
        except OSError as exc:
            raise UserError(
                f"cannot write to {existing}: {exc.strerror or exc}", status=1
            ) from None
    if catalog is not None and catalog.exists():
        try:
            with open(catalog, "r+b"):
                pass
        except OSError as exc:
            raise UserError(f"cannot write to {catalog}: {exc.strerror or exc}", status=1) from None


@app.command()
def history(
    ctx: typer.Context,
    url_or_id: Annotated[
        str, typer.Argument(metavar="URL_OR_ID", help="Article URL or article id.")
    ],
    json_out: Annotated[
        bool, typer.Option("--json", help="The article and all its versions as JSON.")
    ] = False,
    diff: Annotated[
        str | None, typer.Option("--diff", help="Show the diff between two versions, e.g. 1..3.")
    ] = None,
    response: Annotated[
        int | None,
        typer.Option(
            "--response",
            min=1,
            help="Print the archived HTTP response "
            "of version N (read from the local WARC, else from S3 by byte range).",
        ),
    ] = None,  # fmt: skip
    headers_only: Annotated[
        bool, typer.Option("--headers-only", help="With --response: status line and headers only.")
    ] = False,  # fmt: skip
) -> None:
    """Versions of one article with their diffs."""
    from archive.history import ArticleNotFound, article_history, diff_between
    from newsarchive.history_view import print_diff, print_history

    config = _state(ctx).config()
    catalog = _open_catalog(config)
    try:
        record = article_history(catalog, url_or_id)
        if response is not None:  # S3 publishing: works when the local WARC is gone
            _print_response(config, catalog, record, response, headers_only)
            return
        if diff:
            try:
                a, b = (int(x) for x in diff.split(".."))
            except ValueError:
                raise UserError(
                    f"--diff takes two version numbers like 1..2, not {diff!r}"
                ) from None
            d = diff_between(record, a, b)
            if json_out:
                out.print_json(json.dumps(d))
            else:
                by_number = {v["version"]: v for v in record["versions"]}
                print_diff(out, by_number[a], by_number[b])
            return
    except ArticleNotFound as exc:
        raise UserError(str(exc), status=1) from None
    finally:
        catalog.close()
    if json_out:
        sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    else:
        print_history(out, record)


@app.command()
def verify(
    ctx: typer.Context,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="First close or set aside files a crash left, trim "
            "cut records files, rewrite lost record lines, register orphan records.",
        ),
    ] = False,  # fmt: skip
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check WARC files and the catalog against each other; exit 0 only when all is well."""
    from rich.markup import escape
    from rich.progress import Progress
    from rich.table import Table

    from archive.verify import verify_archive

    config = _state(ctx).config()
    catalog = _open_catalog(config, write=repair)
    try:
        with Progress(console=err, transient=True, disable=json_out) as bar:
            task = bar.add_task("checking WARC files", total=None)
            report = verify_archive(config.data_dir, catalog, repair=repair, config=config,
                                    progress=lambda name: bar.update(task, advance=1, description=escape(name)))  # fmt: skip
    finally:
        catalog.close()
    if json_out:
        out.print_json(json.dumps(report.to_dict(), default=str))
    else:
        table = Table(show_header=False, title="verify", title_justify="left")
        table.add_row("WARC files checked", str(report.warc_files))
        table.add_row("records checked", str(report.records))
        table.add_row("catalog pointers checked", str(report.pointers))
        if report.repaired is not None:
            r = report.repaired
            table.add_row("repaired: WARC files closed", str(len(r.warcs_closed)))
            table.add_row("repaired: set aside as .invalid", str(len(r.warcs_invalid)))
            table.add_row("repaired: bytes of cut records dropped", str(r.bytes_dropped))
            table.add_row("repaired: records files trimmed", str(len(r.records_files_trimmed)))
            table.add_row("repaired: record lines rewritten", str(r.record_lines_rewritten))
            table.add_row("repaired: orphan records registered", str(report.recovered_captures))
        table.add_row(
            "problems", str(len(report.problems)), style="red" if report.problems else "green"
        )
        out.print(table)
        for note in report.notes:
            out.print(f"note: {note}", soft_wrap=True)
        for problem in report.problems:
            out.print(f"problem: {problem}", soft_wrap=True)
    if not report.ok:
        raise UserError(f"{len(report.problems)} problem(s) found" + ("" if repair else "; try `verify --repair`"),
                        status=1)  # fmt: skip


def _print_response(
    config: Config, catalog: Any, record: dict[str, Any], n: int, headers_only: bool
) -> None:
    from archive.warc_reader import RecordUnavailable, read_response

    version = next((v for v in record["versions"] if v["version"] == n), None)
    if version is None or not version.get("warc"):
        raise UserError(
            f"article {record['article_id']} has no version {n} with a WARC record", status=1
        )
    try:
        archived = read_response(config, catalog, version["warc"])
    except RecordUnavailable as exc:
        raise UserError(str(exc), status=1) from None
    head = (
        archived.status_line
        + "\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in archived.headers)
        + "\r\n"
    )
    sys.stdout.buffer.write(head.encode("latin-1", "replace"))
    if not headers_only:
        sys.stdout.buffer.write(archived.body)
    sys.stdout.flush()


@app.command()
def sync(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be uploaded; upload nothing.")
    ] = False,
    delete_local: Annotated[
        bool,
        typer.Option(
            "--delete-local-after-upload",
            help="Delete each local file once its upload is verified.",
        ),
    ] = False,  # fmt: skip
    no_progress: NoProgressOption = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Upload closed WARCs, their indexes and records files to S3 ([s3] in the config), verified."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.table import Table

    from archive.publishing import plan_sync
    from archive.publishing import sync as sync_files
    from archive.s3_config import s3_config_of
    from archive.upload_state import UploadTable
    from archive.uploads import Publisher

    config = _state(ctx).config()
    s3 = s3_config_of(config)
    if s3 is None:
        raise UserError(
            "S3 is not configured: add an [s3] table with at least `bucket` to the config file"
        )
    catalog = _open_catalog(config, write=not dry_run)
    try:
        plan = plan_sync(config.data_dir, catalog.engine)
        files = plan.files
        if dry_run:
            rows: list[dict[str, Any]] = [{"relpath": rel, "kind": kind, "size": size, "key": s3.key_for(rel)}
                                          for rel, kind, size in files]  # fmt: skip
            if json_out:
                out.print_json(
                    json.dumps(
                        {"dry_run": True, "files": rows, "bytes": sum(r["size"] for r in rows)}
                    )
                )
                return
            print_table(out, ["kind", "file", "bytes", "key"],
                        [[r["kind"], r["relpath"], f"{r['size']:,}", r["key"]] for r in rows],
                        title=f"would upload to s3://{s3.bucket}")  # fmt: skip
            out.print(f"{len(rows)} file(s), {sum(r['size'] for r in rows):,} bytes")
            return
        publisher = Publisher(s3, config.data_dir, UploadTable(catalog.engine),
                              delete_local=True if delete_local else None)  # fmt: skip
        bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                       TransferSpeedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[name]}", markup=False),
                       console=err, disable=no_progress or json_out)  # fmt: skip
        with bar:
            task = bar.add_task("uploading", total=sum(size for *_, size in files) or None, name="")
            results = sync_files(plan, publisher,
                                 on_file=lambda rel, _size: bar.update(task, name=rel.rsplit("/", 1)[-1]),
                                 on_bytes=lambda n: bar.advance(task, n))  # fmt: skip
        counts = UploadTable(catalog.engine).counts()
    finally:
        catalog.close()
    summary: dict[str, Any] = {
        "uploaded": sum(r.state == "uploaded" for r in results),
        "uploaded_bytes": sum(r.size for r in results if r.state == "uploaded"),
        "failed": sum(r.state == "failed" for r in results),
        "not_attempted": sum(r.state == "skipped" for r in results),
        "deleted_local": sum(r.deleted_local for r in results),
        "pending": counts["pending"] + counts["failed"],
        "errors": {r.relpath: r.error for r in results if r.error},
    }
    if json_out:
        out.print_json(json.dumps(summary))
    else:
        table = Table(
            show_header=False, title=f"sync to s3://{s3.bucket}/{s3.prefix}", title_justify="left"
        )
        for label, name in (("uploaded", "uploaded"), ("bytes", "uploaded_bytes"), ("failed", "failed"),
                            ("not attempted (S3 unreachable)", "not_attempted"),
                            ("local copies deleted", "deleted_local"), ("still pending", "pending")):  # fmt: skip
            table.add_row(label, f"{summary[name]:,}")
        out.print(table)
        for rel, error in summary["errors"].items():
            err.print(f"failed: {rel}: {error}", soft_wrap=True)
    if summary["pending"]:
        first = next(iter(summary["errors"].values()), "not attempted")
        raise UserError(f"{summary['pending']} file(s) not uploaded: {first}", status=1)


@app.command()
def demo(
    ctx: typer.Context,
    keep_serving: Annotated[
        bool, typer.Option("--serve", help="Keep serving the sample sites after the crawl.")
    ] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=1,
            max=65534,
            help="Serve the sample sites on 127.0.0.1:N "
            "and N+1 (default 8701: the URLs the README's examples use).",
        ),
    ] = 8701,  # fmt: skip
) -> None:
    """Serve the bundled sample sites on 127.0.0.1 and crawl them: the offline quickstart."""
    from newsarchive.demo.run import DemoPortBusy, run_demo

    state = _state(ctx)
    config = state.config()
    _check_writable(config)
    try:
        code = run_demo(config, console=out, progress=not no_progress, keep_serving=keep_serving,
                        verbose=state.verbose, port=port)  # fmt: skip
    except DemoPortBusy as exc:
        raise UserError(str(exc), status=1) from None
    if code == 130:
        raise UserError("interrupted (SIGINT): the demo stopped early", status=130)
    if code:
        raise UserError("the demo crawl failed", status=code)


def _parse_when(value: str | None, option: str, *, end_of_day: bool) -> Any:
    """An ISO date or datetime as an aware UTC datetime (`archive.clock.parse_when`); a bare
    date is the start of that day (`--since`) or its last microsecond (`--until`)."""
    from archive.clock import WHEN_HINT, parse_when

    try:
        return parse_when(value, end_of_day=end_of_day)
    except ValueError:
        raise UserError(f"{option} takes {WHEN_HINT}, not {value!r}") from None


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        str | None,
        typer.Argument(
            metavar="QUERY",
            help='Words, "a phrase", a OR b, -excluded, prefix* (docs/search.md).',
            show_default=False,
        ),
    ] = None,  # fmt: skip
    site: Annotated[
        str | None, typer.Option("--site", metavar="NAME", help="One site's versions.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Captured on or after this ISO date/time (UTC).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Captured on or before this ISO date/time (UTC).")
    ] = None,
    scope: Annotated[
        str,
        typer.Option(
            "--in",
            metavar="any|added|removed",
            help="any: title, authors, text; added/removed: what an edit added or removed.",
        ),
    ] = "any",  # fmt: skip
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="Results to show.")] = 20,
    json_out: Annotated[bool, typer.Option("--json", help="The results as JSON.")] = False,
    rebuild_index: Annotated[
        bool, typer.Option("--rebuild", help="(Re)build the search index of this archive first.")
    ] = False,
) -> None:
    """Full-text search over every version: ranked results with highlighted snippets."""
    from archive.search_index import SCOPES, SearchIndexNotReady, rebuild
    from archive.search_index import search as run_search
    from archive.search_query import SearchQueryError

    if scope not in SCOPES:
        raise UserError(f"--in must be one of {', '.join(SCOPES)}, not {scope!r}")
    if not rebuild_index and not (query or "").strip():
        raise UserError("give a QUERY to search for (or --rebuild to build the index)")
    low = _parse_when(since, "--since", end_of_day=False)
    high = _parse_when(until, "--until", end_of_day=True)
    config = _state(ctx).config()
    catalog = _open_catalog(config, write=rebuild_index)
    try:
        if site:
            _check_sites([site], config, catalog)
        if rebuild_index:
            _rebuild_index(catalog, rebuild, quiet=json_out)
        if not (query or "").strip():
            return
        try:
            results = run_search(catalog.engine, query or "", site=site, since=low, until=high,
                                 scope=scope, limit=limit)  # fmt: skip
        except SearchQueryError as exc:
            raise UserError(str(exc)) from None
        except SearchIndexNotReady as exc:
            raise UserError(str(exc), status=1) from None
    finally:
        catalog.close()
    if json_out:
        out.print_json(data={"query": query, "scope": scope, "candidates": results.candidates,
                             "capped": results.capped, "results": [h.to_dict() for h in results]})  # fmt: skip
        return
    from newsarchive.search_view import print_results

    print_results(out, query or "", results)


def _rebuild_index(catalog: Any, rebuild: Any, *, quiet: bool) -> None:
    """Build the search index with a progress bar (on stderr), then one summary line."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    started = time.monotonic()
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True, disable=quiet) as bar:  # fmt: skip
        task = bar.add_task("indexing versions", total=None)
        done = rebuild(catalog.engine, lambda n, total: bar.update(task, completed=n, total=total))
    line = f"search index rebuilt: {done} version(s) in {time.monotonic() - started:.1f} s"
    (err if quiet else out).print(line, soft_wrap=True)


@app.command()
def export(
    ctx: typer.Context,
    format_: Annotated[str, typer.Option("--format", help="jsonl, parquet, csv or wacz.")],
    out_path: Annotated[
        Path,
        typer.Option("--out", help="Output file; its dataset card goes beside it as <name>.md."),
    ],
    view: Annotated[
        str,
        typer.Option("--view", help="latest: one row per article; versions: one row per version."),
    ] = "latest",
    site: SitesOption = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Versions captured on or after this ISO date/time (UTC)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Versions captured on or before this ISO date/time (UTC)."),
    ] = None,
    fields: Annotated[
        str | None, typer.Option("--fields", help="Comma-separated columns to keep, in order.")
    ] = None,
    csv_raw: Annotated[
        bool,
        typer.Option(
            "--csv-raw",
            help="CSV: write text cells as they are; by default a cell "
            "starting with = + - @ (a spreadsheet formula) gets a ' in front.",
        ),
    ] = False,  # fmt: skip
    no_progress: NoProgressOption = False,
) -> None:
    """Dataset export: JSONL / Parquet / CSV (latest or versions view) or a WACZ package."""
    import shlex

    from archive.export import (
        FORMATS,
        VIEWS,
        ExportError,
        ExportFilter,
        ExportRequest,
        OutputError,
        WarcUnavailable,
        export_dataset,
    )
    from crawler.profiles import load_profiles

    if format_ not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)}, not {format_!r}")
    if view not in VIEWS:
        raise UserError(f"--view must be one of {', '.join(VIEWS)}, not {view!r}")
    flt = ExportFilter(tuple(dict.fromkeys(site or [])), _parse_when(since, "--since", end_of_day=False),
                       _parse_when(until, "--until", end_of_day=True))  # fmt: skip
    if flt.since and flt.until and flt.since > flt.until:
        raise UserError("--since is later than --until")
    field_list = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    config = _state(ctx).config()
    profiles = load_profiles(config)
    request = ExportRequest(
        format=format_, out=out_path.expanduser().absolute(), view=view, filter=flt, fields=field_list,
        site_terms={name: p.terms_url for name, p in profiles.items()},
        command=shlex.join(["newsarchive", *sys.argv[1:]]), csv_raw=csv_raw,
    )  # fmt: skip
    catalog = _open_catalog(config)
    try:
        _check_sites(list(flt.sites), config, catalog)
    except UserError:
        catalog.close()
        raise
    from archive.warc_reader import read_record_bytes

    request.fetch_record = lambda name, offset, length: read_record_bytes(
        config, catalog, name, offset, length
    )
    try:
        if no_progress:
            result = export_dataset(catalog, config.data_dir, request)
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=err, transient=True) as bar:  # fmt: skip
                task = bar.add_task(f"export {format_}", total=None)

                def advance(n: int, total: int) -> None:
                    bar.update(task, advance=n, total=total)

                result = export_dataset(catalog, config.data_dir, request, progress=advance)
    except (ExportError, OutputError) as exc:
        raise UserError(str(exc)) from None
    except WarcUnavailable as exc:  # a WARC neither local nor in S3: a runtime failure
        raise UserError(str(exc), status=1) from None
    finally:
        catalog.close()
    out.print(result.summary(), soft_wrap=True)


@app.command()
def reextract(
    ctx: typer.Context,
    site: SitesOption = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Articles whose latest version was captured on or after this ISO date/time (UTC).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="… captured on or before this ISO date/time (UTC)."),
    ] = None,
    parser: Annotated[
        str | None,
        typer.Option(
            "--parser",
            metavar="NAME",
            help="Only sites read by this parser today (cnn-lite, npr-text, generic).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Count what would change and show a sample; write nothing."),
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size", min=1, help="Articles read, extracted and committed together."
        ),
    ] = 200,
    no_progress: NoProgressOption = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Read archived captures again with today's extractor (from the WARC files, local or S3;
    nothing is fetched): a changed reading becomes a new version marked `reextract`."""
    from newsarchive.reextraction import ReextractError, ReextractOptions, run_reextract

    options = ReextractOptions(
        sites=tuple(dict.fromkeys(site or [])), since=_parse_when(since, "--since", end_of_day=False),
        until=_parse_when(until, "--until", end_of_day=True), parser=parser, dry_run=dry_run,
        batch_size=batch_size,
    )  # fmt: skip
    config = _state(ctx).config()
    if not dry_run:
        _check_writable(config)
    if options.sites:
        catalog = _open_catalog(config)
        try:
            _check_sites(list(options.sites), config, catalog)
        finally:
            catalog.close()
    try:
        if no_progress or json_out:
            report = run_reextract(config, options)
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=err, transient=True) as bar:  # fmt: skip
                task = bar.add_task("reextract (dry run)" if dry_run else "reextract", total=None)

                def advance(n: int, total: int) -> None:
                    bar.update(task, advance=n, total=total)

                report = run_reextract(config, options, progress=advance)
    except ReextractError as exc:
        raise UserError(str(exc), status=1) from None
    if json_out:
        out.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_reextract(report)
    if report.status == "interrupted":
        raise typer.Exit(130 if report.message is None else 1)


def _print_reextract(report: Any) -> None:
    """The summary table, the sample of differences, the first problems (consoles have
    markup off: archived text prints as it is)."""
    from rich.table import Table
    from rich.text import Text

    out.print(
        "reextract (dry run: nothing written)" if report.dry_run else "reextract", style="bold"
    )
    table = Table(show_header=False)
    if report.run_id:
        table.add_row("run", report.run_id + (" (resumed)" if report.resumed else ""))
    table.add_row("articles examined", str(report.examined))
    table.add_row(
        "would change" if report.dry_run else "new versions (reextract)", str(report.changed)
    )
    table.add_row("unchanged", str(report.unchanged))
    for name, value in (("no article in today's reading", report.failed),
                        ("WARC record unreadable", report.unreadable),
                        ("moved on meanwhile (a crawl)", report.moved)):  # fmt: skip
        if value:
            table.add_row(name, str(value))
    if report.changed_fields:
        table.add_row(
            "changed fields",
            ", ".join(f"{k} {v}" for k, v in sorted(report.changed_fields.items())),
        )
    table.add_row("status", report.status)
    out.print(table)
    if report.records_file:
        out.print(f"records {report.records_file}", soft_wrap=True)
    if report.sample:
        out.print(f"sample of the differences ({len(report.sample)} of {report.changed}):")
    for entry in report.sample:
        head = f" v{entry['version']} {entry.get('url') or ''} ({entry.get('from_extractor') or 'unknown'} → {entry.get('to_extractor')})"
        out.print(Text.assemble((entry["article_id"], "bold"), head), soft_wrap=True)
        for name in ("title", "authors", "text"):
            if name in entry:
                out.print(f"  {name}: {entry[name]}", soft_wrap=True)
    for problem in report.problems[:5]:
        warning_line(problem)
    if report.message:
        warning_line(report.message)


@app.command()
def schedule(
    ctx: typer.Context,
    list_: Annotated[
        bool, typer.Option("--list", help="Print each job and its next run time; run nothing.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="With --list: print the jobs as JSON.")
    ] = False,
) -> None:
    """Run the scheduled jobs of the config ([[schedule.jobs]], recheck, S3 sync) in the foreground."""
    from newsarchive.scheduling.lock import SchedulerLocked, describe_holder
    from newsarchive.scheduling.scheduler import ArchiveScheduler, configure_logging

    scheduler = ArchiveScheduler(_state(ctx).config())
    if list_:
        listing = scheduler.listing()
        if json_out:
            out.print_json(json.dumps(listing))
            return
        print_table(out, ["job", "when", "command", "next run (UTC)", "state"],
                    [[j["id"], j["when"], j["command"], j["next_run_time"] or "-", j["state"]]
                     for j in listing["jobs"]])  # fmt: skip
        holder = listing["scheduler"]
        out.print(
            f"scheduler: running ({describe_holder(holder)})"
            if holder
            else "scheduler: not running"
        )
        return
    _check_writable(scheduler.config)
    configure_logging()

    def started(changes: dict[str, str]) -> None:
        kept = sum(c != "removed" for c in changes.values())
        err.print(
            f"scheduler started on {scheduler.data_dir}: {kept} job(s); stop with Ctrl-C or SIGTERM",
            soft_wrap=True,
        )

    try:
        status = scheduler.run(on_started=started)
    except SchedulerLocked as exc:
        raise UserError(str(exc), status=1) from None
    if status:
        raise typer.Exit(status)


@app.command()
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs, newest first.")] = 20,
    job: Annotated[str | None, typer.Option("--job", help="Only this scheduled job.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the runs as JSON.")] = False,
) -> None:
    """Recent runs of scheduled jobs: start, end, exit status, summary counts."""
    from datetime import datetime

    from archive.clock import iso_utc
    from newsarchive.scheduling.runs import JobRunLog

    config = _state(ctx).config()
    catalog = _open_catalog(config)  # a clear error when there is no archive yet
    read_only = catalog.read_only
    catalog.close()
    log = JobRunLog(config.resolved_catalog_url, read_only=read_only)
    try:
        rows = log.recent(limit, job_id=job)
    finally:
        log.close()
    if json_out:
        out.print_json(
            json.dumps(rows, default=lambda v: iso_utc(v) if isinstance(v, datetime) else str(v))
        )
        return
    table = []
    for r in rows:
        summary = r["summary"] or {}
        seconds = (
            f"{(r['ended_at'] - r['started_at']).total_seconds():.1f}"
            if r["ended_at"]
            else "running"
        )
        exit_status = "-" if r["exit_status"] is None else str(r["exit_status"])
        table.append([r["job_id"], f"{r['started_at']:%Y-%m-%d %H:%M:%S}", seconds, exit_status, r["run_id"] or "-",
                      str(summary.get("pages_fetched", "-")), str(summary.get("versions_new", "-")),
                      str(summary.get("errors_total", summary.get("failed", "-"))), r["error"] or ""])  # fmt: skip
    print_table(out, ["job", "started (UTC)", "seconds", "exit", "run", "pages", "new versions", "errors", "error"],
                table)  # fmt: skip
    if not rows:
        out.print("no scheduled job has run yet (see `newsarchive schedule`)")
    _print_site_health(config, read_only)


def _print_site_health(config: Config, read_only: bool) -> None:
    """Sites whose latest health event (newsarchive/notify/health.py) says they are broken."""
    from archive.catalog import Catalog
    from newsarchive.notify.health import latest_states

    catalog = Catalog(config.resolved_catalog_url, read_only=read_only)
    try:
        latest = latest_states(catalog.engine)
    finally:
        catalog.close()
    broken = [e for e in latest.values() if e["type"] == "site.unhealthy"]
    if not broken:
        if latest:
            out.print("site health: every site works")
        return
    rows = [[e["site"], f"{e['created_at']:%Y-%m-%d %H:%M:%S}", "; ".join(e["payload"].get("reasons") or [])]
            for e in broken]  # fmt: skip
    print_table(out, ["site", "unhealthy since (UTC)", "why"], rows, title="site health")


@app.command()
def feed(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="The file to write (- for stdout).")],
    site: Annotated[str | None, typer.Option("--site", help="Only this site's changes.")] = None,
    article: Annotated[
        str | None, typer.Option("--article", help="Only this article's changes (its id).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="atom (Atom 1.0) or json (JSON Feed 1.1).")
    ] = "atom",
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include",
            help="Also new articles and/or suspect pages: new, suspect (repeat or comma-separate).",
        ),
    ] = None,  # fmt: skip
    page: Annotated[
        int | None,
        typer.Option(
            "--page", min=0, help="An archive page (0 = oldest) instead of the newest entries."
        ),
    ] = None,  # fmt: skip
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Where `newsarchive serve` is reached, for the links to "
            "its diff pages (default: [serve] public_url, else http://127.0.0.1:8080).",
        ),
    ] = None,  # fmt: skip
    publish_url: Annotated[
        str | None,
        typer.Option(
            "--publish-url",
            help="Static publishing: the URL the folder of --out is "
            "served under. Writes the archive pages beside --out (NAME.page-K.EXT), "
            "linked by file name; a full page already written is kept.",
        ),
    ] = None,  # fmt: skip
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Write a change feed (the document `newsarchive serve` answers at /feeds/…) to a file."""
    from rich.markup import escape

    from newsarchive.feeds import query
    from newsarchive.feeds.document import FORMATS, PageNotFound, build
    from newsarchive.feeds.model import static_name

    if fmt not in FORMATS:
        raise UserError(f"--format takes {' or '.join(FORMATS)}, not {fmt!r}")
    if site and article:
        raise UserError("give --site or --article, not both")
    for option, value in (("--base-url", base_url), ("--publish-url", publish_url)):
        if value is not None and not value.startswith(("http://", "https://")):
            raise UserError(f"{option} takes an http(s) URL, not {value!r}")
    static = publish_url is not None
    if static and (page is not None or str(out_file) == "-"):
        raise UserError("--publish-url writes every page beside a file: give --out FILE, no --page")
    if static and not out_file.name.endswith(f".{fmt}"):
        raise UserError(
            f"with --publish-url the --out file's name ends in .{fmt} (its pages are named after it)"
        )
    stem = out_file.name.removesuffix(f".{fmt}") if static else None
    config = _state(ctx).config()
    settings = config.serve
    try:
        scope = query.Scope(site=site, article_id=article, kinds=query.parse_include(include))
    except query.BadScope as exc:
        raise UserError(f"--include: {exc}") from None
    base = base_url or settings.public_url or "http://127.0.0.1:8080"

    def make(number: int | None) -> Any:
        return build(catalog.engine, scope, fmt, base_url=base, page=number,
                     page_size=settings.feed_page_size, settle_seconds=settings.feed_settle_seconds,
                     publish_url=publish_url, static_stem=stem)  # fmt: skip

    def write(path: Path, body: bytes) -> None:
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_bytes(body)
            tmp.replace(path)  # a reader of the published file never sees half of it
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror or exc}", status=1) from None

    catalog = _open_catalog(config)
    written: list[str] = []
    try:
        _check_sites([site] if site else None, config, catalog)
        if article and not query.article_exists(catalog.engine, article):
            raise UserError(f"no article {article!r} (see `newsarchive history`)", status=1)
        doc = make(page)
        if static:
            assert stem is not None and publish_url is not None
            for number in range(doc.pages):
                path = out_file.with_name(static_name(stem, fmt, number))
                # A page changes once after it is written: when the next page fills, its
                # next-archive link appears. Kept as it is once it has that link.
                newer = static_name(stem, fmt, number + 1).encode()
                if path.exists() and (number + 1 >= doc.pages or newer in path.read_bytes()):
                    continue
                write(path, make(number).body)
                written.append(str(path))
    except PageNotFound as exc:
        raise UserError(str(exc), status=1) from None
    finally:
        catalog.close()
    if str(out_file) == "-":
        sys.stdout.buffer.write(doc.body)
        return
    write(out_file, doc.body)
    summary = {"out": str(out_file), "format": fmt, "bytes": len(doc.body), "etag": doc.etag,
               "last_modified": doc.last_modified_http, "page": page, "pages": doc.pages,
               "pages_written": written}  # fmt: skip
    if json_out:
        out.print_json(json.dumps(summary))
    else:
        extra = f" and {len(written)} archive page(s)" if written else ""
        err.print(f"wrote {len(doc.body)} bytes to {escape(str(out_file))}{extra}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8080,
) -> None:
    """HTTP API for on-demand archiving and reading the archive (docs at /docs); writes need
    env NEWSARCHIVE_API_TOKEN."""
    from newsarchive.serve.server import ServeRefused, run_server

    try:
        run_server(_state(ctx).config(), host=host, port=port, console=err)
    except ServeRefused as exc:  # and ServeFailed (status 1): a busy port, an unreadable catalog
        raise UserError(str(exc), status=exc.status) from None


def _worker() -> Any:
    from newsarchive.distributed import worker as module

    return module


def _push_distributed(config: Config, push: Any, json_out: bool) -> None:
    """`--distributed`: queue the work in Redis ([distributed] redis_url) and return."""
    if not config.distributed.redis_url:
        raise UserError("--distributed needs [distributed] redis_url in the config file")
    try:
        pushed = push()
    except Exception as exc:
        if type(exc).__module__.startswith("redis"):
            raise UserError(f"cannot queue in Redis: {exc}", status=1) from None
        raise
    if json_out:
        out.print_json(json.dumps({"queued": pushed}))
    else:
        for site_name, n in pushed.items():
            out.print(f"{site_name}: {n} request(s) queued for the workers")


@app.command()
def worker(
    ctx: typer.Context,
    exit_when_empty: Annotated[
        float | None,
        typer.Option(
            "--exit-when-empty",
            min=0,
            help="Stop once the shared queue has been empty for this many seconds.",
        ),
    ] = None,  # fmt: skip
    max_inflight: Annotated[
        int | None,
        typer.Option(
            "--max-inflight",
            min=1,
            help="Requests this worker holds at once (default [crawl] concurrent_requests).",
        ),
    ] = None,  # fmt: skip
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON when stopped.")
    ] = False,
) -> None:
    """Crawl what `crawl --distributed` / `recheck --distributed` queued in Redis, until stopped
    ([distributed] redis_url; use its own --data-dir and a shared catalog_url)."""
    from newsarchive.summary import print_summary

    state = _state(ctx)
    config = state.config()
    if not config.distributed.redis_url:
        raise UserError("worker needs [distributed] redis_url in the config file")
    _check_writable(config)
    result = _worker().run_worker(config, console=err, verbose=state.verbose, idle_exit=exit_when_empty,
                                  max_inflight=max_inflight)  # fmt: skip
    if json_out:
        out.print_json(json.dumps(result.summary, default=str))
    else:
        print_summary(out, result.summary, config.data_dir)
    _fail_on_fatal(result)


def _register_notify() -> None:
    from newsarchive.notify.commands import notify_app

    app.add_typer(notify_app, name="notify")


_register_notify()


# The cyclic garbage collector's thresholds: a young generation of 20,000 objects instead
# of 700. Start-up (Scrapy, SQLAlchemy, lxml) creates ~1M long-lived objects, which
# Python's default thresholds walk in two full collections (~0.1 s of a one-article
# crawl); a crawl then collected ~0.35 ms a page. Garbage cycles live a little longer.
GC_THRESHOLDS = (20_000, 10, 10)


def main() -> None:
    """Console-script entry point: errors become one readable line and a non-zero status.

    Usage errors (unknown command or option, bad value) are the command-line parser's own
    message and exit status 2. An unexpected error is one line and status 1; with `-v` its
    traceback comes first. Typer >= 0.2x bundles its own copy of Click: its exceptions
    derive from `typer.TyperException`, not from an installed `click`'s.
    """
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        status = app(standalone_mode=False)
    except UserError as exc:
        error_line(str(exc))
        sys.exit(exc.status)
    except ConfigError as exc:
        error_line(str(exc))
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted", style="red")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # the parser's usage errors carry their own exit codes
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            sys.stderr.write(f"Error: {exc.format_message()}\n")
        sys.exit(exc.exit_code)
    except Exception as exc:
        # An unexpected error (a database error, a bug): one line; with -v, first the
        # traceback. A database error's line is the driver's own message, without
        # SQLAlchemy's statement dump and "Background on this error at: …" link.
        if _RUN["verbose"]:
            import traceback

            err.file.flush()
            traceback.print_exception(exc, file=sys.stderr)
        cause = getattr(exc, "orig", None) or exc
        error_line(f"{type(cause).__name__}: {cause}")
        sys.exit(1)
    # Without standalone mode the parser returns the status of `typer.Exit(n)` (and 130 for
    # an interrupt) instead of exiting; a command that returned normally gives None.
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
