"""Listings sent to a contact, in every backend: recorded once per (tenant, contact, listing),
read back per contact, tenants apart, all or nothing."""

from __future__ import annotations

import pytest

from leadflow.errors import StoreError
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from leadflow.store.listing_matches import ListingMatch
from support.records import T0


@pytest.fixture
def tenants(store: Store) -> Store:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    return store


def sent(key: str, contact: str = "c1", tenant: str = "acme", at: float = T0) -> ListingMatch:
    return ListingMatch(tenant, contact, key, 87.5, f"1:match:{int(at)}", at)


def test_matches_are_recorded_once_and_read_back_per_contact(tenants: Store) -> None:
    assert tenants.record_listing_matches([sent("L2"), sent("L1")]) == 2
    later = sent("L1", at=T0 + 60)
    assert tenants.record_listing_matches([later, sent("L3", at=T0 + 60)]) == 1
    got = tenants.listing_matches("acme", "c1")
    assert [(m.listing_key, m.matched_at) for m in got] == [
        ("L1", T0),  # the first record is kept
        ("L2", T0),
        ("L3", T0 + 60),
    ]
    assert got[0] == sent("L1")
    assert tenants.listing_matches("acme", "c2") == []
    assert tenants.record_listing_matches([]) == 0


def test_tenants_and_contacts_are_apart(tenants: Store) -> None:
    tenants.record_listing_matches([sent("L1"), sent("L1", contact="c2")])
    tenants.record_listing_matches([sent("L1", tenant="zeta")])
    assert [m.contact_id for m in tenants.listing_matches("acme", "c2")] == ["c2"]
    assert [m.tenant_id for m in tenants.listing_matches("zeta", "c1")] == ["zeta"]
    assert len(tenants.listing_matches("acme", "c1")) == 1


def test_an_unknown_tenant_or_empty_key_writes_nothing(tenants: Store) -> None:
    with pytest.raises(StoreError):
        tenants.record_listing_matches([sent("L1"), sent("L2", tenant="nobody")])
    with pytest.raises(StoreError, match="must not be empty"):
        tenants.record_listing_matches([sent("L1"), sent("")])
    assert tenants.listing_matches("acme", "c1") == []
