"""Events (dedupe, claim, complete) and the outbox (claim, verdicts, facts, ledger)."""

from __future__ import annotations

import pytest

from leadflow.errors import StoreError
from leadflow.model.records import (
    EnrollRequest,
    MessageFacts,
    MessageFilter,
    MessageUpdate,
    Run,
    Schedule,
)
from leadflow.store import Store
from support.records import DAY, T0, add_contacts, advance, enroll_one, event, message, step


# ---------------------------------------------------------------------------- events
def test_append_events_dedupes(store: Store) -> None:
    ids = store.append_events(
        [event("a.b", "c1", "k1", x=1), event("a.b", "c1", "k2"), event("a.b", "c1", "k1")], T0
    )
    assert ids[0] is not None and ids[1] is not None and ids[2] is None
    assert ids[1] > ids[0]
    assert store.append_events([event("a.b", None, "k2"), event("z", None, "k3")], T0)[0] is None
    assert store.append_events([], T0) == []
    events = store.list_events()
    assert [e.dedupe_key for e in events] == ["k1", "k2", "k3"]
    first = events[0]
    assert (first.type, first.contact_id, first.data) == ("a.b", "c1", {"x": 1})
    assert (first.occurred_at, first.created_at, first.processed_at) == (T0, T0, None)
    assert store.pending_events_count() == 3


def test_event_ids_by_dedupe_names_what_a_duplicate_duplicates(store: Store) -> None:
    first, second = store.append_events([event("a.b", "c1", "k1"), event("a.b", None, "k2")], T0)
    assert first is not None and second is not None
    assert store.event_ids_by_dedupe(["k2", "k1", "nope"]) == {"k1": first, "k2": second}
    assert store.event_ids_by_dedupe([]) == {}


def test_list_events_filter_and_paging(store: Store) -> None:
    store.append_events([event("t", f"c{i % 2}", f"k{i}") for i in range(6)], T0)
    assert [e.dedupe_key for e in store.list_events("c1")] == ["k1", "k3", "k5"]
    assert [e.dedupe_key for e in store.list_events(limit=2, offset=3)] == ["k3", "k4"]
    assert store.list_events("nobody") == []


def test_claim_events(store: Store) -> None:
    store.append_events(
        [
            event("t", "c", "future", at=T0 + 100),
            event("t", "c", "e1", at=T0 - 5),
            event("t", "c", "e2", at=T0),
            event("t", "c", "e3", at=T0 - 50),
        ],
        T0,
    )
    claimed = store.claim_events("w1", T0, 2, 30)
    assert [e.dedupe_key for e in claimed] == ["e1", "e2"]  # by id, not occurred_at
    assert [e.dedupe_key for e in store.claim_events("w2", T0, 10, 30)] == ["e3"]
    assert store.claim_events("w3", T0 + 30, 10, 30) == []  # leases run to T0+30
    again = store.claim_events("w3", T0 + 31, 10, 30)
    assert [e.dedupe_key for e in again] == ["e1", "e2", "e3"]
    assert store.claim_events("w3", T0, 0, 30) == []
    later = store.claim_events("w4", T0 + 100, 10, 30)  # every lease has expired by now
    assert [e.dedupe_key for e in later] == ["future", "e1", "e2", "e3"]


def test_complete_events_applies_everything_in_one_go(store: Store) -> None:
    add_contacts(store, "a", "b")
    run = enroll_one(store, "a")
    msg = message(run, "m1")
    store.commit_advances("w", [advance(run, messages=[msg])], T0)
    current = store.get_run(run.id)
    assert current is not None and msg.id is not None
    ids = store.append_events([event("sms.delivered", "a", "d1"), event("x", "b", "x1")], T0)
    claimed = store.claim_events("w", T0, 10, 60)
    adv = advance(current, node="next", steps=[step(current, "next")])
    adv.event_id = claimed[0].id
    res = store.complete_events(
        "w",
        [e.id for e in claimed],
        [adv],
        [EnrollRequest("wf2", 1, "b", "s")],
        [MessageFacts(msg.id, status="delivered", delivered_at=T0 + 1)],
        T0 + 2,
    )
    assert (res.applied, res.conflicts) == (1, 0)
    assert store.pending_events_count() == 0
    assert all(e.processed_at == T0 + 2 for e in store.list_events())
    assert [e for e in ids if e is None] == []
    got = store.get_run(run.id)
    assert got is not None and got.node == "next"
    delivered = store.get_message(msg.id)
    assert delivered is not None and delivered.status == "delivered"
    assert delivered.delivered_at == T0 + 1
    assert [r.workflow_key for r in store.runs_of_contact("b")] == ["wf2"]
    assert store.claim_events("w", T0 + 999, 10, 60) == []


