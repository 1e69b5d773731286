"""WhatsApp's rules in the dispatch policy: opt-in per channel, the 24-hour window counted in
elapsed seconds (a daylight-saving change does not move it), templates outside it, and the
quiet hours of texts. The last inbound message is read from recorded events on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadflow.compliance.policy import CompliancePolicy
from leadflow.compliance.whatsapp import SESSION_S, WhatsAppSessions, in_session
from leadflow.model.records import Contact, Message, NewEvent
from leadflow.store.contract import Store
from support.stores import drop_store, make_store, usable_backends

NY = ZoneInfo("America/New_York")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=NY).timestamp()


@pytest.fixture(params=usable_backends())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    found = make_store(request.param, tmp_path)
    yield found
    drop_store(request.param, found)


def lead(consent: dict[str, str] | None = None) -> Contact:
    return Contact(
        "c1",
        phone="+12125550123",
        time_zone="America/New_York",
        consent={"whatsapp": "opted_in"} if consent is None else consent,
    )


def wa(template: bool = False) -> Message:
    payload = (
        {"content_sid": "HX" + "a" * 32, "content_variables": {"1": "Ann"}} if template else {}
    )
    return Message(1, "c1", "wf", "n1", "whatsapp", "+12125550123", "k", 0.0, 0.0, payload=payload)


def wrote(store: Store, when: float, n: int = 1, contact: str = "c1") -> None:
    events = [
        NewEvent("whatsapp.received", contact, {"body": "hi"}, f"wa:{contact}:{when}:{i}", when)
        for i in range(n)
    ]
    store.append_events(events, when)


def test_the_window_counts_elapsed_seconds_across_the_end_of_dst(store: Store) -> None:
    store.upsert_contacts([lead()], 0.0)
    policy = CompliancePolicy(whatsapp_sessions=WhatsAppSessions(store))
    wrote(store, at("2025-11-01T10:00"))  # EDT; clocks go back at 02:00 on Sunday
    inside, closed = at("2025-11-02T08:59"), at("2025-11-02T09:30")  # EST
    assert policy.check(wa(), lead(), None, None, inside).action == "send"
    held = policy.check(wa(), lead(), None, None, closed)
    assert (held.action, held.reason) == ("suppress", "whatsapp_session_closed")
    # The same 24 elapsed hours when no clock changes: the window closes at 10:00 on the dot.
    assert in_session(at("2025-06-01T10:00"), at("2025-06-02T09:59:59"))
    assert not in_session(at("2025-06-01T10:00"), at("2025-06-01T10:00") + SESSION_S)


def test_a_template_goes_outside_the_window_free_form_does_not(store: Store) -> None:
    store.upsert_contacts([lead()], 0.0)
    policy = CompliancePolicy(whatsapp_sessions=WhatsAppSessions(store))
    now = at("2025-06-02T12:00")
    assert policy.check(wa(template=True), lead(), None, None, now).action == "send"
    assert policy.check(wa(), lead(), None, None, now).reason == "whatsapp_session_closed"
    # Another lead's message opens nothing for this one; a message "from the future" neither.
    wrote(store, now - 60, contact="c2")
    wrote(store, now + 60)
    assert policy.check(wa(), lead(), None, None, now).reason == "whatsapp_session_closed"


def test_the_latest_of_many_inbound_messages_counts(store: Store) -> None:
    store.upsert_contacts([lead()], 0.0)
    sessions = WhatsAppSessions(store)
    first = at("2025-06-01T09:00")
    wrote(store, first, n=3)
    wrote(store, first + 7200)
    assert sessions.last_inbound("c1", first + 7300) == first + 7200
    assert sessions.last_inbound("c2", first + 7300) is None


def test_opt_in_per_channel_and_quiet_hours_as_for_texts() -> None:
    policy = CompliancePolicy()
    noon = at("2025-06-02T12:00")
    texts_only = lead({"sms": "opted_in"})
    no_consent = policy.check(wa(template=True), texts_only, None, None, noon)
    assert (no_consent.action, no_consent.reason) == ("suppress", "no_whatsapp_consent")
    out = policy.check(wa(template=True), lead({"whatsapp": "opted_out"}), None, None, noon)
    assert out.reason == "opted_out"
    late = policy.check(wa(template=True), lead(), None, None, at("2025-06-02T21:30"))
    assert (late.action, late.reason, late.until) == (
        "defer",
        "quiet_hours",
        at("2025-06-03T08:00"),
    )


def test_a_whatsapp_message_is_a_reply_and_holds_the_outbox(store: Store) -> None:
    store.upsert_contacts([lead()], 0.0)
    when = at("2025-06-02T12:00")
    wrote(store, when)
    assert store.last_reply_at(["c1"]) == {"c1": when}
