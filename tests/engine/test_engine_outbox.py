"""Promise 2: effects go through the outbox, with idempotency keys, and never leave twice."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.engine.ports import SendResult
from leadflow.model.records import (
    Message,
    MessageStatus,
    MessageUpdate,
)
from support.engine_kit import DAY, T0, Kit

TWO_TEXTS = """
key: two
name: Two texts
start: a
nodes:
  - {id: a, kind: send_sms, body: "One {{ contact.first_name }}", next: w}
  - {id: w, kind: wait, duration: 1d, next: b}
  - {id: b, kind: send_sms, body: "Two", next: w2}
  - {id: w2, kind: wait, duration: 1d, next: a2}
  - {id: a2, kind: send_sms, body: "Three"}
"""


def test_advancing_only_queues_messages_dispatch_sends_them(kit: Kit) -> None:
    kit.publish(TWO_TEXTS)
    kit.add_contact("c1")
    (rid,) = kit.enroll("two", "c1")

    assert kit.worker.advancer.advance_due(T0) == 1
    (msg,) = kit.messages()
    assert msg.status == "pending"
    assert msg.body == "One C1"
    assert msg.idempotency_key == f"{rid}:a:1"  # run:node:step
    assert kit.ledger() == []  # no node called a provider

    assert kit.worker.dispatcher.dispatch_due(T0) == 1
    (msg,) = kit.messages()
    assert msg.status == "delivered"
    (delivery,) = kit.ledger()
    assert delivery.idempotency_key == msg.idempotency_key
    assert delivery.provider_id == msg.provider_id


def test_every_visit_gets_its_own_key(kit: Kit) -> None:
    kit.publish(TWO_TEXTS)
    kit.add_contact("c1")
    (rid,) = kit.enroll("two", "c1")
    kit.run_until(T0 + 3 * DAY)
    steps = {s.node: s.step_seq for s in kit.steps(rid) if s.outcome == "queued"}
    keys = [m.idempotency_key for m in kit.messages()]
    assert keys == [f"{rid}:{node}:{seq}" for node, seq in steps.items()]
    assert len(set(keys)) == 3
    assert [d.idempotency_key for d in kit.ledger()] == keys


class PowerCut(BaseException):
    """The process dies here (nothing in the worker catches it)."""


def _crash_after_send(kit: Kit) -> None:
    """The dispatcher sends, then dies before recording the verdict."""
    store = kit.store
    real = store.update_messages

    def crash(*args: Any, **kwargs: Any) -> None:
        store.update_messages = real  # type: ignore[method-assign]
        raise PowerCut()

    store.update_messages = crash  # type: ignore[method-assign]
    with pytest.raises(PowerCut):
        kit.tick()


def test_in_doubt_message_is_reconciled_not_resent(kit: Kit) -> None:
    kit.publish(TWO_TEXTS)
    kit.add_contact("c1")
    kit.enroll("two", "c1")
    _crash_after_send(kit)
    (msg,) = kit.messages()
    assert msg.status == MessageStatus.SENDING  # left in doubt
    assert len(kit.ledger()) == 1  # but the provider has it

    assert kit.tick(T0 + 30) == 0  # leased still
    kit.settle(T0 + 61)  # lease expired: lookup by key, no second delivery
    (msg,) = kit.messages()
    assert msg.status == "delivered"
    assert msg.duplicates == 0
    (delivery,) = kit.ledger()
    assert delivery.duplicates == 0
    assert delivery.provider_id == msg.provider_id


def test_a_verdict_from_someone_without_the_lease_changes_nothing(kit: Kit) -> None:
    kit.publish(TWO_TEXTS)
    kit.add_contact("c1")
    kit.enroll("two", "c1")
    kit.settle(T0)
    (msg,) = kit.messages()
    assert msg.status == "delivered"
    assert msg.id is not None
    # Someone (an operator, a bug, a worker whose lease was taken over) tries to put it back
    # to "sending": refused, since only the lease holder's verdicts count.
    assert kit.store.update_messages(
        "ops", [MessageUpdate(msg.id, MessageStatus.SENDING)], [], kit.now
    ) == [msg.id]
    assert kit.store.claim_messages("other", T0 + 1, 10, 60.0) == []
    kit.settle(T0 + 62)
    (msg,) = kit.messages()
    assert msg.status == "delivered"
    assert msg.duplicates == 0
    assert [d.duplicates for d in kit.ledger()] == [0]


class NoLookup:
    """A provider that cannot tell what it already has (no ``lookup``)."""

    name = "nolookup"

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[str] = []

    def send(self, message: Message, now: float) -> SendResult:
        self.sent.append(message.idempotency_key)
        result: SendResult = self.inner.send(message, now)
        return result


def test_provider_without_lookup_receives_the_key_twice_and_sandbox_counts_it(kit: Kit) -> None:
    kit.publish(TWO_TEXTS)
    kit.add_contact("c1")
    kit.enroll("two", "c1")
    provider = NoLookup(kit.runtime.providers["sms"])
    kit.runtime.providers["sms"] = provider
    _crash_after_send(kit)
    kit.settle(T0 + 61)
    (msg,) = kit.messages()
    assert provider.sent == [msg.idempotency_key, msg.idempotency_key]
    assert msg.status == "delivered"
    assert msg.duplicates == 1  # the sandbox refused the redelivery and counted it
    (delivery,) = kit.ledger()
    assert delivery.duplicates == 1


def test_message_inserted_twice_with_same_key_is_one_message(kit: Kit) -> None:
    """Re-executing the same step (same run, node and step number) cannot queue it twice."""
    kit.publish(TWO_TEXTS)
    kit.add_contact("c1")
    (rid,) = kit.enroll("two", "c1")
    claimed = kit.store.claim_runs("x", T0, 10, 60.0)
    from leadflow.engine.advance import advance_run

    engine = kit.runtime.engine
    wf = engine.catalog.get("default", "two", 1)
    first = advance_run(engine, claimed[0].run, claimed[0].contact, wf, T0)
    again = advance_run(engine, claimed[0].run, claimed[0].contact, wf, T0)
    assert first.messages[0].idempotency_key == again.messages[0].idempotency_key
    # A second advance from the same seq conflicts; inserting its messages is a no-op anyway.
    result = kit.store.commit_advances("x", [first, again], T0)
    assert (result.applied, result.conflicts) == (1, 1)
    assert len(kit.messages(run_id=rid)) == 1


def test_virtual_run_reconciles_a_message_left_in_doubt(kit: Kit) -> None:
    kit.publish(
        """
