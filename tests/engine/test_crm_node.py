"""The ``crm`` node on every backend, against a loopback HighLevel: a workflow upserts the lead,
notes, tags, tasks and moves its stage, each once; a step the CRM fails is retried by the
engine under the same change key, so the CRM still changes once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.definitions.validation import validate
from leadflow.model.crm import CrmConnector
from leadflow.model.tenancy import Tenant
from support import ghl_peer as gp
from support.engine_kit import HOUR, Kit

FLOW = """
key: crm-flow
name: CRM flow
start: up
nodes:
  - {id: up, kind: crm, crm: ghl, operation: upsert_contact, next: note}
  - {id: note, kind: crm, crm: ghl, operation: add_note,
     body: "New lead {{ contact.first_name }} from the site", next: tag}
  - {id: tag, kind: crm, crm: ghl, operation: add_tag, tags: [leadflow, nurture], next: task}
  - {id: task, kind: crm, crm: ghl, operation: create_task, title: "Call {{ contact.first_name }}",
     due_in: 2h, next: stage}
  - {id: stage, kind: crm, crm: ghl, operation: move_stage, stage: stage_new,
     name: "{{ contact.first_name }}"}
"""


@pytest.fixture
def ghl(kit: Kit) -> Iterator[gp.GhlPeer]:
    with gp.ghl_peer() as peer:
        kit.store.create_tenant(Tenant("default", "Default"), kit.now)
        config = {
            "api_key": gp.TOKEN,
            "location_id": gp.LOCATION,
            "base_url": peer.base_url,
            "pipeline_id": "pipe_1",
        }
        kit.store.put_crm_connector(CrmConnector("default", "ghl", config), kit.now)
        yield peer


def test_a_workflow_changes_the_crm_once_per_node(kit: Kit, ghl: gp.GhlPeer) -> None:
    kit.add_contact("c1", first_name="Rosa")
    kit.publish(FLOW)
    (run_id,) = kit.enroll("crm-flow", "c1")
    kit.settle()
    assert kit.run(run_id).status == "completed"
    (remote,) = ghl.contacts
    assert ghl.contacts[remote]["tags"] == ["leadflow", "nurture"]
    (note,) = ghl.notes[remote]
    assert note["body"].startswith("New lead Rosa from the site")
    (task,) = ghl.tasks[remote]
    assert task["title"] == "Call Rosa"
    (opp,) = ghl.opportunities.values()
    assert (opp["pipelineStageId"], opp["name"], opp["contactId"]) == ("stage_new", "Rosa", remote)
    assert len(kit.store.list_crm_deliveries("default")) == 5
    assert kit.store.crm_remote_id("default", "ghl", "c1") == remote


def test_an_engine_retry_keeps_the_change_key(kit: Kit, ghl: gp.GhlPeer) -> None:
    connector = kit.store.get_crm_connector("default", "ghl")
    assert connector is not None
    connector.config["max_attempts"] = 1  # the node gives up at once; the engine retries
    kit.store.put_crm_connector(connector, kit.now)
    kit.add_contact("c1", first_name="Rosa")
    kit.publish(FLOW)
    ghl.fail("POST", "/contacts/ct_", 502, times=1, apply_first=True)  # the note made, answer lost
    (run_id,) = kit.enroll("crm-flow", "c1")
    kit.settle()
    assert ("note", "retry") in kit.outcomes(run_id)
    kit.run_until(kit.now + HOUR)
    assert kit.run(run_id).status == "completed"
    (remote,) = ghl.contacts
    assert len(ghl.notes[remote]) == 1
    notes = [d for d in kit.store.list_crm_deliveries("default") if d.operation == "add_note"]
    assert len(notes) == 1 and notes[0].status == "done"


def test_without_a_connector_the_step_fails_saying_so(kit: Kit) -> None:
    kit.add_contact("c1")
    kit.publish(FLOW)
    (run_id,) = kit.enroll("crm-flow", "c1")
    kit.settle()
    run = kit.run(run_id)
    assert run.status == "failed"
    assert "no ghl connector" in (kit.steps(run_id)[-1].error or "")


def test_definitions_name_what_an_operation_lacks() -> None:
    bad = FLOW.replace('body: "New lead {{ contact.first_name }} from the site", ', "")
    report = validate(__import__("yaml").safe_load(bad))
    assert "nodes[1](note).body: required by operation 'add_note'" in report.errors
    worse = FLOW.replace("due_in: 2h", "due_in: soon")
    assert any("task).due_in" in e for e in validate(__import__("yaml").safe_load(worse)).errors)
