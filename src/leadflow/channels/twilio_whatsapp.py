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
from leadflow.channels.twilio_sms import TwilioMessagesProvider, media_urls
from leadflow.model.records import Message


class TwilioWhatsAppProvider(TwilioMessagesProvider):
    what = "WhatsApp message"

    def request_fields(self, message: Message) -> dict[str, Any]:
        """The keyword arguments of ``messages.create`` for ``message``."""
        fields = self.base_fields(message, whatsapp_address)
        content_sid = message.payload.get("content_sid")
        if content_sid:
            fields["content_sid"] = str(content_sid)
            variables = message.payload.get("content_variables") or {}
            if variables:
                fields["content_variables"] = json.dumps(variables, separators=(",", ":"))
        else:
            fields["body"] = message.body or ""
            media = media_urls(message)
            if media:
                fields["media_url"] = media
        sender = self.sender(message)
        if sender.messaging_service_sid:
            fields["messaging_service_sid"] = sender.messaging_service_sid
        elif sender.from_number:
            fields["from_"] = whatsapp_address(sender.from_number)
        return fields


__all__ = ["WHATSAPP_PREFIX", "TwilioWhatsAppProvider"]
