"""Webhook secrets, subscriptions, deliveries and the replay guard in every backend."""

from __future__ import annotations

import pytest

from leadflow.errors import StoreError
from leadflow.model.records import NewEvent
from leadflow.model.webhooks import NewDelivery, WebhookSubscription
from leadflow.store import Store
from support.records import T0


def _sub(sid: str, tenant: str = "acme", types: list[str] | None = None) -> WebhookSubscription:
    return WebhookSubscription(sid, tenant, "https://example.com/h", types or ["*"], "s3cret")


def test_inbound_secret_set_and_rotated(store: Store) -> None:
    assert store.get_inbound_secret("acme") is None
    store.set_inbound_secret("acme", "one", T0)
    store.set_inbound_secret("acme", "two", T0 + 1)
    assert store.get_inbound_secret("acme") == "two"
    assert store.get_inbound_secret("zeta") is None


def test_subscriptions_belong_to_one_tenant(store: Store) -> None:
    store.create_subscription(_sub("wh_b", types=["lead.created"]), T0)
    store.create_subscription(_sub("wh_a"), T0 + 1)
    store.create_subscription(_sub("wh_z", tenant="zeta"), T0)
    with pytest.raises(StoreError):
        store.create_subscription(_sub("wh_a"), T0)
    assert [s.id for s in store.list_subscriptions("acme")] == ["wh_a", "wh_b"]
    got = store.get_subscription("acme", "wh_b")
    assert got is not None
    assert got.event_types == ["lead.created"] and got.active and got.created_at == T0
    assert store.get_subscription("acme", "wh_z") is None
    assert store.get_subscription("zeta", "wh_z") is not None

    got.active = False
    got.description = "paused"
    assert store.update_subscription(got)
    assert [s.id for s in store.list_subscriptions("acme", active_only=True)] == ["wh_a"]
    assert store.get_subscription("acme", "wh_b") == got
    assert not store.update_subscription(_sub("wh_z"))  # zeta's id, acme's tenant
    assert not store.delete_subscription("acme", "wh_z")
    assert store.delete_subscription("acme", "wh_b")
    assert store.get_subscription("acme", "wh_b") is None


def test_subscribed_tenants_are_those_with_an_active_subscription(store: Store) -> None:
    assert store.subscribed_tenants() == set()
    store.create_subscription(_sub("wh_a"), T0)
    store.create_subscription(_sub("wh_b"), T0)
    store.create_subscription(_sub("wh_z", tenant="zeta"), T0)
    assert store.subscribed_tenants() == {"acme", "zeta"}
    paused = store.get_subscription("zeta", "wh_z")
    assert paused is not None
    paused.active = False
    assert store.update_subscription(paused)
    assert store.subscribed_tenants() == {"acme"}
    assert store.delete_subscription("acme", "wh_a")
    assert store.subscribed_tenants() == {"acme"}  # wh_b is still active
    assert store.delete_subscription("acme", "wh_b")
    assert store.subscribed_tenants() == set()


def test_deliveries_are_enqueued_once_per_subscription_and_event(store: Store) -> None:
    store.create_subscription(_sub("wh_a"), T0)
    items = [NewDelivery("wh_a", "acme", 7, "lead.created", {"id": 7})]
    assert store.enqueue_deliveries(items, T0) == 1
    assert store.enqueue_deliveries(items, T0 + 5) == 0
    assert store.enqueue_deliveries([], T0) == 0
    (d,) = store.list_deliveries("acme", "wh_a")
    assert (d.event_id, d.status, d.attempts, d.payload) == (7, "pending", 0, {"id": 7})
    assert d.next_attempt_at == T0
    assert store.list_deliveries("zeta", "wh_a") == []


