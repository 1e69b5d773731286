from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from leadflow.errors import InvalidInput
from leadflow.model.records import Contact, Message, NewEvent
from leadflow.simulate.engagement import (
    EMAIL_REPLY_SHARE,
    VOICE_TEXT_BACK_SHARE,
    EngagementModel,
)
from leadflow.simulate.leads import synthetic_contacts

START = 1_700_000_000.0
DAY = 86_400.0
MESSAGES = 20_000


def message(channel: str, key: str, contact: Contact, **kwargs: object) -> Message:
    return Message(
        run_id=1,
        contact_id=contact.id,
        workflow_key="nurture",
        node="n1",
        channel=channel,
        to=contact.phone if channel != "email" else contact.email,
        idempotency_key=key,
        due_at=START,
        created_at=START,
        id=abs(hash(key)) % 10_000,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def leads() -> list[Contact]:
    return synthetic_contacts(2_000, seed=3, now=START)


def simulate(model: EngagementModel, leads: list[Contact], channel: str) -> list[NewEvent]:
    """MESSAGES deliveries spread evenly over 30 days and over the leads."""
    times = random.Random(f"times:{channel}")
    events: list[NewEvent] = []
    for i in range(MESSAGES):
        contact = leads[i % len(leads)]
        delivered_at = START + times.random() * 30 * DAY
        msg = message(channel, f"run:{i}:{channel}", contact, subject="New listings")
        out = model.on_delivered(msg, contact, delivered_at)
        for event in out:
            assert event.occurred_at > delivered_at
        events += out
    return events


def test_same_seed_and_key_give_the_same_events(leads: list[Contact]) -> None:
    first, second = EngagementModel(5), EngagementModel(5)
    other_seed = EngagementModel(6)
    different = 0
    for i, contact in enumerate(leads[:500]):
        for channel in ("sms", "email", "voice"):
            msg = message(channel, f"k{i}:{channel}", contact)
            events = first.on_delivered(msg, contact, START)
            assert events == second.on_delivered(msg, contact, START)
            assert events == first.on_delivered(msg, contact, START)  # no state kept
            if events != other_seed.on_delivered(msg, contact, START):
                different += 1
    assert different > 100  # the seed matters


def test_events_are_future_dated_and_well_formed(leads: list[Contact]) -> None:
    model = EngagementModel(1, reply_rate=1.0, open_rate=1.0, click_rate=1.0)
    keys: list[str] = []
    for i, contact in enumerate(leads[:200]):
        for channel in ("sms", "email", "voice"):
            msg = message(channel, f"k{i}:{channel}", contact, body="See https://x.example/l?a=1 .")
            delivered_at = START + i * 3600.0
            events = model.on_delivered(msg, contact, delivered_at)
            for event in events:
                assert event.contact_id == contact.id
                assert event.occurred_at > delivered_at
                assert event.occurred_at <= delivered_at + 7 * DAY
                assert event.dedupe_key.startswith(f"sim:{msg.idempotency_key}:")
                assert event.data["message_id"] == msg.id
                keys.append(event.dedupe_key)
            types = [e.type for e in events]
            if channel == "sms":
                assert types in ([], ["sms.received"])
                if events:
                    assert events[0].data["channel"] == "sms" and events[0].data["body"]
                    assert events[0].dedupe_key == f"sim:{msg.idempotency_key}:reply"
            elif channel == "voice":
                assert types in ([], ["sms.received"])
            elif events:
                assert types[:2] == ["email.opened", "email.clicked"]  # clicked after every open
                opened, clicked, *rest = events
                assert clicked.occurred_at > opened.occurred_at
                assert clicked.data["url"] == "https://x.example/l?a=1"
                for reply in rest:
                    assert reply.type == "email.received"
                    assert reply.data["subject"] == "Re: your message" and reply.data["body"]
                    assert reply.occurred_at > opened.occurred_at
    assert len(keys) > 300
    assert len(set(keys)) == len(keys)  # dedupe keys never repeat


def test_sms_reply_rate(leads: list[Contact]) -> None:
    events = simulate(EngagementModel(11), leads, "sms")
    rate = len(events) / MESSAGES
    assert abs(rate - 0.15) < 0.015, rate
    bodies = Counter(e.data["body"] for e in events)
    assert len(bodies) > 5
    assert bodies["STOP"] < 0.06 * len(events)


def test_reply_delays_are_minutes_to_hours(leads: list[Contact]) -> None:
    model = EngagementModel(2, reply_rate=1.0)
    delays = []
    for i, contact in enumerate(leads):
        msg = message("sms", f"d{i}", contact)
        for event in model.on_delivered(msg, contact, START):
            delays.append(event.occurred_at - START)
    assert min(delays) >= 20.0
    assert 5 * 60 < statistics.median(delays) < 30 * 60
    assert max(delays) > 2 * 3600


def test_email_rates(leads: list[Contact]) -> None:
    events = simulate(EngagementModel(12), leads, "email")
    counts = Counter(e.type for e in events)
    assert abs(counts["email.opened"] / MESSAGES - 0.35) < 0.02, counts
    assert abs(counts["email.clicked"] / MESSAGES - 0.08) < 0.01, counts
    replies = counts["email.received"] / MESSAGES
    assert abs(replies - 0.15 * EMAIL_REPLY_SHARE) < 0.008, counts


def test_voice_is_rarely_answered_by_text(leads: list[Contact]) -> None:
    events = simulate(EngagementModel(13), leads, "voice")
    assert {e.type for e in events} == {"sms.received"}
    assert abs(len(events) / MESSAGES - 0.15 * VOICE_TEXT_BACK_SHARE) < 0.008


def test_custom_rates_are_followed(leads: list[Contact]) -> None:
    events = simulate(EngagementModel(14, reply_rate=0.05), leads, "sms")
    assert abs(len(events) / MESSAGES - 0.05) < 0.008


def test_replies_are_likelier_near_the_preferred_local_hour() -> None:
    contact = Contact(
        id="c",
        time_zone="America/Chicago",
        fields={"sim_reply_propensity": 0.5, "sim_preferred_hour": 19},
    )
    model = EngagementModel(1)
    zone = ZoneInfo("America/Chicago")
    at_19 = datetime(2025, 3, 4, 19, 0, tzinfo=zone).timestamp()
    at_7 = datetime(2025, 3, 4, 7, 0, tzinfo=zone).timestamp()
    assert model.reply_probability(contact, at_19) > 3 * model.reply_probability(contact, at_7)
    daily = [model.reply_probability(contact, START + m * 60.0) for m in range(24 * 60)]
    assert abs(statistics.fmean(daily) - 0.15) < 1e-3  # the hour factor averages 1


def test_propensity_scales_replies_and_missing_fields_mean_average() -> None:
    model = EngagementModel(1)
    shy = Contact(id="a", fields={"sim_reply_propensity": 0.1})
    keen = Contact(id="b", fields={"sim_reply_propensity": "0.9"})  # imported fields are text
    plain = Contact(id="c", time_zone="Not/AZone", fields={"sim_preferred_hour": 3})
    assert model.reply_probability(shy, START) == pytest.approx(0.03)
    assert model.reply_probability(keen, START) == pytest.approx(0.27)
    assert model.reply_probability(plain, START) == pytest.approx(0.15)


def test_webhooks_provoke_nothing(leads: list[Contact]) -> None:
    model = EngagementModel(1, reply_rate=1.0, open_rate=1.0, click_rate=1.0)
    assert model.on_delivered(message("webhook", "w", leads[0]), leads[0], START) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"reply_rate": -0.1}, {"open_rate": 1.5}, {"click_rate": 0.5, "open_rate": 0.4}],
)
def test_rates_are_checked(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidInput):
        EngagementModel(1, **kwargs)


def test_a_reply_lift_plants_an_effect_on_one_nodes_messages_only(leads: list[Contact]) -> None:
    # the messages of simulate() come from node "n1"
    lifted = simulate(EngagementModel(15, reply_lift={"n1": 2.0}), leads, "sms")
    elsewhere = simulate(EngagementModel(15, reply_lift={"other": 2.0}), leads, "sms")
    assert abs(len(lifted) / MESSAGES - 0.30) < 0.02, len(lifted)
    assert abs(len(elsewhere) / MESSAGES - 0.15) < 0.015, len(elsewhere)
    mails = Counter(e.type for e in simulate(EngagementModel(16, reply_lift={"n1": 2.0}), leads,
                                             "email"))  # fmt: skip
    assert abs(mails["email.received"] / MESSAGES - 0.30 * EMAIL_REPLY_SHARE) < 0.01, mails
    assert abs(mails["email.opened"] / MESSAGES - 0.35) < 0.02, mails  # opens are left alone
    with pytest.raises(InvalidInput):
        EngagementModel(1, reply_lift={"n1": -1.0})
