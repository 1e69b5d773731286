"""Two workers on one database: one contact's messages go out one worker at a time, so the
per-contact budget and stop-on-reply hold across workers (every backend)."""

from __future__ import annotations

from typing import Any

from leadflow.engine.ports import SendResult
from leadflow.model.records import Message
from support.engine_kit import T0, Kit

ONE_TEXT = """
key: text-{n}
name: Text {n}
start: hi
nodes:
  - {{id: hi, kind: send_sms, body: "Hello from workflow {n}"}}
"""


class PeerDuringSend:
    """The sms provider of worker A: in the middle of A's send, worker B dispatches."""

    def __init__(self, inner: Any, peer: Any) -> None:
        self.inner, self.peer = inner, peer
        self.peer_dispatched: list[int] = []

    def send(self, message: Message, now: float) -> SendResult:
        if not self.peer_dispatched:
            self.peer_dispatched.append(self.peer.dispatcher.dispatch_due(now))
        result: SendResult = self.inner.send(message, now)
        return result

    def lookup(self, key: str) -> SendResult | None:
        result: SendResult | None = self.inner.lookup(key)
        return result


def _two_texts_queued(kit: Kit) -> None:
    for n in (1, 2):
        kit.publish(ONE_TEXT.format(n=n))
    kit.add_contact("c1")
    for n in (1, 2):
        kit.enroll(f"text-{n}", "c1")
    assert kit.worker.advancer.advance_due(T0) == 2  # both texts queued, nothing sent yet
    assert [m.status for m in kit.messages()] == ["pending", "pending"]


def test_the_budget_holds_when_two_workers_dispatch_at_once(make_kit: Any) -> None:
    kit: Kit = make_kit(budget_per_day=1, dispatch_batch=1)
    _two_texts_queued(kit)
    a, b = kit.other_worker("worker-a"), kit.other_worker("worker-b")
    provider = PeerDuringSend(kit.runtime.providers["sms"], b)
    a.dispatcher.providers = {**a.dispatcher.providers, "sms": provider}
    assert a.dispatcher.dispatch_due(T0) == 1
    # while A was sending the first text, B found nothing it could take for that contact
    assert provider.peer_dispatched == [0]
    # afterwards B takes the second text, and the budget (1 a day) defers it
    assert b.dispatcher.dispatch_due(T0) == 1
    statuses = sorted((m.status, m.suppressed_reason) for m in kit.messages())
    assert statuses == [("deferred", "budget"), ("delivered", None)]
    assert len(kit.ledger()) == 1


DRIP = """
key: drip
name: Drip
start: hi
nodes:
  - {id: hi, kind: send_sms, body: "Hello!", next: later}
  - {id: later, kind: wait, duration: 1d, next: again}
  - {id: again, kind: send_sms, body: "Still looking?"}
"""


def test_a_reply_that_arrives_between_claim_and_send_stops_the_send(make_kit: Any) -> None:
    kit: Kit = make_kit()
    kit.publish(DRIP)
    kit.add_contact("c1")
    (rid,) = kit.enroll("drip", "c1")
    assert kit.worker.advancer.advance_due(T0) == 1
    a = kit.other_worker("worker-a")
    store = kit.store
    real_renew = store.renew_messages

    def reply_first(owner: str, ids: Any, now: float, lease_s: float) -> set[int]:
        kit.emit("sms.received", "c1", {"body": "Who is this? Call me instead"})
        result: set[int] = real_renew(owner, ids, now, lease_s)
        return result

    store.renew_messages = reply_first  # type: ignore[method-assign]
    try:
        assert a.dispatcher.dispatch_due(T0) == 1
    finally:
        store.renew_messages = real_renew  # type: ignore[method-assign]
    assert kit.ledger() == []  # it did not leave
    (msg,) = kit.messages()
    assert msg.status == "pending"  # back in the queue, behind the reply
    kit.settle(T0)  # the reply pauses the run; the text is then suppressed, never sent
    (msg,) = kit.messages()
    assert msg.status == "suppressed" and kit.ledger() == []
    run = kit.store.get_run(rid)
    assert run is not None and run.status == "paused"
