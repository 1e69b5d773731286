"""Leases on work in flight: per-contact dispatch, fenced verdicts, renewal before a send, who
holds what, releasing a dead worker's leases, the shared virtual clock."""

from __future__ import annotations

from leadflow.model.records import MessageUpdate, NewEvent, Run
from leadflow.store import Store
from support.records import T0, add_contacts, advance, enroll_one, event, message


def _queue(store: Store, contact: str, *keys: str, due: float = T0) -> Run:
    add_contacts(store, contact)
    run = enroll_one(store, contact)
    msgs = [message(run, key, due_at=due) for key in keys]
    assert store.commit_advances("w", [advance(run, messages=msgs)], T0).applied == 1
    return run


def _keys(claimed: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(c.message.idempotency_key for c in claimed)


def _sent(mid: int, now: float) -> MessageUpdate:
    return MessageUpdate(mid, "sent", sent_at=now, provider_id="p")


def _event_about(mid: int, key: str) -> NewEvent:
    return NewEvent("sms.sent", "a", {"message_id": mid}, key, T0)


def test_one_owner_at_a_time_dispatches_to_a_contact(store: Store) -> None:
    _queue(store, "a", "a1", "a2")
    _queue(store, "b", "b1")
    first = store.claim_messages("d1", T0, 1, 60)  # a1 only
    assert _keys(first) == ["a1"]
    # d2 gets b's message, not a's second: d1 is sending to "a"
    assert _keys(store.claim_messages("d2", T0, 10, 60)) == ["b1"]
    assert store.claim_messages("d3", T0, 10, 60) == []
    # once d1's verdict is in, a's next message is free for anyone
    (mid,) = [c.message.id for c in first]
    assert mid is not None
    assert store.update_messages("d1", [_sent(mid, T0)], [], T0) == []
    assert _keys(store.claim_messages("d3", T0, 10, 60)) == ["a2"]


def test_an_expired_or_released_lease_does_not_hold_the_contact(store: Store) -> None:
    _queue(store, "a", "a1", "a2")
    assert _keys(store.claim_messages("d1", T0, 1, 60)) == ["a1"]
    # after the lease ran out, the in-doubt message and its sibling are claimed together
    later = store.claim_messages("d2", T0 + 61, 10, 60)
    assert _keys(later) == ["a1", "a2"]
    assert [c.in_doubt for c in sorted(later, key=lambda c: c.message.idempotency_key)] == [
        True,
        False,
    ]


def test_verdicts_are_fenced_by_the_lease(store: Store) -> None:
    _queue(store, "a", "a1")
    [mine] = store.claim_messages("d1", T0, 10, 60)
    mid = mine.message.id
    assert mid is not None
    [taken] = store.claim_messages("d2", T0 + 61, 10, 60)  # d1 presumed dead: taken over
    assert taken.in_doubt
    # d1 wakes up and reports: refused, and so is its event about that message
    refused = store.update_messages(
        "d1", [_sent(mid, T0 + 62)], [_event_about(mid, "late"), event("x", "a", "other")], T0
    )
    assert refused == [mid]
    msg = store.get_message(mid)
    assert msg is not None and msg.status == "sending" and msg.sent_at is None
    assert [e.dedupe_key for e in store.list_events("a")] == ["other"]
    # the new owner's verdict counts
    assert store.update_messages("d2", [_sent(mid, T0 + 63)], [_event_about(mid, "ok")], T0) == []
    msg = store.get_message(mid)
    assert msg is not None and msg.status == "sent" and msg.sent_at == T0 + 63
    assert "ok" in [e.dedupe_key for e in store.list_events("a")]
    # a verdict on a message nobody claimed is refused too
    assert store.update_messages("d2", [_sent(mid, T0 + 64)], [], T0) == [mid]


def test_an_expired_lease_nobody_took_is_still_the_owners(store: Store) -> None:
    _queue(store, "a", "a1")
    [mine] = store.claim_messages("d1", T0, 10, 60)
    assert mine.message.id is not None
    assert store.update_messages("d1", [_sent(mine.message.id, T0 + 500)], [], T0 + 500) == []
    msg = store.get_message(mine.message.id)
    assert msg is not None and msg.status == "sent"


def test_renew_before_send(store: Store) -> None:
    _queue(store, "a", "a1")
    _queue(store, "b", "b1")
    got = store.claim_messages("d1", T0, 9, 60)
    claimed = {c.message.idempotency_key: c.message.id for c in got}
    a1, b1 = claimed["a1"], claimed["b1"]
    assert a1 is not None and b1 is not None
    assert store.renew_messages("d1", [a1, b1], T0 + 50, 60) == {a1, b1}
    # renewed to T0+110: not claimable at T0+100 any more
    assert store.claim_messages("d2", T0 + 100, 10, 60) == []
    # a reply from "b" arrives: b1 must not leave now
    store.append_events([NewEvent("sms.received", "b", {"body": "stop"}, "r1", T0 + 101)], T0)
    assert store.renew_messages("d1", [a1, b1], T0 + 102, 60) == {a1}
    # another owner cannot renew what it does not hold; nothing is renewed after a takeover
    assert store.renew_messages("d2", [a1], T0 + 103, 60) == set()
    assert store.renew_messages("d1", [], T0 + 103, 60) == set()


def test_held_leases_and_release(store: Store) -> None:
    assert store.held_leases() == []
    _queue(store, "a", "a1")
    _queue(store, "b", "b1")
    store.append_events([event("t", "a", "e1"), event("t", "b", "e2")], T0)
    store.claim_messages("dead", T0, 1, 60)
    store.claim_events("dead", T0 + 1, 1, 30)
    store.claim_events("live", T0 + 2, 10, 30)
    add_contacts(store, "c", "d")
    enroll_one(store, "c")
    enroll_one(store, "d")
    runs = store.claim_runs("live", T0 + 3, 10, 100)
    assert len(runs) == 2
    held = [(h.owner, h.queue, h.count, h.min_until, h.max_until) for h in store.held_leases()]
    assert held == [
        ("dead", "events", 1, T0 + 31, T0 + 31),
        ("dead", "messages", 1, T0 + 60, T0 + 60),
        ("live", "events", 1, T0 + 32, T0 + 32),
        ("live", "runs", 2, T0 + 103, T0 + 103),
    ]
    assert store.release_leases([]) == 0
    assert store.release_leases(["dead", "nobody"]) == 2
    assert [h.owner for h in store.held_leases()] == ["live", "live"]
    # the released message stays "sending": the next claim takes it in doubt, at once
    again = store.claim_messages("d2", T0 + 4, 10, 60)
    assert {c.message.idempotency_key: c.in_doubt for c in again} == {"a1": True, "b1": False}
    # the released event is claimable at once too
    assert [e.dedupe_key for e in store.claim_events("d2", T0 + 4, 10, 30)] == ["e1"]


def test_next_due_at_without_leases(store: Store) -> None:
    _queue(store, "a", "a1", due=T0 + 10)  # its run waits until T0 + 1h
    add_contacts(store, "b")
    enroll_one(store, "b")  # a run due at T0
    assert [r.run.contact_id for r in store.claim_runs("w", T0, 10, 1000)] == ["b"]
    assert store.next_due_at() == T0 + 10
    assert store.next_due_at(include_leases=False) == T0 + 10
    store.claim_messages("d", T0 + 10, 10, 5000)
    assert store.next_due_at() == T0 + 1000  # the held run's lease ends first
    # in flight work left out: the next free work is a's run
    assert store.next_due_at(include_leases=False) == T0 + 3600


def test_raise_meta_never_moves_back(store: Store) -> None:
    assert store.raise_meta("clock", 100.5) == 100.5
    assert store.raise_meta("clock", 50.0) == 100.5
    assert store.get_meta("clock") == repr(100.5)
    assert store.raise_meta("clock", 200.25) == 200.25
    store.set_meta("text", "not a number")
    assert store.raise_meta("text", 1.0) == 1.0