def test_complete_events_leaves_events_of_conflicted_advances(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    store.append_events(
        [event("t", "a", "ea"), event("t", "b", "eb"), event("t", None, "plain")], T0
    )
    ea, eb, plain = store.claim_events("w", T0, 10, 60)
    store.commit_advances("other", [advance(ra)], T0)  # ra.seq is stale now
    stale = advance(ra, node="x")
    stale.event_id = ea.id
    fresh = advance(rb, node="y")
    fresh.event_id = eb.id
    res = store.complete_events("w", [ea.id, eb.id, plain.id], [stale, fresh], [], [], T0 + 1)
    assert res.conflicted_run_ids == [ra.id] and res.applied == 1
    left = [e for e in store.list_events() if e.processed_at is None]
    assert [e.dedupe_key for e in left] == ["ea"]
    # its lease was released: it is claimed again at once, against the run's new state
    assert [e.dedupe_key for e in store.claim_events("w2", T0 + 1, 10, 60)] == ["ea"]


# ---------------------------------------------------------------------------- outbox
def _queue(store: Store, *specs: tuple[str, float]) -> Run:
    """A run of contact "a" with one message per (key, due_at)."""
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    msgs = [message(run, key, due_at=due) for key, due in specs]
    assert store.commit_advances("w", [advance(run, messages=msgs)], T0).applied == 1
    got = store.get_run(run.id)
    assert got is not None
    return got


def test_claim_messages_order_limit_and_lease(store: Store) -> None:
    run = _queue(store, ("m3", T0 + 30), ("m1", T0 + 10), ("m2", T0 + 20), ("later", T0 + DAY))
    assert store.claim_messages("d", T0, 10, 60) == []
    claimed = store.claim_messages("d1", T0 + 100, 2, 60)
    assert [c.message.idempotency_key for c in claimed] == ["m1", "m2"]
    first = claimed[0]
    assert first.message.status == "sending" and first.message.id is not None
    assert first.contact is not None and first.contact.id == "a"
    assert (first.run_status, first.workflow_version) == (run.status, 1)
    # d1 is sending to contact "a": another owner leaves "a" alone, d1 itself may go on
    assert store.claim_messages("d2", T0 + 100, 10, 60) == []
    assert [c.message.idempotency_key for c in store.claim_messages("d1", T0 + 100, 10, 60)] == [
        "m3"
    ]
    assert store.claim_messages("d3", T0 + 160, 10, 60) == []  # leases run to T0+160
    assert store.claim_messages("d3", T0 + 100, 0, 60) == []
    stored = store.find_message("m1")
    assert stored is not None and stored.status == "sending"


def test_expired_sending_is_reclaimed(store: Store) -> None:
    _queue(store, ("m1", T0))
    [claimed] = store.claim_messages("d1", T0, 10, 60)
    assert store.next_due_at() is not None  # the run still waits
    again = store.claim_messages("d2", T0 + 61, 10, 60)
    assert [c.message.id for c in again] == [claimed.message.id]
    assert again[0].message.status == "sending"
    assert (claimed.in_doubt, again[0].in_doubt) == (False, True)


def test_claim_messages_holds_back_contacts_with_unprocessed_replies(store: Store) -> None:
    _queue(store, ("m1", T0))
    add_contacts(store, "b")
    other = enroll_one(store, "b")
    store.commit_advances("w", [advance(other, messages=[message(other, "mb", due_at=T0)])], T0)
    store.append_events(
        [
            event("sms.received", "a", "reply-1"),
            event("sms.delivered", "b", "not-a-reply"),
        ],
        T0,
    )
    claimed = store.claim_messages("d", T0, 10, 60)
    assert [c.message.idempotency_key for c in claimed] == ["mb"]
    # the reply is processed: the message may go (if the engine did not cancel it)
    events = store.claim_events("w", T0, 10, 60)
    store.complete_events("w", [e.id for e in events], [], [], [], T0 + 1)
    assert [c.message.idempotency_key for c in store.claim_messages("d", T0 + 1, 10, 60)] == ["m1"]


def test_in_doubt_messages_also_wait_for_replies(store: Store) -> None:
    _queue(store, ("m1", T0))
    assert len(store.claim_messages("d1", T0, 10, 60)) == 1
    store.append_events([event("email.received", "a", "r")], T0 + 1)
    assert store.claim_messages("d2", T0 + 100, 10, 60) == []


def test_messages_without_contact_or_run(store: Store) -> None:
    m = message(None, "webhook-1", channel="webhook", contact_id=None, node=None)
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    store.commit_advances("w", [advance(run, messages=[m])], T0)
    [claimed] = store.claim_messages("d", T0, 10, 60)
    assert claimed.contact is None and claimed.run_status is None
    assert claimed.workflow_version is None


def test_update_messages(store: Store) -> None:
    _queue(store, ("ok", T0), ("retry", T0), ("defer", T0), ("bad", T0), ("quiet", T0))
    claimed = {
        c.message.idempotency_key: c.message.id for c in store.claim_messages("d", T0, 10, 60)
    }
    assert len(claimed) == 5
    ids = {k: v for k, v in claimed.items() if v is not None}
    store.update_messages(
        "d",
        [
            MessageUpdate(ids["ok"], "sent", attempts=1, sent_at=T0 + 1, provider_id="p-1"),
            MessageUpdate(ids["retry"], "pending", due_at=T0 + 30, attempts=1, error="429"),
            MessageUpdate(ids["defer"], "deferred", due_at=T0 + 3600, suppressed_reason="quiet"),
            MessageUpdate(ids["bad"], "failed", attempts=1, error="invalid number"),
            MessageUpdate(ids["quiet"], "suppressed", suppressed_reason="opted_out"),
            MessageUpdate(987654, "sent"),  # unknown ids are ignored
        ],
        [event("sms.sent", "a", "sent:ok"), event("sms.sent", "a", "sent:ok")],
        T0 + 1,
    )
    ok = store.get_message(ids["ok"])
    assert ok is not None
    assert (ok.status, ok.attempts, ok.sent_at, ok.provider_id) == ("sent", 1, T0 + 1, "p-1")
    by_provider = store.find_message_by_provider("p-1")
    assert by_provider is not None and by_provider.id == ids["ok"]
    assert store.find_message_by_provider("p-unknown") is None
    retry = store.get_message(ids["retry"])
    assert retry is not None
    assert (retry.status, retry.due_at, retry.attempts, retry.error) == (
        "pending",
        T0 + 30,
        1,
        "429",
    )
    bad = store.get_message(ids["bad"])
    assert bad is not None and bad.status == "failed" and bad.error == "invalid number"
    quiet = store.get_message(ids["quiet"])
    assert quiet is not None and quiet.suppressed_reason == "opted_out"
    assert [e.dedupe_key for e in store.list_events()] == ["sent:ok"]
    [sent] = store.claim_events("w", T0 + 1, 10, 60)
    store.complete_events("w", [sent.id], [], [], [], T0 + 1)
    assert store.next_due_at() == T0 + 30
    # the leases were released: retried and deferred messages come back when due
    assert [c.message.idempotency_key for c in store.claim_messages("d", T0 + 30, 10, 60)] == [
        "retry"
    ]
    later = store.claim_messages("d", T0 + 3600, 10, 60)  # "retry" is in doubt again by now
    assert [c.message.idempotency_key for c in later] == ["retry", "defer"]
    store.update_messages("d", [], [], T0)


def test_facts_never_move_status_backwards(store: Store) -> None:
    _queue(store, ("m", T0), ("f", T0), ("s", T0))
    ids = {c.message.idempotency_key: c.message.id for c in store.claim_messages("d", T0, 10, 60)}
    m, f, s = ids["m"], ids["f"], ids["s"]
    assert m is not None and f is not None and s is not None
    store.update_messages(
        "d",
        [MessageUpdate(m, "sent", sent_at=T0), MessageUpdate(f, "sent", sent_at=T0)],
        [],
        T0,
    )

    def status(mid: int) -> str:
        got = store.get_message(mid)
        assert got is not None
        return got.status

    store.apply_message_facts([MessageFacts(m, status="delivered", delivered_at=T0 + 1)], T0)
    store.apply_message_facts(
        [MessageFacts(m, status="sent"), MessageFacts(m, status="pending")], T0
    )
    assert status(m) == "delivered"
    store.apply_message_facts([MessageFacts(m, status="failed", error="late failure")], T0)
    got = store.get_message(m)
    assert got is not None and got.status == "delivered" and got.error is None
    # *_at are set once
    store.apply_message_facts(
        [
            MessageFacts(m, delivered_at=T0 + 50, opened_at=T0 + 2, clicked_at=T0 + 3),
            MessageFacts(m, opened_at=T0 + 60, replied_at=T0 + 4),
        ],
        T0,
    )
    got = store.get_message(m)
    assert got is not None
    assert (got.delivered_at, got.opened_at, got.clicked_at, got.replied_at) == (
        T0 + 1,
        T0 + 2,
        T0 + 3,
        T0 + 4,
    )
    # failed replaces sent and is terminal
    store.apply_message_facts([MessageFacts(f, status="failed", error="carrier")], T0)
    store.apply_message_facts([MessageFacts(f, status="delivered")], T0)
    got = store.get_message(f)
    assert got is not None and got.status == "failed" and got.error == "carrier"
    # suppressed replaces sending; unknown ids are ignored
    store.apply_message_facts(
        [MessageFacts(s, status="suppressed"), MessageFacts(4242, "sent")], T0
    )
    assert status(s) == "suppressed"
    store.apply_message_facts([], T0)


def test_facts_in_one_batch_apply_in_order(store: Store) -> None:
    _queue(store, ("m", T0))
    [claimed] = store.claim_messages("d", T0, 10, 60)
    mid = claimed.message.id
    assert mid is not None
    store.apply_message_facts(
        [
            MessageFacts(mid, status="sent"),
            MessageFacts(mid, status="delivered"),
            MessageFacts(mid, status="sent"),
        ],
        T0,
    )
    got = store.get_message(mid)
    assert got is not None and got.status == "delivered"


def test_message_queries(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    ma1 = message(ra, "a1", channel="sms")
    ma2 = message(ra, "a2", channel="email")
    ma3 = message(ra, "a3", channel="sms")
    mb1 = message(rb, "b1", channel="sms")
    store.commit_advances(
        "w", [advance(ra, messages=[ma1, ma2, ma3]), advance(rb, messages=[mb1])], T0
    )
    assert ma1.id is not None and ma3.id is not None and mb1.id is not None
    assert [m.idempotency_key for m in store.messages_of_run(ra.id)] == ["a1", "a2", "a3"]
    assert store.messages_of_run(999) == []
    assert store.get_message(999) is None
    assert store.find_message("nope") is None

    assert store.latest_message_to("a", "sms") is None  # nothing sent yet
    store.claim_messages("d", T0, 10, 60)
    store.update_messages(
        "d",
        [
            MessageUpdate(ma1.id, "sent", sent_at=T0 + 5),
            MessageUpdate(ma3.id, "delivered", sent_at=T0 + 3, delivered_at=T0 + 4),
            MessageUpdate(mb1.id, "failed"),
        ],
        [],
        T0 + 5,
    )
    latest = store.latest_message_to("a", "sms")
    assert latest is not None and latest.idempotency_key == "a1"
    assert store.latest_message_to("a", "voice") is None
    assert store.latest_message_to("b", "sms") is None  # failed is not sent

    def keys(**kw: object) -> list[str]:
        return [m.idempotency_key for m in store.list_messages(MessageFilter(**kw))]  # type: ignore[arg-type]

    assert keys() == ["a1", "a2", "a3", "b1"]
    assert keys(run_id=ra.id, channel="sms") == ["a1", "a3"]
    assert keys(contact_id="b") == ["b1"]
    assert keys(status="sending") == ["a2"]
    assert keys(limit=2, offset=1) == ["a2", "a3"]
    assert keys(contact_id="a", status="delivered") == ["a3"]


def test_sandbox_ledger_and_duplicates(store: Store) -> None:
    run = _queue(store, ("k1", T0), ("k2", T0))
    assert store.sandbox_deliver("k1", "sms", "+1555", "hi", "sb-1", T0) is True
    assert store.sandbox_deliver("k1", "sms", "+1555", "changed", "sb-2", T0 + 1) is False
    assert store.sandbox_deliver("k1", "sms", "+1555", "hi", "sb-3", T0 + 2) is False
    assert store.sandbox_deliver("other", "email", None, None, "sb-4", T0 + 3) is True
    got = store.sandbox_lookup("k1")
    assert got is not None
    assert (got.channel, got.to, got.body, got.provider_id, got.delivered_at, got.duplicates) == (
        "sms",
        "+1555",
        "hi",
        "sb-1",
        T0,
        2,
    )
    assert store.sandbox_lookup("missing") is None
    assert [d.idempotency_key for d in store.sandbox_deliveries()] == ["k1", "other"]
    by_key = {
        m.idempotency_key: m.duplicates for m in store.list_messages(MessageFilter(run_id=run.id))
    }
    assert by_key == {"k1": 2, "k2": 0}


# ---------------------------------------------------------------------------- next_due_at
def test_next_due_at(store: Store) -> None:
    assert store.next_due_at() is None
    add_contacts(store, "a", "b")
    ra = enroll_one(store, "a", now=T0)
    assert store.next_due_at() == T0
    store.commit_advances("w", [advance(ra, wake_at=T0 + 500)], T0)
    assert store.next_due_at() == T0 + 500
    rb = enroll_one(store, "b", now=T0 + 1)
    store.commit_advances(
        "w",
        [
            advance(
                rb,
                status="waiting",
                wake_at=None,
                waiting_for="x",
                messages=[message(rb, "m", due_at=T0 + 400)],
            )
        ],
        T0,
    )
    assert store.next_due_at() == T0 + 400
    store.append_events([event("t", "a", "e", at=T0 + 300)], T0)
    assert store.next_due_at() == T0 + 300
    store.set_schedules("default", "wf", [Schedule("wf", 1, 0, "* * * * *", "UTC", T0 + 200)])
    assert store.next_due_at() == T0 + 200
    store.set_schedules("default", "wf", [])
    [ev] = store.claim_events("w", T0 + 300, 10, 60)
    store.complete_events("w", [ev.id], [], [], [], T0 + 300)
    assert store.next_due_at() == T0 + 400
    [claimed] = store.claim_messages("d", T0 + 400, 10, 60)
    assert store.next_due_at() == T0 + 460  # sending: reclaimable when its lease expires
    assert claimed.message.id is not None
    store.update_messages(
        "d", [MessageUpdate(claimed.message.id, "sent", sent_at=T0 + 401)], [], T0
    )
    assert store.next_due_at() == T0 + 500
    current = store.get_run(ra.id)
    assert current is not None
    store.commit_advances("w", [advance(current, status="completed")], T0 + 500)
    assert store.next_due_at() is None


# ---------------------------------------------------------------------------- in doubt
def test_claimed_messages_say_whether_they_are_in_doubt(store: Store) -> None:
    _queue(store, ("fresh", T0), ("crashed", T0), ("deferred", T0 + 5))
    first = store.claim_messages("d1", T0, 10, 60)
    assert [(c.message.idempotency_key, c.in_doubt) for c in first] == [
        ("fresh", False),
        ("crashed", False),
    ]
    ids = {c.message.idempotency_key: c.message.id for c in first}
    fresh = ids["fresh"]
    assert fresh is not None
    # "fresh" gets its verdict (retry later); "crashed" never does: its lease runs out
    store.update_messages("d1", [MessageUpdate(fresh, "pending", due_at=T0 + 61)], [], T0 + 1)
    again = store.claim_messages("d2", T0 + 61, 10, 60)
    assert [(c.message.idempotency_key, c.in_doubt) for c in again] == [
        ("crashed", True),  # was sending before this claim: ask the provider first
        ("deferred", False),
        ("fresh", False),
    ]
    assert all(c.message.status == "sending" for c in again)
    # still in doubt at the next reclaim; a verdict ends it
    [crashed] = [c for c in again if c.in_doubt]
    third = store.claim_messages("d3", T0 + 122, 10, 60)
    assert {c.message.idempotency_key: c.in_doubt for c in third} == {
        "crashed": True,
        "deferred": True,
        "fresh": True,
    }
    assert crashed.message.id is not None
    verdict = MessageUpdate(crashed.message.id, "deferred", due_at=T0 + 200)
    store.update_messages("d3", [verdict], [], T0 + 122)
    fourth = store.claim_messages("d4", T0 + 200, 10, 60)
    assert {c.message.idempotency_key: c.in_doubt for c in fourth} == {
        "crashed": False,  # deferred by its verdict: not in doubt any more
        "deferred": True,
        "fresh": True,
    }


def test_in_doubt_defaults_to_false() -> None:
    from leadflow.model.records import ClaimedMessage

    built = ClaimedMessage(message(None, "k", contact_id="a"), None, None, None)
    assert built.in_doubt is False


# ---------------------------------------------------------------------------- next_due_at: leases
def _waiting_runs(store: Store, wakes: dict[str, float]) -> dict[str, Run]:
    add_contacts(store, *wakes)
    out: dict[str, Run] = {}
    for cid, wake in wakes.items():
        run = enroll_one(store, cid)
        assert store.commit_advances("setup", [advance(run, wake_at=wake)], T0).applied == 1
        got = store.get_run(run.id)
        assert got is not None
        out[cid] = got
    return out


def test_next_due_at_counts_held_runs_at_their_lease_expiry(store: Store) -> None:
    runs = _waiting_runs(store, {"a": T0 + 10, "b": T0 + 20, "c": T0 + 30})
    assert store.next_due_at() == T0 + 10
    [a] = store.claim_runs("w1", T0 + 10, 1, 60)  # a held until T0+70
    assert a.run.id == runs["a"].id
    assert store.next_due_at() == T0 + 20  # b is due first and free
    [b] = store.claim_runs("w2", T0 + 20, 1, 5)  # b held until T0+25
    assert store.next_due_at() == T0 + 25  # b's lease runs out before c wakes
    store.release_runs("w2", [b.run.id])
    assert store.next_due_at() == T0 + 20  # free again: at its wake_at
    held = store.claim_runs("w3", T0 + 30, 10, 100)  # b and c, held until T0+130
    assert [x.run.id for x in held] == [b.run.id, runs["c"].id]
    assert store.next_due_at() == T0 + 70  # everything held: a's lease runs out first
    # a commit ends the lease; the run counts at its new wake_at
    store.commit_advances("w1", [advance(a.run, wake_at=T0 + 500)], T0 + 31)
    assert store.next_due_at() == T0 + 130
    store.commit_advances("w3", [advance(x.run, wake_at=T0 + 300) for x in held], T0 + 31)
    assert store.next_due_at() == T0 + 300


def test_next_due_at_with_an_expired_lease_is_in_the_past(store: Store) -> None:
    _waiting_runs(store, {"a": T0 + 10})
    store.claim_runs("w1", T0 + 10, 1, 60)  # the worker dies holding it
    assert store.next_due_at() == T0 + 70  # reclaimable once the lease has run out
    assert store.claim_runs("w2", T0 + 70, 1, 60) == []  # not yet at the edge
    assert len(store.claim_runs("w2", T0 + 71, 1, 60)) == 1
    assert store.next_due_at() == T0 + 131


def test_next_due_at_lease_not_past_wake_counts_at_wake(store: Store) -> None:
    _waiting_runs(store, {"a": T0 + 10, "b": T0 + 50})
    store.claim_runs("w", T0 + 10, 1, 0)  # a zero lease: held until T0+10 == its wake_at
    assert store.next_due_at() == T0 + 10


def test_next_due_at_ignores_event_waits_and_paused_runs_under_lease(store: Store) -> None:
    runs = _waiting_runs(store, {"a": T0 + 10})
    [a] = store.claim_runs("w", T0 + 10, 1, 60)
    store.commit_advances("w", [advance(a.run, status="paused")], T0 + 11)
    assert store.next_due_at() is None
    got = store.get_run(runs["a"].id)
    assert got is not None and got.status == "paused"


def test_next_due_at_counts_in_doubt_messages_at_lease_expiry(store: Store) -> None:
    _queue(store, ("m1", T0 + 5), ("m2", T0 + 500))
    current = store.runs_of_contact("a")[0]
    store.commit_advances("w", [advance(current, status="completed")], T0)  # no run due
    assert store.next_due_at() == T0 + 5
    [m1] = store.claim_messages("d", T0 + 5, 1, 60)
    assert store.next_due_at() == T0 + 65
    # a verdict that leaves it sending without a lease: due at its due_at again
    assert m1.message.id is not None
    store.update_messages("d", [MessageUpdate(m1.message.id, "sending", due_at=T0 + 600)], [], T0)
    assert store.next_due_at() == T0 + 500
    [m2] = store.claim_messages("d", T0 + 500, 1, 300)  # held until T0+800
    assert m2.message.idempotency_key == "m2"
    assert store.next_due_at() == T0 + 600


def test_next_due_at_counts_leased_events_at_lease_expiry(store: Store) -> None:
    store.append_events([event("t", None, "e1", at=T0), event("t", None, "e2", at=T0 + 100)], T0)
    assert store.next_due_at() == T0
    [e1] = store.claim_events("w", T0, 1, 30)
    assert store.next_due_at() == T0 + 30  # held until then, e2 later still
    store.complete_events("w", [e1.id], [], [], [], T0 + 1)
    assert store.next_due_at() == T0 + 100
    [e2] = store.claim_events("w", T0 + 100, 10, 300)
    assert e2.dedupe_key == "e2"
    assert store.next_due_at() == T0 + 400
    store.complete_events("w", [e2.id], [], [], [], T0 + 101)
    assert store.next_due_at() is None


# ---------------------------------------------------------------------------- event units
def _two_events(store: Store) -> tuple[int, int]:
    ids = store.append_events([event("t", "a", "e1"), event("t", "b", "e2")], T0)
    claimed = store.claim_events("w", T0, 10, 60)
    assert [e.id for e in claimed] == ids
    e1, e2 = ids
    assert e1 is not None and e2 is not None
    return e1, e2


def _fresh(store: Store, run: Run) -> Run:
    got = store.get_run(run.id)
    assert got is not None
    return got


def test_an_event_whose_advance_conflicts_applies_nothing(store: Store) -> None:
    add_contacts(store, "a", "b", "c")
    ra, rb, rc = enroll_one(store, "a"), enroll_one(store, "b"), enroll_one(store, "c")
    e1, e2 = _two_events(store)
    store.commit_advances("other", [advance(rb)], T0)  # rb's seq moves on
    ok_part = advance(
        ra,
        node="e1-a",
        steps=[step(ra)],
        messages=[message(ra, "e1-msg")],
        enrollments=[EnrollRequest("nested", 1, "a", "s")],
        events=[event("x", "a", "e1-product")],
    )
    ok_part.event_id = e1
    stale = advance(rb, node="e1-b")
    stale.event_id = e1
    other = advance(rc, node="e2-c")
    other.event_id = e2
    plain = advance(_fresh(store, rb), node="plain")  # no event: judged alone
    res = store.complete_events(
        "w",
        [e1, e2],
        [ok_part, stale, other, plain],
        [
            EnrollRequest("by-e1", 1, "c", "s", event_id=e1),
            EnrollRequest("by-e2", 1, "c", "s", event_id=e2),
            EnrollRequest("by-none", 1, "b", "s"),
        ],
        [],
        T0 + 1,
    )
    assert (res.applied, res.conflicts, res.conflicted_run_ids) == (2, 2, [ra.id, rb.id])
    # nothing of e1: not even its advance that passed the guard
    after_a = _fresh(store, ra)
    assert (after_a.node, after_a.seq) == ("start", 0)
    assert store.run_steps(ra.id) == [] and store.find_message("e1-msg") is None
    assert ok_part.steps[0].id is None and ok_part.messages[0].id is None
    assert [e.dedupe_key for e in store.list_events()] == ["e1", "e2"]
    assert [r.workflow_key for r in store.runs_of_contact("a")] == ["wf"]
    assert [r.workflow_key for r in store.runs_of_contact("c")] == ["wf", "by-e2"]
    # e2, the advance without event and the enrollment without event are applied
    assert _fresh(store, rc).node == "e2-c"
    assert _fresh(store, rb).node == "plain"
    assert [r.workflow_key for r in store.runs_of_contact("b")] == ["wf", "by-none"]
    # e1 stays unprocessed, its lease released: processed again at once
    assert [e.dedupe_key for e in store.list_events() if e.processed_at is None] == ["e1"]
    assert [e.id for e in store.claim_events("w2", T0 + 1, 10, 60)] == [e1]


def test_a_later_advance_building_on_a_withdrawn_one_fails_too(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    e1, e2 = _two_events(store)
    store.commit_advances("other", [advance(rb)], T0)
    first = advance(ra, node="by-e1")
    first.event_id = e1
    stale = advance(rb, node="stale")
    stale.event_id = e1
    builds_on_first = advance(ra, node="by-e2")
    builds_on_first.seq = ra.seq + 1
    builds_on_first.event_id = e2
    res = store.complete_events("w", [e1, e2], [first, stale, builds_on_first], [], [], T0 + 1)
    assert (res.applied, res.conflicts) == (0, 3)
    assert res.conflicted_run_ids == [ra.id, rb.id, ra.id]
    assert _fresh(store, ra).node == "start"
    assert store.pending_events_count() == 2
    assert len(store.claim_events("w2", T0 + 1, 10, 60)) == 2  # both leases released


def test_an_advance_not_building_on_a_withdrawn_one_still_applies(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    e1, e2 = _two_events(store)
    store.commit_advances("other", [advance(rb)], T0)
    first = advance(ra, node="by-e1")
    first.event_id = e1
    stale = advance(rb, node="stale")
    stale.event_id = e1
    same_seq = advance(ra, node="by-e2")  # the stored seq: valid once e1 is withdrawn
    same_seq.event_id = e2
    res = store.complete_events("w", [e1, e2], [first, stale, same_seq], [], [], T0 + 1)
    assert (res.applied, res.conflicts, res.conflicted_run_ids) == (1, 2, [ra.id, rb.id])
    got = _fresh(store, ra)
    assert (got.node, got.seq) == ("by-e2", 1)
    assert [e.dedupe_key for e in store.list_events() if e.processed_at is None] == ["e1"]


def test_event_units_are_tried_in_the_order_of_their_first_advance(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    e1, e2 = _two_events(store)
    e1_b = advance(rb, node="e1-b")
    e1_b.event_id = e1
    e2_a = advance(ra, node="e2-a")  # builds on e1's advance of ra, given before it
    e2_a.seq = ra.seq + 1
    e2_a.event_id = e2
    e1_a = advance(ra, node="e1-a")
    e1_a.event_id = e1
    res = store.complete_events("w", [e1, e2], [e1_b, e2_a, e1_a], [], [], T0 + 1)
    assert (res.applied, res.conflicts) == (3, 0)
    got = _fresh(store, ra)
    assert (got.node, got.seq) == ("e2-a", 2)
    assert store.pending_events_count() == 0


def test_enrollments_of_a_retried_event_follow_reentry_as_if_absent(store: Store) -> None:
    add_contacts(store, "a", "b")
    rb = enroll_one(store, "b")
    e1, e2 = _two_events(store)
    store.commit_advances("other", [advance(rb)], T0)
    stale = advance(rb)
    stale.event_id = e1
    res = store.complete_events(
        "w",
        [e1, e2],
        [stale],
        [
            EnrollRequest("wf2", 1, "a", "s", {"by": "e1"}, reentry="never", event_id=e1),
            EnrollRequest("wf2", 1, "a", "s", {"by": "e2"}, reentry="never", event_id=e2),
        ],
        [],
        T0 + 1,
    )
    assert res.conflicted_run_ids == [rb.id]
    [run] = store.runs_of_contact("a")
    assert run.context == {"by": "e2"}  # e1's request was dropped, so e2's was not skipped


def test_facts_apply_even_when_their_event_is_retried(store: Store) -> None:
    run = _queue(store, ("m", T0))
    msg = store.find_message("m")
    assert msg is not None and msg.id is not None
    store.append_events([event("sms.delivered", "a", "d")], T0)
    [ev] = store.claim_events("w", T0, 10, 60)
    stale = advance(run)
    stale.seq -= 1
    stale.event_id = ev.id
    res = store.complete_events(
        "w", [ev.id], [stale], [], [MessageFacts(msg.id, "delivered", delivered_at=T0)], T0
    )
    assert res.conflicts == 1 and store.pending_events_count() == 1
    got = store.get_message(msg.id)
    assert got is not None and got.status == "delivered"  # idempotent: applied regardless


def test_enroll_request_event_id_defaults_to_none() -> None:
    assert EnrollRequest("wf", 1, "a", "s").event_id is None


# ---------------------------------------------------------------------------- sandbox batch
def test_sandbox_deliver_many(store: Store) -> None:
    assert store.sandbox_deliver("old", "sms", "+1", "before", "sb-0", T0) is True
    out = store.sandbox_deliver_many(
        [
            ("k1", "sms", "+1555", "hi", "sb-1"),
            ("old", "sms", "+1", "again", "sb-2"),
            ("k2", "email", None, None, "sb-3"),
            ("k1", "sms", "+1555", "twice in one call", "sb-4"),
        ],
        T0 + 1,
    )
    assert out == [True, False, True, False]
    got = {d.idempotency_key: d for d in store.sandbox_deliveries()}
    assert list(got) == ["old", "k1", "k2"]
    assert (got["k1"].body, got["k1"].provider_id, got["k1"].duplicates) == ("hi", "sb-1", 1)
    assert (got["old"].body, got["old"].delivered_at, got["old"].duplicates) == ("before", T0, 1)
    assert (got["k2"].channel, got["k2"].delivered_at, got["k2"].duplicates) == ("email", T0 + 1, 0)
    assert store.sandbox_deliver_many([], T0) == []
    assert store.sandbox_deliver("k2", "email", None, None, "sb-5", T0 + 2) is False
    k2 = store.sandbox_lookup("k2")
    assert k2 is not None and k2.duplicates == 1


def test_sandbox_deliver_many_is_all_or_nothing(store: Store) -> None:
    store.sandbox_deliver("old", "sms", "+1", "b", "sb-0", T0)
    before = store.sandbox_deliveries()
    with pytest.raises(StoreError):
        store.sandbox_deliver_many(
            [
                ("old", "sms", "+1", "b", "sb-1"),
                ("new", "sms", "+1", "b", "sb-2"),
                ("bad", None, "+1", "b", "sb-3"),  # type: ignore[list-item]
            ],
            T0 + 1,
        )
    assert store.sandbox_deliveries() == before


# ---------------------------------------------------------------------------- sent counts
def test_sent_counts_since(store: Store) -> None:
    add_contacts(store, "a", "b", "c")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    specs = [  # (run, key, channel, verdict, sent_at)
        (ra, "a-old", "sms", "sent", T0 - 100),
        (ra, "a-sms", "sms", "sent", T0),
        (ra, "a-mail", "email", "delivered", T0 + 5),
        (ra, "a-failed", "sms", "failed", T0 + 6),
        (ra, "a-deferred", "sms", "deferred", None),
        (rb, "b-sms", "sms", "delivered", T0 + 50),
    ]
    msgs = {key: message(run, key, channel=ch) for run, key, ch, _, _ in specs}
    store.commit_advances(
        "w",
        [
            advance(ra, messages=[m for k, m in msgs.items() if k.startswith("a")]),
            advance(rb, messages=[msgs["b-sms"]]),
        ],
        T0,
    )
    store.claim_messages("d", T0, 10, 60)
    updates = []
    for _, key, _, verdict, sent_at in specs:
        mid = msgs[key].id
        assert mid is not None
        updates.append(MessageUpdate(mid, verdict, sent_at=sent_at, due_at=T0 + DAY))
    store.update_messages("d", updates, [], T0)
    # a late fact makes one more "sent" message; sent_at set by its verdict only
    assert store.sent_count_since("a", T0) == 2
    assert store.sent_count_since("a", T0 - 100) == 3
    assert store.sent_count_since("a", T0 + 1) == 1
    assert store.sent_count_since("a", T0, ["sms"]) == 1
    assert store.sent_count_since("a", T0, ["sms", "email"]) == 2
    assert store.sent_count_since("a", T0, []) == 0
    assert store.sent_count_since("nobody", T0) == 0
    assert store.sent_counts_since(["b", "a", "c", "a", "ghost"], T0) == {
        "a": 2,
        "b": 1,
        "c": 0,
        "ghost": 0,
    }
    assert store.sent_counts_since(["a", "b"], T0, ["email"]) == {"a": 1, "b": 0}
    assert store.sent_counts_since([], T0) == {}


# ---------------------------------------------------------------------------- suppressed_reason
def test_sent_verdict_clears_the_deferral_reason(store: Store) -> None:
    _queue(store, ("quiet", T0), ("later", T0), ("opted", T0), ("deliv", T0))
    ids = {c.message.idempotency_key: c.message.id for c in store.claim_messages("d", T0, 10, 60)}
    q, later, opted, deliv = ids["quiet"], ids["later"], ids["opted"], ids["deliv"]
    assert q is not None and later is not None and opted is not None and deliv is not None
    store.update_messages(
        "d",
        [
            MessageUpdate(q, "deferred", due_at=T0 + 100, suppressed_reason="quiet_hours"),
            MessageUpdate(later, "deferred", due_at=T0 + 100, suppressed_reason="quiet_hours"),
            MessageUpdate(opted, "suppressed", suppressed_reason="opted_out"),
            MessageUpdate(deliv, "deferred", due_at=T0 + 100, suppressed_reason="rate_limit"),
        ],
        [],
        T0,
    )

    def reason(mid: int) -> str | None:
        got = store.get_message(mid)
        assert got is not None
        return got.suppressed_reason

    assert reason(q) == "quiet_hours" and reason(opted) == "opted_out"
    store.claim_messages("d", T0 + 100, 10, 60)
    store.update_messages(
        "d",
        [
            MessageUpdate(q, "sent", sent_at=T0 + 100),
            MessageUpdate(deliv, "delivered", sent_at=T0 + 100, suppressed_reason="ignored"),
            MessageUpdate(later, "deferred", due_at=T0 + 200),  # deferred again: reason kept
        ],
        [],
        T0 + 100,
    )
    assert reason(q) is None and reason(deliv) is None
    assert reason(later) == "quiet_hours" and reason(opted) == "opted_out"


def test_events_recorded_as_processed_are_history_only(store: Store) -> None:
    add_contacts(store, "c1")
    history = event("sms.delivered", "c1", "d1")
    history.processed = True
    live = event("sms.received", "c1", "r1")
    ids = store.append_events([history, live], T0)
    assert all(i is not None for i in ids)
    assert store.pending_events_count() == 1
    assert [e.type for e in store.claim_events("w", T0 + 1, 10, 60)] == ["sms.received"]
    listed = {e.type: e for e in store.list_events("c1")}
    assert listed["sms.delivered"].processed_at == T0  # kept, and visible in the history
    assert listed["sms.received"].processed_at is None
    assert store.next_due_at() is not None  # only the live one (now leased) is still due


def test_last_reply_at(store: Store) -> None:
    assert store.last_reply_at([]) == {}
    store.append_events(
        [
            event("sms.received", "a", "r1", at=T0 + 5),
            event("email.received", "a", "r2", at=T0 + 9),
            event("sms.received", "a", "r3", at=T0 + 7),  # later id, earlier moment
            event("sms.delivered", "b", "d1", at=T0 + 50),  # not a reply
            event("voice.received", "c", "r4", at=T0 + 1),
        ],
        T0,
    )
    store.claim_events("w", T0 + 100, 1, 60)  # processed or not, a reply is a reply
    assert store.last_reply_at(["c", "a", "b", "nobody", "a"]) == {"a": T0 + 9, "c": T0 + 1}
