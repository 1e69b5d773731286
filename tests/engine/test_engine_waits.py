"""Promise 5: timers and waits are rows; wait_for_event resolves exactly once."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from leadflow.engine import control
from leadflow.model.records import Run
from leadflow.store.memory_state import Held
from support.engine_kit import DAY, HOUR, T0, Kit


def test_ten_thousand_waiting_runs_live_in_the_store_only(kit: Kit) -> None:
    kit.publish(
        """
key: slow
name: Slow
start: w
nodes:
  - {id: w, kind: wait, duration: 3d, next: a}
  - {id: a, kind: send_sms, body: "Hi"}
"""
    )
    kit.add_contacts(10_000)
    kit.runtime.engine.catalog.refresh(force=True)
    out = kit.store.enroll_all("slow", 1, "w", T0, "never")
    assert out.created == 10_000
    kit.run_until(T0 + HOUR)
    assert kit.store.count_runs("slow") == {"waiting": 10_000}
    assert kit.store.next_due_at() == T0 + 3 * DAY

    gc.collect()
    kept = {id(o.record) for o in gc.get_objects() if isinstance(o, Held)}  # the memory store's
    held = sum(1 for o in gc.get_objects() if isinstance(o, Run) and id(o) not in kept)
    assert held < 10  # no Python object per waiting run between ticks (outside the store)

    assert kit.tick(T0 + 2 * DAY) == 0  # nothing is due before the wake time
    assert kit.ledger() == []

    # Any worker can pick them up from the store when they fall due.
    fresh = kit.other_worker("fresh")
    batch = kit.runtime.settings.batch
    assert fresh.advancer.advance_due(T0 + 3 * DAY) == batch
    assert kit.store.count_runs("slow") == {"completed": batch, "waiting": 10_000 - batch}


WAIT_FOR = """
key: rsvp
name: RSVP
start: invite
nodes:
  - {id: invite, kind: send_sms, body: "Open house Saturday?", next: we}
  - id: we
    kind: wait_for_event
    event: appointment.booked
    timeout: 2d
    on_event: thanks
    on_timeout: nudge
  - {id: thanks, kind: send_sms, body: "Booked for {{ event.data.slot }}", next: later}
  - {id: later, kind: wait, duration: 1h, next: check}
  - id: check
    kind: branch
    cases:
      - {when: {field: event.data.slot, op: eq, value: "10:00"}, next: early}
    default: late
  - {id: early, kind: send_sms, body: "Early bird {{ event.data.slot }}"}
  - {id: late, kind: send_sms, body: "See you at {{ event.data.slot }}"}
  - {id: nudge, kind: send_sms, body: "Missed you"}
