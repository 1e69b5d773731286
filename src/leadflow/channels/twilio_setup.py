"""The Twilio providers the settings ask for, each message sent from its tenant's sender.

:data:`TWILIO` is the ``twilio`` provider factory (entry point ``leadflow.providers``): texts,
calls and WhatsApp messages through Twilio's REST API.
"""

from __future__ import annotations

from leadflow.channels.provider_factory import ProviderContext, ProviderFactory
from leadflow.channels.senders import TenantSenders
from leadflow.channels.twilio_config import TwilioConfig, twilio_config
from leadflow.channels.twilio_sms import TwilioSmsProvider
from leadflow.channels.twilio_voice import TwilioVoiceProvider
from leadflow.channels.twilio_whatsapp import TwilioWhatsAppProvider
from leadflow.engine.ports import Provider
from leadflow.settings import Settings
from leadflow.store.contract import Store


def twilio_provider(
    channel: str, config: TwilioConfig, store: Store, senders: TenantSenders
) -> Provider:
    """The Twilio provider of one channel (``sms``, ``voice`` or ``whatsapp``)."""
    if channel == "voice":
        return TwilioVoiceProvider(config, store, senders=senders)
    if channel == "whatsapp":
        return TwilioWhatsAppProvider(config, senders=senders)
    return TwilioSmsProvider(config, senders=senders)


def twilio_providers(
    configs: dict[str, TwilioConfig], store: Store, settings: Settings
) -> dict[str, Provider]:
    """The Twilio providers of :func:`twilio_configs`' channels, each message sent from its
    tenant's sender."""
    senders = TenantSenders(store, settings)
    return {
        channel: twilio_provider(channel, config, store, senders)
        for channel, config in configs.items()
    }


def _check(settings: Settings, channel: str) -> None:
    twilio_config(settings, channel)  # names the missing LEADFLOW_TWILIO_* setting


def _build(context: ProviderContext, channel: str) -> Provider:
    config = twilio_config(context.settings, channel)
    senders = TenantSenders(context.store, context.settings)
    return twilio_provider(channel, config, context.store, senders)


TWILIO = ProviderFactory("twilio", frozenset({"sms", "voice", "whatsapp"}), _build, _check)
