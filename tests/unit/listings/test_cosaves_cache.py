"""The per-tenant co-saves the match_properties node keeps: read from the store's events of the
tenant's contacts only, first in full, then only what was stored since, rebuilt after an
hour; events without a usable listing key are skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.listings.cosaves_cache import REBUILD_S, CoSavesCache
from leadflow.model.records import Contact, NewEvent
from leadflow.model.tenancy import Tenant
from leadflow.store.contract import Store
from leadflow.store.factory import open_store

T0 = 1_767_225_600.0


@pytest.fixture
def store() -> Iterator[Store]:
    made = open_store("memory://")
    for tenant in ("t1", "t2"):
        made.create_tenant(Tenant(tenant, tenant), T0)
    made.upsert_contacts(
        [
            Contact("u1", tenant_id="t1"),
            Contact("u2", tenant_id="t1"),
            Contact("v1", tenant_id="t2"),
        ],
        T0,
    )
    yield made
    made.close()


def emit(store: Store, kind: str, contact: str, data: dict[str, object], at: float = T0) -> None:
    key = f"{kind}:{contact}:{data}:{at}"
    store.append_events([NewEvent(kind, contact, dict(data), key, at)], at)


def test_first_read_then_only_what_came_since_each_tenant_its_own(store: Store) -> None:
    emit(store, "listing.saved", "u1", {"listing_key": "A"})
    emit(store, "open_house.visited", "u2", {"listing_key": "A"})
    emit(store, "listing.saved", "v1", {"listing_key": "A"})  # the other tenant's lead
    emit(store, "listing.viewed", "u1", {"listing_key": "V"})  # a view is not a save
    emit(store, "listing.saved", "u1", {"listing_key": 42})  # not a key
    emit(store, "listing.saved", "u2", {})
    cache = CoSavesCache(store)
    first = cache.get("t1", T0)
    assert (first.saved_by("u1"), first.saved_by("u2"), first.saved_by("v1")) == (["A"], ["A"], [])
    assert first.leads_of("A") == 2

    emit(store, "listing.saved", "u1", {"listing_key": "B"}, T0 + 60)
    emit(store, "listing.saved", "v1", {"listing_key": "B"}, T0 + 60)
    later = cache.get("t1", T0 + 120)
    assert later is first  # kept, and read on from where it stopped
    assert later.saved_by("u1") == ["A", "B"] and later.leads_of("B") == 1
    other = cache.get("t2", T0 + 120)
    assert other.saved_by("v1") == ["A", "B"] and other.saved_by("u1") == []


def test_rebuilt_from_the_store_after_an_hour(store: Store) -> None:
    emit(store, "listing.saved", "u1", {"listing_key": "A"})
    cache = CoSavesCache(store)
    first = cache.get("t1", T0)
    assert cache.get("t1", T0 + REBUILD_S - 1) is first
    again = cache.get("t1", T0 + REBUILD_S)
    assert again is not first and again.saved_by("u1") == ["A"]
    assert cache.get("t1", T0) is not again  # a clock set back: rebuilt too
