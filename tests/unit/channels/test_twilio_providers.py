"""The Twilio SMS and voice providers against a loopback server speaking Twilio's REST API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.channels.twilio_config import TwilioConfig, twilio_config
from leadflow.channels.twilio_sms import TwilioSmsProvider
from leadflow.channels.twilio_voice import TwilioVoiceProvider
from leadflow.errors import InvalidInput, ProviderError
from leadflow.model.records import Contact, Message
from leadflow.model.tenancy import Agent
from leadflow.settings import Settings
from leadflow.store import Store, open_store
from leadflow.tenancy import accounts
from support.twilio_peer import TwilioPeer, twilio_peer

LEAD = "+14155550123"
SENDER = "+14155550100"
AGENT_PHONE = "+14155550199"
PUBLIC = "https://leads.example.com"


@pytest.fixture
def peer() -> Iterator[TwilioPeer]:
    with twilio_peer() as p:
        yield p


def config(peer: TwilioPeer, **kw: str | None) -> TwilioConfig:
    values: dict[str, str | None] = {"messaging_service_sid": None, "from_number": SENDER} | kw
    return TwilioConfig(
        account_sid=peer.account_sid,
        auth_token=peer.auth_token,
        public_url=PUBLIC,
        api_base=peer.base_url,
        messaging_service_sid=values["messaging_service_sid"],
        from_number=values["from_number"],
    )


def text(to: str = LEAD, **payload: object) -> Message:
    return Message(
        run_id=1,
        contact_id="c1",
        workflow_key="wf",
        node="hi",
        channel="sms",
        to=to,
        idempotency_key="run1:hi:1:sms",
        due_at=0.0,
        created_at=0.0,
        body="Hi Ann, the house on Elm St is open Sunday.",
        payload=dict(payload),
        id=7,
    )


def call(mode: str, contact_id: str = "c1") -> Message:
    payload = {"mode": mode, "audio_url": "https://cdn.example.com/vm.mp3", "say": "Hi"}
    return Message(1, contact_id, "wf", "ring", "voice", LEAD, "run1:ring:1:voice", 0.0, 0.0,
                   body="Hi", payload=payload, id=9)  # fmt: skip


def test_a_text_from_a_number_sends_what_twilio_expects(peer: TwilioPeer) -> None:
    provider = TwilioSmsProvider(config(peer))
    try:
        media = ["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.jpg"]
        result = provider.send(text(media_urls=media), 0.0)
    finally:
        provider.close()
    (got,) = peer.accepted()
    assert got.account == peer.account_sid
    assert got.get("To") == LEAD and got.get("From") == SENDER
    assert got.get("MessagingServiceSid") is None
    assert got.get("Body") == "Hi Ann, the house on Elm St is open Sunday."
    assert got.all("MediaUrl") == media
    assert got.get("StatusCallback") == f"{PUBLIC}/webhooks/twilio/status"
    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.status == "sent" and not result.duplicate


def test_a_messaging_service_is_preferred_over_the_number(peer: TwilioPeer) -> None:
    provider = TwilioSmsProvider(config(peer, messaging_service_sid="MG" + "a" * 32))
    provider.send(text(), 0.0)
    (got,) = peer.accepted()
    assert got.get("MessagingServiceSid") == "MG" + "a" * 32
    assert got.get("From") is None and got.all("MediaUrl") == []


def test_wrong_credentials_are_a_final_error_without_the_token(peer: TwilioPeer) -> None:
    bad = TwilioConfig(peer.account_sid, "not-the-token", PUBLIC, peer.base_url, None, SENDER)
    with pytest.raises(ProviderError) as err:
        TwilioSmsProvider(bad).send(text(), 0.0)
    assert not err.value.retryable
    assert "401" in err.value.message and "not-the-token" not in err.value.message
    assert "not-the-token" not in repr(bad)


def test_an_opted_out_number_fails_for_good(peer: TwilioPeer) -> None:
    peer.refuse(LEAD, 400, 21610, "Attempt to send to unsubscribed recipient")
    with pytest.raises(ProviderError) as err:
        TwilioSmsProvider(config(peer)).send(text(), 0.0)
    assert err.value.message.startswith("opted_out:")
    assert "opted out" in err.value.message and "21610" in err.value.message
    assert not err.value.retryable


@pytest.mark.parametrize("code", [30003, 30005, 30006])
def test_unreachable_numbers_and_landlines_are_final(peer: TwilioPeer, code: int) -> None:
    peer.refuse(LEAD, 400, code, "Unreachable")
    with pytest.raises(ProviderError) as err:
        TwilioSmsProvider(config(peer)).send(text(), 0.0)
    assert not err.value.retryable and str(code) in err.value.message


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True),
                                                   (400, False), (404, False)])  # fmt: skip
def test_server_trouble_is_retried_other_refusals_are_not(
    peer: TwilioPeer, status: int, retryable: bool
) -> None:
    peer.refuse(LEAD, status, 20500 if status >= 500 else 21211 + status, "refused")
    with pytest.raises(ProviderError) as err:
        TwilioSmsProvider(config(peer)).send(text(), 0.0)
    assert err.value.retryable is retryable
    assert f"HTTP {status}" in err.value.message


def test_an_unreachable_api_is_retryable() -> None:
    with twilio_peer() as gone:
        base = gone.base_url
    cfg = TwilioConfig(gone.account_sid, gone.auth_token, PUBLIC, base, None, SENDER)
    with pytest.raises(ProviderError) as err:
        TwilioSmsProvider(cfg).send(text(), 0.0)
    assert err.value.retryable


def test_twilio_has_no_idempotency_key_so_lookup_knows_nothing(peer: TwilioPeer) -> None:
    provider = TwilioSmsProvider(config(peer))
    provider.send(text(), 0.0)
    assert provider.lookup("run1:hi:1:sms") is None


# ---------------------------------------------------------------------------------- voice
@pytest.fixture
def store() -> Iterator[Store]:
    s = open_store("memory://")
    accounts.create_tenant(s, "acme", "Acme Realty", 0.0)
    accounts.add_agents(s, "acme", [Agent("acme", "ann", mobile_phone=AGENT_PHONE)], 0.0)
    accounts.add_agents(s, "acme", [Agent("acme", "bob")], 0.0)
    s.upsert_contacts(
        [
            Contact("c1", phone=LEAD, owner="ann", tenant_id="acme"),
            Contact("c2", phone=LEAD, owner="bob", tenant_id="acme"),
        ],
        0.0,
    )
    yield s
    s.close()


def test_a_voicemail_drop_asks_for_answering_machine_detection(
    peer: TwilioPeer, store: Store
) -> None:
    result = TwilioVoiceProvider(config(peer), store).send(call("voicemail_drop"), 0.0)
    (got,) = peer.accepted("Calls")
    assert got.get("To") == LEAD and got.get("From") == SENDER
    assert got.get("Url") == f"{PUBLIC}/webhooks/twilio/voice?m=9"
    assert got.get("MachineDetection") == "DetectMessageEnd"
    assert got.get("StatusCallback") == f"{PUBLIC}/webhooks/twilio/voice/status"
    assert "completed" in got.all("StatusCallbackEvent")
    assert result.provider_id.startswith("CA") and result.status == "sent"


def test_a_live_call_needs_the_owner_agents_phone(peer: TwilioPeer, store: Store) -> None:
    TwilioVoiceProvider(config(peer), store).send(call("live"), 0.0)
    (got,) = peer.accepted("Calls")
    assert got.get("MachineDetection") is None
    with pytest.raises(ProviderError) as err:
        TwilioVoiceProvider(config(peer), store).send(call("live", contact_id="c2"), 0.0)
    assert not err.value.retryable and "no mobile phone" in err.value.message
    assert len(peer.requests) == 1  # the call without an agent to bridge to was never placed


# ---------------------------------------------------------------------------------- settings
def test_choosing_twilio_without_its_settings_names_what_is_missing() -> None:
    token = "tok-" + "9" * 28
    with pytest.raises(InvalidInput) as err:
        twilio_config(Settings(sms_provider="twilio", twilio_auth_token=token), "sms")
    message = err.value.message
    assert "LEADFLOW_TWILIO_ACCOUNT_SID" in message and "LEADFLOW_PUBLIC_URL" in message
    assert "LEADFLOW_TWILIO_FROM_NUMBER" in message and token not in message
    voice = Settings(
        voice_provider="twilio",
        twilio_account_sid="AC1",
        twilio_auth_token=token,
        public_url=PUBLIC,
        twilio_messaging_service_sid="MG1",
    )
    with pytest.raises(InvalidInput, match="LEADFLOW_TWILIO_FROM_NUMBER") as err:
        twilio_config(voice, "voice")
    assert token not in err.value.message and token not in repr(voice)


def test_a_bad_from_number_or_public_url_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="twilio_from_number: not a phone number"):
        Settings(twilio_from_number="555-0100")
    with pytest.raises(ValueError, match="public_url: must be an http"):
        Settings(public_url="leads.example.com")
    assert Settings(twilio_from_number="+1 (415) 555-0100").twilio_from_number == SENDER
    assert Settings(public_url="https://leads.example.com/").public_url == PUBLIC
