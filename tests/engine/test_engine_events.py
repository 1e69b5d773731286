"""Event processing: ordering, robustness against odd events, and races with run advances."""

from __future__ import annotations

from typing import Any

from leadflow.engine import control
from leadflow.engine.ports import SendResult
from leadflow.model.records import Message
from support.engine_kit import ASK, DAY, HOUR, MINUTE, T0, Kit

WELCOME = """
key: welcome
name: Welcome
triggers: [{type: event, event: lead.created}]
start: a
nodes:
  - {id: a, kind: send_sms, body: "Welcome", next: w}
  - {id: w, kind: wait, duration: 1d}
"""


def test_future_events_wait_for_their_time(kit: Kit) -> None:
    kit.publish(WELCOME)
    kit.add_contact("c1")
    kit.emit("lead.created", "c1", occurred_at=T0 + HOUR)
    kit.settle(T0)
    assert kit.runs("welcome") == []
    assert kit.store.next_due_at() == T0 + HOUR
    kit.run_until(T0 + 2 * HOUR)
    (run,) = kit.runs("welcome")
    assert run.created_at == T0 + HOUR


def test_events_of_unknown_contacts_are_consumed_harmlessly(kit: Kit) -> None:
    kit.publish(WELCOME)
    kit.emit("lead.created", "ghost")
    kit.emit("sms.received", None, {"body": "hi"})
    kit.settle()
    assert kit.store.pending_events_count() == 0
    assert kit.runs() == []


def test_a_malformed_failed_event_does_not_block_other_events(kit: Kit) -> None:
    kit.publish(WELCOME)
    kit.add_contact("c1")
    kit.add_contact("c2")
    kit.emit("sms.failed", "c1", {"run_id": None, "error": "carrier bounce"})
    kit.emit("lead.created", "c2")
    try:
        kit.run_until(T0 + HOUR)
    finally:
        runs = kit.runs("welcome")
    assert [r.contact_id for r in runs] == ["c2"]
    assert kit.store.pending_events_count() == 0


def test_failed_event_cannot_touch_another_contacts_run(kit: Kit) -> None:
    kit.publish(WELCOME)
    kit.add_contact("victim")
    kit.add_contact("other")
    kit.emit("lead.created", "victim")
    kit.settle()
    (victim_run,) = kit.runs("welcome", "victim")
    kit.emit("sms.failed", "other", {"run_id": victim_run.id, "node": "a", "error": "bounce"})
    kit.settle()
    assert kit.run(victim_run.id).status == "waiting"


WAITER = """
key: waiter
name: Waiter
start: we
nodes:
  - {id: we, kind: wait_for_event, event: appointment.booked, timeout: 2d, on_event: thanks,
     on_timeout: bye}
  - {id: thanks, kind: exit, reason: booked}
  - {id: bye, kind: exit, reason: timeout}
"""

CONFIRM = """
key: confirm
name: Confirm
settings: {reentry: {policy: always}}
triggers: [{type: event, event: appointment.booked}]
start: a
nodes:
  - {id: a, kind: send_sms, body: "Your appointment is confirmed"}
"""


def _race_on_event(kit: Kit, concurrent: Any) -> None:
    """Process the booking while ``concurrent`` changes the waiting run in between the event
    processor's read and its commit (as another worker would)."""
    kit.publish(WAITER)
    kit.publish(CONFIRM)
    kit.add_contact("c1")
    kit.enroll("waiter", "c1")
    kit.settle(T0)
    kit.emit("appointment.booked", "c1", occurred_at=T0 + HOUR)
    store = kit.store
    real = store.complete_events
    done: list[bool] = []

    def complete(*args: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(True)
            concurrent()
        return real(*args, **kwargs)

    store.complete_events = complete  # type: ignore[method-assign]
    try:
        kit.run_until(T0 + DAY)
    finally:
        store.complete_events = real  # type: ignore[method-assign]


def test_event_that_lost_a_race_is_processed_again_against_the_new_state(kit: Kit) -> None:
    _race_on_event(kit, lambda: control.pause_run(kit.store, 1, T0 + HOUR))
    run = kit.run(1)
    assert run.status == "paused"  # the booking did not resume a run that was paused meanwhile
    assert kit.store.pending_events_count() == 0


def test_one_event_enrolls_once_even_when_it_is_processed_twice(kit: Kit) -> None:
    _race_on_event(kit, lambda: control.pause_run(kit.store, 1, T0 + HOUR))
    assert len(kit.runs("confirm")) == 1
    assert len(kit.messages()) == 1


class _CarrierSent:
    """A carrier that accepts texts (status sent) and reports delivery later, by event."""

    name = "carrier"

    def send(self, message: Message, now: float) -> SendResult:
        return SendResult(provider_id=f"P{message.id}", status="sent")

    def lookup(self, idempotency_key: str) -> SendResult | None:
        return None


def _carrier_failure_after_sent(kit: Kit) -> int:
    """The text is accepted (sms.sent: the run goes on), then the carrier reports it failed."""
    kit.runtime.providers["sms"] = _CarrierSent()
    kit.publish(ASK)
    kit.add_contact("c1")
    (rid,) = kit.enroll("ask", "c1")
    kit.settle(T0)
    assert kit.outcomes(rid) == [("a", "queued"), ("a", "sent"), ("w", "waiting")]
    (msg,) = kit.messages()
    data = {"message_id": msg.id, "run_id": rid, "node": "a", "error": "unreachable"}
    kit.emit("sms.failed", "c1", data, occurred_at=T0 + MINUTE)
    kit.run_until(T0 + 3 * DAY)
    return rid


def test_late_carrier_failure_of_a_node_with_on_error_does_not_fail_the_run(kit: Kit) -> None:
    rid = _carrier_failure_after_sent(kit)
    run = kit.run(rid)
    assert run.status != "failed", (run.error, kit.outcomes(rid))


def test_carrier_failure_report_is_recorded_on_the_message(kit: Kit) -> None:
    _carrier_failure_after_sent(kit)
    assert kit.messages(channel="sms")[0].status == "failed"
