"""Tenant and owner scoping in the store: what an API caller's :class:`Scope` lets it read.

Two tenants, each with contacts owned by agents; every scoped read (contacts, runs, messages,
events, node counts) returns exactly the rows of contacts in scope, on every backend."""

from __future__ import annotations

import pytest

from leadflow.errors import StoreError
from leadflow.model.records import (
    ContactFilter,
    MessageFilter,
    NewEvent,
    RunFilter,
    Schedule,
    Scope,
)
from leadflow.store import Store
from support.records import DAY, T0, advance, contact, enroll_one, event, message, step

ACME = Scope("acme")
OTHER = Scope("other")
ANN = Scope("acme", frozenset({"ann"}))
TEAM = Scope("acme", frozenset({"ann", "bob"}))


def _people(store: Store) -> None:
    store.upsert_contacts(
        [
            contact("a1", tenant_id="acme", owner="ann", first_name="Alice", tags=["buyer"]),
            contact("a2", tenant_id="acme", owner="bob", email="Bo@Example.com"),
            contact("a3", tenant_id="acme", owner="cat", phone="+15125550123"),
            contact("a4", tenant_id="acme", owner=None, stage="hot"),
            contact("o1", tenant_id="other", owner="ann", first_name="Otto"),
        ],
        T0,
    )


def _ids(rows: list) -> list[str]:  # type: ignore[type-arg]
    return [r.id for r in rows]


def test_contacts_are_read_only_within_scope(store: Store) -> None:
    _people(store)
    assert _ids(store.find_contacts(ContactFilter(scope=ACME))) == ["a1", "a2", "a3", "a4"]
    assert _ids(store.find_contacts(ContactFilter(scope=OTHER))) == ["o1"]
    assert _ids(store.find_contacts(ContactFilter(scope=ANN))) == ["a1"]
    assert _ids(store.find_contacts(ContactFilter(scope=TEAM))) == ["a1", "a2"]
    assert store.find_contacts(ContactFilter(scope=Scope("acme", frozenset()))) == []
    assert store.find_contacts(ContactFilter(scope=Scope("nobody"))) == []
    assert _ids(store.find_contacts(ContactFilter())) == ["a1", "a2", "a3", "a4", "o1"]


def test_contact_filters_and_keyset_paging(store: Store) -> None:
    _people(store)
    assert _ids(store.find_contacts(ContactFilter(scope=ACME, q="ALI"))) == ["a1"]
    assert _ids(store.find_contacts(ContactFilter(scope=ACME, q="5550123"))) == ["a3"]
    assert _ids(store.find_contacts(ContactFilter(scope=ACME, email="bo@example.COM"))) == ["a2"]
    assert _ids(store.find_contacts(ContactFilter(scope=ACME, phone="+15125550123"))) == ["a3"]
    assert _ids(store.find_contacts(ContactFilter(scope=ACME, tag="buyer"))) == ["a1"]
    assert _ids(store.find_contacts(ContactFilter(scope=ACME, stage="hot"))) == ["a4"]
    assert _ids(store.find_contacts(ContactFilter(scope=ACME, owner="bob"))) == ["a2"]
    assert store.find_contacts(ContactFilter(scope=OTHER, q="ali")) == []
    assert store.find_contacts(ContactFilter(scope=ACME, q="%")) == []  # literal, not a wildcard
    first = store.find_contacts(ContactFilter(scope=ACME, limit=3))
    rest = store.find_contacts(ContactFilter(scope=ACME, limit=3, after_id=first[-1].id))
    assert _ids(first) == ["a1", "a2", "a3"] and _ids(rest) == ["a4"]
    store.upsert_contacts([contact("a2", tenant_id="acme", owner="bob")], T0 + DAY)
    changed = store.find_contacts(ContactFilter(scope=ACME, updated_since=T0 + 1))
    assert _ids(changed) == ["a2"]


def test_an_upsert_never_moves_a_contact_to_another_tenant(store: Store) -> None:
    _people(store)
    store.upsert_contacts([contact("o1", tenant_id="acme", first_name="Moved?")], T0 + 1)
    found = store.get_contact("o1")
    assert found is not None and found.tenant_id == "other"


def test_runs_messages_events_and_counts_follow_their_contact(store: Store) -> None:
    _people(store)
    runs = {cid: enroll_one(store, cid) for cid in ("a1", "a2", "o1")}
    for cid, run in runs.items():
        store.commit_advances(
            "w", [advance(run, steps=[step(run)], messages=[message(run, f"m-{cid}")])], T0
        )
    store.append_events(
        [event("form.submitted", cid, f"e-{cid}") for cid in ("a1", "a2", "o1")]
        + [event("listing.new", None, "e-none")],
        T0,
    )

    def run_contacts(scope: Scope | None) -> list[str]:
        return [r.contact_id for r in store.list_runs(RunFilter(scope=scope))]

    assert run_contacts(ACME) == ["a1", "a2"]
    assert run_contacts(ANN) == ["a1"]
    assert run_contacts(OTHER) == ["o1"]
    assert run_contacts(None) == ["a1", "a2", "o1"]
    msgs = store.list_messages(MessageFilter(scope=TEAM))
    assert [m.contact_id for m in msgs] == ["a1", "a2"]
    assert [m.contact_id for m in store.list_messages(MessageFilter(scope=OTHER))] == ["o1"]
    assert [e.contact_id for e in store.list_events(scope=ANN)] == ["a1"]
    assert [e.contact_id for e in store.list_events(scope=ACME, type="form.submitted")] == [
        "a1",
        "a2",
    ]
    assert len(store.list_events()) == 4  # unscoped: the contact-less event too
    everyone = {(c.node, c.entered) for c in store.node_counts("wf")}
    assert everyone == {("start", 3)}
    assert {(c.node, c.entered) for c in store.node_counts("wf", ANN)} == {("start", 1)}
    assert store.node_counts("wf", Scope("nobody")) == []


