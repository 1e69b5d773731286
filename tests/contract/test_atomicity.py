"""No half writes: a method that raises has changed nothing."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.errors import LeadflowError, StoreError
from leadflow.model.records import (
    Advance,
    ContactPatch,
    EnrollRequest,
    MessageFacts,
    MessageFilter,
    MessageUpdate,
    RunFilter,
)
from leadflow.store import Store
from support.records import T0, add_contacts, advance, enroll_one, event, message, step


def snapshot(store: Store) -> dict[str, Any]:
    """Everything observable, to compare before and after a failed call."""
    return {
        "contacts": store.list_contacts(),
        "runs": store.list_runs(RunFilter()),
        "steps": store.all_steps(),
        "messages": store.list_messages(MessageFilter()),
        "events": store.list_events(),
        "pending": store.pending_events_count(),
        "next": store.next_due_at(),
    }


def _batch(store: Store) -> tuple[Advance, Advance]:
    add_contacts(store, "a", "b")
    ra, rb = enroll_one(store, "a"), enroll_one(store, "b")
    good = advance(
        ra,
        node="n",
        steps=[step(ra)],
        messages=[message(ra, "good")],
        contact_patches=[ContactPatch("a", set={"stage": "x"}, add_tags=["t"])],
        enrollments=[EnrollRequest("child", 1, "a", "s")],
        events=[event("e", "a", "good-ev")],
    )
    return good, advance(rb, steps=[step(rb)])


@pytest.mark.parametrize(
    "spoil",
    [
        "message_without_channel",
        "payload_not_json",
        "context_not_json",
        "bad_run_status",
        "bad_message_status",
        "step_without_outcome",
        "patch_not_json",
        "enrollment_context_not_json",
        "event_data_not_json",
        "bad_reentry",
    ],
)
def test_failing_commit_writes_nothing(store: Store, spoil: str) -> None:
    good, bad = _batch(store)
    rb = store.get_run(bad.run_id)
    assert rb is not None
    if spoil == "message_without_channel":
        m = message(rb, "bad")
        m.channel = None  # type: ignore[assignment]
        bad.messages.append(m)
    elif spoil == "payload_not_json":
        bad.messages.append(message(rb, "bad", payload={"x": object()}))
    elif spoil == "context_not_json":
        bad.context = {"s": {1, 2}}
    elif spoil == "bad_run_status":
        bad.status = "sleeping"
    elif spoil == "bad_message_status":
        bad.messages.append(message(rb, "bad", status="lost"))
    elif spoil == "step_without_outcome":
        bad.steps.append(step(rb, outcome=None))
    elif spoil == "patch_not_json":
        bad.contact_patches.append(ContactPatch("b", set={"when": object()}))
    elif spoil == "enrollment_context_not_json":
        bad.enrollments.append(EnrollRequest("child", 1, "b", "s", {"x": object()}))
    elif spoil == "event_data_not_json":
        bad.events.append(event("e", "b", "bad-ev", blob=object()))
    elif spoil == "bad_reentry":
        bad.enrollments.append(EnrollRequest("child", 1, "b", "s", reentry="sometimes"))
    before = snapshot(store)
    with pytest.raises(LeadflowError):
        store.commit_advances("w", [good, bad], T0 + 1)
    assert snapshot(store) == before
    # the same batch without the spoiled advance goes through
    res = store.commit_advances("w", [good], T0 + 1)
    assert res.applied == 1


def test_failing_complete_events_writes_nothing(store: Store) -> None:
    good, _ = _batch(store)
    store.append_events([event("t", "a", "e1")], T0)
    claimed = store.claim_events("w", T0, 10, 60)
    before = snapshot(store)
    with pytest.raises(StoreError):
        store.complete_events(
            "w",
            [e.id for e in claimed],
            [good],
            [EnrollRequest("x", 1, "b", "s")],
            [MessageFacts(1, status="exploded")],
            T0 + 1,
        )
    assert snapshot(store) == before
    assert store.pending_events_count() == 1


def test_failing_enroll_and_patch_and_events_write_nothing(store: Store) -> None:
    add_contacts(store, "a", "b")
    before = snapshot(store)
    with pytest.raises(StoreError):
        store.enroll(
            [EnrollRequest("wf", 1, "a", "s"), EnrollRequest("wf", 1, "b", "s", {"x": object()})],
            T0,
        )
    with pytest.raises(StoreError):
        store.apply_contact_patches(
            [ContactPatch("a", set={"stage": "ok"}), ContactPatch("b", set={"x": object()})], T0
        )
    with pytest.raises(StoreError):
        store.append_events([event("t", "a", "k1"), event("t", "a", "k2", x=object())], T0)
    assert snapshot(store) == before


def test_failing_update_messages_writes_nothing(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    store.commit_advances("w", [advance(run, messages=[message(run, "m1")])], T0)
    [claimed] = store.claim_messages("d", T0, 10, 60)
    mid = claimed.message.id
    assert mid is not None
    before = snapshot(store)
    with pytest.raises(StoreError):
        store.update_messages(
            "d", [MessageUpdate(mid, "sent", sent_at=T0)], [event("t", "a", "k", x=object())], T0
        )
    with pytest.raises(StoreError):
        store.update_messages("d", [MessageUpdate(mid, "teleported")], [], T0)
    with pytest.raises(StoreError):
        store.apply_message_facts(
            [MessageFacts(mid, status="delivered"), MessageFacts(mid, status="nope")], T0
        )
    assert snapshot(store) == before


def test_caller_records_get_ids_only_when_committed(store: Store) -> None:
    good, bad = _batch(store)
    bad.context = {"s": {1}}
    with pytest.raises(StoreError):
        store.commit_advances("w", [good, bad], T0)
    assert good.steps[0].id is None and good.messages[0].id is None
    store.commit_advances("w", [good], T0)
    assert good.steps[0].id is not None and good.messages[0].id is not None
