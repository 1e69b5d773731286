"""Promise 4: an inbound reply stops automated outreach; a goal met exits the run."""

from __future__ import annotations

from typing import Any

from leadflow.model.records import RunFilter
from support.engine_kit import DAY, HOUR, T0, Kit

SEQUENCE = """
key: {key}
name: Sequence {key}
settings: {{pause_on_reply: {pause}}}
start: a
nodes:
  - {{id: a, kind: send_sms, body: "First from {key}", next: w}}
  - {{id: w, kind: wait, duration: 1d, next: b}}
  - {{id: b, kind: send_sms, body: "Second from {key}"}}
"""


def _sequences(kit: Kit) -> None:
    kit.publish(SEQUENCE.format(key="stops", pause="true"))
    kit.publish(SEQUENCE.format(key="keeps", pause="false"))
    kit.publish(
        """
key: default
name: Default
start: a
nodes:
  - {id: a, kind: send_sms, body: "First from default", next: w}
  - {id: w, kind: wait, duration: 1d, next: b}
  - {id: b, kind: send_sms, body: "Second from default"}
"""
    )


def test_reply_pauses_runs_and_suppresses_their_queued_messages(kit: Kit) -> None:
    _sequences(kit)
    kit.add_contact("c1")
    (stops,) = kit.enroll("stops", "c1")
    (keeps,) = kit.enroll("keeps", "c1")
    (default,) = kit.enroll("default", "c1")
    kit.worker.advancer.advance_due(T0)  # three texts queued, none sent yet
    assert [m.status for m in kit.messages()] == ["pending"] * 3

    kit.emit("sms.received", "c1", {"body": "who is this?"})
    kit.settle(T0)

    assert kit.run(stops).status == "paused"
    assert kit.run(default).status == "paused"  # pause_on_reply is on by default
    assert kit.run(keeps).status == "waiting"
    assert kit.outcomes(stops)[-1] == ("w", "paused:reply")
    by_run = {m.run_id: m for m in kit.messages()}
    assert (by_run[stops].status, by_run[stops].suppressed_reason) == ("suppressed", "run_paused")
    assert (by_run[default].status, by_run[default].suppressed_reason) == (
        "suppressed",
        "run_paused",
    )
    assert by_run[keeps].status == "delivered"

    kit.run_until(T0 + 3 * DAY)
    assert kit.run(stops).status == "paused"
    assert kit.run(keeps).status == "completed"
    assert [d.body for d in kit.ledger()] == ["First from keeps", "Second from keeps"]


def test_email_reply_pauses_too(kit: Kit) -> None:
    _sequences(kit)
    kit.add_contact("c1")
    (rid,) = kit.enroll("stops", "c1")
    kit.settle(T0)
    kit.emit("email.received", "c1", occurred_at=T0 + HOUR)
    kit.run_until(T0 + 3 * DAY)
    assert kit.run(rid).status == "paused"
    assert len(kit.ledger()) == 1


def test_engagement_that_is_not_a_reply_does_not_pause(kit: Kit) -> None:
    _sequences(kit)
    kit.add_contact("c1")
    (rid,) = kit.enroll("stops", "c1")
    kit.settle(T0)
    kit.emit("email.opened", "c1", occurred_at=T0 + HOUR)
    kit.emit("link.clicked", "c1", occurred_at=T0 + HOUR)
    kit.run_until(T0 + 3 * DAY)
    assert kit.run(rid).status == "completed"
    assert len(kit.ledger()) == 2


def test_reply_is_recorded_on_the_latest_text(kit: Kit) -> None:
    _sequences(kit)
    kit.add_contact("c1")
    kit.enroll("keeps", "c1")
    kit.run_until(T0 + 2 * DAY)
    kit.emit("sms.received", "c1", {"body": "yes"})
    kit.settle()
    first, second = kit.messages()
    assert first.replied_at is None
    assert second.replied_at == kit.now


GOAL = """
key: goal
name: Goal
settings:
  goals:
    - {name: replied, event: sms.received}
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hello", next: w}
  - {id: w, kind: wait, duration: 3d, next: b}
  - {id: b, kind: send_sms, body: "Still there?"}
"""