key: one
name: One text
start: a
nodes:
  - {id: a, kind: send_sms, body: "Only"}
"""
    )
    kit.add_contact("c1")
    kit.enroll("one", "c1")
    _crash_after_send(kit)
    kit.run_until(T0 + DAY)
    (msg,) = kit.messages()
    assert msg.status == "delivered"
    assert kit.ledger()[0].duplicates == 0


SLOW_S = 50.0  # each send takes this long on the clock: three of them outlast a 60 s lease


class Slow:
    """A provider that sends one message at a time and takes ``SLOW_S`` per send (a network
    provider: Twilio, SMTP, SendGrid), and checks on each send what a second worker and a status
    callback would see at that moment."""

    name = "slow"

    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.sent: list[str] = []
        self.seen_before_next: list[str | None] = []
        self.other_claimed: list[int] = []

    def send(self, message: Message, now: float) -> SendResult:
        kit = self.kit
        if self.sent:  # the previous send's provider id is already stored (callbacks find it)
            previous = kit.store.find_message(self.sent[-1])
            self.seen_before_next.append(previous.provider_id if previous else None)
        kit.clock.set(kit.clock.now() + SLOW_S)
        # a second worker looking now must not take over the messages still waiting
        self.other_claimed.append(len(kit.store.claim_messages("peer", kit.clock.now(), 10, 60)))
        self.sent.append(message.idempotency_key)
        return SendResult(provider_id=f"SLOW-{len(self.sent)}", status="sent")


def test_a_slow_provider_keeps_its_leases_and_stores_each_provider_id_at_once(kit: Kit) -> None:
    kit.publish(
        """
key: one
name: One text
start: a
nodes:
  - {id: a, kind: send_sms, body: "Only"}
"""
    )
    for cid in ("c1", "c2", "c3"):
        kit.add_contact(cid)
        kit.enroll("one", cid)
    slow = Slow(kit)
    kit.runtime.providers["sms"] = slow
    kit.worker.advancer.advance_due(T0)
    assert kit.worker.dispatcher.dispatch_due(T0) == 3
    assert len(slow.sent) == 3  # 150 s of sending on a 60 s lease
    assert slow.other_claimed == [0, 0, 0]  # nobody else took a message over meanwhile
    assert slow.seen_before_next == ["SLOW-1", "SLOW-2"]
    msgs = sorted(kit.messages(), key=lambda m: m.provider_id or "")
    assert [(m.status, m.provider_id) for m in msgs] == [
        ("sent", "SLOW-1"),
        ("sent", "SLOW-2"),
        ("sent", "SLOW-3"),
    ]
    # each verdict carries the moment its send happened, not the start of the batch
    assert [m.sent_at for m in msgs] == [T0, T0 + SLOW_S, T0 + 2 * SLOW_S]
