"""``/api/v1/automation/orchestrate``: a batch of AI tasks submitted, run by the workers'
orchestration job (without a model: the local classifier, templates, the extractive summary,
the planner), read back task by task; dependencies, cancellation, bad batches named and nothing
stored, and the tenant wall with a second tenant's real key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from leadflow.definitions.validation import validate
from leadflow.settings import Settings
from leadflow.store import open_store
from support.api_client import ApiClient, admin_key
from support.orchestration import drain, worker_side
from support.records import T0, contact

URL = "/api/v1/automation/orchestrate"


@pytest.fixture
def other(app: FastAPI, db_url: str) -> Iterator[ApiClient]:
    """An admin of a second tenant, zeta."""
    with ApiClient(app, headers={"Authorization": f"Bearer {admin_key(db_url, 'zeta')}"}) as c:
        yield c


@pytest.fixture
def leads(db_url: str, client: ApiClient, other: ApiClient) -> None:
    store = open_store(db_url)
    try:
        store.upsert_contacts(
            [
                contact("ann", tenant_id="acme", stage="nurture", fields={"city": "Austin"}),
                contact("bob", tenant_id="acme", first_name="Bob"),
                contact("zed", tenant_id="zeta"),
            ],
            T0,
        )
    finally:
        store.close()


def run_workers(db_url: str, **settings: Any) -> int:
    with worker_side(Settings(db=db_url, **settings)) as (rt, job):
        return drain(job, rt.clock.now())


BATCH = {
    "label": "monday",
    "tasks": [
        {"id": "sum", "kind": "summarise", "input": {"contact_id": "ann"}, "priority": 5},
        {
            "id": "msg",
            "kind": "compose",
            "input": {
                "brief": "invite them to Saturday's open house",
                "contact_ids": ["ann", "bob"],
            },
            "depends_on": ["sum"],
        },
        {
            "id": "cls",
            "kind": "classify",
            "input": {"texts": ["Can I see it Saturday?", "STOP texting me", "who is this??"]},
        },
        {
            "id": "wf",
            "kind": "draft_workflow",
            "input": {"prompt": "When a new lead comes in, text them, wait 2 hours, then email."},
        },
        {
            "id": "camp",
            "kind": "draft_campaign",
            "input": {"goal": "book more showings", "audience": "hot leads and past clients"},
        },
    ],
}


def test_a_batch_runs_on_the_workers_and_reports_each_task(
    client: ApiClient, db_url: str, leads: None
) -> None:
    for kind in ("listing.viewed", "sms.received"):
        event = {"type": kind, "contact_id": "ann", "data": {"body": "is it still open?"}}
        assert client.post("/api/v1/events", json=event).is_success
    created = client.post(URL, json=BATCH)
    assert created.status_code == 201, created.text
    batch = created.json()
    assert batch["status"] == "running" and batch["counts"] == {"pending": 5}
    assert [t["id"] for t in batch["tasks"]] == ["sum", "msg", "cls", "wf", "camp"]
    assert run_workers(db_url) == 5
    body = client.get(f"{URL}/{batch['id']}").json()
    assert body["status"] == "completed" and body["counts"] == {"done": 5}
    tasks = {t["id"]: t for t in body["tasks"]}
    assert all(t["attempts"] == 1 and t["error"] is None for t in tasks.values())
    summary = tasks["sum"]["result"]
    assert summary["source"] == "extractive" and summary["contact_id"] == "ann"
    assert "Ann" in summary["summary"] and "city Austin" in summary["summary"]
    assert "Last events: listing.viewed, sms.received." in summary["summary"]
    assert summary["facts"]["last_events"][-1]["data"] == {"body": "is it still open?"}
    messages = tasks["msg"]["result"]["messages"]
    assert [m["contact_id"] for m in messages] == ["ann", "bob"]
    assert messages[1]["text"].startswith("Hi Bob, invite them to Saturday's open house.")
    assert messages[1]["text"].endswith("Reply STOP to opt out.")
    assert tasks["msg"]["started_at"] >= tasks["sum"]["finished_at"]  # after its dependency
    intents = [(i["intent"], i["source"]) for i in tasks["cls"]["result"]["items"]]
    assert intents == [
        ("appointment_request", "local"),
        ("opt_out", "local"),
        ("question", "local"),  # the shipped reply model reads "who is this??" so
    ]
    assert 0 < tasks["cls"]["confidence"] <= 1
    workflow = tasks["wf"]["result"]["definition"]
    assert tasks["wf"]["result"]["source"] == "planner" and validate(workflow).ok
    assert [n["kind"] for n in workflow["nodes"]] == ["send_sms", "wait", "send_email"]
    segments = tasks["camp"]["result"]["segments"]
    assert len(segments) == 2 and all(validate(s["workflow"]).ok for s in segments)
    assert body["tokens"] == {"in": 0, "out": 0}  # no model configured
    listed = client.get(URL).json()["items"]
    assert [(b["id"], b["status"], b["label"]) for b in listed] == [
        (batch["id"], "completed", "monday")
    ]


def test_the_tenant_wall(client: ApiClient, other: ApiClient, leads: None) -> None:
    batch = client.post(URL, json=BATCH).json()
    assert other.get(f"{URL}/{batch['id']}").status_code == 404
    assert other.post(f"{URL}/{batch['id']}/cancel").status_code == 404
    assert other.get(URL).json()["items"] == []
    assert client.get(f"{URL}/{batch['id']}").json()["counts"] == {"pending": 5}
    # another tenant's lead is not found, whether named by compose or by summarise
    refused = other.post(URL, json=BATCH)
    assert refused.status_code == 404
    assert "tasks[0] ('sum').input.contact_id: no contact 'ann'" in refused.text
    mine = {
        "tasks": [
            {"id": "m", "kind": "compose", "input": {"brief": "hi", "contact_ids": ["zed", "ann"]}}
        ]
    }
    refused = other.post(URL, json=mine)
    assert refused.status_code == 404 and "contact_ids[1]: no contact 'ann'" in refused.text
    assert other.get(URL).json()["items"] == []


@pytest.mark.parametrize(
    ("tasks", "named"),
    [
        (
            [
                {"id": "a", "kind": "classify", "input": {"texts": ["x"]}, "depends_on": ["c"]},
                {"id": "b", "kind": "classify", "input": {"texts": ["x"]}, "depends_on": ["a"]},
                {"id": "c", "kind": "classify", "input": {"texts": ["x"]}, "depends_on": ["b"]},
            ],
            "tasks[0] ('a').depends_on: dependency cycle: a -> c -> b -> a",
        ),
        (
            [{"id": "a", "kind": "classify", "input": {"texts": ["x"]}, "depends_on": ["zz"]}],
            "tasks[0] ('a').depends_on: 'zz' is not a task of this batch",
        ),
        (
            [{"id": "a", "kind": "classify", "input": {"texts": ["x"]}, "depends_on": ["a"]}],
            "tasks[0] ('a').depends_on: depends on itself",
        ),
        (
            [{"id": "a", "kind": "translate", "input": {}}],
            '"field":"body.tasks[0].kind"',
        ),
        (
            [{"id": "a", "kind": "compose", "input": {"brief": "", "contact_ids": ["ann"]}}],
            "tasks[0] ('a').input.brief: a non-empty text is needed",
        ),
        (
            [
                {"id": "a", "kind": "classify", "input": {"texts": ["x"]}},
                {"id": "a", "kind": "classify", "input": {"texts": ["y"]}},
            ],
            "tasks[1] ('a').id: another task of the batch has this id",
        ),
        ([], '"field":"body.tasks"'),
    ],
)
def test_a_bad_batch_is_refused_naming_the_task_and_nothing_is_stored(
    client: ApiClient, leads: None, tasks: list[dict[str, Any]], named: str
) -> None:
    refused = client.post(URL, json={"tasks": tasks})
    assert refused.status_code == 422, refused.text
    assert named in refused.text
    assert client.get(URL).json()["items"] == []


def test_cancel_stops_pending_tasks(client: ApiClient, db_url: str, leads: None) -> None:
    batch = client.post(URL, json=BATCH).json()
    cancelled = client.post(f"{URL}/{batch['id']}/cancel")
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert body["status"] == "cancelled" and body["counts"] == {"cancelled": 5}
    assert {t["error"] for t in body["tasks"]} == {"batch cancelled"}
    assert run_workers(db_url) == 0
    assert client.get(f"{URL}/{batch['id']}").json()["counts"] == {"cancelled": 5}
    assert client.post(f"{URL}/nope/cancel").status_code == 404


def test_agents_read_but_cannot_submit(agent_ann: ApiClient, client: ApiClient) -> None:
    refused = agent_ann.post(
        URL, json={"tasks": [{"id": "a", "kind": "classify", "input": {"texts": ["x"]}}]}
    )
    assert refused.status_code == 403
    batch = client.post(
        URL, json={"tasks": [{"id": "a", "kind": "classify", "input": {"texts": ["x"]}}]}
    )
    assert agent_ann.get(f"{URL}/{batch.json()['id']}").status_code == 200
