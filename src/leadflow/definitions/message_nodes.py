"""The message nodes of a workflow definition: the ones that send to the lead.

``send_sms``, ``send_whatsapp``, ``send_email``, ``send_messenger``, ``voice_call`` and
``ai_compose``. Each may wait for the lead's best hour (``timing: optimal``, see :class:`SendNode`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from leadflow.definitions.durations import DAY, HOUR, parse_duration
from leadflow.definitions.model_base import BaseNode, DefinitionModel

MAX_SEND_DELAY_S = 7 * DAY  # timing optimal: the best hour is looked for at most a week ahead
DEFAULT_SEND_DELAY_S = 24 * HOUR


class SendNode(BaseNode):
    """A message node; ``timing: optimal`` sends at the hour the lead most likely engages."""

    timing: Literal["now", "optimal"] = Field(
        default="now", description="now: as soon as allowed; optimal: at the lead's best hour."
    )
    max_delay: str | None = Field(
        default=None,
        description="With timing optimal: how far ahead the hour may be (default 24h, at most 7d).",
    )

    @field_validator("max_delay")
    @classmethod
    def _max_delay(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if info.data.get("timing") != "optimal":
            raise ValueError("max_delay needs timing: optimal")
        seconds = parse_duration(value)  # says what is wrong (negative, malformed...)
        if seconds > MAX_SEND_DELAY_S:
            raise ValueError(f"max_delay {value!r} is more than 7 days")
        return value

    def max_delay_s(self) -> float:
        return parse_duration(self.max_delay) if self.max_delay else DEFAULT_SEND_DELAY_S


class SendSms(SendNode):
    kind: Literal["send_sms"]
    body: str = Field(min_length=1, description="Jinja2 template of the text.")
    media_urls: list[str] = Field(default_factory=list)


class WhatsAppTemplate(DefinitionModel):
    """An approved WhatsApp template: its Twilio Content SID and its placeholders' values."""

    content_sid: str = Field(
        pattern=r"^HX[0-9a-fA-F]{32}$", description="Twilio Content SID of the template (HX...)."
    )
    variables: dict[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")],
        Annotated[str, Field(max_length=1024)],
    ] = Field(
        default_factory=dict,
        max_length=100,
        description='Placeholder values as Jinja2 templates, keyed as in the template ("1", "2").',
    )


class SendWhatsApp(SendNode):
    """A WhatsApp message to the contact's phone: free-form ``body`` (sent only within 24 hours
    of the lead's last WhatsApp message) or an approved ``template`` (any time). Either way it
    needs the lead's WhatsApp opt-in (``consent.whatsapp``)."""

    kind: Literal["send_whatsapp"]
    body: str | None = Field(default=None, min_length=1, description="Jinja2 template of the text.")
    template: WhatsAppTemplate | None = Field(
        default=None, description="An approved template, for leads outside the 24-hour window."
    )
    media_urls: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _body_or_template(self) -> SendWhatsApp:
        if (self.body is None) == (self.template is None):
            raise ValueError("give either body (free-form) or template, not both nor neither")
        if self.template is not None and self.media_urls:
            raise ValueError("media_urls go with a free-form body (a template has its own media)")
        return self


class SendEmail(SendNode):
    kind: Literal["send_email"]
    subject: str = Field(min_length=1, description="Jinja2 template of the subject line.")
    body: str = Field(min_length=1, description="Jinja2 template of the text body.")
    html: str | None = Field(default=None, description="Optional Jinja2 template of an HTML body.")
    marketing: bool = True


class SendMessenger(SendNode):
    """A Facebook Messenger (or Instagram) message to the lead's thread with a page, through
    Meta's Send API. Outside 24 hours of the lead's last message only ``messaging_type:
    MESSAGE_TAG`` with an allowed ``tag`` may go (HUMAN_AGENT: up to 7 days)."""

    kind: Literal["send_messenger"]
    body: str = Field(min_length=1, description="Jinja2 template of the message text.")
    page_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The page to send from (default: the page the lead last wrote to).",
    )
    messaging_type: Literal["RESPONSE", "UPDATE", "MESSAGE_TAG"] = Field(
        default="RESPONSE", description="Meta's messaging_type of the send."
    )
    tag: (
        Literal["HUMAN_AGENT", "ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE"]
        | None
    ) = Field(default=None, description="The message tag (with messaging_type MESSAGE_TAG).")

    @model_validator(mode="after")
    def _tag_with_message_tag(self) -> SendMessenger:
        if self.messaging_type == "MESSAGE_TAG" and self.tag is None:
            raise ValueError("messaging_type MESSAGE_TAG needs a tag")
        if self.messaging_type != "MESSAGE_TAG" and self.tag is not None:
            raise ValueError("a tag needs messaging_type MESSAGE_TAG")
        return self


class VoiceCall(SendNode):
    kind: Literal["voice_call"]
    mode: Literal["voicemail_drop", "live"] = "voicemail_drop"
    audio_url: str | None = Field(default=None, description="Recording played on voicemail.")
    say: str | None = Field(default=None, description="Jinja2 template read out when no audio.")


class AiCompose(BaseNode):
    """Drafts one text or e-mail for the lead with the configured model, from ``brief``, the
    contact's fields and its matched listings, then checks the draft (SMS segments, length,
    sender and opt-out wording on a first text, no URL / price / address / number that is not
    in the data, no fair-housing steering words). A draft that fails a check, or no model at
    all, sends ``body`` (and ``subject``) instead: the template is required. The text is made
    once per visit and queued like a ``send_sms`` / ``send_email``; ``steps.<node>.source``
    says which went out (model or template) and ``steps.<node>.reason`` why the template."""

    kind: Literal["ai_compose"]
    channel: Literal["sms", "email"] = "sms"
    brief: str = Field(
        min_length=1,
        max_length=2000,
        description="Jinja2 template: what the message should do, for the model.",
    )
    body: str = Field(min_length=1, description="Jinja2 template sent when no draft may go.")
    subject: str | None = Field(
        default=None, description="Jinja2 template of the fallback subject (e-mail only)."
    )
    max_segments: int = Field(
        default=2, ge=1, le=10, description="SMS: most segments a draft may take (GSM-7/UCS-2)."
    )
    max_chars: int | None = Field(
        default=None,
        ge=20,
        le=20_000,
        description="Most characters a draft may have (default 480 for SMS, 3000 for e-mail).",
    )
    marketing: bool = Field(default=True, description="E-mail: a marketing message.")

    @model_validator(mode="after")
    def _subject_for_email(self) -> AiCompose:
        if self.channel == "email" and not self.subject:
            raise ValueError("subject is required when channel is email")
        if self.channel == "sms" and self.subject:
            raise ValueError("subject applies only to channel email")
        return self

    def char_limit(self) -> int:
        return self.max_chars or (480 if self.channel == "sms" else 3000)
