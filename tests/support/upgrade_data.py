"""Data written into a database kept at an old schema version, and everything read back from it,
for the tests that upgrade such a database and check nothing was lost."""

from __future__ import annotations

from typing import Any

from leadflow.model.records import MessageFilter, MessageUpdate, Run, RunFilter
from leadflow.store import Store
from support.records import T0, add_contacts, advance, enroll_one, event, message, step


def write_some_of_everything(old: Store) -> Run:
    """Contacts c1 and c2, a waiting run of c1 with a step and a sent message, an event of c2, a
    sandbox delivery and a meta value; the run."""
    add_contacts(old, "c1", "c2")
    run = enroll_one(old, "c1")
    msg = message(run, "m1")
    old.commit_advances("w", [advance(run, steps=[step(run)], messages=[msg])], T0)
    assert msg.id is not None
    old.claim_messages("d", T0, 10, 60)
    old.update_messages("d", [MessageUpdate(msg.id, "sent", sent_at=T0 + 1)], [], T0 + 1)
    old.append_events([event("t", "c2", "e1", at=T0 + 5)], T0)
    old.sandbox_deliver("m1", "sms", "+1", "hi", "sb-1", T0)
    old.set_meta("k", "v")
    return run


def everything(s: Store) -> dict[str, Any]:
    """All that :func:`write_some_of_everything` wrote, as the store reads it back."""
    return {
        "contacts": s.list_contacts(),
        "runs": s.list_runs(RunFilter()),
        "steps": s.all_steps(),
        "messages": s.list_messages(MessageFilter()),
        "events": s.list_events(),
        "sandbox": s.sandbox_deliveries(),
        "meta": s.get_meta("k"),
        "next": s.next_due_at(),
    }
