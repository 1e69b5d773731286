"""Texts through Twilio's Messages API (``twilio.rest.Client``).

Each text is sent from its tenant's sender (:mod:`leadflow.channels.senders`): its Messaging
Service when it has one (Twilio then picks the number and applies its opt-out handling), else
its number (the settings' for the ``default`` tenant), with its media and a
``StatusCallback`` to this installation's ``/webhooks/twilio/status``; the message's
``provider_id`` is Twilio's MessageSid, by which the status callbacks find it again.

Twilio's Messages API takes no idempotency key, and a message cannot be found by one, so
:meth:`TwilioSmsProvider.lookup` answers None: a text left in doubt by a crash between the
request and its record is sent again (at-least-once), never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twilio.base.exceptions import TwilioException  # type: ignore[import-untyped]

from leadflow.channels.senders import SmsSender, TenantSenders
from leadflow.channels.twilio_config import TwilioConfig, make_client
from leadflow.channels.twilio_status import send_error
from leadflow.engine.ports import SendResult
from leadflow.errors import ProviderError
from leadflow.model.records import Message

STATUS_PATH = "/webhooks/twilio/status"


def call_twilio(action: str, request: Callable[[], Any]) -> Any:
    """Run one REST request, its failures as :class:`ProviderError` (network trouble and
    timeouts are retryable; Twilio's answers are classified by :func:`send_error`)."""
    try:
        return request()
    except TwilioException as exc:
        status = getattr(exc, "status", None)
        if not isinstance(status, int):
            raise ProviderError(f"twilio {action} failed: {exc}", retryable=False) from None
        text = getattr(exc, "msg", None) or getattr(exc, "detail", None) or ""
        code = getattr(exc, "code", None)
        raise send_error(status, code if isinstance(code, int) else None, str(text)) from None
    except OSError as exc:  # connection refused, reset, timed out (requests' errors are OSErrors)
        raise ProviderError(f"twilio {action} failed: {type(exc).__name__}") from None


class TwilioProvider:
    """What Twilio's texts and calls share: the REST client, one create request per send whose
    SID is the provider id, and no lookup (Twilio cannot be asked about a send by an
    idempotency key)."""

    name = "twilio"
    what = "message"  # for errors: "text", "call"
    action = "send"  # as named in a failed request's error

    def __init__(
        self, config: TwilioConfig, client: Any = None, senders: TenantSenders | None = None
    ) -> None:
        self.config = config
        self.client = client if client is not None else make_client(config)
        self.senders = senders  # None: every message from the configured sender

    def request_fields(self, message: Message) -> dict[str, Any]:
        raise NotImplementedError

    def create(self, fields: dict[str, Any]) -> Any:
        raise NotImplementedError

    def send(self, message: Message, now: float) -> SendResult:
        fields = self.request_fields(message)
        created = call_twilio(self.action, lambda: self.create(fields))
        sid = str(getattr(created, "sid", "") or "")
        if not sid:
            raise ProviderError(
                f"twilio accepted the {self.what} but returned no sid", retryable=False
            )
        return SendResult(provider_id=sid, status="sent")

    def lookup(self, idempotency_key: str) -> SendResult | None:
        """Always None: Twilio cannot be asked about a send by an idempotency key."""
        return None

    def close(self) -> None:
        session = getattr(self.client.http_client, "session", None)
        if session is not None:
            session.close()


def media_urls(message: Message) -> list[str]:
    """The message's media (``payload.media_urls``), empty ones left out."""
    return [str(u) for u in (message.payload.get("media_urls") or []) if u]


class TwilioMessagesProvider(TwilioProvider):
    """What texts and WhatsApp messages share: Messages API requests to a phone number from the
    tenant's SMS sender, with a status callback."""

    def base_fields(self, message: Message, to: Callable[[str], str]) -> dict[str, Any]:
        """``to`` (the number as this channel writes it) and the status callback."""
        if not message.to:
            raise ProviderError("the message has no phone number to send to", retryable=False)
        return {"to": to(message.to), "status_callback": self.config.callback(STATUS_PATH)}

    def sender(self, message: Message) -> SmsSender:
        if self.senders is not None:
            return self.senders.sms(message)
        return SmsSender(self.config.messaging_service_sid, self.config.from_number)

    def create(self, fields: dict[str, Any]) -> Any:
        return self.client.messages.create(**fields)


class TwilioSmsProvider(TwilioMessagesProvider):
    what = "text"

    def request_fields(self, message: Message) -> dict[str, Any]:
        """The keyword arguments of ``messages.create`` for ``message``."""
        fields = self.base_fields(message, str)
        fields["body"] = message.body or ""
        sender = self.sender(message)
        if sender.messaging_service_sid:
            fields["messaging_service_sid"] = sender.messaging_service_sid
        else:
            fields["from_"] = sender.from_number
        media = media_urls(message)
        if media:
            fields["media_url"] = media
        return fields
