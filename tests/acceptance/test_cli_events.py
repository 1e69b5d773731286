"""``leadflow events emit`` refuses ids that are no ids; ``leadflow events list --failed`` shows
the events a worker set aside (quarantined), with why."""

from __future__ import annotations

from leadflow.model.records import NewEvent
from leadflow.store.factory import open_store
from support.cli import Leadflow, assert_fails

ANN = ["c1", "Ann", "Lee", "ann@example.com", "+1 415 555 0101", "America/Los_Angeles", "CA"]
HUGE = 1180591620717411303424


def test_emit_refuses_an_id_beyond_bigint(lf: Leadflow) -> None:
    lf.init()
    lf.import_contacts([ANN])
    data = f'{{"message_id": {HUGE}}}'
    result = lf("events", "emit", "sms.delivered", "--contact", "c1", "--data", data)
    assert_fails(result, f"--data: data.message_id: {HUGE} is out of range")
    assert lf.json("events", "list") == []


def test_list_failed_shows_what_the_worker_set_aside(lf: Leadflow) -> None:
    lf.init()
    lf.import_contacts([ANN])
    lf.ok("events", "emit", "form.submitted", "--contact", "c1")
    store = open_store(lf.db)
    try:  # a row written before ids were checked
        store.append_events([NewEvent("email.opened", "c1", {"message_id": HUGE}, "old", 1.0)], 1.0)
    finally:
        store.close()
    lf.ok("worker", "--until-idle")
    (failed,) = lf.json("events", "list", "--failed")
    assert (failed["type"], failed["status"]) == ("email.opened", "failed")
    assert failed["error"] == f"data.message_id: {HUGE} is out of range (1..{2**63 - 1})"
    statuses = [e["status"] for e in lf.json("events", "list")]
    assert sorted(statuses) == ["failed", "processed"]
    assert "out of range" in lf.ok("events", "list", "--failed").stdout
