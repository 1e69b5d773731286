"""Records go into and come out of the store as copies: changing what was handed in, or what
was read, never changes what the store holds (the memory backend keeps records, so it must copy
them; the SQL backends get this from their rows). JSON fields come back as JSON would return
them (tuples as lists)."""

from __future__ import annotations

from typing import Any

from leadflow.model.records import MessageFilter
from leadflow.store import Store
from support.records import T0, advance, contact, enroll_one, event, message, step


def test_contacts_are_copied_in_and_out(store: Store) -> None:
    given = contact("a", tags=["x"], fields={"deep": {"n": [1]}}, consent={"sms": "opted_in"})
    store.upsert_contacts([given], T0)
    given.tags.append("y")
    given.fields["deep"]["n"].append(2)
    given.consent["sms"] = "opted_out"
    read = store.get_contact("a")
    assert read is not None
    assert (read.tags, read.fields, read.consent) == (
        ["x"],
        {"deep": {"n": [1]}},
        {"sms": "opted_in"},
    )
    read.tags.append("z")
    read.fields["deep"]["n"].append(3)
    again = store.get_contacts(["a"])["a"]
    assert (again.tags, again.fields) == (["x"], {"deep": {"n": [1]}})


def test_runs_steps_messages_and_events_are_copied(store: Store) -> None:
    store.upsert_contacts([contact("a")], T0)
    context: dict[str, Any] = {"k": {"list": (1, 2)}}
    run = enroll_one(store, "a", context=context)
    assert run.context == {"k": {"list": [1, 2]}}  # as JSON returns it
    run.context["k"]["list"].append(3)
    stored = store.get_run(run.id)
    assert stored is not None and stored.context == {"k": {"list": [1, 2]}}

    sent = message(stored, "m1", payload={"media": ["u"]})
    done = step(stored, data={"d": [1]})
    store.commit_advances("w", [advance(stored, steps=[done], messages=[sent])], T0)
    sent.payload["media"].append("v")
    assert done.data is not None
    done.data["d"].append(2)
    (found,) = store.list_messages(MessageFilter(run_id=run.id))
    assert found.payload == {"media": ["u"]}
    found.payload["media"].append("w")
    assert store.messages_of_run(run.id)[0].payload == {"media": ["u"]}
    (kept,) = store.run_steps(run.id)
    assert kept.data == {"d": [1]}
    assert kept.data is not None
    kept.data["d"].append(3)
    assert store.run_steps(run.id)[0].data == {"d": [1]}

    new = event("custom", "a", "e1", items=[1])
    store.append_events([new], T0)
    new.data["items"].append(2)
    (claimed,) = store.claim_events("w", T0, 10, 60.0)
    assert claimed.data == {"items": [1]}
    claimed.data["items"].append(3)
    assert store.list_events("a")[0].data == {"items": [1]}


def test_workflow_definitions_are_copied(store: Store) -> None:
    definition: dict[str, Any] = {"nodes": [{"id": "start"}]}
    published = store.publish_workflow("wf", "Flow", definition, T0)
    definition["nodes"].append({"id": "more"})
    published.definition["nodes"].append({"id": "other"})
    found = store.get_workflow("default", "wf")
    assert found is not None and found.definition == {"nodes": [{"id": "start"}]}
    assert store.list_workflows()[0].definition == {"nodes": [{"id": "start"}]}
