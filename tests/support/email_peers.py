"""Real peers for the e-mail tests, all on 127.0.0.1: an SMTP server (aiosmtpd, plain,
STARTTLS or implicit TLS, optionally with AUTH), a server that speaks SendGrid's
``/v3/mail/send`` API, a self-signed certificate, and an ECDSA P-256 key pair that signs event
posts as SendGrid does."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gc
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

FROM = "Acme Realty <agent@acme.example>"
POSTAL = "Acme Realty, 100 Main Street, Springfield, IL 62701"
PUBLIC_URL = "https://leads.acme.example"
SECRET = "unsubscribe-secret-for-tests-0123456789"
MAILTO = "unsubscribe@acme.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ---------------------------------------------------------------------- TLS certificate
@dataclass
class Certificate:
    cert_file: Path  # PEM; also the CA file a client trusts (self-signed)
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


def self_signed(directory: Path) -> Certificate:
    """A certificate for 127.0.0.1 and localhost, valid from a day ago to a day ahead (TLS
    checks it against the real time)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file, key_file)


# ---------------------------------------------------------------------- SMTP
@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpPeer:
    host: str
    port: int
    mails: list[Mail] = field(default_factory=list)
    # recipient -> the reply its RCPT TO gets instead of 250 (e.g. "550 5.1.1 No such user")
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)


class _Recorder:
    def __init__(self, peer: SmtpPeer) -> None:
        self.peer = peer

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        reply = self.peer.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        auth = session.auth_data
        transport = server.transport
        implicit_tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        self.peer.mails.append(
            Mail(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                raw=bytes(envelope.original_content or b""),
                tls=session.ssl is not None or implicit_tls,
                login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            )
        )
        return "250 Message accepted"


