"""Messages queued on their own (``Store.queue_messages``: compliance answers that belong to no
run), and the outbox held back while a consent change of the contact is unprocessed."""

from __future__ import annotations

import pytest

from leadflow.errors import InvalidInput
from leadflow.model.records import Message, MessageFilter, MessageUpdate
from leadflow.store import Store
from support.records import DAY, T0, add_contacts, advance, enroll_one, event, message


def answer(key: str, contact_id: str = "a", *, due_at: float = T0) -> Message:
    return message(
        None,
        key,
        contact_id=contact_id,
        node=None,
        due_at=due_at,
        payload={"compliance": "help"},
        body="Acme: for help, reply to this number.",
    )


def test_queued_messages_get_ids_and_are_stored_as_given(store: Store) -> None:
    add_contacts(store, "a", "b")
    first, second = answer("help:1"), answer("help:2", "b", due_at=T0 + 5)
    ids = store.queue_messages([first, second], T0)
    assert ids == [first.id, second.id] and None not in ids
    assert ids[0] != ids[1]
    found = store.find_message("help:1")
    assert found is not None and found.id == first.id
    assert (found.run_id, found.contact_id, found.workflow_key, found.node) == (
        None,
        "a",
        None,
        None,
    )
    assert (found.status, found.due_at, found.payload) == ("pending", T0, {"compliance": "help"})
    assert found.body == "Acme: for help, reply to this number."
    assert [m.idempotency_key for m in store.list_messages(MessageFilter(contact_id="b"))] == [
        "help:2"
    ]


def test_a_key_already_taken_is_one_message(store: Store) -> None:
    add_contacts(store, "a")
    assert store.queue_messages([answer("k1")], T0)[0] is not None
    again = answer("k1")
    twice = answer("k2")
    out = store.queue_messages([again, twice, answer("k2")], T0 + 1)
    assert out[0] is None and again.id is None  # an earlier call took it
    assert out[1] == twice.id and out[1] is not None
    assert out[2] is None  # the same key earlier in the same call
    assert len(store.list_messages(MessageFilter(contact_id="a"))) == 2
    assert store.queue_messages([], T0) == []


def test_a_key_a_run_took_is_taken_too(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    store.commit_advances("w", [advance(run, messages=[message(run, "shared")])], T0)
    assert store.queue_messages([answer("shared")], T0) == [None]
    found = store.find_message("shared")
    assert found is not None and found.run_id == run.id


def test_a_message_of_a_run_is_refused_and_nothing_is_queued(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    with pytest.raises(InvalidInput, match="run_id"):
        store.queue_messages([answer("ok"), message(run, "of-a-run")], T0)
    assert store.find_message("ok") is None and store.find_message("of-a-run") is None


def test_queued_messages_are_claimed_and_wake_a_waiting_worker(store: Store) -> None:
    add_contacts(store, "a")
    store.wait_for_work(0)  # nothing new yet (and PostgreSQL listens from here on)
    store.queue_messages([answer("wake")], T0)
    assert store.wait_for_work(2) is True
    [claimed] = store.claim_messages("d", T0, 10, 60)
    assert claimed.message.idempotency_key == "wake"
    assert claimed.contact is not None and claimed.contact.id == "a"
    assert claimed.run_status is None


def test_runless_sends_are_not_counted_against_the_budget(store: Store) -> None:
    add_contacts(store, "a")
    run = enroll_one(store, "a")
    drip = message(run, "drip")
    store.commit_advances("w", [advance(run, messages=[drip])], T0)
    helped = answer("help")
    store.queue_messages([helped], T0)
    store.claim_messages("d", T0, 10, 60)
    assert drip.id is not None and helped.id is not None
    store.update_messages(
        "d",
        [
            MessageUpdate(drip.id, "sent", sent_at=T0),
            MessageUpdate(helped.id, "delivered", sent_at=T0),
        ],
        [],
        T0,
    )
    assert store.sent_counts_since(["a"], T0 - DAY) == {"a": 1}
    assert store.sent_count_since("a", T0 - DAY, ["sms"]) == 1


@pytest.mark.parametrize("etype", ["sms.opted_out", "email.unsubscribed", "email.spam_reported"])
def test_an_unprocessed_consent_event_holds_the_outbox_back(store: Store, etype: str) -> None:
    add_contacts(store, "a", "b")
    store.queue_messages([answer("to-a"), answer("to-b", "b")], T0)
    store.append_events([event(etype, "a", "consent-1", source="provider")], T0)
    claimed = store.claim_messages("d", T0, 10, 60)
    assert [c.message.idempotency_key for c in claimed] == ["to-b"]
    # one claimed before the event came in is not renewed for its send either
    [to_b] = claimed
    assert to_b.message.id is not None
    store.append_events([event(etype, "b", "consent-2")], T0)
    assert store.renew_messages("d", [to_b.message.id], T0, 60) == set()
    # it is no reply: stop-on-reply and the last reply know nothing of it
    assert store.last_reply_at(["a", "b"]) == {}
    # processed, the outbox moves again
    events = store.claim_events("w", T0, 10, 60)
    store.complete_events("w", [e.id for e in events], [], [], [], T0 + 1)
    keys = [c.message.idempotency_key for c in store.claim_messages("d", T0 + 100, 10, 60)]
    assert sorted(keys) == ["to-a", "to-b"]
