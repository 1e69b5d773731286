"""WhatsApp messages through Twilio's Messaging API.

The same Messages endpoint as texts, with ``whatsapp:``-prefixed E.164 addresses: ``To`` is
``whatsapp:+15551234567``, and the sender is the tenant's Messaging Service (with a WhatsApp
sender in it) or its number as ``whatsapp:+1...`` (a number registered as a WhatsApp sender).

A message is either free-form text (``Body``, with media) or an approved template: its Content
SID (``ContentSid``, ``HX...``) and the values of its placeholders (``ContentVariables``, a JSON
object of strings keyed ``"1"``, ``"2"``...). Which of the two may leave is decided before the
send, at dispatch (:mod:`leadflow.compliance.whatsapp`); Twilio refuses a free-form message
outside the 24-hour session too (error 63016), which fails the message for good.
"""

from __future__ import annotations

import json
from typing import Any

from leadflow.addresses import WHATSAPP_PREFIX, whatsapp_address
from leadflow.channels.senders import SmsSender
from leadflow.channels.twilio_sms import STATUS_PATH, TwilioProvider
from leadflow.errors import ProviderError
from leadflow.model.records import Message


class TwilioWhatsAppProvider(TwilioProvider):
    what = "WhatsApp message"

    def request_fields(self, message: Message) -> dict[str, Any]:
        """The keyword arguments of ``messages.create`` for ``message``."""
        if not message.to:
            raise ProviderError("the message has no phone number to send to", retryable=False)
        fields: dict[str, Any] = {
            "to": whatsapp_address(message.to),
            "status_callback": self.config.callback(STATUS_PATH),
        }
        content_sid = message.payload.get("content_sid")
        if content_sid:
            fields["content_sid"] = str(content_sid)
            variables = message.payload.get("content_variables") or {}
            if variables:
                fields["content_variables"] = json.dumps(variables, separators=(",", ":"))
        else:
            fields["body"] = message.body or ""
            media = [str(u) for u in (message.payload.get("media_urls") or []) if u]
            if media:
                fields["media_url"] = media
        sender = (
            self.senders.sms(message)
            if self.senders is not None
            else SmsSender(self.config.messaging_service_sid, self.config.from_number)
        )
        if sender.messaging_service_sid:
            fields["messaging_service_sid"] = sender.messaging_service_sid
        elif sender.from_number:
            fields["from_"] = whatsapp_address(sender.from_number)
        return fields

    def create(self, fields: dict[str, Any]) -> Any:
        return self.client.messages.create(**fields)


__all__ = ["WHATSAPP_PREFIX", "TwilioWhatsAppProvider"]
