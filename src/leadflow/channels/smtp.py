"""The SMTP e-mail provider (:mod:`aiosmtplib`).

Security is STARTTLS (usually port 587), implicit TLS (usually 465) or none; the relay's
certificate is checked against the system's trust store or ``LEADFLOW_SMTP_CA_FILE``. AUTH is
used when a username is set. Each e-mail carries its own ``Message-ID``, which becomes the
message's provider id.

The engine's providers are synchronous and the dispatcher calls them from worker threads, so
each send runs the client on an event loop of its own (``asyncio.run``).

Errors: a 4xx answer, a refused or dropped connection and a time-out are temporary (the
dispatcher tries again later); a 5xx answer (550 no such mailbox, 535 bad login) fails the
message. Error texts quote the server's answer, never the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from leadflow.addresses import split_mailbox
from leadflow.channels.email_render import EmailIdentity
from leadflow.channels.email_tenant import TenantEmailProvider
from leadflow.channels.senders import TenantSenders
from leadflow.engine.ports import SendResult
from leadflow.errors import ProviderError
from leadflow.model.records import Message
from leadflow.store.contract import Store


@dataclass(slots=True, frozen=True)
class SmtpServer:
    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0
    ca_file: str | None = None

    def __repr__(self) -> str:
        return (
            f"SmtpServer(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"username={self.username!r}, password={'***' if self.password else None})"
        )


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    return " ".join(str(exc.message).split())[:300]


def smtp_error(exc: Exception) -> ProviderError:
    """What an aiosmtplib failure means for the message."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = exc.recipients[0] if exc.recipients else None
        if refused is not None:
            return smtp_error(refused)
        return ProviderError("SMTP refused every recipient", retryable=False)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 400:
        temporary = exc.code < 500
        return ProviderError(f"SMTP {exc.code}: {_reply(exc)}", retryable=temporary)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return ProviderError("SMTP relay timed out", retryable=True)
    if isinstance(exc, aiosmtplib.SMTPException | OSError):
        return ProviderError(f"SMTP relay unreachable: {type(exc).__name__}", retryable=True)
    return ProviderError(f"SMTP send failed: {type(exc).__name__}", retryable=False)


class SmtpProvider(TenantEmailProvider):
    name = "smtp"

    def __init__(
        self,
        server: SmtpServer,
        identity: EmailIdentity,
        store: Store,
        senders: TenantSenders | None = None,
    ) -> None:
        self.server = server
        super().__init__(identity, store, senders)
        self._tls: ssl.SSLContext | None = None
        if server.security != "none":
            self._tls = ssl.create_default_context(cafile=server.ca_file)

    def __repr__(self) -> str:
        return f"SmtpProvider({self.server!r})"

    async def _deliver(self, mime: EmailMessage, sender: str, to: str) -> None:
        server = self.server
        client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            use_tls=server.security == "tls",
            start_tls=server.security == "starttls",
            tls_context=self._tls,
            timeout=server.timeout_s,
        )
        await client.connect()  # and STARTTLS; a failure here closes the connection itself
        transport = client.transport
        try:
            if server.username:
                await client.login(server.username, server.password or "")
            await client.send_message(mime, sender=sender, recipients=[to])
            with contextlib.suppress(aiosmtplib.SMTPException):
                await client.quit()
        finally:
            # A TLS close waits for the relay's close_notify, which would outlive this event
            # loop and leave the socket to the garbage collector: drop the connection now.
            if isinstance(transport, asyncio.Transport):
                transport.abort()
            client.close()

    def send(self, message: Message, now: float) -> SendResult:
        email = self._render(message, now)
        sender = split_mailbox(email.from_addr)[1]
        try:
            asyncio.run(self._deliver(email.mime(), sender, email.to))
        except Exception as exc:
            raise smtp_error(exc) from None
        return SendResult(provider_id=email.message_id, status="sent")

    def lookup(self, idempotency_key: str) -> SendResult | None:
        return None  # an SMTP relay cannot be asked about an earlier send
