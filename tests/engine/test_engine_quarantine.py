"""One bad event, run or message never stops the others: it is set aside with its error
(quarantined) and the rest of its batch goes on -- on every backend. A store that cannot be
reached is not bad data: nothing is quarantined then."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.engine import advancer as advancer_module
from leadflow.engine.context import Go, Result, StepContext
from leadflow.errors import StoreError
from leadflow.model.records import (
    Event,
    RunStatus,
)
from support.engine_kit import T0, Kit

HUGE = 1180591620717411303424  # 2**70: beyond bigint

FLAKY = """
key: flaky
name: Flaky
start: act
nodes:
  - {id: act, kind: action, action: flaky, next: hello}
  - {id: hello, kind: send_sms, body: "Hi", next: w}
  - {id: w, kind: wait, duration: 1d}
"""
WELCOME = """
key: welcome
name: Welcome
triggers: [{type: event, event: lead.created}]
start: hello
nodes:
  - {id: hello, kind: send_sms, body: "Hi", next: w}
  - {id: w, kind: wait, duration: 1d}
"""


class Flaky:
    """A custom action that raises (a bug) for the contacts in ``bad``."""

    def __init__(self, bad: set[str]) -> None:
        self.bad = bad

    def enter(self, ctx: StepContext, node: Any) -> Result:
        if ctx.run.contact_id in self.bad:
            raise RuntimeError("boom")
        return Go(node.next, outcome="done")

    def resume(self, ctx: StepContext, node: Any) -> Result:
        return self.enter(ctx, node)


def test_a_handler_raising_for_one_run_does_not_stop_the_others(kit: Kit) -> None:
    kit.runtime.engine.registry.register_action("flaky", Flaky({"c2"}))
    kit.publish(FLAKY)
    _contacts(kit, 3)
    r1, r2, r3 = kit.enroll("flaky", "c1", "c2", "c3")
    kit.settle(T0)
    for rid in (r1, r3):
        assert kit.outcomes(rid) == [("act", "done"), ("hello", "queued"), ("w", "waiting")]
    assert sorted(m.contact_id or "" for m in kit.messages()) == ["c1", "c3"]
    assert all(m.status == "delivered" for m in kit.messages())
    (step,) = kit.steps(r2)
    assert (step.node, step.outcome, step.error) == (
        "act",
        "retry",
        "unexpected RuntimeError: boom",
    )


def test_a_run_whose_advance_raises_outside_its_handler_fails_alone(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit.publish(WELCOME)
    _contacts(kit, 3)
    r1, r2, r3 = kit.enroll("welcome", "c1", "c2", "c3")
    real = advancer_module.advance_run

    def broken(engine: Any, run: Any, *args: Any, **kwargs: Any) -> Any:
        if run.id == r2:
            raise KeyError("a bug outside any handler")
        return real(engine, run, *args, **kwargs)

    monkeypatch.setattr(advancer_module, "advance_run", broken)
    kit.settle(T0)  # no exception
    failed = kit.run(r2)
    assert failed.status == RunStatus.FAILED
    assert failed.error == "could not be advanced: KeyError: 'a bug outside any handler'"
    assert [kit.run(r).status for r in (r1, r3)] == [RunStatus.WAITING, RunStatus.WAITING]
    assert sorted(m.contact_id or "" for m in kit.messages()) == ["c1", "c3"]
    assert kit.worker.stats.quarantined == 1


def _contacts(kit: Kit, n: int) -> list[str]:
    cids = [f"c{i}" for i in range(1, n + 1)]
    for cid in cids:
        kit.add_contact(cid)
    return cids


def _failed(kit: Kit) -> list[Event]:
    return kit.store.list_events(status="failed")


def test_events_with_malformed_ids_are_quarantined_and_their_batch_goes_on(kit: Kit) -> None:
    kit.publish(WELCOME)
    _contacts(kit, 4)
    kit.emit("lead.created", "c1")
    bad1 = kit.emit("sms.delivered", "c2", {"message_id": HUGE})
    kit.emit("lead.created", "c3")
    bad2 = kit.emit("sms.received", "c4", {"message_id": "7", "body": "hi"})
    bad3 = kit.emit("sms.failed", "c4", {"run_id": 2**63, "node": "hello"})
    kit.settle(T0)  # no exception, on PostgreSQL too
    assert sorted(r.contact_id for r in kit.runs("welcome")) == ["c1", "c3"]
    assert kit.store.pending_events_count() == 0
    found = {e.id: (e.status, e.error) for e in _failed(kit)}
    assert found == {
        bad1: ("failed", f"data.message_id: {HUGE} is out of range (1..{2**63 - 1})"),
        bad2: ("failed", "data.message_id: must be an integer id, not str"),
        bad3: ("failed", f"data.run_id: {2**63} is out of range (1..{2**63 - 1})"),
    }
    assert kit.store.failed_events_count() == 3
    assert kit.worker.stats.quarantined == 3


def test_an_event_the_store_refuses_is_found_by_halving_and_quarantined(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit.publish(WELCOME)
    cids = _contacts(kit, 6)
    ids = [kit.emit("lead.created", cid) for cid in cids]
    poison = ids[4]
    real = kit.store.complete_events
    calls: list[int] = []

    def refusing(owner: str, event_ids: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(event_ids))
        if poison in event_ids:
            raise StoreError("PostgreSQL: value out of range")
        return real(owner, event_ids, *args, **kwargs)

    monkeypatch.setattr(kit.store, "complete_events", refusing)
    kit.settle(T0)
    (failed,) = _failed(kit)
    assert (failed.id, failed.error) == (poison, "StoreError: PostgreSQL: value out of range")
    assert sorted(r.contact_id for r in kit.runs("welcome")) == sorted(set(cids) - {"c5"})
    assert kit.store.pending_events_count() == 0
    assert calls[0] == 6 and len(calls) <= 12  # halving, not one retry per event


def test_a_store_that_cannot_be_reached_quarantines_nothing(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit.publish(WELCOME)
    _contacts(kit, 2)
    kit.emit("lead.created", "c1")
    kit.emit("lead.created", "c2")

    def down(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("connection refused")

    monkeypatch.setattr(kit.store, "complete_events", down)
    monkeypatch.setattr(kit.store, "schema_version", down)
    with pytest.raises(StoreError, match="connection refused"):
        kit.tick(T0)
    monkeypatch.undo()
    assert _failed(kit) == []
    kit.settle(T0 + 61)  # the leases expired: processed as usual
    assert sorted(r.contact_id for r in kit.runs("welcome")) == ["c1", "c2"]


def test_a_message_whose_decision_raises_fails_alone(kit: Kit) -> None:
    kit.publish(WELCOME)
    _contacts(kit, 3)
    kit.enroll("welcome", "c1", "c2", "c3")
    dispatcher = kit.worker.dispatcher
    policy = dispatcher.policy

    class Broken:
        def __getattr__(self, name: str) -> Any:
            return getattr(policy, name)

        def check(self, msg: Any, *args: Any) -> Any:
            if msg.contact_id == "c2":
                raise ZeroDivisionError("a bug in a policy")
            return policy.check(msg, *args)

    dispatcher.policy = Broken()  # type: ignore[assignment]
    kit.settle(T0)
    by_contact = {m.contact_id: (m.status, m.error) for m in kit.messages()}
    assert by_contact == {
        "c1": ("delivered", None),
        "c2": ("failed", "could not be dispatched: ZeroDivisionError: a bug in a policy"),
        "c3": ("delivered", None),
    }
    assert len(kit.ledger()) == 2


def test_a_verdict_the_store_refuses_is_kept_without_the_outside_text(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit.publish(WELCOME)
    _contacts(kit, 3)
    kit.enroll("welcome", "c1", "c2", "c3")
    kit.worker.advancer.advance_due(T0)
    target = next(m.id for m in kit.messages() if m.contact_id == "c2")
    real = kit.store.update_messages

    def refusing(owner: str, updates: Any, *args: Any, **kwargs: Any) -> Any:
        if any(u.message_id == target and u.provider_id for u in updates):
            raise StoreError("PostgreSQL: text cannot contain NUL")
        return real(owner, updates, *args, **kwargs)

    monkeypatch.setattr(kit.store, "update_messages", refusing)
    kit.settle(T0)
    by_contact = {m.contact_id: m for m in kit.messages()}
    kept = by_contact["c2"]
    assert (kept.status, kept.provider_id) == ("delivered", None)
    assert (
        kept.error == "verdict not stored in full: StoreError: PostgreSQL: text cannot contain NUL"
    )
    assert all(by_contact[c].provider_id for c in ("c1", "c3"))
    assert len(kit.ledger()) == 3 and all(d.duplicates == 0 for d in kit.ledger())
