"""Start the HTTP service: check the token rule, build the app, run uvicorn."""

from __future__ import annotations

import os

from rich.console import Console

from archive.config import Config
from crawler.serve.security import is_loopback_host
from crawler.serve.settings import TOKEN_ENV, ServeSettings


class ServeRefused(Exception):
    """The server will not start as asked; the message says what to change."""


def run_server(config: Config, *, host: str, port: int, console: Console) -> None:
    """Serve until interrupted. Without NEWSARCHIVE_API_TOKEN only a loopback, read-only
    server starts: anything reachable from the network must authenticate writes."""
    import uvicorn

    from crawler.serve.app import create_app

    settings = ServeSettings.from_config(config.serve, str(config.source or "config"))
    token = os.environ.get(TOKEN_ENV, "").strip() or None
    if token is None and not is_loopback_host(host):
        raise ServeRefused(f"set {TOKEN_ENV} to serve on {host}: without a token the server only starts "
                           "on loopback (127.0.0.1), read-only")  # fmt: skip
    if token is not None and len(token) < 16:
        raise ServeRefused(f"{TOKEN_ENV} is too short to guess-proof: use at least 16 characters")
    if token is None:
        console.print(f"[yellow]warning:[/] {TOKEN_ENV} is not set: read-only (archive requests are refused)")
    from crawler.address_policy import AddressPolicy

    policy = AddressPolicy.from_config(config)
    if policy.allow_private or policy.networks:
        console.print(f"[yellow]warning:[/] archive requests may make this machine fetch {policy.describe()} "
                      "(\\[crawl] allow_private_addresses / allowed_networks)", highlight=False)  # fmt: skip
    app = create_app(config, settings, token)
    console.print(f"serving {config.data_dir} on http://{host}:{port}/ (API docs at /docs)", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False)
