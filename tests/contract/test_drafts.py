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


def test_a_layout_is_kept_beside_the_draft(store: Store) -> None:
    layout = {"a": {"x": 10.5, "y": -3.0}, "b": {"x": 0.0, "y": 120.0}}
    assert store.set_draft_layout("acme", "k", layout) is None  # no draft: nothing written
    assert store.get_draft("acme", "k") is None
    store.save_draft(Draft("acme", "k", {"key": "k"}, T0))
    placed = store.set_draft_layout("acme", "k", layout)
    assert placed is not None and placed.layout == layout
    # saving the definition again keeps it; a draft saved with a layout replaces it
    store.save_draft(Draft("acme", "k", {"key": "k", "name": "K"}, T0 + 1))
    got = store.get_draft("acme", "k")
    assert got is not None and got.layout == layout and got.definition == {"key": "k", "name": "K"}
    store.save_draft(Draft("acme", "k", {"key": "k"}, T0 + 2, layout={"a": {"x": 1.0, "y": 2.0}}))
    assert store.list_drafts("acme")[0].layout == {"a": {"x": 1.0, "y": 2.0}}
    # another tenant's draft of that key is another draft
    assert store.set_draft_layout("other", "k", layout) is None
    store.save_draft(Draft("other", "k", {"key": "k"}, T0))
    assert store.get_draft("other", "k").layout is None  # type: ignore[union-attr]


def test_a_workflow_layout_outlives_its_draft_and_stays_in_its_tenant(store: Store) -> None:
    assert store.get_workflow_layout("acme", "k") is None
    first = {"a": {"x": 1.5, "y": 2.0}}
    store.set_workflow_layout("acme", "k", first, T0)
    store.save_draft(Draft("acme", "k", {"key": "k"}, T0, layout={"a": {"x": 9.0, "y": 9.0}}))
    assert store.delete_draft("acme", "k") is True
    assert store.get_workflow_layout("acme", "k") == first  # deleting the draft keeps it
    second = {"a": {"x": -4.0, "y": 0.0}, "b": {"x": 0.0, "y": 80.0}}
    store.set_workflow_layout("acme", "k", second, T0 + 1)  # replaced, not merged
    got = store.get_workflow_layout("acme", "k")
    assert got == second
    assert got is not None
    got["a"]["x"] = 1000.0  # a copy: changing it changes nothing stored
    assert store.get_workflow_layout("acme", "k") == second
    assert store.get_workflow_layout("other", "k") is None
    assert store.get_workflow_layout("acme", "other-key") is None
