"""Promises 1 (atomic transitions) and 6 (leases): an advance or an event commits whole or not at
all (a batch the store refuses is retried in parts; what the store refuses alone is failed or
quarantined with nothing of it applied), and a run whose lease expired is taken over without
duplicating anything."""

from __future__ import annotations

from typing import Any

from leadflow.engine.context import Result, StepContext
from leadflow.engine.handlers import UpdateContactHandler
from leadflow.model.records import (
    NewEvent,
    RunStatus,
)
from support.engine_kit import DAY, MINUTE, T0, Kit

WORKFLOW = """
key: onboard
name: Onboard
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hi {{ contact.first_name }}", next: u}
  - {id: u, kind: update_contact, add_tags: [touched], stage: nurturing, next: w}
  - {id: w, kind: wait, duration: 1d}
"""


class AuditingUpdate(UpdateContactHandler):
    """update_contact that also emits an audit event; for contacts in ``poison`` the first
    attempt's event (every attempt's when ``persistent``) carries data that cannot be stored,
    so the store fails mid-commit."""

    def __init__(self, poison: set[str], persistent: bool = False) -> None:
        self.poison = set(poison)
        self.persistent = persistent

    def enter(self, ctx: StepContext, node: Any) -> Result:
        result = super().enter(ctx, node)
        cid = ctx.run.contact_id
        value: Any = object() if cid in self.poison else "ok"
        if not self.persistent:
            self.poison.discard(cid)
        key = f"audit:{ctx.run.id}:{ctx.step_seq}"
        ctx.events.append(NewEvent("custom.audit", cid, {"value": value}, key, ctx.now))
        return result


def _snapshot(kit: Kit, run_ids: list[int]) -> dict[str, Any]:
    return {
        "runs": [(r.status, r.node, r.seq, r.step_seq) for r in map(kit.run, run_ids)],
        "steps": [kit.steps(r) for r in run_ids],
        "messages": kit.messages(),
        "ledger": kit.ledger(),
        "tags": [kit.contact(c).tags for c in ("c1", "c2", "c3")],
        "events": kit.store.list_events(),
    }


def test_a_batch_the_store_refuses_once_is_retried_at_once_and_commits_once(kit: Kit) -> None:
    kit.publish(WORKFLOW)
    for cid in ("c1", "c2", "c3"):
        kit.add_contact(cid)
    kit.runtime.engine.registry.register("update_contact", AuditingUpdate({"c2"}))
    run_ids = kit.enroll("onboard", "c1", "c2", "c3")

    # c2's first advance produces an unstorable event: the batch's commit fails; it is retried
    # in parts in the same pass and everything commits, exactly once.
    kit.settle(T0)
    for rid in run_ids:
        run = kit.run(rid)
        assert (run.status, run.node) == (RunStatus.WAITING, "w")
        assert kit.outcomes(rid) == [("a", "queued"), ("u", "updated"), ("w", "waiting")]
    assert len(kit.messages()) == 3
    assert sorted(m.status for m in kit.messages()) == ["delivered"] * 3
    assert len(kit.ledger()) == 3
    assert all(d.duplicates == 0 for d in kit.ledger())
    assert all(kit.contact(c).tags == ["touched"] for c in ("c1", "c2", "c3"))
    assert all(kit.contact(c).stage == "nurturing" for c in ("c1", "c2", "c3"))
    audits = [e for e in kit.store.list_events() if e.type == "custom.audit"]
    assert len(audits) == 3


def test_a_run_whose_advance_cannot_be_stored_fails_alone_and_writes_nothing(kit: Kit) -> None:
    kit.publish(WORKFLOW)
    for cid in ("c1", "c2", "c3"):
        kit.add_contact(cid)
    kit.runtime.engine.registry.register("update_contact", AuditingUpdate({"c2"}, True))
    run_ids = kit.enroll("onboard", "c1", "c2", "c3")
    poisoned = run_ids[1]
    before = _snapshot(kit, [poisoned])

    kit.settle(T0)  # no exception: the worker goes on

    run = kit.run(poisoned)
    assert run.status == RunStatus.FAILED
    assert run.error is not None and run.error.startswith("could not be committed: StoreError")
    assert "JSON" in run.error
    assert kit.steps(poisoned) == before["steps"][0]  # nothing of its advance was written
    assert [m.contact_id for m in kit.messages()] == ["c1", "c3"]
    assert kit.contact("c2").tags == []
    for rid in (run_ids[0], run_ids[2]):  # the others were advanced, sent and committed
        assert (kit.run(rid).status, kit.run(rid).node) == (RunStatus.WAITING, "w")
    assert sorted(m.status for m in kit.messages()) == ["delivered"] * 2
    assert kit.worker.stats.quarantined == 1


WAITER = """
key: waiter
name: Waiter
start: we
nodes:
  - {id: we, kind: wait_for_event, event: appointment.booked, timeout: 3d, on_event: u,
     on_timeout: bye}
  - {id: u, kind: update_contact, add_tags: [booked], next: done}
  - {id: done, kind: exit, reason: booked}
  - {id: bye, kind: exit, reason: timeout}
"""
CONFIRM = """
key: confirm
name: Confirm
triggers: [{type: event, event: appointment.booked}]
start: a
nodes:
  - {id: a, kind: send_sms, body: "See you soon"}
"""


