"""Pausing, resuming and cancelling runs by hand (leadflow.engine.control)."""

from __future__ import annotations

import pytest

from leadflow.engine import control
from leadflow.errors import Conflict, NotFound
from support.engine_kit import ASK, DAY, HOUR, T0, Kit

DRIP = """
key: drip
name: Drip
start: a
nodes:
  - {id: a, kind: send_sms, body: "One", next: w}
  - {id: w, kind: wait, duration: 1d, next: b}
  - {id: b, kind: send_sms, body: "Two", next: w2}
  - {id: w2, kind: wait, duration: 1d, next: c}
  - {id: c, kind: send_sms, body: "Three"}
"""


def _started(kit: Kit) -> int:
    kit.publish(DRIP)
    kit.add_contact("c1")
    (rid,) = kit.enroll("drip", "c1")
    kit.settle(T0)
    return rid


def test_pause_holds_the_run_and_resume_continues_it(kit: Kit) -> None:
    rid = _started(kit)
    paused = control.pause_run(kit.store, rid, T0 + HOUR)
    assert paused.status == "paused"
    kit.run_until(T0 + 3 * DAY)
    assert kit.run(rid).status == "paused"
    assert [m.body for m in kit.messages()] == ["One"]

    resumed = control.resume_run(kit.store, rid, kit.now)
    assert (resumed.status, resumed.wake_at) == ("waiting", kit.now)  # overdue: due at once
    kit.run_until(T0 + 5 * DAY)
    assert [m.body for m in kit.messages()] == ["One", "Two", "Three"]
    assert kit.run(rid).status == "completed"
    outcomes = [o for _, o in kit.outcomes(rid)]
    assert "paused:manual" in outcomes and "resumed" in outcomes


def test_resume_before_the_wake_time_keeps_the_timer(kit: Kit) -> None:
    rid = _started(kit)
    control.pause_run(kit.store, rid, T0 + HOUR)
    resumed = control.resume_run(kit.store, rid, T0 + 2 * HOUR)
    assert (resumed.status, resumed.wake_at) == ("waiting", T0 + DAY)
    kit.run_until(T0 + DAY + HOUR)
    assert [m.sent_at for m in kit.messages()] == [T0, T0 + DAY]


def test_pausing_suppresses_queued_messages(kit: Kit) -> None:
    kit.publish(DRIP)
    kit.add_contact("c1")
    (rid,) = kit.enroll("drip", "c1")
    kit.worker.advancer.advance_due(T0)
    control.pause_run(kit.store, rid, T0)
    kit.settle(T0)
    (msg,) = kit.messages()
    assert (msg.status, msg.suppressed_reason) == ("suppressed", "run_paused")
    assert kit.ledger() == []


def test_cancel_ends_the_run_and_suppresses_what_it_queued(kit: Kit) -> None:
    kit.publish(DRIP)
    kit.add_contact("c1")
    (rid,) = kit.enroll("drip", "c1")
    kit.worker.advancer.advance_due(T0)
    cancelled = control.cancel_run(kit.store, rid, T0 + 1)
    assert (cancelled.status, cancelled.exit_reason, cancelled.ended_at) == (
        "cancelled",
        "cancelled",
        T0 + 1,
    )
    assert cancelled.wake_at is None
    kit.run_until(T0 + 5 * DAY)
    (msg,) = kit.messages()
    assert (msg.status, msg.suppressed_reason) == ("suppressed", "run_cancelled:cancelled")
    assert kit.ledger() == []
    assert kit.outcomes(rid)[-1] == ("w", "cancelled")


def test_control_refuses_impossible_transitions(kit: Kit) -> None:
    rid = _started(kit)
    with pytest.raises(Conflict):
        control.resume_run(kit.store, rid, kit.now)
    control.pause_run(kit.store, rid, kit.now)
    with pytest.raises(Conflict):
        control.pause_run(kit.store, rid, kit.now)
    control.cancel_run(kit.store, rid, kit.now)  # a paused run can be cancelled
    with pytest.raises(Conflict):
        control.cancel_run(kit.store, rid, kit.now)
    with pytest.raises(Conflict):
        control.resume_run(kit.store, rid, kit.now)
    with pytest.raises(NotFound):
        control.pause_run(kit.store, 999, kit.now)


def test_control_change_wins_over_a_worker_holding_the_run(kit: Kit) -> None:
    """A worker that advanced the run from an older state loses (seq guard)."""
    kit.publish(DRIP)
    kit.add_contact("c1")
    (rid,) = kit.enroll("drip", "c1")
    store = kit.store
    real = store.commit_advances

    def commit(owner: str, advances: object, now: float) -> object:
        if owner == "t":
            control.cancel_run(store, rid, now)
        return real(owner, advances, now)  # type: ignore[arg-type]

    store.commit_advances = commit  # type: ignore[method-assign]
    kit.worker.advancer.advance_due(T0)
    store.commit_advances = real  # type: ignore[method-assign]
    assert kit.worker.advancer.conflicts == 1
    assert kit.run(rid).status == "cancelled"
    assert kit.messages() == []


def test_pause_and_resume_while_a_send_node_waits_for_its_verdict(kit: Kit) -> None:
    kit.publish(ASK)
    kit.add_contact("c1")
    (rid,) = kit.enroll("ask", "c1")
    kit.worker.advancer.advance_due(T0)
    assert kit.run(rid).waiting_for == "_verdict"
    control.pause_run(kit.store, rid, T0)  # before the dispatcher looks at the text
    kit.settle(T0)
    (msg,) = kit.messages()
    assert (msg.status, msg.suppressed_reason) == ("suppressed", "run_paused")
    control.resume_run(kit.store, rid, T0 + HOUR)
    kit.run_until(T0 + 3 * DAY)
    # The text suppressed during the pause is its verdict: after the resume the run reads it
    # from the outbox, never queues it again, and goes on.
    assert [(m.body, m.status) for m in kit.messages()] == [
        ("Still looking?", "suppressed"),
        ("Day two", "delivered"),
    ]
    assert kit.run(rid).status == "completed"


def test_a_text_delivered_just_before_a_pause_is_not_sent_again_after_the_resume(
    kit: Kit,
) -> None:
    kit.publish(ASK)
    kit.add_contact("c1")
    (rid,) = kit.enroll("ask", "c1")
    kit.worker.advancer.advance_due(T0)
    kit.worker.dispatcher.dispatch_due(T0)  # delivered; its sms.delivered event not yet processed
    control.pause_run(kit.store, rid, T0)  # an agent pauses the run in between
    kit.settle(T0)
    assert kit.store.pending_events_count() == 0
    control.resume_run(kit.store, rid, T0 + HOUR)
    kit.run_until(T0 + 3 * DAY)
    assert [m.body for m in kit.messages()] == ["Still looking?", "Day two"]
    assert len(kit.ledger()) == 2
    assert kit.run(rid).status == "completed"
