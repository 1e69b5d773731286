"""Quarantined and partly ignored events: ``fail_events`` sets an event aside with its reason
(processed, fenced by the lease, holding nothing back), ``note_events`` records what of its data
was ignored, ``list_events(status=...)`` and ``failed_events_count`` find them."""

from __future__ import annotations

from leadflow.store import Store
from support.records import T0, add_contacts, event


def test_a_failed_event_is_set_aside_with_its_reason_and_found_by_status(store: Store) -> None:
    add_contacts(store, "a", "b")
    ids = store.append_events(
        [event("form.submitted", "a", "k1"), event("sms.received", "a", "k2", body="hi")], T0
    )
    e1, e2 = (i for i in ids if i is not None)
    assert [e.id for e in store.claim_events("w1", T0, 10, 60)] == [e1, e2]
    assert store.fail_events("someone-else", {e2: "not theirs"}, T0) == []  # fenced
    assert store.fail_events("w1", {e2: "data.message_id: must be an integer id"}, T0 + 1) == [e2]
    assert store.fail_events("w1", {e2: "again"}, T0 + 2) == []  # already set aside
    (failed,) = store.list_events(status="failed")
    assert (failed.id, failed.status, failed.processed_at) == (e2, "failed", T0 + 1)
    assert failed.error == "data.message_id: must be an integer id"
    assert store.failed_events_count() == 1
    assert [e.id for e in store.list_events(status="pending")] == [e1]
    assert store.pending_events_count() == 1
    # the set-aside event is never claimed again (the other one is, once its lease expired)
    assert [e.id for e in store.claim_events("w2", T0 + 100, 10, 60)] == [e1]
    store.complete_events("w2", [e1], [], [], [], T0 + 100)
    assert [e.id for e in store.list_events(status="processed")] == [e1]
    assert store.list_events(status="pending") == []


def test_notes_say_what_was_ignored(store: Store) -> None:
    add_contacts(store, "a")
    (eid,) = store.append_events([event("email.opened", "a", "k1", message_id=7)], T0)
    assert eid is not None
    store.note_events({eid: "data.message_id: 7 is not a message to this contact"})
    (shown,) = store.list_events()
    assert shown.ignored == "data.message_id: 7 is not a message to this contact"
    assert (shown.error, shown.status) == (None, "pending")
    store.note_events({eid: "x" * 5000})
    (shown,) = store.list_events()
    assert shown.ignored is not None and len(shown.ignored) == 2000


def test_annotations_merge_into_the_event_data_and_survive_a_new_claim(store: Store) -> None:
    add_contacts(store, "a")
    ids = store.append_events(
        [event("sms.received", "a", "k1", body="who is this?"), event("sms.received", "a", "k2")],
        T0,
    )
    e1, e2 = (i for i in ids if i is not None)
    reading = {"intent": "question", "intent_confidence": 0.875, "intent_source": "model"}
    store.annotate_events({e1: reading, 987654: {"intent": "lost"}})  # an unknown id: nothing
    store.annotate_events({e1: reading})  # the same again changes nothing
    claimed = {e.id: e.data for e in store.claim_events("w1", T0, 10, 60)}
    assert claimed[e1] == {"body": "who is this?", **reading}
    assert claimed[e2] == {}
    store.annotate_events({})
    assert {e.id: e.data for e in store.list_events()}[e1] == claimed[e1]
