"""`newsarchive notify run | log | test`: the outbox's command line (registered by newsarchive/cli.py)."""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated, Any

import typer
from rich.markup import escape

from newsarchive.cli_output import err, out, print_table

CONTEXT = {"help_option_names": ["-h", "--help"]}
notify_app = typer.Typer(help="Deliver notifications: webhooks and channels of [notify].",
                         rich_markup_mode=None, context_settings=CONTEXT)  # fmt: skip


@notify_app.callback(invoke_without_command=True)
def _notify(ctx: typer.Context) -> None:
    from newsarchive.cli import _help_when_bare

    _help_when_bare(ctx)


def _runner(ctx: typer.Context, *, create: bool = False) -> Any:
    """The runner of the config's [notify] over its catalog (a usage error without targets).
    `create`: a data directory without an archive yet gets its catalog (a runner started
    before the first crawl)."""
    from newsarchive.cli import UserError, _check_writable, _open_catalog, _state
    from newsarchive.notify.config import notify_config_of
    from newsarchive.notify.runner import NotifyRunner

    config = _state(ctx).config()
    notify = notify_config_of(config)
    if not notify.enabled:
        raise UserError("no [[notify.webhooks]] or [[notify.channels]] in the config file")
    if create and not config.catalog_url and not (config.data_dir / "catalog.sqlite").exists():
        from archive.catalog import Catalog

        _check_writable(config)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(config.resolved_catalog_url)
    else:
        catalog = _open_catalog(config, write=True)
    return NotifyRunner(config, notify, catalog.engine), catalog


def _dumps(value: Any) -> str:
    return json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


@notify_app.command("run")
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the totals as JSON.")] = False,
) -> None:
    """Deliver due notifications (a loop until SIGINT/SIGTERM; --once: what is due now)."""
    runner, catalog = _runner(ctx, create=not once)
    try:
        if once:
            result = runner.run_until_idle()
        else:
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            err.print(
                f"delivering notifications every {runner.notify.poll_seconds:g} s (Ctrl-C stops)"
            )
            result = runner.run_forever(stop)
        counts = runner.outbox.counts()
    finally:
        catalog.close()
    if json_out:
        out.print_json(_dumps({**result.to_dict(), "pending": counts.get("pending", 0),
                               "failed_total": counts.get("failed", 0)}))  # fmt: skip
        return
    out.print(f"{result.delivered} delivered · {result.retrying} to retry · {result.failed} failed · "
              f"{result.messages} message(s) sent ({result.digests} digest(s)) · "
              f"{counts.get('pending', 0)} pending")  # fmt: skip


@notify_app.command("log")
def log_(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="How many attempts, newest first.")
    ] = 50,
    target: Annotated[
        str | None, typer.Option("--target", help="Only this target (webhook:NAME, channel:NAME).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the attempts as JSON.")] = False,
) -> None:
    """Delivery attempts, newest first: time, target, event, HTTP status, error, duration."""
    from archive.outbox import Outbox
    from newsarchive.cli import _open_catalog, _state

    catalog = _open_catalog(_state(ctx).config())
    try:
        rows = Outbox(catalog.engine).log(limit=limit, target=target)
    finally:
        catalog.close()
    if json_out:
        out.print_json(_dumps(rows))
        return
    print_table(out, ["at (UTC)", "target", "event", "type", "status", "ms", "state", "error"], [
        [f"{r['attempted_at']:%Y-%m-%d %H:%M:%S}", r["target"], r["event_id"], r["type"],
         "-" if r["status"] is None else str(r["status"]), str(r["duration_ms"]),
         r["state"] + (f" (digest of {r['digest_size']})" if r["digest_size"] else ""),
         r["error"] or ""]
        for r in rows
    ])  # fmt: skip
    if not rows:
        out.print("no delivery attempt yet (see `newsarchive notify run`)")


@notify_app.command("test")
def test(
    ctx: typer.Context,
    target: Annotated[
        str | None, typer.Option("--target", help="Only this target (webhook:NAME, channel:NAME).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the attempts as JSON.")] = False,
) -> None:
    """Send a `test` event to every target (or one) now, and show how each went."""
    from newsarchive.cli import UserError

    runner, catalog = _runner(ctx)
    try:
        names = [t.target for t in runner.notify.targets]
        if target is not None and target not in names:
            raise UserError(f"unknown target {target!r}; targets: {', '.join(names)}")
        event_id = runner.send_test(target)
        runner.run_once()
        rows = [
            r for r in runner.outbox.log(limit=200, event_type="test") if r["event_id"] == event_id
        ]
    finally:
        catalog.close()
    if json_out:
        out.print_json(_dumps(rows))
    else:
        for r in rows:
            line = f"{escape(r['target'])}: " + (
                "delivered" if r["error"] is None else f"failed: {escape(r['error'])}"
            )
            out.print(line, style=None if r["error"] is None else "red")
    if not rows or any(r["error"] is not None for r in rows):
        raise typer.Exit(1)
