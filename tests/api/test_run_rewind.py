"""``POST /api/v1/runs/{run_id}/rewind``: a dry run by default that changes nothing, a real
rewind that sends the message again with a new key and keeps both paths in the history, admins
and managers only, and the tenant wall with a second tenant's real key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import Contact
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, member_key
from support.engine_kit import DAY, T0

WORKFLOW = {
    "key": "welcome",
    "name": "Welcome",
    "start": "hello",
    "nodes": [
        {"id": "hello", "kind": "send_sms", "body": "Hi {{ contact.first_name }}", "next": "pause"},
        {"id": "pause", "kind": "wait", "duration": "1d", "next": "bye"},
        {"id": "bye", "kind": "send_email", "subject": "Bye", "body": "See you"},
    ],
}


@pytest.fixture
def rt(db_url: str) -> Iterator[Runtime]:
    runtime = build_runtime(Settings(db=db_url), clock=VirtualClock(T0))
    yield runtime
    runtime.close()


@pytest.fixture
def app(rt: Runtime) -> FastAPI:  # the same database, the runtime's virtual clock
    return create_app(runtime=rt)


@pytest.fixture
def other(app: FastAPI, db_url: str) -> Iterator[ApiClient]:
    """An admin of a second tenant, zeta."""
    with ApiClient(app, headers={"Authorization": f"Bearer {admin_key(db_url, 'zeta')}"}) as c:
        yield c


@pytest.fixture
def run_id(rt: Runtime, client: ApiClient) -> int:
    """acme's lead (owned by manager max) went all the way through the workflow."""
    assert client.get("/api/v1/runs").status_code == 200  # the tenant exists
    publish(rt.store, rt.engine.catalog, WORKFLOW, T0, tenant_id="acme")
    lead = Contact(
        "c_acme1",
        first_name="Zoe",
        phone="+15125550123",
        time_zone="America/New_York",
        tenant_id="acme",
        owner="max",
    )
    rt.store.upsert_contacts([lead], T0)
    out = enroll(
        rt.store, rt.engine.catalog, "welcome", T0, contact_ids=["c_acme1"], tenant_id="acme"
    )
    (rid,) = out.run_ids
    worker = rt.worker("t")
    for moment in (T0, T0, T0 + DAY, T0 + DAY, T0 + DAY):
        worker.tick(moment)
    assert rt.store.get_run(rid).status == "completed"  # type: ignore[union-attr]
    return rid


def _state(client: ApiClient, rid: int) -> dict[str, Any]:
    return client.get(f"/api/v1/runs/{rid}/history").json()


def test_dry_run_by_default_lists_the_resend_and_changes_nothing(
    client: ApiClient, run_id: int
) -> None:
    before = _state(client, run_id)
    answer = client.post(f"/api/v1/runs/{run_id}/rewind", json={"to_node": "hello"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["dry_run"] is True
    assert body["resend"] == [{"node": "hello", "kind": "send_sms", "channel": "sms"}]
    assert body["stops"] == "waits at pause (wait)"
    assert body["changes"]["status"] == {"before": "completed", "after": "active"}
    assert body["changes"]["node"] == {"before": "bye", "after": "hello"}
    assert body["changes"]["wake_at"]["after"].endswith("Z")
    assert (body["status"], body["node"]) == ("completed", "bye")
    assert _state(client, run_id) == before


def test_rewind_sends_again_with_a_new_key_and_keeps_both_paths(
    client: ApiClient, rt: Runtime, run_id: int
) -> None:
    answer = client.post(
        f"/api/v1/runs/{run_id}/rewind", json={"to_node": "hello", "dry_run": False}
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["node"]) == ("active", "hello")
    rt.worker("t2").tick(rt.clock.now())
    history = _state(client, run_id)
    rewinds = [s for s in history["steps"] if s["kind"] == "rewind"]
    assert len(rewinds) == 1
    assert rewinds[0]["data"]["from_node"] == "bye"
    assert rewinds[0]["data"]["to_node"] == "hello"
    assert rewinds[0]["data"]["by"].startswith("key:")
    nodes = [s["node"] for s in history["steps"]]
    assert nodes[:4] == ["hello", "pause", "pause", "bye"] and nodes[-2:] == ["hello", "pause"]
    hellos = [m for m in history["messages"] if m["node"] == "hello"]
    assert len(hellos) == 2
    assert len({m["idempotency_key"] for m in hellos}) == 2


def test_a_second_tenants_key_gets_404_and_changes_nothing(
    client: ApiClient, other: ApiClient, run_id: int
) -> None:
    before = _state(client, run_id)
    for body in ({"to_node": "hello", "dry_run": False}, {"to_node": "hello"}):
        answer = other.post(f"/api/v1/runs/{run_id}/rewind", json=body)
        assert answer.status_code == 404, answer.text
        assert "hello" not in answer.text and "Zoe" not in answer.text
    assert _state(client, run_id) == before


def test_agents_are_refused_managers_of_the_lead_may_rewind(
    app: FastAPI, db_url: str, client: ApiClient, run_id: int
) -> None:
    agent = member_key(db_url, "agent", "max2")
    with ApiClient(app, headers={"Authorization": f"Bearer {agent}"}) as c:
        answer = c.post(f"/api/v1/runs/{run_id}/rewind", json={"to_node": "hello"})
    assert answer.status_code == 403, answer.text
    manager = member_key(db_url, "manager", "max")
    with ApiClient(app, headers={"Authorization": f"Bearer {manager}"}) as c:
        answer = c.post(f"/api/v1/runs/{run_id}/rewind", json={"from_step": 1, "dry_run": False})
    assert answer.status_code == 200, answer.text
    assert answer.json()["to_node"] == "hello"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to_node": "nowhere"}, "to_node"),
        ({}, "to_node"),
        ({"to_node": "hello", "from_step": 1}, "to_node"),
        ({"from_step": 99}, "from_step"),
        ({"from_step": 0}, "from_step"),
        ({"to_node": "hello", "when": "now"}, "when"),
    ],
)
def test_bad_requests_name_the_field_and_change_nothing(
    client: ApiClient, run_id: int, body: dict[str, Any], field: str
) -> None:
    before = _state(client, run_id)
    answer = client.post(f"/api/v1/runs/{run_id}/rewind", json={**body, "dry_run": False})
    assert answer.status_code in (400, 422), answer.text
    assert field in answer.text
    assert _state(client, run_id) == before


def test_a_cancelled_run_is_not_rewound(client: ApiClient, run_id: int) -> None:
    client.post(f"/api/v1/runs/{run_id}/rewind", json={"to_node": "pause", "dry_run": False})
    assert client.post(f"/api/v1/runs/{run_id}/cancel").status_code == 200
    answer = client.post(f"/api/v1/runs/{run_id}/rewind", json={"to_node": "hello"})
    assert answer.status_code == 409, answer.text
    assert "cancelled" in answer.text
    assert client.get("/api/v1/nowhere").status_code == 404
    missing = client.post("/api/v1/runs/999999/rewind", json={"to_node": "hello"})
    assert missing.status_code == 404
