"""Twilio settings checked once, and the REST client built from them.

Choosing Twilio for texts or calls without the settings it needs fails when the runtime is
built, naming the missing ``LEADFLOW_*`` setting; the Auth Token is never printed (it is a
``SecretStr`` in the settings and kept out of this object's ``repr``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from leadflow.errors import InvalidInput
from leadflow.settings import Settings

TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class TwilioConfig:
    account_sid: str
    auth_token: str = field(repr=False)
    public_url: str
    api_base: str = "https://api.twilio.com"
    messaging_service_sid: str | None = None
    from_number: str | None = None

    def callback(self, path: str) -> str:
        """The public URL of one of this installation's Twilio webhooks."""
        return self.public_url.rstrip("/") + path


def twilio_config(
    settings: Settings, channel: Literal["sms", "voice", "whatsapp"] | str
) -> TwilioConfig:
    """The Twilio settings ``channel`` needs, or :class:`InvalidInput` naming what is missing."""
    chosen = f"LEADFLOW_{channel.upper()}_PROVIDER=twilio"
    missing = []
    if not settings.twilio_account_sid:
        missing.append("LEADFLOW_TWILIO_ACCOUNT_SID")
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    if not token:
        missing.append("LEADFLOW_TWILIO_AUTH_TOKEN")
    if not settings.public_url:
        missing.append("LEADFLOW_PUBLIC_URL")
    if channel == "voice" and not settings.twilio_from_number:
        missing.append("LEADFLOW_TWILIO_FROM_NUMBER")
    if channel in ("sms", "whatsapp") and not (
        settings.twilio_messaging_service_sid or settings.twilio_from_number
    ):
        missing.append("LEADFLOW_TWILIO_MESSAGING_SERVICE_SID or LEADFLOW_TWILIO_FROM_NUMBER")
    if missing:
        raise InvalidInput(f"{chosen} needs {', '.join(missing)}")
    assert settings.twilio_account_sid and settings.public_url
    return TwilioConfig(
        account_sid=settings.twilio_account_sid,
        auth_token=token,
        public_url=settings.public_url,
        api_base=settings.twilio_api_base,
        messaging_service_sid=settings.twilio_messaging_service_sid or None,
        from_number=settings.twilio_from_number,
    )


def make_client(config: TwilioConfig) -> Any:
    """A ``twilio.rest.Client`` for ``config``, its API domain pointed at ``config.api_base``
    (the process environment's ``TWILIO_EDGE`` / ``TWILIO_REGION`` are not applied)."""
    client = Client(
        config.account_sid,
        config.auth_token,
        http_client=TwilioHttpClient(timeout=TIMEOUT_S),
    )
    client.edge = client.region = None  # no host rewriting from TWILIO_EDGE / TWILIO_REGION
    client.api.base_url = config.api_base
    return client


def twilio_configs(settings: Settings) -> dict[str, TwilioConfig]:
    """The Twilio settings of each channel the settings give to Twilio, checked (before
    anything is opened, so a missing setting stops start-up cleanly)."""
    chosen: dict[str, TwilioConfig] = {}
    if settings.sms_provider == "twilio":
        chosen["sms"] = twilio_config(settings, "sms")
    if settings.voice_provider == "twilio":
        chosen["voice"] = twilio_config(settings, "voice")
    if settings.whatsapp_provider == "twilio":
        chosen["whatsapp"] = twilio_config(settings, "whatsapp")
    return chosen
