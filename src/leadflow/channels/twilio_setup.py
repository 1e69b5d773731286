"""The Twilio providers the settings ask for, each message sent from its tenant's sender."""

from __future__ import annotations

from leadflow.channels.senders import TenantSenders
from leadflow.channels.twilio_config import TwilioConfig
from leadflow.channels.twilio_sms import TwilioSmsProvider
from leadflow.channels.twilio_voice import TwilioVoiceProvider
from leadflow.engine.ports import Provider
from leadflow.settings import Settings
from leadflow.store.contract import Store


def twilio_providers(
    configs: dict[str, TwilioConfig], store: Store, settings: Settings
) -> dict[str, Provider]:
    """The Twilio providers of :func:`twilio_configs`' channels, each message sent from its
    tenant's sender."""
    senders = TenantSenders(store, settings)
    chosen: dict[str, Provider] = {}
    if "sms" in configs:
        chosen["sms"] = TwilioSmsProvider(configs["sms"], senders=senders)
    if "voice" in configs:
        chosen["voice"] = TwilioVoiceProvider(configs["voice"], store, senders=senders)
    return chosen
