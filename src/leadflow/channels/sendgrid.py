"""The SendGrid e-mail provider: its v3 Web API (``POST /v3/mail/send``) through :mod:`httpx`.

The request carries the rendered e-mail (text part first, then HTML, as SendGrid requires), the
unsubscribe headers of marketing mail, and ``custom_args`` naming our message id and idempotency
key: SendGrid copies them into every event it posts back, which is how events find their
message. SendGrid answers 202 with the ``X-Message-Id`` header, the message's provider id (its
events' ``sg_message_id`` starts with it).

Errors: 429, 5xx and network failures are temporary (the dispatcher tries again later); any
other 4xx fails the message with SendGrid's own ``errors[].message`` text. The API key is only
ever in the Authorization header: never in an error, a log line or a repr.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from leadflow.addresses import split_mailbox
from leadflow.channels.email_render import EmailIdentity, RenderedEmail
from leadflow.channels.email_tenant import TenantEmailProvider
from leadflow.channels.senders import TenantSenders
from leadflow.engine.ports import SendResult
from leadflow.errors import ProviderError
from leadflow.model.records import Message
from leadflow.store.contract import Store

SEND_PATH = "/v3/mail/send"
MESSAGE_ID_ARG = "leadflow_message_id"
KEY_ARG = "leadflow_key"


def mail_send_body(email: RenderedEmail, message: Message) -> dict[str, Any]:
    """The JSON body of ``POST /v3/mail/send`` for one rendered e-mail."""
    name, address = split_mailbox(email.from_addr)
    sender: dict[str, str] = {"email": address}
    if name:
        sender["name"] = name
    body: dict[str, Any] = {
        "personalizations": [{"to": [{"email": email.to}]}],
        "from": sender,
        "subject": email.subject,
        "content": [
            {"type": "text/plain", "value": email.text},
            {"type": "text/html", "value": email.html},
        ],
        "custom_args": {
            MESSAGE_ID_ARG: str(message.id) if message.id is not None else "",
            KEY_ARG: message.idempotency_key,
        },
    }
    # our Message-ID, so a reply's In-Reply-To names the message (inbound e-mail matching)
    body["headers"] = {**email.headers, "Message-ID": email.message_id}
    if email.calendar:
        body["attachments"] = [
            {
                "content": base64.b64encode(email.calendar.encode()).decode("ascii"),
                "type": f"text/calendar; method={email.calendar_method}",
                "filename": "invite.ics",
                "disposition": "attachment",
            }
        ]
    return body


def _error_text(response: httpx.Response) -> str:
    try:
        found = response.json().get("errors") or []
        texts = [
            str(e.get("message")) + (f" (field {e['field']})" if e.get("field") else "")
            for e in found
            if isinstance(e, dict) and e.get("message")
        ]
    except (ValueError, AttributeError):
        texts = []
    said = "; ".join(texts)[:500] if texts else "no error message"
    return f"SendGrid answered HTTP {response.status_code}: {said}"


class SendGridProvider(TenantEmailProvider):
    name = "sendgrid"

    def __init__(
        self,
        api_key: str,
        identity: EmailIdentity,
        store: Store,
        *,
        api_base: str = "https://api.sendgrid.com",
        timeout_s: float = 30.0,
        senders: TenantSenders | None = None,
    ) -> None:
        super().__init__(identity, store, senders)
        self.api_base = api_base.rstrip("/")
        self._client = httpx.Client(
            base_url=self.api_base,
            timeout=timeout_s,
            follow_redirects=False,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def __repr__(self) -> str:
        return f"SendGridProvider(api_base={self.api_base!r}, api_key=***)"

    def send(self, message: Message, now: float) -> SendResult:
        email = self._render(message, now)
        try:
            response = self._client.post(SEND_PATH, json=mail_send_body(email, message))
        except httpx.HTTPError as exc:
            raise ProviderError(f"SendGrid unreachable: {type(exc).__name__}") from None
        status = response.status_code
        if status >= 400:
            raise ProviderError(_error_text(response), retryable=status == 429 or status >= 500)
        if not 200 <= status < 300:  # a redirect or other surprise
            raise ProviderError(f"SendGrid answered HTTP {status}", retryable=True)
        provider_id = response.headers.get("X-Message-Id") or email.message_id
        return SendResult(provider_id=provider_id, status="sent")

    def lookup(self, idempotency_key: str) -> SendResult | None:
        return None  # the mail/send API has no way to ask about an earlier send

    def close(self) -> None:
        self._client.close()
