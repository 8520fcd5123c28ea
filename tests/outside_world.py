"""The world outside the clinic, for reminder tests: a real local SMTP server (aiosmtpd) that
keeps what it is given, a real local HTTP text-message gateway (``http.server`` in a thread)
that records what it is asked, and a self-signed certificate to speak TLS with either."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    """A port nobody listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it is given (and who logged in to give it)."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.messages: list[Message] = []
        self.logins: list[tuple[str, str]] = []
        self.delay = delay  # seconds before it answers (a slow server)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def authenticate(self, _server: Any, _session: Any, _envelope: Any, _mechanism: str,
                     auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)


@contextmanager
def smtp_server(*, delay: float = 0.0, **options: Any) -> Iterator[tuple[Controller, Inbox]]:
    """A running SMTP server on 127.0.0.1 (``options`` as aiosmtpd's: ``tls_context``,
    ``require_starttls``, ``ssl_context`` for implicit TLS, ``auth_require_tls`` …)."""
    inbox = Inbox(delay=delay)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                            authenticator=inbox.authenticate, **options)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for localhost and 127.0.0.1 (also its own CA)."""

    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def self_signed(folder: Path) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "test-cert.pem", folder / "test-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Certificate(cert_file, key_file)


@dataclass(frozen=True)
class GatewayRequest:
    path: str
    headers: dict[str, str]
    body: Any  # the JSON sent


@dataclass
class SmsGateway:
    """A text-message gateway on 127.0.0.1: records every request and answers ``status``
    (set ``status`` to 503 to take it down, or ``redirect_to`` to answer 302)."""

    url: str = ""
    status: int = 202
    redirect_to: str | None = None
    received: list[GatewayRequest] = field(default_factory=list)


@contextmanager
def sms_gateway(certificate: Certificate | None = None) -> Iterator[SmsGateway]:
    """A running gateway (https with ``certificate``, else http) at ``…/v1/messages``."""
    gateway = SmsGateway()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with lock:
                gateway.received.append(GatewayRequest(
                    self.path, {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw or b"null")))
            self.send_response(302 if gateway.redirect_to else gateway.status)
            if gateway.redirect_to:
                self.send_header("Location", gateway.redirect_to)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if certificate is not None:
        server.socket = certificate.server_context().wrap_socket(server.socket,
                                                                 server_side=True)
    scheme = "https" if certificate is not None else "http"
    gateway.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/v1/messages"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