"""


def _bodies(kit: Kit) -> list[str]:
    return [m.body or "" for m in kit.messages()]


def test_event_before_timeout_takes_on_event_once_and_keeps_event_data(kit: Kit) -> None:
    kit.publish(WAIT_FOR)
    kit.add_contact("c1")
    (rid,) = kit.enroll("rsvp", "c1")
    kit.settle(T0)
    run = kit.run(rid)
    assert (run.status, run.waiting_for, run.wake_at) == (
        "waiting",
        "appointment.booked",
        T0 + 2 * DAY,
    )
    kit.emit("appointment.booked", "c1", {"slot": "10:00"}, occurred_at=T0 + HOUR)
    kit.emit("appointment.booked", "c1", {"slot": "15:00"}, occurred_at=T0 + 2 * HOUR)
    kit.run_until(T0 + 5 * DAY)

    outcomes = kit.outcomes(rid)
    assert outcomes.count(("we", "event")) == 1
    assert ("we", "timeout") not in outcomes
    # The awaited event's data is visible to the next node and, after a wait, to a branch.
    assert _bodies(kit) == ["Open house Saturday?", "Booked for 10:00", "Early bird 10:00"]
    assert kit.run(rid).status == "completed"
    assert kit.run(rid).context["steps"]["we"]["received"] is True


def test_timeout_first_then_a_late_event_changes_nothing(kit: Kit) -> None:
    kit.publish(WAIT_FOR)
    kit.add_contact("c1")
    (rid,) = kit.enroll("rsvp", "c1")
    kit.run_until(T0 + 3 * DAY)
    assert _bodies(kit) == ["Open house Saturday?", "Missed you"]
    steps_before = kit.steps(rid)
    assert ("we", "timeout") in kit.outcomes(rid)
    assert next(s for s in steps_before if s.outcome == "timeout").started_at == T0 + 2 * DAY

    kit.emit("appointment.booked", "c1", {"slot": "10:00"})
    kit.run_until(T0 + 6 * DAY)
    assert kit.steps(rid) == steps_before
    assert _bodies(kit) == ["Open house Saturday?", "Missed you"]


def test_event_and_timeout_due_in_the_same_tick_take_exactly_one_branch(kit: Kit) -> None:
    kit.publish(WAIT_FOR)
    kit.add_contact("c1")
    (rid,) = kit.enroll("rsvp", "c1")
    kit.settle(T0)
    kit.emit("appointment.booked", "c1", {"slot": "15:00"}, occurred_at=T0 + 2 * DAY)
    kit.settle(T0 + 2 * DAY)
    kit.run_until(T0 + 4 * DAY)
    resolved = [o for n, o in kit.outcomes(rid) if n == "we" and o in ("event", "timeout")]
    assert len(resolved) == 1
    branch_bodies = [b for b in _bodies(kit) if b != "Open house Saturday?"]
    assert branch_bodies in (["Booked for 15:00", "See you at 15:00"], ["Missed you"])


def _race(kit: Kit, first: str) -> int:
    """Timer and event for the same wait, handled by two workers whose commits interleave:
    ``first`` says whose commit lands first."""
    kit.publish(WAIT_FOR)
    kit.add_contact("c1")
    (rid,) = kit.enroll("rsvp", "c1")
    kit.settle(T0)
    due = T0 + 2 * DAY
    kit.emit("appointment.booked", "c1", {"slot": "15:00"}, occurred_at=due)
    timer_worker, event_worker = kit.worker, kit.other_worker("events")
    store = kit.store
    real_commit, real_complete = store.commit_advances, store.complete_events
    fired: list[str] = []

    def commit(owner: str, advances: Any, now: float) -> Any:
        if first == "event" and not fired:
            fired.append("event")
            event_worker.events.process_due(now)
        return real_commit(owner, advances, now)

    def complete(*args: Any, **kwargs: Any) -> Any:
        if first == "timer" and not fired:
            fired.append("timer")
            timer_worker.advancer.advance_due(due)
        return real_complete(*args, **kwargs)

    store.commit_advances = commit  # type: ignore[method-assign]
    store.complete_events = complete  # type: ignore[method-assign]
    try:
        if first == "event":
            timer_worker.advancer.advance_due(due)
        else:
            event_worker.events.process_due(due)
    finally:
        store.commit_advances = real_commit  # type: ignore[method-assign]
        store.complete_events = real_complete  # type: ignore[method-assign]
    kit.run_until(T0 + 4 * DAY)
    return rid


@pytest.mark.parametrize("first", ["event", "timer"])
def test_racing_timer_and_event_resolve_the_wait_exactly_once(kit: Kit, first: str) -> None:
    rid = _race(kit, first)
    resolved = [o for n, o in kit.outcomes(rid) if n == "we" and o in ("event", "timeout")]
    assert resolved == ["event" if first == "event" else "timeout"]
    branch_bodies = [b for b in _bodies(kit) if b != "Open house Saturday?"]
    expected = ["Booked for 15:00", "See you at 15:00"] if first == "event" else ["Missed you"]
    assert branch_bodies == expected
    assert kit.store.pending_events_count() == 0
    assert all(d.duplicates == 0 for d in kit.ledger())


def test_event_that_occurred_after_the_timeout_loses_even_when_processed_late(kit: Kit) -> None:
    kit.publish(WAIT_FOR)
    kit.add_contact("c1")
    (rid,) = kit.enroll("rsvp", "c1")
    kit.settle(T0)
    # The time-out is at T0+2d; the booking happened at T0+3d; the worker was down until T0+4d.
    kit.emit("appointment.booked", "c1", {"slot": "15:00"}, occurred_at=T0 + 3 * DAY)
    kit.settle(T0 + 4 * DAY)
    assert ("we", "timeout") in kit.outcomes(rid)
    assert ("we", "event") not in kit.outcomes(rid)


def test_match_condition_filters_awaited_events(kit: Kit) -> None:
    kit.publish(
        """
key: viewing
name: Viewing
start: we
nodes:
  - id: we
    kind: wait_for_event
    event: listing.viewed
    match: {field: event.data.listing, op: eq, value: L1}
    timeout: 3d
    on_event: hot
    on_timeout: cold
  - {id: hot, kind: send_sms, body: "Liked {{ event.data.listing }}?"}
  - {id: cold, kind: exit, reason: cold}
"""
    )
    kit.add_contact("c1")
    (rid,) = kit.enroll("viewing", "c1")
    kit.settle(T0)
    kit.emit("listing.viewed", "c1", {"listing": "L2"}, occurred_at=T0 + HOUR)
    kit.run_until(T0 + 2 * HOUR)
    assert kit.run(rid).status == "waiting"
    assert kit.messages() == []
    kit.emit("listing.viewed", "c1", {"listing": "L1"}, occurred_at=T0 + 3 * HOUR)
    kit.run_until(T0 + 4 * HOUR)
    assert kit.run(rid).status == "completed"
    assert _bodies(kit) == ["Liked L1?"]


def test_awaited_reply_resumes_instead_of_pausing(kit: Kit) -> None:
    kit.publish(
        """
key: ask
name: Ask
start: q
nodes:
  - {id: q, kind: send_sms, body: "Buying or selling?", next: we}
  - {id: we, kind: wait_for_event, event: sms.received, timeout: 1d, on_event: ok,
     on_timeout: bye}
  - {id: ok, kind: send_sms, body: "You said {{ event.data.body }}"}
  - {id: bye, kind: exit}
"""
    )
    kit.add_contact("c1")
    (rid,) = kit.enroll("ask", "c1")
    kit.settle(T0)
    kit.emit("sms.received", "c1", {"body": "buying"}, occurred_at=T0 + HOUR)
    kit.run_until(T0 + 2 * HOUR)
    assert kit.run(rid).status == "completed"
    assert _bodies(kit) == ["Buying or selling?", "You said buying"]


def test_paused_waiting_run_resumes_its_timer(kit: Kit) -> None:
    kit.publish(WAIT_FOR)
    kit.add_contact("c1")
    (rid,) = kit.enroll("rsvp", "c1")
    kit.settle(T0)
    control.pause_run(kit.store, rid, T0 + HOUR)
    kit.run_until(T0 + 3 * DAY)
    assert kit.run(rid).status == "paused"  # its time-out did not fire while paused
    control.resume_run(kit.store, rid, kit.now)
    kit.settle()
    assert ("we", "timeout") in kit.outcomes(rid)
    assert _bodies(kit)[-1] == "Missed you"
