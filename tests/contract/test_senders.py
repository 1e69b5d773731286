"""Tenant senders: a (kind, address) belongs to one tenant; every backend alike."""

from __future__ import annotations

from leadflow.model.senders import Sender
from leadflow.store import Store


def test_a_sender_belongs_to_the_first_tenant_that_registers_it(store: Store) -> None:
    assert store.add_sender(Sender("acme", "phone", "+15125550100"), 10.0) == "acme"
    assert store.add_sender(Sender("beta", "phone", "+15125550100"), 11.0) == "acme"
    assert store.add_sender(Sender("acme", "email", "a@acme.example", "Acme"), 12.0) == "acme"
    assert store.add_sender(Sender("acme", "email", "a@acme.example", "Acme Realty"), 13.0) == (
        "acme"
    )
    assert store.sender_owner("phone", "+15125550100") == "acme"
    assert store.sender_owner("phone", "+15125550199") is None
    assert store.list_senders("acme") == [
        Sender("acme", "email", "a@acme.example", "Acme Realty", 12.0),
        Sender("acme", "phone", "+15125550100", None, 10.0),
    ]
    assert store.list_senders("beta") == []
    assert store.remove_sender("beta", "phone", "+15125550100") is False
    assert store.remove_sender("acme", "phone", "+15125550100") is True
    assert store.add_sender(Sender("beta", "phone", "+15125550100"), 14.0) == "beta"
    assert store.sender_owner("phone", "+15125550100") == "beta"
