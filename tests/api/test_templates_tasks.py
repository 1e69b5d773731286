"""Playbook templates and tasks through the API, with real keys of two tenants: install as a
draft or published (a bad parameter is named and nothing is written), tasks mine / my team's,
complete (recording task.completed), snooze, reassign; another tenant's task is a 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from leadflow.model.playbooks import Task
from leadflow.store.factory import open_store
from support.api_client import ApiClient, admin_key, assert_problem, member_key


@pytest.fixture
def beta(app: FastAPI, db_url: str) -> Iterator[ApiClient]:
    with ApiClient(app, headers={"Authorization": f"Bearer {admin_key(db_url, 'beta')}"}) as c:
        yield c


def test_templates_list_show_and_install(client: ApiClient, beta: ApiClient) -> None:
    items = client.get("/api/v1/templates").json()["items"]
    names = [t["name"] for t in items]
    assert len(names) == 9 and "hot-lead-acceleration" in names and "lead-routing" in names
    shown = client.get("/api/v1/templates/post-closing-care").json()
    checkin = next(p for p in shown["parameters"] if p["name"] == "checkin_days")
    assert (checkin["type"], checkin["default"], checkin["allowed"]) == ("integer", 30, "7 to 120")
    assert_problem(client.get("/api/v1/templates/nope"), 404)

    bad = client.post(
        "/api/v1/templates/post-closing-care/install",
        json={"parameters": {"checkin_days": 400, "send_time": "25:00", "colour": "red"}},
    )
    detail = str(assert_problem(bad, 422)["detail"])
    assert "checkin_days: 400 is above the maximum 120" in detail
    assert "send_time: '25:00' is not a time HH:MM" in detail
    assert "colour: no such parameter" in detail
    assert client.get("/api/v1/workflows/drafts").json()["items"] == []
    assert_problem(client.get("/api/v1/workflows/post-closing-care"), 404)

    draft = client.post(
        "/api/v1/templates/post-closing-care/install",
        json={"parameters": {"checkin_days": "45", "agent_name": "Dana"}},
    )
    assert draft.status_code == 201, draft.text
    assert draft.json()["status"] == "draft" and draft.json()["version"] is None
    node = next(n for n in draft.json()["definition"]["nodes"] if n["id"] == "wait_checkin")
    assert node["offset"] == 45
    assert [d["key"] for d in client.get("/api/v1/workflows/drafts").json()["items"]] == [
        "post-closing-care"
    ]
    published = client.post(
        "/api/v1/templates/new-lead-welcome/install", json={"publish": True}
    ).json()
    assert (published["status"], published["version"]) == ("published", 1)
    assert client.get("/api/v1/workflows/new-lead-welcome").status_code == 200
    # the other tenant has nothing of it, and gets its own version 1
    assert_problem(beta.get("/api/v1/workflows/new-lead-welcome"), 404)
    again = beta.post("/api/v1/templates/new-lead-welcome/install", json={"publish": True})
    assert again.json()["version"] == 1


def test_an_agent_key_cannot_install(app: FastAPI, db_url: str) -> None:
    token = member_key(db_url, "agent", "ann")
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as ann:
        assert_problem(ann.post("/api/v1/templates/lead-routing/install", json={}), 403)


def _task(db_url: str, tenant: str, assignee: str, key: str, contact: str = "") -> int:
    store = open_store(db_url)
    try:
        task, _ = store.create_task(
            Task(
                tenant,
                contact or f"{tenant}-lead",
                assignee,
                f"call for {assignee}",
                4e9,
                key,
                created_at=1,
            )
        )
    finally:
        store.close()
    return task.id


def test_tasks_mine_team_complete_snooze_reassign(
    app: FastAPI, db_url: str, manager: ApiClient, agent_ann: ApiClient, agent_bob: ApiClient
) -> None:
    beta_token = member_key(db_url, "agent", "zed", tenant="beta")
    ann_task = _task(db_url, "acme", "ann", "k1")
    bob_task = _task(db_url, "acme", "bob", "k2")
    zed_task = _task(db_url, "beta", "zed", "k3")
    mine = agent_ann.get("/api/v1/tasks").json()["items"]
    assert [t["id"] for t in mine] == [ann_task]
    team = manager.get("/api/v1/tasks", params={"which": "team"}).json()["items"]
    assert {t["id"] for t in team} == {ann_task, bob_task}
    assert_problem(agent_bob.get(f"/api/v1/tasks/{ann_task}"), 404)
    assert_problem(agent_ann.post(f"/api/v1/tasks/{zed_task}/complete"), 404)

    snoozed = agent_ann.post(f"/api/v1/tasks/{ann_task}/snooze", json={"minutes": 30})
    assert snoozed.status_code == 200, snoozed.text
    done = agent_ann.post(f"/api/v1/tasks/{ann_task}/complete").json()
    assert (done["status"], done["completed_by"]) == ("done", "ann")
    assert_problem(agent_ann.post(f"/api/v1/tasks/{ann_task}/complete"), 409)
    store = open_store(db_url)
    try:
        events = store.list_events("acme-lead", 10, 0, type="task.completed")
    finally:
        store.close()
    assert [e.data["task_id"] for e in events] == [ann_task]

    assert_problem(
        agent_bob.post(f"/api/v1/tasks/{bob_task}/reassign", json={"assignee": "ann"}), 403
    )
    moved = manager.post(f"/api/v1/tasks/{bob_task}/reassign", json={"assignee": "ann"})
    assert moved.json()["assignee"] == "ann"
    refused = manager.post(f"/api/v1/tasks/{bob_task}/reassign", json={"assignee": "zed"})
    assert "assignee: no Active agent 'zed'" in str(assert_problem(refused, 422)["detail"])
    # last: leaving this client's lifespan closes the app's store
    with ApiClient(app, headers={"Authorization": f"Bearer {beta_token}"}) as zed:
        assert_problem(zed.post(f"/api/v1/tasks/{ann_task}/complete"), 404)
        assert [t["id"] for t in zed.get("/api/v1/tasks").json()["items"]] == [zed_task]


def test_agent_profiles_are_set_by_whom_they_concern(
    app: FastAPI, db_url: str, manager: ApiClient, agent_ann: ApiClient, agent_bob: ApiClient
) -> None:
    beta_token = member_key(db_url, "agent", "zed", tenant="beta")
    mine = agent_ann.get("/api/v1/agents/ann/profile").json()
    assert (mine["hours_start"], mine["hours_end"], mine["available"]) == ("09:00", "18:00", True)
    body = {
        "time_zone": "America/Chicago",
        "hours_start": "08:00",
        "hours_end": "17:00",
        "urgent_after_hours": True,
        "areas": ["78704", " Austin "],
        "sources": ["Zillow"],
    }
    saved = agent_ann.put("/api/v1/agents/ann/profile", json=body).json()
    assert saved["areas"] == ["78704", "Austin"] and saved["urgent_after_hours"] is True
    assert_problem(agent_bob.put("/api/v1/agents/ann/profile", json=body), 404)
    assert manager.get("/api/v1/agents/ann/profile").json()["time_zone"] == "America/Chicago"
    bad = manager.put(
        "/api/v1/agents/ann/profile",
        json={**body, "hours_start": "19:00", "time_zone": "Mars/Base"},
    )
    detail = str(assert_problem(bad, 422)["detail"])
    assert "hours_end: must be after hours_start" in detail and "time_zone: 'Mars/Base'" in detail
    assert agent_ann.get("/api/v1/agents/ann/profile").json()["hours_start"] == "08:00"
    with ApiClient(app, headers={"Authorization": f"Bearer {beta_token}"}) as zed:
        assert_problem(zed.get("/api/v1/agents/ann/profile"), 404)


def test_the_tasks_about_one_contact(
    db_url: str, manager: ApiClient, agent_ann: ApiClient, agent_bob: ApiClient
) -> None:
    first = _task(db_url, "acme", "ann", "t1", contact="c-one")
    _task(db_url, "acme", "ann", "t2", contact="c-two")
    bobs = _task(db_url, "acme", "bob", "t3", contact="c-one")
    theirs = _task(db_url, "beta", "zed", "t4", contact="c-one")
    mine = agent_ann.get("/api/v1/tasks", params={"contact_id": "c-one"}).json()["items"]
    assert [t["id"] for t in mine] == [first]  # an agent: only its own tasks about the lead
    bob = agent_bob.get("/api/v1/tasks", params={"contact_id": "c-one"}).json()["items"]
    assert [t["id"] for t in bob] == [bobs]
    team = manager.get(
        "/api/v1/tasks", params={"which": "team", "contact_id": "c-one", "status": "all"}
    ).json()["items"]
    assert {t["id"] for t in team} == {first, bobs}  # never beta's task about its c-one
    assert theirs not in {t["id"] for t in team}
    assert (
        manager.get("/api/v1/tasks", params={"which": "team", "contact_id": "nobody"}).json()[
            "items"
        ]
        == []
    )
    body = assert_problem(manager.get("/api/v1/tasks", params={"contact_id": ""}), 422)
    assert "query.contact_id" in [e["field"] for e in body["errors"]]  # type: ignore[union-attr]
