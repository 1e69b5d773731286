"""A smart campaign's predictions use the tenant's own rates per channel when its history has
enough sends (and say so: "tenant history: 4.0% replies over 300 texts"), stated priors
otherwise; another tenant's history never leaks in. Histories are planted in a real SQLite
store: messages that left (some answered), appointment.booked events and opt-outs after them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from leadflow.ai.history import MIN_SENDS, tenant_history
from leadflow.ai.predict import predict, rates_for
from leadflow.api.app import create_app
from leadflow.model.records import Contact, Message, MessageFacts, NewEvent
from leadflow.settings import Settings
from leadflow.store import Store, open_store
from support.api_client import ApiClient, admin_key
from support.stores import upgraded_db

T0 = 1_790_000_000.0
DAY = 86400.0
CAMPAIGN = "/api/v1/automation/smart-campaign"


def plant(
    store: Store,
    tenant: str,
    *,
    texts: int,
    replied: int,
    booked: int,
    opted_out: int,
    emails: int = 0,
) -> list[Contact]:
    """``texts`` delivered texts over 30 contacts (``replied`` answered), ``emails`` e-mails,
    ``booked`` bookings a day after the last text, ``opted_out`` STOPs an hour after it; and one
    booking 20 days after its contact's last message (outside the window: not counted)."""
    people = 30
    contacts = [
        Contact(id=f"{tenant}-c{i:02d}", phone=f"+1512555{i:04d}", tenant_id=tenant)
        for i in range(people)
    ]
    for i in range(opted_out):
        contacts[i].fields["consent_history"] = [
            {
                "channel": ch,
                "state": "opted_out",
                "source": "sms_keyword",
                "at": T0 + (texts + emails) * 60 + 3600,
                "evidence": "STOP",
                "event_id": 9000 + i,
            }
            for ch in ("sms", "voice")  # one STOP revokes both: counted once, for the text
        ]
    store.upsert_contacts(contacts, T0)
    channels = ["email"] * emails + ["sms"] * texts  # the e-mails first: bookings follow texts
    msgs = [
        Message(
            run_id=None,
            contact_id=contacts[i % people].id,
            workflow_key=None,
            node=None,
            channel=channel,
            to=contacts[i % people].phone,
            idempotency_key=f"{tenant}-{channel}-{i}",
            due_at=T0 + i * 60,
            created_at=T0,
        )
        for i, channel in enumerate(channels)
    ]
    ids = store.queue_messages(msgs, T0)
    facts = []
    for n, (msg, mid) in enumerate(zip(msgs, ids, strict=True)):
        assert mid is not None
        answered = msg.channel == "sms" and n - emails < replied
        facts.append(
            MessageFacts(
                mid,
                status="delivered",
                delivered_at=msg.due_at + 5,
                replied_at=msg.due_at + 600 if answered else None,
            )
        )
    store.apply_message_facts(facts, T0)
    last = T0 + (texts + emails) * 60  # every contact's last message is a text
    booked_at = [(contacts[i % people].id, f"{tenant}-b{i}", last + DAY) for i in range(booked)]
    late = last + 20 * DAY
    booked_at.append((contacts[-1].id, f"{tenant}-late", late))
    events = [
        NewEvent("appointment.booked", cid, {}, key, at, processed=True)
        for cid, key, at in booked_at
    ]
    store.append_events(events, T0)
    return contacts


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("LEADFLOW_LLM_BASE_URL", raising=False)
    return upgraded_db(tmp_path / "history.db")


def test_the_history_counts_each_channel_inside_the_tenant(db: str) -> None:
    store = open_store(db)
    try:
        acme = plant(store, "acme", texts=300, replied=12, booked=3, opted_out=2, emails=40)
        plant(store, "zeta", texts=300, replied=150, booked=40, opted_out=9)
        found = tenant_history(store, "acme", acme)
    finally:
        store.close()
    sms, email = found.channels["sms"], found.channels["email"]
    assert (sms.sent, sms.replied, sms.booked, sms.opted_out) == (300, 12, 3, 2)
    assert (email.sent, email.replied) == (40, 0)
    assert "voice" not in found.channels  # the STOP's voice entry counts for the text
    assert sum(e["sent"] for e in found.engagement.values()) == 340
    assert all(cid.startswith("acme-") for cid in found.engagement)


