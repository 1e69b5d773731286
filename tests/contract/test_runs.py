"""Enrollment, claiming, the seq-guarded batch commit and run queries."""

from __future__ import annotations

import pytest

from leadflow.errors import InvalidInput
from leadflow.model.records import (
    ContactPatch,
    EnrollRequest,
    MessageFacts,
    MessageFilter,
    MessageUpdate,
    Run,
    RunFilter,
)
from leadflow.store import Store
from support.records import DAY, T0, add_contacts, advance, enroll_one, event, message, step
from support.threads import at_once


def req(
    cid: str, key: str = "wf", reentry: str = "never", days: int | None = None
) -> EnrollRequest:
    return EnrollRequest(key, 1, cid, "start", {"via": "test"}, reentry=reentry, reentry_days=days)


def end_run(store: Store, run: Run, now: float, status: str = "completed") -> None:
    res = store.commit_advances("w", [advance(run, status=status, node="last")], now)
    assert res.applied == 1


# ---------------------------------------------------------------------------- enroll
def test_enroll_creates_active_runs(store: Store) -> None:
    add_contacts(store, "a", "b")
    out = store.enroll([req("a"), req("b"), req("ghost")], T0)
    assert (out.created, out.skipped) == (2, 1)
    assert len(out.run_ids) == 2 and out.run_ids == sorted(out.run_ids)
    run = store.get_run(out.run_ids[0])
    assert run is not None
    assert (run.workflow_key, run.version, run.contact_id, run.node) == ("wf", 1, "a", "start")
    assert (run.status, run.wake_at, run.context) == ("active", T0, {"via": "test"})
    assert (run.step_seq, run.attempt, run.seq, run.waiting_for) == (0, 0, 0, None)
    assert (run.created_at, run.updated_at, run.ended_at) == (T0, T0, None)
    assert store.enroll([], T0).created == 0