def _booked(kit: Kit, persistent: bool) -> int:
    kit.publish(WAITER)
    kit.publish(CONFIRM)
    kit.add_contact("c1")
    kit.add_contact("c2")
    kit.runtime.engine.registry.register("update_contact", AuditingUpdate({"c1"}, persistent))
    (rid,) = kit.enroll("waiter", "c1")
    kit.tick(T0)
    assert kit.run(rid).waiting_for == "appointment.booked"
    kit.emit("appointment.booked", "c1", occurred_at=T0 + 60)
    kit.emit("appointment.booked", "c2", occurred_at=T0 + 60)  # batched with it
    return rid


def test_an_event_batch_the_store_refuses_once_commits_once(kit: Kit) -> None:
    """The event path is atomic too: the resumed run, the trigger enrollment and the event's
    processed mark commit together, once."""
    rid = _booked(kit, persistent=False)
    kit.settle(T0 + 60)
    run = kit.run(rid)
    assert (run.status, run.exit_reason) == ("exited", "booked")
    assert [o for _, o in kit.outcomes(rid)].count("event") == 1
    assert len(kit.runs("confirm")) == 2
    assert len(kit.messages()) == 2
    assert kit.contact("c1").tags == ["booked"]
    assert kit.store.pending_events_count() == 0
    assert kit.store.list_events(status="failed") == []


def test_an_event_whose_products_cannot_be_stored_is_quarantined_alone(kit: Kit) -> None:
    rid = _booked(kit, persistent=True)
    kit.settle(T0 + 60)  # no exception: the worker goes on
    # nothing of the poisoned event was applied...
    assert kit.run(rid).status == RunStatus.WAITING
    assert [r.contact_id for r in kit.runs("confirm")] == ["c2"]
    assert kit.contact("c1").tags == []
    # ...it is set aside with its reason, and the event batched with it was processed
    (failed,) = kit.store.list_events(status="failed")
    assert (failed.type, failed.contact_id, failed.status) == ("appointment.booked", "c1", "failed")
    assert failed.error is not None and "JSON" in failed.error
    assert kit.store.pending_events_count() == 0
    assert kit.store.failed_events_count() == 1
    assert [m.contact_id for m in kit.messages()] == ["c2"]


# ---------------------------------------------------------------------- leases (promise 6)
LEASED = """
key: leased
name: Leased
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hello", next: w}
  - {id: w, kind: wait, duration: 2d, next: b}
  - {id: b, kind: send_email, subject: "Hi", body: "Again"}
"""


def test_expired_lease_is_taken_over_and_late_commit_conflicts(kit: Kit) -> None:
    kit.publish(LEASED)
    kit.add_contact("c1")
    (rid,) = kit.enroll("leased", "c1")
    a, b = kit.worker, kit.other_worker("B")
    store = kit.store
    real_commit = store.commit_advances
    calls: list[str] = []

    def slow_commit(owner: str, advances: Any, now: float) -> Any:
        calls.append(owner)
        if owner == "t" and calls.count("t") == 1:
            # Worker A stalls past its lease; worker B claims the run and finishes the step.
            assert b.tick(now + 61) > 0
        return real_commit(owner, advances, now)

    store.commit_advances = slow_commit  # type: ignore[method-assign]
    a.tick(T0)
    store.commit_advances = real_commit  # type: ignore[method-assign]

    assert a.advancer.conflicts == 1
    assert b.advancer.conflicts == 0
    run = kit.run(rid)
    assert (run.status, run.node, run.seq) == (RunStatus.WAITING, "w", 1)
    assert kit.outcomes(rid) == [("a", "queued"), ("w", "waiting")]
    (msg,) = kit.messages()
    assert msg.idempotency_key == f"{rid}:a:1"
    assert msg.status == "delivered"
    (delivery,) = kit.ledger()
    assert delivery.duplicates == 0
    # The steps were B's: timed at B's moment.
    assert all(s.started_at == T0 + 61 for s in kit.steps(rid))


def test_claimed_run_is_not_claimed_again_while_leased(kit: Kit) -> None:
    kit.publish(LEASED)
    kit.add_contact("c1")
    kit.enroll("leased", "c1")
    claimed = kit.store.claim_runs("dead-worker", T0, 10, 60.0)
    assert len(claimed) == 1
    b = kit.other_worker("B")
    assert kit.tick(T0 + 59, worker=b) == 0  # still leased
    assert kit.tick(T0 + 61, worker=b) > 0  # expired: taken over
    (run,) = kit.runs("leased")
    assert run.node == "w"


def test_late_commit_of_an_expired_lease_is_accepted_when_nobody_took_over(kit: Kit) -> None:
    kit.publish(LEASED)
    kit.add_contact("c1")
    (rid,) = kit.enroll("leased", "c1")
    store = kit.store
    real_commit = store.commit_advances

    def late(owner: str, advances: Any, now: float) -> Any:
        return real_commit(owner, advances, now + 5 * MINUTE)

    store.commit_advances = late  # type: ignore[method-assign]
    kit.worker.advancer.advance_due(T0)
    store.commit_advances = real_commit  # type: ignore[method-assign]
    assert kit.worker.advancer.conflicts == 0
    assert kit.run(rid).node == "w"
    kit.run_until(T0 + 3 * DAY)
    assert kit.run(rid).status == "completed"
    assert len(kit.ledger()) == 2
