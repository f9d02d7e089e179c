"""A raw-socket HTTP server on 127.0.0.1 that answers each path with exactly the bytes given
(status line, headers, body, framing: nothing added or changed) and keeps the bytes of every
request it receives, with the moment they arrived."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# A route answers with these bytes, or with what the function returns for the request bytes.
Answer = bytes | Callable[[bytes], bytes]


@dataclass
class Received:
    at: float  # time.time() when the request's first byte arrived
    head: bytes  # request line and headers, up to and including the blank line

    @property
    def path(self) -> str:
        return self.head.split(b" ", 2)[1].decode("latin-1")


@dataclass
class RawServer:
    routes: dict[str, Answer]
    requests: list[Received] = field(default_factory=list)
    # Answer several requests on one connection (answers must then frame their bodies).
    keep_alive: bool = False
    connections: int = 0
    # Serve HTTPS with this context (see `self_signed_context`).
    tls: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/"
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def page(self, path: str) -> str:
        return self.url.rstrip("/") + path

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        if self.tls is not None:
            try:
                conn.settimeout(10)
                conn = self.tls.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                conn.close()
                return
        with conn:
            conn.settimeout(10)
            data = b""
            self.connections += 1
            while True:
                first = None
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        first = first or time.time()
                        data += chunk
                except OSError:
                    return
                end = data.index(b"\r\n\r\n") + 4
                head, data = data[:end], data[end:]
                received = Received(first or time.time(), head)
                self.requests.append(received)
                answer = self.routes.get(received.path.split("?")[0])
                if answer is None:
                    answer = (
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                if callable(answer):
                    answer = answer(head)
                try:
                    conn.sendall(answer)
                    if self.keep_alive:
                        continue  # the next request on the same connection
                    if self.tls is not None:
                        conn = conn.unwrap()  # close_notify: the end of a close-delimited body
                    conn.shutdown(socket.SHUT_WR)
                    # Let the client read everything before the socket goes (no RST on close).
                    conn.settimeout(2)
                    while conn.recv(65536):
                        pass
                except OSError:
                    pass
                return

    def close(self) -> None:
        self._stop = True
        self._sock.close()


def response(status_line: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """The bytes of a response: status line, headers in the order given, blank line, body."""
    head = status_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


def self_signed_context(tmp_dir: str) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    import datetime
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = Path(tmp_dir) / "cert.pem", Path(tmp_dir) / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
