"""Every message the dispatch policy holds back says why: each reason it can give is walked
here, with the message's ``suppressed_reason`` and, for a suppression, the reason carried by
the ``<channel>.suppressed`` event that workflows and webhooks see."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leadflow.compliance.policy import CompliancePolicy
from leadflow.engine.control import pause_run
from leadflow.model.records import Contact, Message
from support.engine_kit import DAY, HOUR, MINUTE, T0, Kit, at

TEXT = """
key: text
name: Text
settings: {reentry: {policy: always}, priority: PRIORITY}
start: send
nodes:
  - {id: send, kind: send_sms, body: "Hello"}
"""
FOUR_TEXTS = """
key: four
name: Four
settings: {pause_on_reply: false}
start: a
nodes:
  - {id: a, kind: send_sms, body: "1", next: b}
  - {id: b, kind: send_sms, body: "2", next: c}
  - {id: c, kind: send_sms, body: "3", next: d}
  - {id: d, kind: send_sms, body: "4"}
"""
TEXT_THEN_WAIT = """
key: text
name: Text then wait
start: send
nodes:
  - {id: send, kind: send_sms, body: "Hello", next: rest}
  - {id: rest, kind: wait, duration: 1d}
"""
MAIL = """
key: mail
name: Mail
start: send
nodes:
  - {id: send, kind: send_email, subject: "Homes", body: "Hello"}
"""
DROP = """
key: drop
name: Drop
start: call
nodes:
  - {id: call, kind: voice_call, mode: voicemail_drop, audio_url: "https://cdn.example.com/a.mp3"}
"""
LIVE = """
key: live
name: Live
start: call
nodes:
  - {id: call, kind: voice_call, mode: live, say: "Hi"}
