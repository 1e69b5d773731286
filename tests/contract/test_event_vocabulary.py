"""Schema version 22: events stored under an alias take the vocabulary's name."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.store import Store
from support.records import T0, add_contacts, event


def test_events_stored_under_an_alias_take_the_vocabularys_name(store: Store, backend: str) -> None:
    if backend == "memory":
        pytest.skip("the memory backend starts empty: it has no stored events to rename")
    add_contacts(store, "c1")
    old = [
        "property.viewed",
        "lead.saved_property",
        "website.visited",
        "page.viewed",
        "sms.received",
    ]
    store.append_events([event(t, "c1", f"k{i}") for i, t in enumerate(old)], T0)
    sql: Any = store  # the SQL stores' own transaction, to forget that version 22 was applied
    with sql._write() as conn:
        conn.execute(sql._dialect.sql("DELETE FROM schema_migrations WHERE version = ?"), (22,))
    assert store.upgrade() == [22]
    assert [e.type for e in store.list_events()] == [
        "listing.viewed",
        "listing.saved",
        "site.visited",
        "site.visited",
        "sms.received",
    ]