def test_rates_are_the_tenants_own_with_enough_sends_else_the_prior(db: str) -> None:
    store = open_store(db)
    try:
        acme = plant(store, "acme", texts=300, replied=12, booked=3, opted_out=2, emails=40)
        history = tenant_history(store, "acme", acme).channels
    finally:
        store.close()
    rates = rates_for(["email", "sms"], history)
    email, sms = rates["replies"]
    assert sms.source == "tenant history" and sms.basis == (
        "tenant history: 4.0% replies over 300 texts"
    )
    assert email.source == "prior" and email.basis.startswith("stated prior: 3.0% replies")
    assert f"fewer than {MIN_SENDS}" in email.basis
    # 1,000 texts at about 4 %: the interval comes from the posterior and holds the mean
    out = predict({"sms": 1000.0}, [sms])
    low, high = out["interval_95"]
    assert out["expected"] == pytest.approx(1000 * 13 / 302, abs=0.1)
    # Beta(13, 289) puts 95 % of the rate within about 2.3-6.8 %; binomial noise widens it a bit
    assert 18 < low < out["expected"] < high < 80
    assert predict({"sms": 1000.0}, [sms]) == out  # a fixed seed: the same interval again


@pytest.fixture
def app(db: str) -> FastAPI:
    return create_app(Settings(db=db))


def test_the_api_predicts_from_each_tenants_own_history(db: str, app: FastAPI) -> None:
    acme_key, zeta_key, new_key = (admin_key(db, t) for t in ("acme", "zeta", "nova"))
    store = open_store(db)
    try:
        plant(store, "acme", texts=300, replied=12, booked=3, opted_out=2)
        plant(store, "zeta", texts=400, replied=200, booked=40, opted_out=9)
        store.upsert_contacts([Contact(id=f"nova-{i}", tenant_id="nova") for i in range(30)], T0)
    finally:
        store.close()
    body = {"goal": "more replies", "channels": ["sms", "email"], "start": "2027-01-04"}

    def prediction(key: str) -> dict:
        with ApiClient(app, headers={"Authorization": f"Bearer {key}"}) as c:
            response = c.post(CAMPAIGN, json=body)
            assert response.status_code == 200, response.text
            (segment,) = response.json()["segments"]
            assert segment["contacts"] == 30
            return segment["prediction"]

    acme, zeta, nova = prediction(acme_key), prediction(zeta_key), prediction(new_key)
    sms = acme["replies"]["rates"]["sms"]
    assert sms == {
        "rate": round(13 / 302, 4),
        "source": "tenant history",
        "basis": "tenant history: 4.0% replies over 300 texts",
    }
    assert acme["appointments"]["rates"]["sms"]["basis"] == (
        "tenant history: 1.0% appointments over 300 texts"
    )
    assert acme["opt_outs"]["rates"]["sms"]["basis"] == (
        "tenant history: 0.7% opt-outs over 300 texts"
    )
    assert acme["replies"]["rates"]["email"]["source"] == "prior"
    assert "tenant history: 4.0% replies over 300 texts" in acme["basis"]
    assert zeta["replies"]["rates"]["sms"]["basis"] == (
        "tenant history: 50.0% replies over 400 texts"
    )
    assert nova["replies"]["rates"]["sms"]["source"] == "prior"
    assert "stated prior" in nova["basis"] and "tenant history" not in nova["basis"]
    # the same draft and reach: the predictions differ only by each tenant's own rates
    assert acme["sends"] == zeta["sends"] == nova["sends"]
    assert acme["replies"]["expected"] < nova["replies"]["expected"] < zeta["replies"]["expected"]
    for pred in (acme, zeta, nova):
        for metric in ("replies", "appointments", "opt_outs"):
            low, high = pred[metric]["interval_95"]
            assert low <= pred[metric]["expected"] <= high