def test_claim_lease_and_finish(store: Store) -> None:
    store.create_subscription(_sub("wh_a"), T0)
    store.enqueue_deliveries([NewDelivery("wh_a", "acme", i, "lead.created") for i in (1, 2)], T0)
    assert store.claim_deliveries("w1", T0 - 1, 10, 60) == []  # not due yet
    first = store.claim_deliveries("w1", T0, 1, 60)
    assert [d.event_id for d in first] == [1]
    assert [d.event_id for d in store.claim_deliveries("w2", T0, 10, 60)] == [2]
    assert store.claim_deliveries("w3", T0 + 10, 10, 60) == []  # leases still live
    did = first[0].id
    assert not store.finish_delivery("w2", did, "delivered", 1, T0, 200, None, T0 + 1)
    assert store.finish_delivery("w1", did, "pending", 1, T0 + 30, 500, "HTTP 500", T0 + 1)
    assert store.claim_deliveries("w1", T0 + 29, 10, 60) == []
    again = store.claim_deliveries("w1", T0 + 30, 10, 60)
    assert [d.id for d in again] == [did] and again[0].attempts == 1
    assert store.finish_delivery("w1", did, "delivered", 2, T0 + 30, 204, None, T0 + 31)
    # the other lease expired: claimable again by anyone
    assert [d.event_id for d in store.claim_deliveries("w3", T0 + 61, 10, 60)] == [2]
    log = {d.id: d for d in store.list_deliveries("acme", "wh_a")}
    assert log[did].status == "delivered" and log[did].delivered_at == T0 + 31
    assert (log[did].last_status, log[did].last_error, log[did].lease_owner) == (204, None, None)
    assert [d.id for d in store.list_deliveries("acme", "wh_a", limit=1, after_id=did)] != [did]


def test_deleting_a_subscription_drops_its_log(store: Store) -> None:
    store.create_subscription(_sub("wh_a"), T0)
    store.enqueue_deliveries([NewDelivery("wh_a", "acme", 1, "x")], T0)
    assert store.delete_subscription("acme", "wh_a")
    assert store.list_deliveries("acme", "wh_a") == []
    assert store.claim_deliveries("w", T0, 10, 60) == []


def test_replay_guard(store: Store) -> None:
    assert store.remember_signature("d1", T0, 600)
    assert not store.remember_signature("d1", T0 + 10, 600)
    assert store.remember_signature("d2", T0 + 10, 600)
    # past the keep window the old digest is forgotten
    assert store.remember_signature("d1", T0 + 700, 600)


def test_a_forgotten_signature_is_taken_again(store: Store) -> None:
    assert store.remember_signature("d1", T0, 600)
    assert store.remember_signature("d2", T0, 600)
    store.forget_signature("d1")
    store.forget_signature("never-seen")  # nothing to forget: no error
    assert store.remember_signature("d1", T0 + 1, 600)
    assert not store.remember_signature("d2", T0 + 1, 600)  # only the one forgotten


def test_event_marks_are_the_ids_and_times_of_the_events(store: Store) -> None:
    """What a store gives the outbound fan-out instead of the events when nobody is
    subscribed: the same ids and creation times as ``list_events``, in id order."""
    marks = store.event_marks
    events = [NewEvent("lead.created", None, {"i": i}, f"k{i}", T0 + i) for i in range(5)]
    for i, event in enumerate(events):
        store.append_events([event], T0 + 10 * i)
    listed = [(e.id, e.created_at) for e in store.list_events(limit=100)]
    assert marks(0, 100) == listed and len(listed) == 5
    assert marks(listed[1][0], 2) == listed[2:4]
    assert marks(listed[-1][0], 100) == []
    assert marks(0, 0) == []


def test_event_marks_skip_pruned_events(store: Store) -> None:
    """Events deleted by pruning leave gaps in the ids; the marks step over them."""
    new = [NewEvent("lead.created", None, {"i": i}, f"p{i}", T0, processed=True) for i in range(6)]
    ids = [i for i in store.append_events(new, T0) if i is not None]
    assert store.delete_events(ids[:4], T0 + 100) == ids[:4]
    assert store.event_marks(0, 100) == [(ids[4], T0), (ids[5], T0)]
    assert store.event_marks(0, 1) == [(ids[4], T0)]
    assert store.event_marks(ids[4], 100) == [(ids[5], T0)]