class _ClosingController(Controller):
    """An aiosmtpd controller that closes its sessions' connections before it stops (a plain
    stop leaves a session's transport to the garbage collector, which warns of it later, in
    whichever test happens to be running)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: list[SMTP] = []

    def factory(self) -> SMTP:
        smtp: SMTP = super().factory()
        self.sessions.append(smtp)
        return smtp

    def stop(self, no_assert: bool = False) -> None:
        async def close_sessions() -> None:
            for smtp in self.sessions:
                transport = smtp.transport
                if transport is not None:
                    transport.abort()  # at once, TLS included (a close would wait for the peer)
            await asyncio.sleep(0)  # let connection_lost run

        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(close_sessions(), self.loop).result(timeout=5)
        super().stop(no_assert)


@contextmanager
def smtp_peer(
    mode: str = "plain",
    *,
    cert: Certificate | None = None,
    users: dict[str, str] | None = None,
) -> Iterator[SmtpPeer]:
    """An aiosmtpd server on 127.0.0.1: ``plain``, ``starttls`` (STARTTLS required before
    MAIL) or ``tls`` (implicit TLS); with ``users``, AUTH LOGIN/PLAIN is required."""
    peer = SmtpPeer("127.0.0.1", free_port())

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and users is not None
            and users.get(data.login.decode()) == data.password.decode()
        )
        if ok:
            assert isinstance(data, LoginPassword)
            peer.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    kwargs: dict[str, Any] = {}
    if mode == "starttls":
        assert cert is not None
        kwargs.update(tls_context=cert.server_context(), require_starttls=True)
    elif mode == "tls":
        assert cert is not None
        kwargs.update(ssl_context=cert.server_context())
    if users is not None:
        kwargs.update(authenticator=authenticate, auth_required=True)
    controller = _ClosingController(_Recorder(peer), hostname=peer.host, port=peer.port, **kwargs)
    controller.start()
    try:
        yield peer
    finally:
        controller.stop()
        gc.collect()  # a transport left open warns here, in the test that left it


# ---------------------------------------------------------------------- SendGrid mail/send
@dataclass
class SendGridRequest:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class SendGridPeer:
    url: str
    api_key: str
    requests: list[SendGridRequest] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    sent_ids: list[str] = field(default_factory=list)


def _shape_error(body: Any) -> tuple[str, str] | None:
    """(message, field) of the first thing SendGrid would reject in a mail/send body."""
    if not isinstance(body, dict):
        return "Bad Request", "body"
    people = body.get("personalizations")
    if not isinstance(people, list) or not people:
        return "The personalizations field is required.", "personalizations"
    for p in people:
        to = p.get("to") if isinstance(p, dict) else None
        if not isinstance(to, list) or not all(isinstance(t, dict) and t.get("email") for t in to):
            return (
                "The to array is required for all personalization objects.",
                "personalizations.0.to",
            )
    if not isinstance(body.get("from"), dict) or not body["from"].get("email"):
        return "The from object must be provided for every email send.", "from"
    if not body.get("subject"):
        return "The subject is required.", "subject"
    content = body.get("content")
    if not isinstance(content, list) or not content:
        return (
            "Unless a valid template_id is provided, the content parameter is required.",
            "content",
        )
    if content[0].get("type") != "text/plain" and any(
        c.get("type") == "text/plain" for c in content
    ):
        return "If present, text/plain content must be first.", "content"
    args = body.get("custom_args", {})
    if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
        return "Custom args values must be strings.", "custom_args"
    return None


@contextmanager
def sendgrid_peer(api_key: str = "SG.test-key-0123456789") -> Iterator[SendGridPeer]:
    """A loopback server answering ``POST /v3/mail/send`` as SendGrid documents it: 401 for a
    wrong Bearer key, 400 with ``errors[]`` for a malformed body, 202 with ``X-Message-Id``
    otherwise (or the queued ``answers`` first)."""
    peer = SendGridPeer("", api_key)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, Any] | None, extra: dict[str, str]) -> None:
            payload = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            with lock:
                peer.requests.append(SendGridRequest(self.path, dict(self.headers.items()), body))
                queued = peer.answers.pop(0) if peer.answers else None
            if self.path != "/v3/mail/send":
                return self._answer(404, {"errors": [{"message": "not found"}]}, {})
            if self.headers.get("Authorization") != f"Bearer {api_key}":
                error = {
                    "message": "The provided authorization grant is invalid, expired, or revoked",
                    "field": None,
                }
                return self._answer(401, {"errors": [error]}, {})
            if queued is not None:
                return self._answer(queued[0], queued[1], {})
            problem = _shape_error(body)
            if problem is not None:
                return self._answer(
                    400, {"errors": [{"message": problem[0], "field": problem[1]}]}, {}
                )
            with lock:
                sent_id = f"sgid{len(peer.sent_ids) + 1:04d}AbCdEf"
                peer.sent_ids.append(sent_id)
            return self._answer(202, None, {"X-Message-Id": sent_id})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        peer.url = f"http://{host}:{port}"
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------------- event webhook signing
class EventSigner:
    """An ECDSA P-256 key pair standing in for SendGrid's Event Webhook signing key."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key_b64(self) -> str:
        """The verification key as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo."""
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    @property
    def public_key_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, timestamp: str, body: bytes) -> str:
        der = self._key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(der).decode()

    def headers(self, body: bytes, at: float) -> dict[str, str]:
        ts = str(int(at))
        return {
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": self.sign(ts, body),
            "X-Twilio-Email-Event-Webhook-Timestamp": ts,
        }


# ---------------------------------------------------------------------- shared settings
def email_settings(**extra: Any) -> dict[str, Any]:
    """Settings every non-sandbox e-mail provider needs, plus ``extra``."""
    base: dict[str, Any] = {
        "email_from": FROM,
        "email_postal_address": POSTAL,
        "public_url": PUBLIC_URL,
        "unsubscribe_secret": SECRET,
        "unsubscribe_mailto": MAILTO,
    }
    return base | extra


def email_workflow(key: str = "welcome-mail", *, marketing: bool = True) -> dict[str, Any]:
    return {
        "key": key,
        "name": "Welcome e-mail",
        "start": "mail",
        "nodes": [
            {
                "id": "mail",
                "kind": "send_email",
                "subject": "Homes near {{ contact.first_name }}",
                "body": "Hi {{ contact.first_name }},\n\nThree new listings match your search.",
                "marketing": marketing,
            }
        ],
    }