"""


def _text(kit: Kit, key: str = "text", priority: int = 0) -> None:
    kit.publish(TEXT.replace("key: text", f"key: {key}").replace("PRIORITY", str(priority)))


def _last(kit: Kit, cid: str = "c1") -> Message:
    return kit.messages(contact_id=cid)[-1]


def opted_out(kit: Kit) -> Message:
    _text(kit)
    kit.add_contact("c1", consent={"sms": "opted_out"})
    kit.enroll("text", "c1")
    kit.settle()
    return _last(kit)


def quiet_hours(kit: Kit) -> Message:
    _text(kit)
    kit.add_contact("c1")
    kit.clock.set(at(2024, 6, 12, 20, 59))
    kit.enroll("text", "c1")
    kit.worker.advancer.advance_due(kit.now)  # queued inside the window...
    kit.worker.dispatcher.dispatch_due(at(2024, 6, 12, 21, 1))  # ...leaving after it closed
    return _last(kit)


def state_cap(kit: Kit) -> Message:
    kit.publish(FOUR_TEXTS)
    kit.add_contact("c1", phone="+13055550100", state="FL", time_zone="America/New_York")
    kit.enroll("four", "c1")
    kit.settle()
    return _last(kit)


def budget(kit: Kit) -> Message:
    _text(kit)
    kit.add_contact("c1")
    kit.enroll("text", "c1")
    kit.settle()
    kit.enroll("text", "c1")
    kit.settle()
    return _last(kit)


def budget_priority(kit: Kit) -> Message:
    _text(kit, "low", 0)
    _text(kit, "high", 9)
    kit.add_contact("c1")
    kit.enroll("low", "c1")
    kit.enroll("high", "c1")
    kit.settle()
    [low] = [m for m in kit.messages(contact_id="c1") if m.workflow_key == "low"]
    return low


def replied(kit: Kit) -> Message:
    _text(kit)
    kit.add_contact("c1")
    kit.enroll("text", "c1")
    kit.worker.advancer.advance_due(T0)
    kit.emit("sms.received", "c1", {"body": "Who is this?"}, occurred_at=T0 + MINUTE)
    kit.settle(T0 + MINUTE)
    return _last(kit)


def run_paused(kit: Kit) -> Message:
    kit.publish(TEXT_THEN_WAIT)
    kit.add_contact("c1")
    (rid,) = kit.enroll("text", "c1")
    kit.worker.advancer.advance_due(T0)
    pause_run(kit.store, rid, T0)
    kit.settle()
    return _last(kit)


def no_voice_consent(kit: Kit) -> Message:
    kit.publish(DROP)
    kit.add_contact("c1", consent={"sms": "opted_in"})
    kit.enroll("drop", "c1")
    kit.settle()
    return _last(kit)


def confirmation_late(kit: Kit) -> Message:
    kit.add_contact("c1")
    kit.emit("sms.received", "c1", {"body": "STOP"}, occurred_at=T0)
    kit.settle(T0 + 6 * MINUTE)
    return _last(kit)


def no_phone(kit: Kit) -> Message:
    _text(kit)
    kit.add_contact("c1", phone=None)
    kit.enroll("text", "c1")
    kit.settle()
    return _last(kit)


def no_email(kit: Kit) -> Message:
    kit.publish(MAIL)
    kit.add_contact("c1", email=None)
    kit.enroll("mail", "c1")
    kit.settle()
    return _last(kit)


# scenario, its settings, and the verdict: (status, reason)
CASES: list[tuple[Callable[[Kit], Message], dict[str, int], str, str]] = [
    (opted_out, {}, "suppressed", "opted_out"),
    (quiet_hours, {}, "deferred", "quiet_hours"),
    (state_cap, {}, "deferred", "state_cap"),
    (budget, {"budget_per_day": 1}, "deferred", "budget"),
    (budget_priority, {"budget_per_day": 1}, "deferred", "budget_priority"),
    (replied, {}, "suppressed", "replied"),
    (run_paused, {}, "suppressed", "run_paused"),
    (no_voice_consent, {}, "suppressed", "no_voice_consent"),
    (confirmation_late, {}, "suppressed", "confirmation_late"),
    (no_phone, {}, "suppressed", "no_phone"),
    (no_email, {}, "suppressed", "no_email"),
]


@pytest.mark.parametrize(
    ("scenario", "settings", "status", "reason"), CASES, ids=[c[3] for c in CASES]
)
def test_every_held_back_message_says_why(
    make_kit: Callable[..., Kit],
    scenario: Callable[[Kit], Message],
    settings: dict[str, int],
    status: str,
    reason: str,
) -> None:
    kit = make_kit(**settings)
    msg = scenario(kit)
    assert (msg.status, msg.suppressed_reason) == (status, reason)
    assert msg.sent_at is None
    suppressed = kit.store.list_events(contact_id="c1", type=f"{msg.channel}.suppressed")
    if status == "suppressed":
        [event] = suppressed
        assert event.data["reason"] == reason and event.data["message_id"] == msg.id
    else:  # deferred: due again later, no event (nothing final happened)
        assert msg.due_at > kit.now - HOUR and suppressed == []
    assert all(d.idempotency_key != msg.idempotency_key for d in kit.ledger())


def test_a_live_call_needs_no_voice_consent(kit: Kit) -> None:
    kit.publish(LIVE)
    kit.add_contact("c1")
    kit.enroll("live", "c1")
    kit.settle()
    assert (_last(kit).status, _last(kit).channel) == ("delivered", "voice")


def test_a_voicemail_drop_goes_out_with_voice_consent(kit: Kit) -> None:
    kit.publish(DROP)
    kit.add_contact("c1", consent={"voice": "opted_in"})
    kit.enroll("drop", "c1")
    kit.run_until(T0 + DAY)
    assert _last(kit).status == "delivered"


def test_only_a_message_of_no_run_passes_as_a_compliance_answer() -> None:
    policy = CompliancePolicy()
    lead = Contact("c1", phone="+12125550100", consent={"sms": "opted_out"})
    night = at(2024, 6, 12, 23, 0)

    def help_answer(run_id: int | None) -> Message:
        return Message(
            run_id, "c1", None, None, "sms", lead.phone, f"k{run_id}", night, night,
            body="help", payload={"compliance": "help"},
        )  # fmt: skip

    assert policy.check(help_answer(None), lead, None, None, night).action == "send"
    assert policy.check(help_answer(7), lead, None, None, night).reason == "opted_out"
