"""History pruning: prunable_runs / delete_runs_history / prunable_events / delete_events."""

from __future__ import annotations

import pytest

from leadflow.model.records import (
    EnrollRequest,
    MessageFacts,
    MessageUpdate,
    NewEvent,
    Run,
    RunFilter,
)
from leadflow.store import Store
from support.records import DAY, T0, add_contacts, advance, enroll_one, event, message, step

CUTOFF = T0 + 5 * DAY


def finish(
    store: Store, run: Run, at: float, status: str = "completed", *, send: str | None = None
) -> Run:
    """Give ``run`` a step (and a message keyed ``send``, sent at once) and end it at ``at``."""
    msgs = [] if send is None else [message(run, send, status="sent", sent_at=at)]
    a = advance(run, status=status, node="last", wake_at=None, steps=[step(run, at=at)])
    a.messages = msgs
    assert store.commit_advances("w", [a], at).applied == 1
    ended = store.get_run(run.id)
    assert ended is not None and ended.ended_at == at
    return ended


def park(store: Store, run: Run, status: str, at: float, *, send: str | None = None) -> Run:
    """Move ``run`` to a live or paused state with a step (and a pending message ``send``)."""
    a = advance(run, status=status, wake_at=at + DAY, steps=[step(run, at=at)])
    a.messages = [] if send is None else [message(run, send, due_at=at + DAY)]
    assert store.commit_advances("w", [a], at).applied == 1
    parked = store.get_run(run.id)
    assert parked is not None
    return parked


def test_only_finished_runs_that_ended_before_the_cutoff_are_prunable(store: Store) -> None:
    add_contacts(store, "a", "b", "c", "d", "e", "f", "g")
    old_done = finish(store, enroll_one(store, "a"), T0 + DAY, send="m-a")
    old_failed = finish(store, enroll_one(store, "b"), T0 + DAY, "failed")
    old_exited = finish(store, enroll_one(store, "c"), T0 + 2 * DAY, "exited")
    old_cancelled = finish(store, enroll_one(store, "d"), T0 + 3 * DAY, "cancelled")
    finish(store, enroll_one(store, "e"), CUTOFF)  # not strictly before the cutoff
    park(store, enroll_one(store, "f"), "waiting", T0 + DAY)
    park(store, enroll_one(store, "g"), "paused", T0 + DAY)
    enroll_one(store, "g", key="other")  # active, never ended

    found = store.prunable_runs(CUTOFF)
    assert [h.run.id for h in found] == [
        old_done.id,
        old_failed.id,
        old_exited.id,
        old_cancelled.id,
    ]
    first = found[0]
    assert first.run == old_done
    assert first.steps == store.run_steps(old_done.id) and len(first.steps) == 1
    assert first.messages == store.messages_of_run(old_done.id)
    assert [m.idempotency_key for m in first.messages] == ["m-a"]
    assert found[1].messages == []


def test_prunable_runs_pages_by_id(store: Store) -> None:
    add_contacts(store, "a", "b", "c")
    ids = [finish(store, enroll_one(store, c), T0 + DAY).id for c in ("a", "b", "c")]
    assert [h.run.id for h in store.prunable_runs(CUTOFF, 0, 2)] == ids[:2]
    assert [h.run.id for h in store.prunable_runs(CUTOFF, ids[1], 2)] == ids[2:]
    assert store.prunable_runs(CUTOFF, ids[2], 2) == []
    assert store.prunable_runs(T0 + DAY) == []  # ended_at must be < before