def test_goal_event_exits_a_waiting_run(kit: Kit) -> None:
    kit.publish(GOAL)
    kit.add_contact("c1")
    (rid,) = kit.enroll("goal", "c1")
    kit.settle(T0)
    assert kit.run(rid).status == "waiting"
    kit.emit("sms.received", "c1", {"body": "call me"}, occurred_at=T0 + HOUR)
    kit.run_until(T0 + 5 * DAY)
    run = kit.run(rid)
    assert (run.status, run.exit_reason, run.ended_at) == ("exited", "replied", T0 + HOUR)
    assert run.wake_at is None
    assert kit.outcomes(rid)[-1] == ("w", "goal:replied")
    assert len(kit.ledger()) == 1


def test_goal_exits_a_paused_run(kit: Kit) -> None:
    kit.publish(
        """
key: both
name: Both
settings:
  goals:
    - {name: booked, event: appointment.booked}
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hello", next: w}
  - {id: w, kind: wait, duration: 3d}
"""
    )
    kit.add_contact("c1")
    (rid,) = kit.enroll("both", "c1")
    kit.settle(T0)
    kit.emit("sms.received", "c1")
    kit.settle()
    assert kit.run(rid).status == "paused"
    kit.emit("appointment.booked", "c1", occurred_at=T0 + HOUR)
    kit.run_until(T0 + 2 * HOUR)
    assert (kit.run(rid).status, kit.run(rid).exit_reason) == ("exited", "booked")


def test_unprocessed_reply_holds_back_the_contacts_outbox(kit: Kit) -> None:
    _sequences(kit)
    kit.add_contact("c1")
    kit.add_contact("c2")
    (r1,) = kit.enroll("stops", "c1")
    (r2,) = kit.enroll("stops", "c2")
    kit.worker.advancer.advance_due(T0)
    kit.emit("sms.received", "c1", {"body": "call me tomorrow"})

    # A dispatcher running before the reply is processed skips c1's message only.
    assert kit.worker.dispatcher.dispatch_due(T0) == 1
    by_run = {m.run_id: m for m in kit.messages()}
    assert by_run[r1].status == "pending"
    assert by_run[r2].status == "delivered"

    kit.settle(T0)  # events first: the run pauses, then its message is suppressed
    assert kit.run(r1).status == "paused"
    by_run = {m.run_id: m for m in kit.messages()}
    assert (by_run[r1].status, by_run[r1].suppressed_reason) == ("suppressed", "run_paused")
    assert [d.to for d in kit.ledger()] == ["+12125550100"]


def test_reply_before_the_next_step_stops_it_in_the_same_tick(kit: Kit) -> None:
    """The reply and the next text fall due at the same moment: the reply wins."""
    _sequences(kit)
    kit.add_contact("c1")
    (rid,) = kit.enroll("stops", "c1")
    kit.settle(T0)
    kit.emit("sms.received", "c1", occurred_at=T0 + DAY)
    kit.tick(T0 + DAY)
    assert kit.run(rid).status == "paused"
    assert len(kit.messages()) == 1


LAST_TEXT = """
key: {key}
name: Last text {key}
settings: {{pause_on_reply: {pause}}}
start: hi
nodes:
  - {{id: hi, kind: send_sms, body: "Hello from {key}"}}
"""


def test_a_queued_text_of_an_ended_run_does_not_go_out_after_a_reply(make_kit: Any) -> None:
    """A workflow's last text is held back by the daily budget; its run has already ended when
    the lead replies. The next day the text must not go out (stop on reply), unless the
    workflow turned stop-on-reply off."""
    kit: Kit = make_kit(budget_per_day=1)
    for key, pause in (("first", "true"), ("stops", "true"), ("keeps", "false")):
        kit.publish(LAST_TEXT.format(key=key, pause=pause))
    kit.add_contact("c1")
    for key in ("first", "stops", "keeps"):
        kit.enroll(key, "c1")
    kit.settle(T0)
    by_key = {m.workflow_key: m for m in kit.messages()}
    assert by_key["first"].status == "delivered"
    assert {by_key["stops"].status, by_key["keeps"].status} == {"deferred"}
    assert {r.status for r in kit.store.list_runs(RunFilter())} == {"completed"}
    kit.emit("sms.received", "c1", {"body": "I already bought, thanks"}, occurred_at=T0 + HOUR)
    kit.run_until(T0 + 2 * DAY)
    by_key = {m.workflow_key: m for m in kit.messages()}
    assert (by_key["stops"].status, by_key["stops"].suppressed_reason) == ("suppressed", "replied")
    assert by_key["keeps"].status == "delivered"
    assert sorted(d.body or "" for d in kit.ledger()) == ["Hello from first", "Hello from keeps"]
