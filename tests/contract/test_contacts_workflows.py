"""Contacts, meta, workflow versions and schedules."""

from __future__ import annotations

from leadflow.model.records import ContactPatch, Schedule
from leadflow.store import Store
from support.records import T0, add_contacts, contact


# ---------------------------------------------------------------------------- meta
def test_meta(store: Store) -> None:
    assert store.get_meta("k") is None
    store.set_meta("k", "1")
    store.set_meta("k", "2")
    assert store.get_meta("k") == "2"


# ---------------------------------------------------------------------------- contacts
def test_upsert_counts_and_keeps_created_at(store: Store) -> None:
    assert store.upsert_contacts([], T0) == (0, 0)
    assert store.upsert_contacts([contact("a"), contact("b")], T0) == (2, 0)
    changed = contact(
        "a", first_name="Ann", tags=["x"], fields={"budget": 5}, consent={"sms": "opted_in"}
    )
    assert store.upsert_contacts([changed, contact("c")], T0 + 10) == (1, 1)
    a = store.get_contact("a")
    assert a is not None
    assert a.first_name == "Ann" and a.tags == ["x"] and a.fields == {"budget": 5}
    assert a.consent == {"sms": "opted_in"}
    assert (a.created_at, a.updated_at) == (T0, T0 + 10)
    c = store.get_contact("c")
    assert c is not None and c.created_at == c.updated_at == T0 + 10
    assert store.count_contacts() == 3


def test_upsert_same_id_twice_in_one_call(store: Store) -> None:
    assert store.upsert_contacts([contact("a"), contact("a", first_name="Second")], T0) == (1, 1)
    got = store.get_contact("a")
    assert got is not None and got.first_name == "Second"
    assert store.count_contacts() == 1


def test_upsert_replaces_every_attribute(store: Store) -> None:
    store.upsert_contacts([contact("a", stage="lead", tags=["t"], fields={"x": 1})], T0)
    store.upsert_contacts([contact("a")], T0 + 1)
    got = store.get_contact("a")
    assert got is not None and got.stage is None and got.tags == [] and got.fields == {}


def test_get_list_count(store: Store) -> None:
    add_contacts(store, "c3", "c1", "c2", "c4")
    assert store.get_contact("nope") is None
    assert set(store.get_contacts(["c1", "c3", "nope"])) == {"c1", "c3"}
    assert store.get_contacts([]) == {}
    assert [c.id for c in store.list_contacts()] == ["c1", "c2", "c3", "c4"]
    assert [c.id for c in store.list_contacts(limit=2, offset=1)] == ["c2", "c3"]
    assert store.list_contacts(limit=10, offset=10) == []
    assert store.count_contacts() == 4


def test_contacts_are_copies(store: Store) -> None:
    original = contact("a", tags=["x"], fields={"n": {"deep": 1}})
    store.upsert_contacts([original], T0)
    original.tags.append("mutated")
    original.fields["n"]["deep"] = 2
    got = store.get_contact("a")
    assert got is not None
    assert got.tags == ["x"] and got.fields == {"n": {"deep": 1}}
    got.tags.append("again")
    got.fields["n"]["deep"] = 3
    again = store.get_contact("a")
    assert again is not None and again.tags == ["x"] and again.fields == {"n": {"deep": 1}}


def test_values_round_trip_as_json(store: Store) -> None:
    store.upsert_contacts([contact("a", fields={"t": (1, 2), "n": None, "u": "é✓"})], T0)
    got = store.get_contact("a")
    assert got is not None and got.fields == {"t": [1, 2], "n": None, "u": "é✓"}


