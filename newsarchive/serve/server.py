"""Start the HTTP service: check the token rule, bind the port, then announce and serve."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from rich.console import Console

from archive.config import Config
from newsarchive.cli_output import warning_line
from newsarchive.serve.security import is_loopback_host
from newsarchive.serve.settings import TOKEN_ENV, ServeSettings


class ServeRefused(Exception):
    """The server will not start as asked; the message says what to change."""

    status = 2


class ServeFailed(ServeRefused):
    """The server could not start (the port is taken, the catalog cannot be read)."""

    status = 1


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or ServeFailed naming the address and the cause."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ServeFailed(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServeFailed(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def run_server(config: Config, *, host: str, port: int, console: Console) -> None:
    """Serve until interrupted. Without NEWSARCHIVE_API_TOKEN only a loopback, read-only
    server starts: anything reachable from the network must authenticate writes. A data
    directory that cannot be written is served read-only (no archive requests, no jobs).
    The port is bound before anything is announced: a busy port is one error line."""
    import uvicorn

    from archive.catalog import CatalogNotWritable, catalog_writable, sqlite_path
    from newsarchive.serve.app import create_app

    settings: ServeSettings = config.serve
    token = os.environ.get(TOKEN_ENV, "").strip() or None
    if token is None and not is_loopback_host(host):
        raise ServeRefused(f"set {TOKEN_ENV} to serve on {host}: without a token the server only starts "
                           "on loopback (127.0.0.1), read-only")  # fmt: skip
    if token is not None and len(token) < 16:
        raise ServeRefused(f"{TOKEN_ENV} is too short to guess-proof: use at least 16 characters")
    url = config.resolved_catalog_url
    read_only = not catalog_writable(url)
    sock = bind(host, port)
    try:
        if read_only:
            where = sqlite_path(url) or Path(config.data_dir)
            warning_line(
                f"{where} cannot be written: serving it read-only (archive requests are refused)",
                console,
            )
            token = None
        elif token is None:
            warning_line(
                f"{TOKEN_ENV} is not set: read-only (archive requests are refused)", console
            )
        from crawler.address_policy import AddressPolicy

        policy = AddressPolicy.from_config(config)
        if policy.allow_private or policy.networks:
            warning_line(f"archive requests may make this machine fetch {policy.describe()} "
                         "([crawl] allow_private_addresses / allowed_networks)", console)  # fmt: skip
        try:
            app = create_app(
                config, settings, token, run_worker=not read_only, read_only_catalog=read_only
            )
        except CatalogNotWritable as exc:
            raise ServeFailed(str(exc)) from None
        bound = sock.getsockname()
        shown = f"[{bound[0]}]" if sock.family == socket.AF_INET6 else bound[0]
        console.print(
            f"serving {config.data_dir} on http://{shown}:{bound[1]}/ (API docs at /docs)",
            highlight=False,
        )
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, proxy_headers=False)
        )
        server.run(sockets=[sock])
    finally:
        sock.close()