def test_a_finished_run_with_a_queued_message_is_not_prunable(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    a = advance(run, status="completed", node="last", wake_at=None)
    a.messages = [message(run, "last-words", due_at=T0 + DAY)]
    store.commit_advances("w", [a], T0 + DAY)
    assert store.prunable_runs(CUTOFF) == []
    assert store.delete_runs_history({run.id: run.seq + 1}, CUTOFF) == []
    [claimed] = store.claim_messages("d", T0 + DAY, 10, 60)  # sending: still not prunable
    assert store.prunable_runs(CUTOFF) == []
    store.update_messages(
        "d", [MessageUpdate(claimed.message.id or 0, "sent", sent_at=T0 + DAY)], [], T0 + DAY
    )
    assert [h.run.id for h in store.prunable_runs(CUTOFF)] == [run.id]


def test_delete_removes_the_run_its_steps_and_messages_and_nothing_else(store: Store) -> None:
    add_contacts(store, "a", "b")
    done = finish(store, enroll_one(store, "a"), T0 + DAY, send="m-done")
    live = park(store, enroll_one(store, "b"), "waiting", T0 + DAY, send="m-live")
    before_steps = store.all_steps()
    [history] = store.prunable_runs(CUTOFF)

    assert store.delete_runs_history({done.id: history.run.seq}, CUTOFF) == [done.id]

    assert store.get_run(done.id) is None
    assert store.run_steps(done.id) == [] and store.messages_of_run(done.id) == []
    assert store.find_message("m-done") is None
    assert store.get_run(live.id) == live
    assert [m.idempotency_key for m in store.messages_of_run(live.id)] == ["m-live"]
    assert store.all_steps() == [s for s in before_steps if s.run_id == live.id]
    assert store.count_runs() == {"waiting": 1}
    assert store.prunable_runs(CUTOFF) == []
    # the live run's message is still queued and claimable; new ids are never reused
    assert [c.message.idempotency_key for c in store.claim_messages("d", T0 + 2 * DAY, 9, 60)] == [
        "m-live"
    ]
    assert enroll_one(store, "a", now=T0 + 6 * DAY).id > done.id


def test_delete_guard_keeps_runs_changed_since_they_were_read(store: Store) -> None:
    add_contacts(store, "a", "b", "c")
    resumed = finish(store, enroll_one(store, "a"), T0 + DAY)
    ended_again = finish(store, enroll_one(store, "b"), T0 + DAY)
    untouched = finish(store, enroll_one(store, "c"), T0 + DAY)
    seqs = {h.run.id: h.run.seq for h in store.prunable_runs(CUTOFF)}
    assert set(seqs) == {resumed.id, ended_again.id, untouched.id}
    # meanwhile: one run is brought back to life, another changes and ends again (new seq)
    store.commit_advances("w", [advance(resumed, status="active", wake_at=T0 + 2 * DAY)], T0 + 2)
    store.commit_advances(
        "w", [advance(ended_again, status="exited", wake_at=None, ended_at=T0 + DAY)], T0 + 2
    )

    assert store.delete_runs_history({**seqs, 999_999: 0}, CUTOFF) == [untouched.id]
    assert store.get_run(resumed.id) is not None and store.run_steps(resumed.id) != []
    assert store.get_run(ended_again.id) is not None
    # a cutoff earlier than the run's end protects it too
    again = {h.run.id: h.run.seq for h in store.prunable_runs(CUTOFF)}
    assert set(again) == {ended_again.id}
    assert store.delete_runs_history(again, T0 + DAY) == []
    assert store.delete_runs_history(again, CUTOFF) == [ended_again.id]
    assert store.delete_runs_history({}, CUTOFF) == []


def test_pruning_keeps_the_outbox_and_the_step_log_usable(store: Store) -> None:
    """A message made final by a fact while it was queued, then pruned, never trips a later
    claim or due-time read; step paging reads on past the gaps pruning left."""
    add_contacts(store, "a", "b")
    run = enroll_one(store, "a")
    a = advance(run, status="completed", node="last", wake_at=None, steps=[step(run)])
    a.messages = [message(run, "gone", due_at=T0 + DAY)]
    store.commit_advances("w", [a], T0 + 1)
    [queued] = store.messages_of_run(run.id)
    store.apply_message_facts([MessageFacts(queued.id or 0, status="failed")], T0 + 2)
    other = enroll_one(store, "b")
    for n in range(3):
        other = park(store, other, "waiting", T0 + 10 * DAY + n)
    seqs = {h.run.id: h.run.seq for h in store.prunable_runs(CUTOFF)}
    assert store.delete_runs_history(seqs, CUTOFF) == [run.id]

    assert store.claim_messages("d", T0 + 30 * DAY, 10, 60) == []
    assert store.next_due_at() == T0 + 11 * DAY + 2  # the waiting run's wake_at
    kept = store.all_steps()
    assert [s.run_id for s in kept] == [other.id] * 3
    assert store.all_steps(limit=2) == kept[:2]
    assert store.all_steps(limit=2, since_id=kept[1].id or 0) == kept[2:]


def test_only_processed_events_older_than_the_cutoff_are_prunable(store: Store) -> None:
    add_contacts(store, "a")
    old_done = NewEvent("note", "a", {"n": 1}, "old-done", T0, processed=True)
    late_done = NewEvent("note", "a", {"n": 2}, "late-done", T0 + DAY, processed=True)
    future = NewEvent("note", "a", {"n": 3}, "future", CUTOFF + DAY, processed=True)
    ids = store.append_events([old_done, late_done, future], T0 + DAY)
    [pending] = store.append_events([event("sms.received", "a", "pending")], T0)
    recent_ids = store.append_events(
        [NewEvent("note", "a", {}, "recent", T0, processed=True)], CUTOFF
    )

    found = store.prunable_events(CUTOFF)
    assert [e.id for e in found] == ids[:2]
    assert found[0].data == {"n": 1} and found[0].processed_at == T0 + DAY
    assert [e.id for e in store.prunable_events(CUTOFF, after_id=ids[0] or 0, limit=5)] == ids[1:2]
    assert [e.id for e in store.prunable_events(CUTOFF, limit=1)] == ids[:1]

    asked = [*ids, pending or 0, *(i or 0 for i in recent_ids), 999_999]
    assert store.delete_events(asked, CUTOFF) == ids[:2]
    left = {e.dedupe_key for e in store.list_events()}
    assert left == {"future", "pending", "recent"}
    assert store.pending_events_count() == 1
    assert store.prunable_events(CUTOFF) == []
    assert store.delete_events([], CUTOFF) == []
    # a pruned event's dedupe key is free again
    assert store.append_events([NewEvent("note", "a", {}, "old-done", T0 + 9 * DAY)], T0)[0]


# ---------------------------------------------------------------------- re-entry after a prune
def prune(store: Store, cutoff: float = CUTOFF) -> list[int]:
    """Delete every run that is prunable at ``cutoff`` (as ``leadflow db prune`` does)."""
    seqs = {h.run.id: h.run.seq for h in store.prunable_runs(cutoff)}
    assert seqs, "nothing to prune"
    return store.delete_runs_history(seqs, cutoff)


def enrolled(
    store: Store, how: str, policy: str, now: float, days: int | None = None, key: str = "wf"
) -> list[str]:
    """Enroll every contact in ``key`` (one ``enroll`` call, or ``enroll_all``); the contacts
    that got a new run."""
    before = {r.id for r in store.list_runs(RunFilter())}
    if how == "enroll":
        requests = [
            EnrollRequest(key, 1, c.id, "start", {}, policy, days) for c in store.list_contacts()
        ]
        out = store.enroll(requests, now)
    else:
        out = store.enroll_all(key, 1, "start", now, policy, days)
    new = sorted(r.contact_id for r in store.list_runs(RunFilter()) if r.id not in before)
    assert out.created == len(new)
    assert out.skipped == store.count_contacts() - len(new)
    return new


HOW = pytest.mark.parametrize("how", ["enroll", "enroll_all"])


@HOW
def test_a_pruned_run_still_keeps_its_contact_out_of_a_never_workflow(
    store: Store, how: str
) -> None:
    add_contacts(store, "a", "b", "c")
    pruned = finish(store, enroll_one(store, "a"), T0 + DAY, send="welcome-a")
    other = finish(store, enroll_one(store, "b", key="other"), T0 + DAY)  # another workflow
    assert prune(store) == [pruned.id, other.id]
    assert store.list_runs(RunFilter()) == []

    # a had the welcome already: only b (other workflow) and c (never enrolled) get it
    assert enrolled(store, how, "never", CUTOFF + DAY) == ["b", "c"]
    assert enrolled(store, how, "never", CUTOFF + 400 * DAY) == []  # and it stays that way
    assert [r.contact_id for r in store.list_runs(RunFilter(workflow_key="wf"))] == ["b", "c"]
    # the other workflow's mark is its own: a was never in it, b was
    assert enrolled(store, how, "never", CUTOFF + DAY, key="other") == ["a", "c"]


@HOW
def test_after_n_days_counts_from_the_latest_pruned_run(store: Store, how: str) -> None:
    add_contacts(store, "a", "b")
    finish(store, enroll_one(store, "a", now=T0), T0 + DAY)
    finish(store, enroll_one(store, "a", now=T0 + 2 * DAY), T0 + 3 * DAY)  # the latest
    prune(store)
    window_end = T0 + 2 * DAY + 30 * DAY  # 30 days from the latest pruned run's creation

    assert enrolled(store, how, "after", window_end - 60, days=30) == ["b"]
    assert enrolled(store, how, "after", window_end + 60, days=30) == ["a"]


@HOW
def test_always_lets_a_pruned_contact_in_again(store: Store, how: str) -> None:
    add_contacts(store, "a", "b")
    finish(store, enroll_one(store, "a"), T0 + DAY)
    prune(store)
    assert enrolled(store, how, "always", CUTOFF + 1) == ["a", "b"]


@HOW
def test_marks_add_up_over_several_prunes(store: Store, how: str) -> None:
    """A run pruned later, but created earlier (an enrollment stamped with an earlier time),
    does not move the `after` window back; the first prune's mark still holds `never`."""
    add_contacts(store, "a")
    late = enroll_one(store, "a", now=T0 + 2 * DAY)
    finish(store, late, T0 + 3 * DAY)
    prune(store)  # the mark: created T0 + 2 days
    early = enroll_one(store, "a", now=T0)
    finish(store, early, T0 + 10 * DAY)
    assert prune(store, T0 + 20 * DAY) == [early.id]

    assert enrolled(store, how, "never", T0 + 400 * DAY) == []
    assert enrolled(store, how, "after", T0 + 31 * DAY, days=30) == []  # from T0 + 2 days
    assert enrolled(store, how, "after", T0 + 33 * DAY, days=30) == ["a"]


def test_a_batch_sees_the_pruned_runs_of_each_pair(store: Store) -> None:
    """One ``enroll`` call of several contacts and workflow keys: each (contact, key) pair is
    judged by its own marks."""
    add_contacts(store, "a", "b")
    finish(store, enroll_one(store, "a", key="k1"), T0 + DAY)
    finish(store, enroll_one(store, "b", key="k2"), T0 + DAY)
    prune(store)
    pairs = [(c, k) for c in ("a", "b") for k in ("k1", "k2")]
    out = store.enroll([EnrollRequest(k, 1, c, "start", {}, "never") for c, k in pairs], CUTOFF)
    assert (out.created, out.skipped) == (2, 2)
    runs = store.list_runs(RunFilter())
    assert sorted((r.contact_id, r.workflow_key) for r in runs) == [("a", "k2"), ("b", "k1")]


# ---------------------------------------------------------------------------- ids after a prune
def test_ids_of_pruned_rows_are_never_handed_out_again(store: Store) -> None:
    """The newest run, step, message and event are pruned: the next ones get new ids, so a
    late delivery receipt for the pruned message cannot land on a new message."""
    add_contacts(store, "a", "b")
    old = finish(store, enroll_one(store, "a"), T0 + DAY, send="pruned-msg")
    [old_msg] = store.messages_of_run(old.id)
    [old_step] = store.run_steps(old.id)
    [old_event] = store.append_events([NewEvent("note", "a", {}, "old", T0, processed=True)], T0)
    assert prune(store) == [old.id]
    assert store.delete_events([old_event or 0], CUTOFF) == [old_event]

    new = enroll_one(store, "b", now=CUTOFF)
    a = advance(new, steps=[step(new, at=CUTOFF)])
    a.messages = [message(new, "new-msg", status="sent", sent_at=CUTOFF)]
    store.commit_advances("w", [a], CUTOFF)
    [new_msg] = store.messages_of_run(new.id)
    [new_step] = store.run_steps(new.id)
    [new_event] = store.append_events([event("note", "b", "new")], CUTOFF)
    assert new.id > old.id
    assert (new_msg.id or 0) > (old_msg.id or 0)
    assert (new_step.id or 0) > (old_step.id or 0)
    assert (new_event or 0) > (old_event or 0)

    # the provider reports the pruned message delivered, days late: nothing changes
    store.apply_message_facts([MessageFacts(old_msg.id or 0, "delivered", CUTOFF + 1)], CUTOFF)
    assert store.get_message(new_msg.id or 0) == new_msg
    assert store.get_message(old_msg.id or 0) is None
