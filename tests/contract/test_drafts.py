"""Workflow drafts: one per tenant and key, replaced on save, any JSON object kept."""

from __future__ import annotations

from leadflow.model.records import Draft
from leadflow.store import Store
from support.records import T0

INVALID = {"key": "welcome", "nodes": [{"id": "a", "kind": "nope"}], "note": "ü ✓"}


def test_save_get_replace_delete(store: Store) -> None:
    assert store.get_draft("acme", "welcome") is None
    saved = store.save_draft(Draft("acme", "welcome", INVALID, T0, "key1"))
    assert saved == Draft("acme", "welcome", INVALID, T0, "key1")
    assert store.get_draft("acme", "welcome") == saved
    store.save_draft(Draft("acme", "welcome", {"key": "welcome"}, T0 + 5, None))
    assert store.get_draft("acme", "welcome") == Draft(
        "acme", "welcome", {"key": "welcome"}, T0 + 5, None
    )
    assert store.delete_draft("acme", "welcome") is True
    assert store.get_draft("acme", "welcome") is None
    assert store.delete_draft("acme", "welcome") is False


def test_drafts_belong_to_their_tenant(store: Store) -> None:
    store.save_draft(Draft("acme", "b", {"key": "b"}, T0))
    store.save_draft(Draft("acme", "a", {"key": "a"}, T0))
    store.save_draft(Draft("other", "a", {"key": "a", "x": 1}, T0))
    assert [d.key for d in store.list_drafts("acme")] == ["a", "b"]
    assert store.list_drafts("other") == [Draft("other", "a", {"key": "a", "x": 1}, T0)]
    assert store.list_drafts("nobody") == []
    assert store.delete_draft("other", "b") is False
    assert store.delete_draft("other", "a") is True
    assert store.get_draft("acme", "a") is not None


def test_a_returned_draft_is_a_copy(store: Store) -> None:
    definition: dict[str, object] = {"key": "k", "nodes": []}
    saved = store.save_draft(Draft("acme", "k", definition, T0))
    definition["nodes"] = ["changed"]
    saved.definition["name"] = "changed"
    got = store.get_draft("acme", "k")
    assert got is not None and got.definition == {"key": "k", "nodes": []}
