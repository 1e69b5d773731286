"""Run time travel: rewinding a run to a node it visited (memory, SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.engine.control import cancel_run, pause_run, resume_run
from leadflow.engine.rewind import RewindPlan, apply_rewind, plan_rewind
from leadflow.errors import Conflict, InvalidInput
from support.engine_kit import DAY, HOUR, T0, WELCOME, Kit, at

BY = "cli:tester"


def _completed(kit: Kit, **contact: Any) -> int:
    kit.publish(WELCOME)
    kit.add_contact("c1", **contact)
    (rid,) = kit.enroll("welcome", "c1")
    kit.run_until(T0 + 2 * DAY)
    assert kit.run(rid).status == "completed"
    return rid


def _plan(kit: Kit, rid: int, **target: Any) -> RewindPlan:
    run = kit.run(rid)
    contact = kit.store.get_contact(run.contact_id)
    wf = kit.runtime.engine.catalog.get("default", run.workflow_key, run.version)
    return plan_rewind(kit.store, kit.runtime.engine, run, contact, wf, kit.now, **target)


def _snapshot(kit: Kit) -> tuple[Any, ...]:
    """Everything a rewind could touch, as stored."""
    return (
        kit.runs(),
        kit.store.run_steps(kit.runs()[0].id),
        kit.messages(),
        kit.store.list_events("c1"),
        kit.ledger(),
    )


def test_dry_run_lists_what_would_be_sent_again_and_changes_nothing(kit: Kit) -> None:
    rid = _completed(kit)
    before = _snapshot(kit)
    plan = _plan(kit, rid, to_node="hello")
    assert [(p.node, p.channel) for p in plan.resend] == [("hello", "sms")]
    assert [p.node for p in plan.path] == ["hello", "pause"]
    assert plan.stops == "waits at pause (wait)"
    assert (plan.from_node, plan.status_before, plan.status_after) == ("bye", "completed", "active")
    assert plan.wake_after == kit.now
    # from the branch on: the engine works out the branch on the lead's data (no city: default)
    later = _plan(kit, rid, to_node="check")
    assert [(p.node, p.chosen) for p in later.path] == [("check", "default"), ("bye", None)]
    assert [p.node for p in later.resend] == ["bye"] and later.stops == "completes"
    assert _snapshot(kit) == before


def test_a_completed_run_rewound_to_its_first_send_sends_it_again_once_with_a_new_key(
    kit: Kit,
) -> None:
    rid = _completed(kit)
    first = [m for m in kit.messages(run_id=rid) if m.node == "hello"]
    assert len(first) == 1
    kit.clock.set(T0 + 3 * DAY)
    moved = apply_rewind(kit.store, kit.run(rid), _plan(kit, rid, to_node="hello"), kit.now, BY)
    assert (moved.status, moved.node, moved.ended_at, moved.wake_at) == (
        "active",
        "hello",
        None,
        kit.now,
    )
    kit.settle()
    kit.settle()
    hellos = [m for m in kit.messages(run_id=rid) if m.node == "hello"]
    assert len(hellos) == 2  # sent again once, not twice
    assert hellos[0].idempotency_key != hellos[1].idempotency_key
    assert [d.idempotency_key for d in kit.ledger() if d.channel == "sms"] == [
        m.idempotency_key for m in hellos
    ]
    assert all(d.duplicates == 0 for d in kit.ledger())
    assert kit.run(rid).status == "waiting"  # back at the day's wait

    steps = kit.steps(rid)
    rewind = [s for s in steps if s.kind == "rewind"]
    assert len(rewind) == 1
    assert rewind[0].data == {
        "from_node": "bye",
        "to_node": "hello",
        "by": BY,
        "from_status": "completed",
    }
    nodes = [s.node for s in steps if s.kind != "rewind"]
    # both paths: the first to the end, then from hello again
    assert nodes == ["hello", "pause", "pause", "check", "bye", "hello", "pause"]
    assert steps.index(rewind[0]) == 5

    kit.run_until(T0 + 5 * DAY)
    assert kit.run(rid).status == "completed"
    assert [m.node for m in kit.messages(run_id=rid)] == ["hello", "bye", "hello", "bye"]


def test_replay_from_a_step_number_goes_back_to_that_steps_node(kit: Kit) -> None:
    rid = _completed(kit, state="TX")
    steps = kit.steps(rid)
    check = next(s for s in steps if s.node == "check")
    plan = _plan(kit, rid, from_step=check.step_seq)
    assert plan.to_node == "check"
    assert [(p.node, p.chosen) for p in plan.path] == [
        ("check", "case:0"),
        ("austin", None),
        ("bye", None),
    ]
    apply_rewind(kit.store, kit.run(rid), plan, kit.now, BY)
    kit.settle()
    assert [m.node for m in kit.messages(run_id=rid)] == ["hello", "austin", "bye", "austin", "bye"]
    assert kit.steps(rid)[len(steps)].data["from_step"] == check.step_seq  # type: ignore[index]


def test_a_lead_who_opted_out_gets_nothing_when_its_run_is_rewound(kit: Kit) -> None:
    rid = _completed(kit)
    kit.set_consent("c1", "sms", "opted_out")
    delivered = len(kit.ledger())
    apply_rewind(kit.store, kit.run(rid), _plan(kit, rid, to_node="hello"), kit.now, BY)
    kit.settle()
    again = [m for m in kit.messages(run_id=rid) if m.node == "hello"][-1]
    assert (again.status, again.suppressed_reason) == ("suppressed", "opted_out")
    assert len(kit.ledger()) == delivered


def test_quiet_hours_still_hold_for_a_message_sent_again(kit: Kit) -> None:
    rid = _completed(kit)
    night = at(2024, 6, 15, 23, 0)
    kit.clock.set(night)
    apply_rewind(kit.store, kit.run(rid), _plan(kit, rid, to_node="hello"), kit.now, BY)
    kit.settle(night)
    run = kit.run(rid)
    assert (run.status, run.node) == ("waiting", "hello")
    assert kit.steps(rid)[-1].outcome == "deferred:quiet_hours"
    assert run.wake_at == at(2024, 6, 16, 8, 0)


def test_refusals_name_the_field_and_change_nothing(kit: Kit) -> None:
    rid = _completed(kit)
    before = _snapshot(kit)
    with pytest.raises(InvalidInput, match=r"to_node: .*never visited node 'austin'"):
        _plan(kit, rid, to_node="austin")
    with pytest.raises(InvalidInput, match=r"from_step: .*no step 99"):
        _plan(kit, rid, from_step=99)
    with pytest.raises(InvalidInput, match="either to_node or from_step"):
        _plan(kit, rid)
    with pytest.raises(InvalidInput, match="either to_node or from_step"):
        _plan(kit, rid, to_node="hello", from_step=1)
    assert _snapshot(kit) == before


def test_a_cancelled_run_is_not_rewound_a_paused_one_stays_paused(kit: Kit) -> None:
    kit.publish(WELCOME)
    kit.add_contact("c1")
    (rid,) = kit.enroll("welcome", "c1")
    kit.settle()
    pause_run(kit.store, rid, kit.now)
    plan = _plan(kit, rid, to_node="hello")
    assert (plan.status_before, plan.status_after) == ("paused", "paused")
    apply_rewind(kit.store, kit.run(rid), plan, kit.now, BY)
    kit.settle()
    assert (kit.run(rid).status, kit.run(rid).node) == ("paused", "hello")
    assert len(kit.messages(run_id=rid)) == 1  # nothing sent while paused
    kit.clock.set(T0 + HOUR)
    resume_run(kit.store, rid, kit.now)
    kit.settle()
    assert len(kit.messages(run_id=rid)) == 2
    cancel_run(kit.store, rid, kit.now)
    with pytest.raises(Conflict, match="cancelled"):
        _plan(kit, rid, to_node="hello")


def test_a_run_that_moved_since_it_was_read_is_not_rewound(kit: Kit) -> None:
    rid = _completed(kit)
    stale = kit.run(rid)
    plan = _plan(kit, rid, to_node="hello")
    apply_rewind(kit.store, stale, plan, kit.now, BY)
    with pytest.raises(Conflict, match="changed meanwhile"):
        apply_rewind(kit.store, stale, plan, kit.now, BY)
    assert len([s for s in kit.steps(rid) if s.kind == "rewind"]) == 1


def test_the_look_ahead_stops_where_the_engine_would_have_to_wait_or_end(kit: Kit) -> None:
    kit.publish(
        """
