"""Promise 3: consent, opt-out and send windows are checked when a message is about to leave."""

from __future__ import annotations

import pytest

from leadflow.compliance.policy import CompliancePolicy
from leadflow.definitions.models import SendWindow
from leadflow.definitions.models import Settings as WorkflowSettings
from leadflow.engine.ports import Decision
from leadflow.model.records import Contact, Message
from support.engine_kit import HOUR, LA, MINUTE, NY, Kit, at, local

TEXT_THEN_WAIT = """
key: late
name: Late
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hi {{ contact.first_name }}", next: w}
  - {id: w, kind: wait, duration: 2h, next: b}
  - {id: b, kind: send_sms, body: "Follow-up"}
"""


def test_text_reached_at_night_waits_at_the_node_until_8am_local(make_kit: object) -> None:
    night = at(2024, 6, 12, 22, 30)
    morning = at(2024, 6, 13, 8, 0)
    kit: Kit = make_kit(start=night)  # type: ignore[operator]
    kit.publish(TEXT_THEN_WAIT)
    kit.add_contact("c1")
    (rid,) = kit.enroll("late", "c1")

    kit.settle(night)
    run = kit.run(rid)
    assert (run.status, run.node, run.wake_at) == ("waiting", "a", morning)
    (step,) = kit.steps(rid)
    assert (step.node, step.outcome) == ("a", "deferred:quiet_hours")
    assert step.data == {"until": morning}
    assert kit.messages() == []

    kit.run_until(morning - 1)
    assert kit.messages() == []
    assert kit.ledger() == []

    kit.run_until(morning + 3 * HOUR)
    first, second = kit.messages()
    assert first.sent_at == morning == first.created_at
    assert local(first.sent_at).hour == 8
    wait = next(s for s in kit.steps(rid) if s.node == "w" and s.outcome == "waiting")
    assert wait.started_at == morning  # the wait only starts once the text is out
    assert wait.data == {"until": morning + 2 * HOUR}
    assert second.sent_at == morning + 2 * HOUR
    assert kit.run(rid).status == "completed"


def test_message_queued_in_window_but_dispatched_after_it_is_deferred(kit: Kit) -> None:
    kit.publish(TEXT_THEN_WAIT)
    kit.add_contact("c1")
    queued = at(2024, 6, 12, 20, 59)
    kit.clock.set(queued)
    kit.enroll("late", "c1")
    assert kit.worker.advancer.advance_due(queued) == 1  # queued at 20:59, not yet sent

    kit.tick(at(2024, 6, 12, 21, 30))
    (msg,) = kit.messages()
    morning = at(2024, 6, 13, 8, 0)
    assert (msg.status, msg.due_at) == ("deferred", morning)
    assert kit.ledger() == []

    kit.tick(morning - MINUTE)
    assert kit.messages()[0].status == "deferred"
    kit.tick(morning)
    (msg, *_) = kit.messages()
    assert (msg.status, msg.sent_at) == ("delivered", morning)


def test_quiet_hours_follow_the_recipients_zone(make_kit: object) -> None:
    moment = at(2024, 6, 12, 22, 30)  # 19:30 in Los Angeles, 22:30 in New York
    kit: Kit = make_kit(start=moment)  # type: ignore[operator]
    kit.publish(TEXT_THEN_WAIT)
    kit.add_contact("west", time_zone="America/Los_Angeles", phone="+14155550100")
    kit.add_contact("east", time_zone="America/New_York", phone="+12125550100")
    kit.enroll("late", "west", "east")
    kit.settle(moment)
    (msg,) = kit.messages()
    assert msg.contact_id == "west"
    assert local(msg.sent_at or 0, LA).hour == 19


def test_opt_out_after_queueing_suppresses_at_dispatch(kit: Kit) -> None:
    kit.publish(TEXT_THEN_WAIT)
    kit.add_contact("c1")
    (rid,) = kit.enroll("late", "c1")
    kit.worker.advancer.advance_due(kit.now)
    assert kit.messages()[0].status == "pending"

    kit.set_consent("c1", "sms", "opted_out")
    kit.settle()
    (msg,) = kit.messages()
    assert (msg.status, msg.suppressed_reason) == ("suppressed", "opted_out")
    assert kit.ledger() == []
    assert [e.type for e in kit.store.list_events("c1")] == ["sms.suppressed"]
    assert kit.run(rid).status == "waiting"  # the run goes on; only the send was refused


def test_sms_opt_out_also_stops_voice_calls(kit: Kit) -> None:
    kit.publish(
        """
key: call
name: Call
start: v
nodes:
  - {id: v, kind: voice_call, say: "Hello {{ contact.first_name }}"}
"""
    )
    kit.add_contact("c1", consent={"sms": "opted_out"})
    kit.enroll("call", "c1")
    kit.settle()
    (msg,) = kit.messages()
    assert (msg.channel, msg.status, msg.suppressed_reason) == ("voice", "suppressed", "opted_out")


WINDOWED_EMAIL = """
key: mail
name: Mail
settings:
  send_window: {start: "10:00", end: "16:00", weekdays: [mon, tue, wed, thu, fri]}
start: e
nodes:
  - {id: e, kind: send_email, subject: "Hello", body: "Hi {{ contact.first_name }}"}
"""