def test_keyset_paging_of_runs_messages_and_events(store: Store) -> None:
    _people(store)
    ids = [enroll_one(store, cid).id for cid in ("a1", "a2", "a3")]
    page = store.list_runs(RunFilter(scope=ACME, after_id=ids[0], limit=1))
    assert [r.id for r in page] == [ids[1]]
    store.append_events([event("x", "a1", f"k{i}") for i in range(3)], T0)
    all_events = store.list_events(scope=ACME)
    after = store.list_events(scope=ACME, after_id=all_events[0].id)
    assert [e.id for e in after] == [e.id for e in all_events[1:]]


def test_enroll_all_of_a_tenant_enrolls_only_its_contacts(store: Store) -> None:
    _people(store)
    out = store.enroll_all("wf", 1, "start", T0, tenant_id="other")
    assert (out.created, out.skipped) == (1, 0)
    assert [r.contact_id for r in store.list_runs(RunFilter())] == ["o1"]
    out = store.enroll_all("wf", 1, "start", T0, tenant_id="acme")
    assert (out.created, out.skipped) == (4, 0)


def test_workflow_keys_are_per_tenant(store: Store) -> None:
    v1 = store.publish_workflow("welcome", "Welcome", {"a": 1}, T0, "acme")
    assert v1.tenant_id == "acme" and v1.version == 1
    mine = store.publish_workflow("welcome", "Mine", {"a": 2}, T0, "other")
    assert (mine.tenant_id, mine.version, mine.name) == ("other", 1, "Mine")
    assert store.get_workflow("acme", "welcome") == v1  # untouched by the other tenant
    v2 = store.publish_workflow("welcome", "Welcome", {"a": 2}, T0 + 1, "acme")
    assert v2.version == 2 and v2.tenant_id == "acme"
    assert store.get_workflow("other", "welcome") == mine
    assert store.get_workflow("other", "welcome", 2) is None
    assert store.get_workflow("nobody", "welcome") is None
    store.publish_workflow("intro", "Intro", {"b": 1}, T0, "other")
    assert [(w.key, w.version) for w in store.list_workflows("acme")] == [("welcome", 2)]
    assert [(w.key, w.version) for w in store.list_workflows("other")] == [
        ("intro", 1),
        ("welcome", 1),
    ]
    assert [(w.key, w.tenant_id) for w in store.list_workflows()] == [
        ("intro", "other"),
        ("welcome", "acme"),
        ("welcome", "other"),
    ]
    assert store.list_workflows("nobody") == []


def test_schedules_of_the_same_key_are_per_tenant(store: Store) -> None:
    store.set_schedules("acme", "digest", [Schedule("digest", 1, 0, "0 9 * * *", "UTC", T0 + 5)])
    store.set_schedules("other", "digest", [Schedule("digest", 3, 0, "0 8 * * *", "UTC", T0 + 5)])
    due = store.due_schedules(T0 + 5)
    assert sorted((s.tenant_id, s.version) for s in due) == [("acme", 1), ("other", 3)]
    (acme,) = [s for s in due if s.tenant_id == "acme"]
    assert store.advance_schedule(acme, T0 + 99) is True
    assert [(s.tenant_id, s.version) for s in store.due_schedules(T0 + 5)] == [("other", 3)]
    store.set_schedules("other", "digest", [])
    assert [(s.tenant_id, s.next_fire_at) for s in store.due_schedules(T0 + 100)] == [
        ("acme", T0 + 99)
    ]


def test_run_counts_of_a_key_are_per_tenant(store: Store) -> None:
    _people(store)
    store.enroll_all("welcome", 1, "start", T0, tenant_id="other")
    store.enroll_all("welcome", 1, "start", T0, tenant_id="acme")
    assert store.count_runs("welcome", Scope("other")) == {"active": 1}
    assert store.count_runs("welcome", ACME) == {"active": 4}
    assert store.count_runs("welcome") == {"active": 5}
    assert store.count_runs("welcome", Scope("nobody")) == {}


def test_contacts_in_scope_names_only_the_visible_ids(store: Store) -> None:
    _people(store)
    asked = ["a1", "a2", "a3", "o1", "nobody", "a1"]
    assert store.contacts_in_scope(ACME, asked) == {"a1", "a2", "a3"}
    assert store.contacts_in_scope(ANN, asked) == {"a1"}
    assert store.contacts_in_scope(TEAM, asked) == {"a1", "a2"}
    assert store.contacts_in_scope(OTHER, asked) == {"o1"}
    assert store.contacts_in_scope(ACME, []) == set()
    many = [f"x{i}" for i in range(5000)] + ["a2"]  # far past SQLite's bound-variable limit
    assert store.contacts_in_scope(ACME, many) == {"a2"}


def test_a_lead_and_its_event_are_saved_together_or_not_at_all(store: Store) -> None:
    lead = contact("n1", tenant_id="acme")
    inserted, updated, ids = store.save_contacts([lead], [event("lead.created", "n1", "k1")], T0)
    assert (inserted, updated) == (1, 0) and isinstance(ids[0], int)
    again = store.save_contacts([lead], [event("lead.created", "n1", "k1")], T0 + 1)
    assert again == (0, 1, [None])  # a retried webhook: one contact, one event
    bad = NewEvent("lead.created", "n2", {"x": object()}, "k2", T0)
    with pytest.raises(StoreError):
        store.save_contacts([contact("n2", tenant_id="acme")], [bad], T0)
    assert store.get_contact("n2") is None  # the contact was not written without its event
    assert [e.dedupe_key for e in store.list_events()] == ["k1"]