def test_reentry_never(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a", reentry="never")
    assert store.enroll([req("a")], T0).skipped == 1
    end_run(store, run, T0 + 1)
    assert store.enroll([req("a")], T0 + 100 * DAY).skipped == 1
    assert store.enroll([req("a", key="other")], T0).created == 1  # per workflow key


def test_reentry_always(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    assert store.enroll([req("a", reentry="always")], T0).skipped == 1  # live
    paused = store.commit_advances("w", [advance(run, status="paused")], T0)
    assert paused.applied == 1
    assert store.enroll([req("a", reentry="always")], T0).skipped == 1  # paused
    again = store.get_run(run.id)
    assert again is not None
    end_run(store, again, T0 + 1, "exited")
    assert store.enroll([req("a", reentry="always")], T0 + 2).created == 1


def test_reentry_after_days(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a", version=1)
    assert store.enroll([req("a", reentry="after", days=7)], T0).skipped == 1  # live
    end_run(store, run, T0 + 1)
    assert store.enroll([req("a", reentry="after", days=7)], T0 + 6 * DAY).skipped == 1
    assert store.enroll([req("a", reentry="after", days=7)], T0 + 7 * DAY + 1).created == 1
    # no days: like always
    add_contacts(store, "b")
    other = enroll_one(store, "b")
    end_run(store, other, T0 + 1)
    assert store.enroll([req("b", reentry="after")], T0 + 2).created == 1


def test_reentry_counts_any_version(store: Store) -> None:
    add_contacts(store, "a")
    enroll_one(store, "a", version=1)
    r2 = EnrollRequest("wf", 2, "a", "start", reentry="never")
    assert store.enroll([r2], T0).skipped == 1


@pytest.mark.parametrize("policy", ["never", "after", "always"])
def test_same_contact_twice_in_one_call(store: Store, policy: str) -> None:
    add_contacts(store, "a", "b")
    out = store.enroll([req("a", reentry=policy, days=1), req("b"), req("a", reentry=policy)], T0)
    assert (out.created, out.skipped) == (2, 1)
    assert [r.contact_id for r in store.list_runs(RunFilter())] == ["a", "b"]


def test_bad_reentry_policy_changes_nothing(store: Store) -> None:
    add_contacts(store, "a")
    with pytest.raises(InvalidInput):
        store.enroll([req("a"), req("a", reentry="sometimes")], T0)
    with pytest.raises(InvalidInput):
        store.enroll_all("wf", 1, "start", T0, reentry="sometimes")
    assert store.list_runs(RunFilter()) == []


def test_enroll_all(store: Store) -> None:
    add_contacts(store, "c3", "c1", "c2", "c4")
    enroll_one(store, "c2")  # live run
    done = enroll_one(store, "c3")
    end_run(store, done, T0 + 1)

    never = store.enroll_all("wf", 1, "start", T0 + 2, reentry="never")
    assert (never.created, never.skipped) == (2, 2)
    runs = store.list_runs(RunFilter(status="active"))
    assert sorted(r.contact_id for r in runs) == ["c1", "c2", "c4"]
    new = [r for r in runs if r.created_at == T0 + 2]
    assert [r.contact_id for r in new] == ["c1", "c4"]  # by contact id
    assert all(r.context == {} and r.wake_at == T0 + 2 and r.node == "start" for r in new)

    always = store.enroll_all("wf2", 1, "s", T0 + 3, reentry="always")
    assert (always.created, always.skipped, always.run_ids) == (4, 0, [])
    assert store.enroll_all("wf2", 1, "s", T0 + 3, reentry="always").created == 0

    after = store.enroll_all("wf", 1, "start", T0 + 3, reentry="after", reentry_days=1)
    assert (after.created, after.skipped) == (0, 4)  # c3 ended within a day, others live
    later = store.enroll_all("wf", 1, "start", T0 + 2 * DAY, reentry="after", reentry_days=1)
    assert (later.created, later.skipped) == (1, 3)


# ---------------------------------------------------------------------------- claim
def _runs_at(store: Store, wakes: dict[str, float]) -> dict[str, Run]:
    """One run per contact, waiting until the given moment."""
    add_contacts(store, *wakes)
    out = {}
    for cid, wake in wakes.items():
        run = enroll_one(store, cid)
        res = store.commit_advances("setup", [advance(run, wake_at=wake)], T0)
        assert res.applied == 1
        got = store.get_run(run.id)
        assert got is not None
        out[cid] = got
    return out


def test_claim_respects_wake_at_order_and_limit(store: Store) -> None:
    runs = _runs_at(store, {"a": T0 + 30, "b": T0 + 10, "c": T0 + 20, "d": T0 + 999})
    assert store.claim_runs("w1", T0 + 5, 10, 60) == []
    claimed = store.claim_runs("w1", T0 + 100, 2, 60)
    assert [c.run.contact_id for c in claimed] == ["b", "c"]
    assert claimed[0].contact is not None and claimed[0].contact.id == "b"
    assert claimed[0].run == runs["b"]  # the run as stored
    rest = store.claim_runs("w2", T0 + 100, 10, 60)
    assert [c.run.contact_id for c in rest] == ["a"]  # b and c are leased, d not due
    assert store.claim_runs("w1", T0 + 100, 0, 60) == []


def test_claim_ties_by_id(store: Store) -> None:
    _runs_at(store, {"z": T0 + 10, "y": T0 + 10, "x": T0 + 10})
    claimed = store.claim_runs("w", T0 + 10, 10, 60)
    ids = [c.run.id for c in claimed]
    assert ids == sorted(ids) and len(ids) == 3


def test_lease_expiry_and_release(store: Store) -> None:
    _runs_at(store, {"a": T0 + 10})
    assert len(store.claim_runs("w1", T0 + 10, 10, 60)) == 1
    assert store.claim_runs("w2", T0 + 69, 10, 60) == []  # lease until T0+70
    assert store.claim_runs("w2", T0 + 70, 10, 60) == []  # not yet expired at the edge
    again = store.claim_runs("w2", T0 + 71, 10, 60)
    assert len(again) == 1
    store.release_runs("w1", [again[0].run.id])  # not w1's lease any more: no effect
    assert store.claim_runs("w3", T0 + 72, 10, 60) == []
    store.release_runs("w2", [again[0].run.id])
    assert len(store.claim_runs("w3", T0 + 72, 10, 60)) == 1
    store.release_runs("w3", [])


def test_claim_skips_paused_ended_and_event_waits(store: Store) -> None:
    add_contacts(store, "a", "b", "c", "d")
    a, b, c, d = (enroll_one(store, x) for x in "abcd")
    store.commit_advances(
        "w",
        [
            advance(a, status="paused", wake_at=T0),
            advance(b, status="completed", wake_at=T0),
            advance(c, status="waiting", wake_at=None, waiting_for="sms.received"),
            advance(d, status="active", wake_at=T0),
        ],
        T0,
    )
    claimed = store.claim_runs("w", T0 + DAY, 10, 60)
    assert [x.run.contact_id for x in claimed] == ["d"]
    ended = store.get_run(b.id)
    assert ended is not None and ended.wake_at is None and ended.ended_at == T0


def test_claim_many_in_batches(store: Store) -> None:
    add_contacts(store, *(f"c{i:03d}" for i in range(120)))
    store.enroll_all("wf", 1, "start", T0, reentry="always")
    seen: list[int] = []
    while batch := store.claim_runs("w", T0, 50, 60):
        seen += [c.run.id for c in batch]
    assert len(seen) == len(set(seen)) == 120


# ---------------------------------------------------------------------------- commit
def test_commit_applies_everything(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    claimed = store.claim_runs("w", T0, 10, 60)
    assert [c.run.id for c in claimed] == [run.id]
    s1 = step(run, "start")
    s2 = step(run, "sms", kind="send_sms", step_seq=2, data={"k": [1, 2]}, due_at=T0)
    msg = message(run, "k1", node="sms", payload={"media_urls": ["u"]})
    adv = advance(
        run,
        node="wait",
        status="waiting",
        wake_at=T0 + DAY,
        context={"vars": {"x": 1}},
        step_seq=2,
        attempt=0,
        steps=[s1, s2],
        messages=[msg],
        contact_patches=[ContactPatch("a", add_tags=["nurtured"])],
        events=[event("workflow.step", "a", "ev-1")],
    )
    res = store.commit_advances("w", [adv], T0 + 1)
    assert (res.applied, res.conflicts, res.conflicted_run_ids) == (1, 0, [])

    got = store.get_run(run.id)
    assert got is not None
    assert (got.node, got.status, got.wake_at, got.context) == (
        "wait",
        "waiting",
        T0 + DAY,
        {"vars": {"x": 1}},
    )
    assert (got.step_seq, got.seq, got.updated_at, got.created_at) == (2, 1, T0 + 1, T0)
    steps = store.run_steps(run.id)
    assert [(s.node, s.step_seq, s.data, s.due_at) for s in steps] == [
        ("start", 1, None, None),
        ("sms", 2, {"k": [1, 2]}, T0),
    ]
    assert s1.id == steps[0].id and s2.id == steps[1].id and s1.id is not None
    msgs = store.messages_of_run(run.id)
    assert len(msgs) == 1 and msgs[0].id == msg.id and msg.id is not None
    assert msgs[0].payload == {"media_urls": ["u"]} and msgs[0].status == "pending"
    assert msgs[0].node == "sms" and msgs[0].to == "+15550000000"
    contact = store.get_contact("a")
    assert contact is not None and contact.tags == ["nurtured"]
    assert [e.dedupe_key for e in store.list_events("a")] == ["ev-1"]
    # the lease was released: claimable again when due
    assert store.claim_runs("w2", T0 + DAY, 10, 60)[0].run.id == run.id


def test_stale_seq_conflicts_and_writes_nothing(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    store.commit_advances("w", [advance(ra)], T0)  # ra.seq is now stale
    stale = advance(
        ra,
        node="x",
        steps=[step(ra)],
        messages=[message(ra, "stale-msg")],
        contact_patches=[ContactPatch("a", set={"stage": "stale"})],
        enrollments=[EnrollRequest("other", 1, "a", "s")],
        events=[event("x", "a", "stale-ev")],
    )
    good = advance(rb, steps=[step(rb)], messages=[message(rb, "good-msg")])
    res = store.commit_advances("w", [stale, good], T0 + 1)
    assert (res.applied, res.conflicts, res.conflicted_run_ids) == (1, 1, [ra.id])
    after = store.get_run(ra.id)
    assert after is not None and after.seq == 1 and after.node == "start"
    assert store.run_steps(ra.id) == []
    assert store.find_message("stale-msg") is None
    assert store.find_message("good-msg") is not None
    contact = store.get_contact("a")
    assert contact is not None and contact.stage is None
    assert store.runs_of_contact("a") == [after]
    assert store.list_events() == []
    assert len(store.run_steps(rb.id)) == 1


def test_unknown_run_is_a_conflict(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    adv = advance(run)
    adv.run_id = 424242
    res = store.commit_advances("w", [adv], T0)
    assert (res.applied, res.conflicts, res.conflicted_run_ids) == (0, 1, [424242])
    assert store.commit_advances("w", [], T0) == type(res)()


def test_two_advances_of_one_run_in_a_batch(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    first = advance(run, node="n1")
    second = advance(run, node="n2")
    second.seq = run.seq + 1  # builds on the first
    dup = advance(run, node="n3")  # same seq as the first: conflicts
    res = store.commit_advances("w", [first, second, dup], T0)
    assert (res.applied, res.conflicts) == (2, 1)
    got = store.get_run(run.id)
    assert got is not None and got.node == "n2" and got.seq == 2


def test_expired_lease_commit_still_accepted(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    [mine] = store.claim_runs("w1", T0, 10, 10)
    [theirs] = store.claim_runs("w2", T0 + 11, 10, 10)  # w1's lease expired
    assert store.commit_advances("w1", [advance(mine.run)], T0 + 12).applied == 1
    res = store.commit_advances("w2", [advance(theirs.run)], T0 + 13)
    assert res.conflicted_run_ids == [run.id]


def test_duplicate_idempotency_keys_are_ignored(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    first = message(ra, "same-key", body="first")
    store.commit_advances("w", [advance(ra, messages=[first])], T0)
    again = message(rb, "same-key", body="second")
    twice = message(rb, "dup-in-batch", body="one")
    twice2 = message(rb, "dup-in-batch", body="two")
    res = store.commit_advances("w", [advance(rb, messages=[again, twice, twice2])], T0)
    assert res.applied == 1
    stored = store.find_message("same-key")
    assert stored is not None and stored.body == "first" and stored.run_id == ra.id
    assert again.id == first.id == stored.id
    one = store.find_message("dup-in-batch")
    assert one is not None and one.body == "one" and twice2.id == twice.id == one.id
    assert len(store.list_messages(MessageFilter())) == 2


def test_patches_of_two_runs_of_one_contact_both_apply(store: Store) -> None:
    add_contacts(store, "a")
    r1 = enroll_one(store, "a", key="wf1")
    r2 = enroll_one(store, "a", key="wf2")
    store.commit_advances(
        "w",
        [
            advance(r1, contact_patches=[ContactPatch("a", add_tags=["t1"], set={"x": 1})]),
            advance(r2, contact_patches=[ContactPatch("a", add_tags=["t2"], set={"y": 2})]),
        ],
        T0 + 3,
    )
    got = store.get_contact("a")
    assert got is not None
    assert got.tags == ["t1", "t2"] and got.fields == {"x": 1, "y": 2} and got.updated_at == T0 + 3


def test_enrollments_in_advances_follow_reentry(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    enroll_one(store, "b", key="child")  # b already has a live child run
    start = [EnrollRequest("child", 1, "a", "c0", {"from": ra.id}, reentry="always")]
    res = store.commit_advances(
        "w",
        [
            advance(ra, enrollments=[*start, EnrollRequest("child", 1, "a", "c0")]),
            advance(rb, enrollments=[EnrollRequest("child", 1, "b", "c0", reentry="always")]),
        ],
        T0 + 1,
    )
    assert res.applied == 2
    child_a = store.runs_of_contact("a", ["active"])
    assert [(r.workflow_key, r.node, r.context) for r in child_a] == [
        ("child", "c0", {"from": ra.id}),
    ]
    assert len(store.runs_of_contact("b")) == 2


def test_events_in_advances_are_deduped(store: Store) -> None:
    add_contacts(store, "a")
    store.append_events([event("x", "a", "k1")], T0)
    run = enroll_one(store, "a")
    store.commit_advances(
        "w",
        [
            advance(
                run, events=[event("x", "a", "k1"), event("y", "a", "k2"), event("y", "a", "k2")]
            )
        ],
        T0,
    )
    assert [e.dedupe_key for e in store.list_events()] == ["k1", "k2"]


def test_ended_run_has_no_wake_at(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    adv = advance(run, status="exited", wake_at=T0 + 5, exit_reason="goal", ended_at=T0 + 2)
    store.commit_advances("w", [adv], T0 + 3)
    got = store.get_run(run.id)
    assert got is not None
    assert (got.status, got.wake_at, got.ended_at, got.exit_reason) == (
        "exited",
        None,
        T0 + 2,
        "goal",
    )
    assert store.next_due_at() is None


def test_run_queries(store: Store) -> None:
    add_contacts(store, "a", "b")
    r1 = enroll_one(store, "a", key="k1")
    r2 = enroll_one(store, "a", key="k2")
    r3 = enroll_one(store, "b", key="k1")
    store.commit_advances("w", [advance(r2, status="completed")], T0)
    assert store.get_run(999) is None
    assert set(store.get_runs([r1.id, r3.id, 999])) == {r1.id, r3.id}
    assert store.get_runs([]) == {}
    assert [r.id for r in store.runs_of_contact("a")] == [r1.id, r2.id]
    assert [r.id for r in store.runs_of_contact("a", ["active", "paused"])] == [r1.id]
    assert store.runs_of_contact("a", []) == []
    assert store.runs_of_contact("nobody") == []
    assert [r.id for r in store.list_runs(RunFilter(workflow_key="k1"))] == [r1.id, r3.id]
    assert [r.id for r in store.list_runs(RunFilter(contact_id="a", status="completed"))] == [r2.id]
    assert [r.id for r in store.list_runs(RunFilter(limit=1, offset=1))] == [r2.id]
    assert store.count_runs() == {"active": 2, "completed": 1}
    assert store.count_runs("k2") == {"completed": 1}
    assert store.count_runs("none") == {}


def test_runs_are_copies(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a", context={"vars": {"n": 1}})
    run.context["vars"]["n"] = 2
    got = store.get_run(run.id)
    assert got is not None and got.context == {"vars": {"n": 1}}
    adv = advance(got, context={"vars": {"n": 5}})
    store.commit_advances("w", [adv], T0)
    adv.context["vars"]["n"] = 6
    again = store.get_run(run.id)
    assert again is not None and again.context == {"vars": {"n": 5}}


def test_all_steps_paging(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    store.commit_advances(
        "w",
        [advance(ra, steps=[step(ra, "n1"), step(ra, "n2")]), advance(rb, steps=[step(rb, "n3")])],
        T0,
    )
    everything = store.all_steps()
    assert [s.node for s in everything] == ["n1", "n2", "n3"]
    ids = [s.id for s in everything]
    assert ids == sorted(ids) and None not in ids
    assert [s.node for s in store.all_steps(limit=1, since_id=ids[0])] == ["n2"]
    assert [s.node for s in store.all_steps(since_id=ids[1])] == ["n3"]
    assert store.all_steps(since_id=ids[2]) == []
    assert store.all_steps(limit=0) == []


# ---------------------------------------------------------------------------- node counts
def test_node_counts(store: Store) -> None:
    add_contacts(store, "a", "b", "c")
    ra, rb, rc = (enroll_one(store, x) for x in "abc")
    m_a = message(ra, "ma", node="sms1")
    m_b = message(rb, "mb", node="sms1")
    m_b2 = message(rb, "mb2", node="sms1")
    store.commit_advances(
        "w",
        [
            advance(ra, node="wait", steps=[step(ra, "start"), step(ra, "sms1")], messages=[m_a]),
            advance(
                rb,
                node="sms1",
                status="exited",
                steps=[step(rb, "start"), step(rb, "sms1"), step(rb, "sms1")],
                messages=[m_b, m_b2],
            ),
            advance(rc, node="start", status="paused", steps=[step(rc, "start")]),
        ],
        T0,
    )
    assert m_a.id is not None and m_b.id is not None and m_b2.id is not None
    assert len(store.claim_messages("d", T0 + DAY, 10, 60)) == 3
    store.update_messages(
        "d",
        [
            MessageUpdate(m_a.id, "delivered", sent_at=T0, delivered_at=T0),
            MessageUpdate(m_b.id, "sent", sent_at=T0),
            MessageUpdate(m_b2.id, "sent", sent_at=T0),
        ],
        [],
        T0,
    )
    store.apply_message_facts([MessageFacts(m_b.id, replied_at=T0 + 1)], T0 + 1)
    # another workflow does not count
    add_contacts(store, "z")
    other = enroll_one(store, "z", key="other")
    store.commit_advances("w", [advance(other, steps=[step(other, "start")])], T0)

    counts = {(n.version, n.node): n for n in store.node_counts("wf")}
    assert set(counts) == {(1, "start"), (1, "sms1"), (1, "wait")}
    start, sms1, wait = counts[(1, "start")], counts[(1, "sms1")], counts[(1, "wait")]
    assert (start.entered, start.sent, start.exited, start.current) == (3, 0, 0, 1)
    assert (sms1.entered, sms1.sent, sms1.delivered, sms1.replied) == (2, 2, 1, 1)
    assert (sms1.exited, sms1.current) == (1, 0)
    assert (wait.entered, wait.exited, wait.current) == (0, 0, 1)
    assert all(n.workflow_key == "wf" for n in counts.values())
    assert store.node_counts("nothing") == []


def test_threads_sharing_one_store_never_claim_a_run_twice(store: Store) -> None:
    add_contacts(store, *(f"t{i:03d}" for i in range(300)))
    store.enroll_all("wf", 1, "start", T0, reentry="always")
    workers = 4
    claimed: list[list[int]] = [[] for _ in range(workers)]

    def work(i: int) -> None:
        while batch := store.claim_runs(f"w{i}", T0, 9, 300):
            claimed[i] += [c.run.id for c in batch]
            res = store.commit_advances(f"w{i}", [advance(c.run) for c in batch], T0)
            assert res.conflicts == 0

    assert at_once(work, workers) == []
    every = [rid for ids in claimed for rid in ids]
    assert len(every) == len(set(every)) == 300
    assert store.count_runs() == {"waiting": 300}


# ---------------------------------------------------------------------------- many contacts
def test_runs_of_contacts(store: Store) -> None:
    add_contacts(store, "a", "b", "c")
    a1 = enroll_one(store, "a", key="k1")
    b1 = enroll_one(store, "b", key="k1")
    a2 = enroll_one(store, "a", key="k2")
    store.commit_advances("w", [advance(a1, status="paused")], T0)
    got = store.runs_of_contacts(["b", "a", "c", "ghost", "a"])
    assert list(got) == ["a", "b"]  # no runs: absent; contact id order
    assert [r.id for r in got["a"]] == [a1.id, a2.id]  # oldest first
    assert got["a"][0].status == "paused" and got["a"][0] == store.get_run(a1.id)
    assert [r.id for r in got["b"]] == [b1.id]
    assert got == {cid: store.runs_of_contact(cid) for cid in ("a", "b")}
    live = store.runs_of_contacts(iter(["a", "b"]), ["active", "waiting"])
    assert {k: [r.id for r in v] for k, v in live.items()} == {"a": [a2.id], "b": [b1.id]}
    assert store.runs_of_contacts(["a", "b"], ["completed"]) == {}
    assert store.runs_of_contacts(["a"], []) == {}
    assert store.runs_of_contacts([]) == {}


def test_runs_of_contacts_takes_more_ids_than_sqlite_binds(store: Store) -> None:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    many = [f"nobody-{i}" for i in range(40_000)] + ["b", "a"]  # > SQLite's 32,766 variables
    got = store.runs_of_contacts(many, ["active"])
    assert {k: [r.id for r in v] for k, v in got.items()} == {"a": [ra.id], "b": [rb.id]}


def test_workflow_filters_use_every_run_of_that_key(store: Store) -> None:
    add_contacts(store, "a", "b", "c")
    r1 = enroll_one(store, "a", key="k1")
    enroll_one(store, "b", key="k2")
    r3 = enroll_one(store, "c", key="k1")
    store.commit_advances("w", [advance(r1, status="completed")], T0)
    r4 = enroll_one(store, "a", key="k1", version=2)  # a's second run of k1
    assert [r.id for r in store.list_runs(RunFilter(workflow_key="k1"))] == [r1.id, r3.id, r4.id]
    assert [r.id for r in store.list_runs(RunFilter(workflow_key="k1", status="active"))] == [
        r3.id,
        r4.id,
    ]
    assert [r.id for r in store.list_runs(RunFilter(workflow_key="k1", limit=1, offset=2))] == [
        r4.id
    ]
    assert store.count_runs("k1") == {"active": 2, "completed": 1}
    assert store.list_runs(RunFilter(workflow_key="none")) == []


def test_an_advance_can_move_a_run_to_another_version(store: Store) -> None:
    add_contacts(store, "c1", "c2")
    moved = enroll_one(store, "c1")
    stays = enroll_one(store, "c2")
    res = store.commit_advances(
        "migration",
        [advance(moved, node="renamed", version=2), advance(stays, node="other")],
        T0 + 1,
    )
    assert (res.applied, res.conflicts) == (2, 0)
    after = store.get_runs([moved.id, stays.id])
    assert (after[moved.id].version, after[moved.id].node) == (2, "renamed")
    assert (after[stays.id].version, after[stays.id].node) == (1, "other")  # None keeps it
