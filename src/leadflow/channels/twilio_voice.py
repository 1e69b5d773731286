"""Calls through Twilio's Calls API, and the TwiML that answers them.

A ``voice_call`` node has two modes. ``voicemail_drop`` asks Twilio to wait for the end of the
greeting (``MachineDetection=DetectMessageEnd``): on an answering machine the recording is
played (or the node's text spoken) after the beep and the call hangs up; a person who picks up
hears the text. ``live`` bridges the lead to the agent who owns the contact: the call fails at
once, without being placed, when that agent has no phone on record.

Twilio fetches what to do from ``/webhooks/twilio/voice?m=<message id>`` once the call is
answered; :func:`answer` builds that TwiML. Like texts, calls have no idempotency key at Twilio,
so :meth:`TwilioVoiceProvider.lookup` answers None.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from leadflow.channels.senders import TenantSenders
from leadflow.channels.twilio_config import TwilioConfig
from leadflow.channels.twilio_sms import TwilioProvider
from leadflow.errors import ProviderError
from leadflow.model.records import Message
from leadflow.store.contract import Store

VOICE_PATH = "/webhooks/twilio/voice"
VOICE_STATUS_PATH = "/webhooks/twilio/voice/status"
MACHINE_END = frozenset({"machine_end_beep", "machine_end_silence", "machine_end_other"})
HANG_UP_ON = frozenset({"machine_start", "fax"})
LIVE = "live"
VOICEMAIL = "voicemail_drop"


def mode_of(message: Message) -> str:
    return str(message.payload.get("mode") or VOICEMAIL)


def agent_phone(store: Store, message: Message) -> str | None:
    """The mobile phone of the agent who owns the message's contact, if any."""
    contact = store.get_contact(message.contact_id) if message.contact_id else None
    if contact is None or not contact.owner:
        return None
    agent = store.get_agent(contact.tenant_id, contact.owner)
    return agent.mobile_phone if agent is not None and agent.mobile_phone else None


class TwilioVoiceProvider(TwilioProvider):
    what = "call"
    action = "call"

    def __init__(
        self,
        config: TwilioConfig,
        store: Store,
        client: Any = None,
        senders: TenantSenders | None = None,
    ) -> None:
        if not config.from_number:
            raise ProviderError("Twilio calls need LEADFLOW_TWILIO_FROM_NUMBER", retryable=False)
        super().__init__(config, client, senders)
        self.store = store

    def request_fields(self, message: Message) -> dict[str, Any]:
        """The keyword arguments of ``calls.create`` for ``message``."""
        if not message.to:
            raise ProviderError("the message has no phone number to call", retryable=False)
        mode = mode_of(message)
        if mode == LIVE and agent_phone(self.store, message) is None:
            raise ProviderError(
                "live call: the contact's owner agent has no mobile phone to bridge to",
                retryable=False,
            )
        ref = str(message.id) if message.id is not None else message.idempotency_key
        fields: dict[str, Any] = {
            "to": message.to,
            "from_": (
                self.senders.voice(message) if self.senders is not None else self.config.from_number
            ),
            "url": self.config.callback(VOICE_PATH) + "?" + urlencode({"m": ref}),
            "status_callback": self.config.callback(VOICE_STATUS_PATH),
            "status_callback_event": ["answered", "completed"],
        }
        if mode == VOICEMAIL:
            fields["machine_detection"] = "DetectMessageEnd"
        return fields

    def create(self, fields: dict[str, Any]) -> Any:
        return self.client.calls.create(**fields)


def _speak(response: Any, message: Message) -> None:
    """The recording when there is one, else the message's text."""
    audio = message.payload.get("audio_url")
    text = message.body or message.payload.get("say")
    if audio:
        response.play(str(audio))
    elif text:
        response.say(str(text))


def answer(message: Message | None, answered_by: str | None, phone: str | None) -> str:
    """The TwiML for a call Twilio has connected (``answered_by`` is Twilio's ``AnsweredBy``,
    ``phone`` the agent's number for a live call)."""
    response = VoiceResponse()
    who = (answered_by or "unknown").strip().lower()
    if message is None or who in HANG_UP_ON:
        response.hangup()
        return str(response)
    if who in MACHINE_END:
        _speak(response, message)
    elif mode_of(message) == LIVE:
        if phone:
            response.dial(phone)
        else:
            response.say("Sorry, nobody can take this call right now. Goodbye.")
    else:  # voicemail drop picked up by a person (or not recognised): say it, then hang up
        text = message.body or message.payload.get("say")
        if text:
            response.say(str(text))
        else:
            _speak(response, message)
    response.hangup()
    return str(response)
