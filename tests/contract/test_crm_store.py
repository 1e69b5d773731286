"""CRM connectors in every backend: the config per tenant and CRM, the delivery log keyed by
idempotency key (the second begin returns the first), links and the sync state and log -- and
nothing of one tenant seen from another."""

from __future__ import annotations

import pytest

from leadflow.model.crm import (
    CrmConnector,
    CrmOutcome,
    CrmSyncEntry,
    CrmSyncUpdate,
    NewCrmDelivery,
)
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from support.records import T0


@pytest.fixture
def tenants(store: Store) -> Store:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    return store


def test_connector_put_get_replace_delete(tenants: Store) -> None:
    store = tenants
    assert store.get_crm_connector("acme", "ghl") is None
    made = store.put_crm_connector(CrmConnector("acme", "ghl", {"api_key": "k1"}), T0)
    assert (made.config, made.created_at, made.updated_at) == ({"api_key": "k1"}, T0, T0)
    store.put_crm_connector(CrmConnector("acme", "ghl", {"api_key": "k2"}), T0 + 5)
    found = store.get_crm_connector("acme", "ghl")
    assert found is not None
    assert (found.config, found.created_at, found.updated_at) == ({"api_key": "k2"}, T0, T0 + 5)
    assert store.get_crm_connector("zeta", "ghl") is None
    assert store.delete_crm_connector("zeta", "ghl") is False
    assert store.delete_crm_connector("acme", "ghl") is True
    assert store.get_crm_connector("acme", "ghl") is None


def test_a_delivery_is_begun_once_per_key_and_finished(tenants: Store) -> None:
    store = tenants
    item = NewCrmDelivery("acme", "ghl", "add_note", "k-1", "c1", {"body": "hi"})
    first, created = store.begin_crm_delivery(item, T0)
    assert created and first.status == "pending" and first.request == {"body": "hi"}
    again, created_again = store.begin_crm_delivery(item, T0 + 1)
    assert not created_again and again.id == first.id and again.created_at == T0
    other, made_other = store.begin_crm_delivery(
        NewCrmDelivery("zeta", "ghl", "add_note", "k-1", "c9"), T0
    )
    assert made_other and other.id != first.id
    calls = [{"method": "POST", "status": 429}, {"method": "POST", "status": 201}]
    store.finish_crm_delivery(
        "acme", first.id, CrmOutcome("done", 2, 201, "n1", None, calls), T0 + 3
    )
    # another tenant's id changes nothing
    store.finish_crm_delivery("zeta", first.id, CrmOutcome("failed", 9, 500, None, "x"), T0 + 4)
    (done,) = store.list_crm_deliveries("acme")
    assert (done.status, done.attempts, done.http_status, done.remote_id) == ("done", 2, 201, "n1")
    assert done.updated_at == T0 + 3
    assert [c["status"] for c in done.calls] == [429, 201]
    assert [d.id for d in store.list_crm_deliveries("zeta")] == [other.id]
    assert store.list_crm_deliveries("acme", crm="fub") == []


def test_deliveries_list_newest_first_and_page(tenants: Store) -> None:
    store = tenants
    ids = [
        store.begin_crm_delivery(NewCrmDelivery("acme", "fub", "add_tag", f"k{i}", None), T0)[0].id
        for i in range(5)
    ]
    page = store.list_crm_deliveries("acme", limit=2)
    assert [d.id for d in page] == ids[::-1][:2]
    rest = store.list_crm_deliveries("acme", before_id=page[-1].id, limit=10)
    assert [d.id for d in rest] == ids[::-1][2:]


def test_links_both_ways_and_relinking(tenants: Store) -> None:
    store = tenants
    store.link_crm_contact("acme", "ghl", "c1", "R1")
    assert store.crm_remote_id("acme", "ghl", "c1") == "R1"
    assert store.crm_contact_id("acme", "ghl", "R1") == "c1"
    assert store.crm_remote_id("zeta", "ghl", "c1") is None
    assert store.crm_contact_id("acme", "fub", "R1") is None
    store.link_crm_contact("acme", "ghl", "c2", "R1")  # the remote contact is c2's now
    assert store.crm_contact_id("acme", "ghl", "R1") == "c2"
    assert store.crm_remote_id("acme", "ghl", "c1") is None
    store.link_crm_contact("acme", "ghl", "c2", "R2")
    assert store.crm_remote_id("acme", "ghl", "c2") == "R2"
    assert store.crm_contact_id("acme", "ghl", "R1") is None


def test_sync_state_and_log(tenants: Store) -> None:
    store = tenants
    assert store.crm_sync_state("acme", "fub", "c1") == {}
    entry = CrmSyncEntry("acme", "fub", "c1", "first_name", "Ann", "Anne", "remote", T0, T0 + 9)
    agreed = {"first_name": "Anne", "tags": ["a"]}
    store.save_crm_sync(CrmSyncUpdate("acme", "fub", "c1", agreed, [entry]), T0)
    store.save_crm_sync(CrmSyncUpdate("acme", "fub", "c1", {"email": None}, []), T0 + 1)
    assert store.crm_sync_state("acme", "fub", "c1") == {
        "email": None,
        "first_name": "Anne",
        "tags": ["a"],
    }
    assert store.crm_sync_state("zeta", "fub", "c1") == {}
    (logged,) = store.list_crm_sync_log("acme", "fub")
    assert (logged.field, logged.local_value, logged.remote_value, logged.winner) == (
        "first_name",
        "Ann",
        "Anne",
        "remote",
    )
    assert (logged.local_at, logged.remote_at, logged.at) == (T0, T0 + 9, T0)
    assert store.list_crm_sync_log("zeta", "fub") == []
    assert store.list_crm_sync_log("acme", "fub", contact_id="c2") == []