def test_apply_contact_patches(store: Store) -> None:
    store.upsert_contacts(
        [contact("a", tags=["old", "keep"], consent={"sms": "unknown", "email": "opted_in"})], T0
    )
    store.apply_contact_patches(
        [
            ContactPatch(
                "a",
                set={"stage": "hot", "budget": 500000, "first_name": "Anna"},
                add_tags=["new", "keep", "new"],
                remove_tags=["old"],
                consent={"sms": "opted_out"},
            ),
            ContactPatch("missing", set={"stage": "x"}),  # unknown ids are ignored
            ContactPatch("a", add_tags=["later"], set={"budget": 1}),  # in order
        ],
        T0 + 5,
    )
    got = store.get_contact("a")
    assert got is not None
    assert got.stage == "hot" and got.first_name == "Anna"
    assert got.fields == {"budget": 1}
    assert got.tags == ["keep", "new", "later"]
    assert got.consent == {"sms": "opted_out", "email": "opted_in"}
    assert got.updated_at == T0 + 5 and got.created_at == T0
    assert store.get_contact("missing") is None
    store.apply_contact_patches([], T0 + 6)


# ---------------------------------------------------------------------------- workflows
def test_publish_versions(store: Store) -> None:
    d1 = {"key": "wf", "nodes": [{"id": "a", "kind": "wait", "duration": "1d"}]}
    v1 = store.publish_workflow("wf", "Workflow", d1, T0)
    assert (v1.key, v1.version, v1.name, v1.definition, v1.published_at) == (
        "wf",
        1,
        "Workflow",
        d1,
        T0,
    )
    same = store.publish_workflow("wf", "Renamed", {"nodes": d1["nodes"], "key": "wf"}, T0 + 1)
    assert same.version == 1 and same.published_at == T0 and same.name == "Workflow"
    d2 = {**d1, "start": "a"}
    v2 = store.publish_workflow("wf", "Workflow 2", d2, T0 + 2)
    assert v2.version == 2
    store.publish_workflow("other", "Other", {"x": 1}, T0)
    assert store.publish_workflow("wf", "Back to 1", d1, T0 + 3).version == 3  # vs latest only

    latest = store.get_workflow("default", "wf")
    assert latest is not None and latest.version == 3
    first = store.get_workflow("default", "wf", 1)
    assert first is not None and first.definition == d1 and first.name == "Workflow"
    assert store.get_workflow("default", "wf", 9) is None
    assert store.get_workflow("default", "nope") is None
    assert [(w.key, w.version) for w in store.list_workflows()] == [("other", 1), ("wf", 3)]


def test_workflow_definitions_are_copies(store: Store) -> None:
    d = {"nodes": [{"id": "a"}]}
    v = store.publish_workflow("wf", "W", d, T0)
    d["nodes"].append({"id": "b"})
    v.definition["nodes"].append({"id": "c"})
    got = store.get_workflow("default", "wf")
    assert got is not None and got.definition == {"nodes": [{"id": "a"}]}


# ---------------------------------------------------------------------------- schedules
def test_schedules(store: Store) -> None:
    s0 = Schedule("wf", 1, 0, "0 9 * * *", "UTC", T0 + 10)
    s1 = Schedule("wf", 1, 1, "0 18 * * *", "UTC", T0 + 5)
    store.set_schedules("default", "wf", [s0, s1])
    store.set_schedules("default", "other", [Schedule("other", 2, 0, "* * * * *", "UTC", T0 + 100)])
    assert store.due_schedules(T0) == []
    assert [s.trigger_index for s in store.due_schedules(T0 + 10)] == [1, 0]
    due = store.due_schedules(T0 + 10)[0]
    assert store.advance_schedule(due, T0 + 86400) is True
    assert store.advance_schedule(due, T0 + 86400 + 1) is False  # someone moved it already
    assert [s.trigger_index for s in store.due_schedules(T0 + 10)] == [0]
    assert store.next_due_at() == T0 + 10

    store.set_schedules("default", "wf", [Schedule("wf", 2, 0, "0 7 * * *", "UTC", T0 + 1)])
    due = store.due_schedules(T0 + 1000)
    assert [(s.workflow_key, s.version, s.trigger_index) for s in due] == [
        ("wf", 2, 0),
        ("other", 2, 0),
    ]
    assert store.advance_schedule(s0, T0 + 99) is False  # the replaced version
    store.set_schedules("default", "wf", [])
    assert [s.workflow_key for s in store.due_schedules(T0 + 1000)] == ["other"]