@pytest.mark.parametrize(
    ("enrolled", "expected"),
    [
        (at(2024, 6, 12, 9, 0), at(2024, 6, 12, 10, 0)),  # Wednesday, before the window
        (at(2024, 6, 12, 11, 0), at(2024, 6, 12, 11, 0)),  # inside: at once
        (at(2024, 6, 12, 17, 0), at(2024, 6, 13, 10, 0)),  # after: next morning
        (at(2024, 6, 15, 12, 0), at(2024, 6, 17, 10, 0)),  # Saturday: Monday
    ],
    ids=["before", "inside", "after", "weekend"],
)
def test_workflow_send_window_narrows_email(
    make_kit: object, enrolled: float, expected: float
) -> None:
    kit: Kit = make_kit(start=enrolled)  # type: ignore[operator]
    kit.publish(WINDOWED_EMAIL)
    kit.add_contact("c1")
    kit.enroll("mail", "c1")
    if expected > enrolled:
        kit.run_until(expected - 1)
        assert kit.ledger() == []
    kit.run_until(expected + HOUR)
    (msg,) = kit.messages()
    assert (msg.channel, msg.status, msg.sent_at) == ("email", "delivered", expected)


def test_email_ignores_text_quiet_hours_without_a_window(make_kit: object) -> None:
    night = at(2024, 6, 12, 23, 0)
    kit: Kit = make_kit(start=night)  # type: ignore[operator]
    kit.publish(
        """
key: mail
name: Mail
start: e
nodes:
  - {id: e, kind: send_email, subject: "Hello", body: "Hi"}
"""
    )
    kit.add_contact("c1")
    kit.enroll("mail", "c1")
    kit.settle(night)
    (msg,) = kit.messages()
    assert msg.sent_at == night


def test_email_window_is_rechecked_at_dispatch(kit: Kit) -> None:
    kit.publish(WINDOWED_EMAIL)
    kit.add_contact("c1")
    queued = at(2024, 6, 12, 15, 59)
    kit.clock.set(queued)
    kit.enroll("mail", "c1")
    kit.worker.advancer.advance_due(queued)
    kit.tick(at(2024, 6, 12, 16, 30))
    (msg,) = kit.messages()
    assert (msg.status, msg.due_at) == ("deferred", at(2024, 6, 13, 10, 0))
    kit.run_until(at(2024, 6, 13, 12, 0))
    (msg,) = kit.messages()
    assert msg.sent_at == at(2024, 6, 13, 10, 0)


def test_zone_less_contact_uses_the_workflows_default_zone_for_quiet_hours(
    make_kit: object,
) -> None:
    six_am_la = at(2024, 6, 13, 6, 0, tz=LA)  # 09:00 in New York
    kit: Kit = make_kit(start=six_am_la)  # type: ignore[operator]
    kit.publish(
        """
key: west
name: West coast
settings: {default_timezone: America/Los_Angeles}
start: a
nodes:
  - {id: a, kind: send_sms, body: "Good morning, it is {{ now.hour }}:00 here"}
"""
    )
    kit.add_contact("c1", time_zone=None, phone="+18005550100")  # toll-free: no zone in it
    kit.enroll("west", "c1")
    kit.run_until(at(2024, 6, 13, 12, 0, tz=LA))
    (msg,) = kit.messages()
    # The template renders in the workflow's zone (6 o'clock) and the text leaves at 06:00 LA.
    assert local(msg.sent_at or 0, LA).hour >= 8, msg.body
    assert local(msg.sent_at or 0, NY).hour >= 8


def _text(channel: str = "sms") -> Message:
    to = "c1@example.com" if channel == "email" else "+12125550100"
    return Message(1, "c1", "wf", "a", channel, to, "1:a:1", 0.0, 0.0, body="Hi")


def test_policy_checks_against_the_workflow_settings_and_the_daily_budget() -> None:
    """``check(message, contact, run, settings, now, sent_24h)`` with the workflow's Settings."""
    policy = CompliancePolicy(budget_per_day=2)
    zoneless = Contact("c1", time_zone=None)
    six_am_la = at(2024, 6, 13, 6, 0, tz=LA)  # 09:00 in New York
    west = WorkflowSettings(default_timezone="America/Los_Angeles")
    assert policy.check(_text(), zoneless, None, None, six_am_la) == Decision("send")
    assert policy.check(_text(), zoneless, None, west, six_am_la) == Decision(
        "defer", until=at(2024, 6, 13, 8, 0, tz=LA), reason="quiet_hours"
    )
    window = WorkflowSettings(send_window=SendWindow(start="10:00", end="16:00"))
    noon = at(2024, 6, 13, 12, 0)
    assert policy.check(_text("email"), zoneless, None, window, at(2024, 6, 13, 9, 0)) == Decision(
        "defer", until=at(2024, 6, 13, 10, 0), reason="quiet_hours"
    )
    assert policy.check(_text(), zoneless, None, window, noon, sent_24h=1) == Decision("send")
    assert policy.check(_text(), zoneless, None, window, noon, sent_24h=2) == Decision(
        "defer", until=noon + HOUR, reason="budget"
    )
    unlimited = CompliancePolicy(budget_per_day=0)
    assert unlimited.check(_text(), zoneless, None, None, noon, sent_24h=1000) == Decision("send")