key: stops
name: Stops
start: a
nodes:
  - {id: a, kind: send_sms, body: "One", next: b, on_error: out}
  - {id: b, kind: update_contact, stage: nurture, next: c}
  - {id: c, kind: send_email, subject: "Two", body: "Two", next: out}
  - {id: out, kind: exit, reason: done}
"""
    )
    kit.add_contact("c1")
    (rid,) = kit.enroll("stops", "c1")
    kit.run_until(T0 + DAY)
    assert kit.run(rid).status == "exited"
    first = _plan(kit, rid, to_node="a")
    assert [p.node for p in first.resend] == ["a"]
    assert first.stops == "waits at a for its message's verdict"
    rest = _plan(kit, rid, to_node="b")
    assert [(p.node, p.resend) for p in rest.path] == [("b", False), ("c", True), ("out", False)]
    assert rest.stops == "ends at out (exit)"
    assert (rest.status_before, rest.status_after) == ("exited", "active")


def test_the_dry_run_names_the_runs_messages_still_queued(kit: Kit) -> None:
    kit.publish(WELCOME)
    kit.add_contact("c1")
    (rid,) = kit.enroll("welcome", "c1")
    kit.worker.advancer.advance_due(kit.now)  # "hello" is queued, not yet dispatched
    (queued,) = kit.messages(run_id=rid)
    assert queued.status == "pending"
    assert _plan(kit, rid, to_node="hello").still_queued == [queued.id]
    kit.settle()
    assert _plan(kit, rid, to_node="hello").still_queued == []
