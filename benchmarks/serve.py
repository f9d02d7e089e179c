"""Serve a generated site on 127.0.0.1 for the benchmark: nginx when installed, else the project's server.

nginx (Debian's `nginx-light` or `nginx`) runs as a child process with a generated config
(one worker, no access log, sendfile, long keep-alive) and `-g 'daemon off;'`; without it,
`python -m newsarchive.demo.server` (a threaded stdlib server: slower, say so in the results).

    with Server(root) as server:
        print(server.base_url, server.kind)
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type text/html;
    charset utf-8;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Server:
    def __init__(self, root: Path, *, prefer: str = "nginx") -> None:
        self.root = Path(root).resolve()
        self.prefer = prefer
        self.kind = ""
        self.version = ""
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-server-")
        prefix = Path(self._tmp.name)
        if nginx and self.prefer == "nginx":
            self.port = free_port()
            conf = prefix / "nginx.conf"
            conf.write_text(NGINX_CONF.format(prefix=prefix, port=self.port, root=self.root))
            version = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
            self.version = (version.stderr or version.stdout).strip()
            self.process = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            self.kind = "nginx"
            _wait_for(self.port, self.process)
            return self
        port_file = prefix / "port"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newsarchive.demo.server", str(self.root), "--port", "0", "--port-file", str(port_file)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("newsarchive.demo.server did not start")
            time.sleep(0.05)
        self.port = int(port_file.read_text().strip())
        self.kind = "newsarchive.demo.server" + ("" if nginx else " (nginx not installed)")
        self.version = "python " + sys.version.split()[0]
        _wait_for(self.port, self.process)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._tmp is not None:
            self._tmp.cleanup()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Serve a directory on 127.0.0.1 until Ctrl-C.")
    parser.add_argument("root", type=Path)
    parser.add_argument("--server", choices=("nginx", "python"), default="nginx")
    args = parser.parse_args()
    with Server(args.root, prefer=args.server) as server:
        print(
            f"{server.kind} ({server.version}) serving {server.root} on {server.base_url}",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
