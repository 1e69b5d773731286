"""``/api/v1/events``, ``/api/v1/runs`` and ``/api/v1/messages``: an event posted through the
API starts a run in a real worker; the run's history and messages are read back, and the run
is paused, resumed, cancelled and retried -- all inside the caller's scope."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from leadflow.api.app import create_app
from leadflow.engine.control import OWNER
from leadflow.engine.workflows import publish
from leadflow.model.records import Advance
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, assert_problem, member_key

WELCOME = {
    "key": "welcome",
    "name": "Welcome",
    "triggers": [{"type": "event", "event": "form.submitted"}],
    "start": "hello",
    "nodes": [
        {"id": "hello", "kind": "send_sms", "body": "Hi {{ contact.first_name }}", "next": "pause"},
        {"id": "pause", "kind": "wait", "duration": "3d", "next": "again"},
        {"id": "again", "kind": "send_sms", "body": "Still looking?"},
    ],
}


@pytest.fixture
def runtime(db_url: str) -> Iterator[Runtime]:
    rt = build_runtime(Settings(db=db_url))
    publish(rt.store, rt.engine.catalog, WELCOME, time.time(), tenant_id="acme")
    try:
        yield rt
    finally:
        rt.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def daytime() -> float:
    """The next 16:00 UTC (10:00 or 11:00 in Chicago): inside every legal send window."""
    day = 86400.0
    now = time.time()
    moment = now - now % day + 16 * 3600
    return moment if moment > now + 60 else moment + day


def work(rt: Runtime) -> None:
    """A real worker's passes at daytime, until nothing more is due then."""
    worker = rt.worker("api-test")
    moment = daytime()
    for _ in range(8):
        if not worker.tick(moment):
            return


def lead(client: ApiClient, name: str = "Dana", **kw: Any) -> str:
    kw.setdefault("time_zone", "America/Chicago")
    kw.setdefault("phone", f"+1512555{sum(map(ord, name)) % 100:04d}")
    kw.setdefault("email", f"{name.lower()}@example.com")
    made = client.post("/api/v1/contacts", json={"first_name": name, **kw})
    assert made.status_code in (200, 201), made.text
    return str(made.json()["id"])


def test_an_event_starts_a_run_whose_history_and_messages_are_readable(
    client: ApiClient, runtime: Runtime
) -> None:
    cid = lead(client, phone="+15125550123")
    posted = client.post(
        "/api/v1/events",
        json={"type": "form.submitted", "contact_id": cid, "data": {"form": "tour"}},
    )
    assert posted.status_code == 202 and posted.json()["duplicate"] is False
    work(runtime)
    [run] = client.get("/api/v1/runs", params={"workflow_key": "welcome"}).json()["items"]
    assert (run["contact_id"], run["status"], run["node"]) == (cid, "waiting", "pause")
    history = client.get(f"/api/v1/runs/{run['id']}/history").json()
    assert [s["node"] for s in history["steps"]][:2] == ["hello", "pause"]
    [msg] = history["messages"]
    assert (msg["body"], msg["to"], msg["status"]) == ("Hi Dana", "+15125550123", "delivered")
    listed = client.get("/api/v1/messages", params={"contact_id": cid}).json()["items"]
    assert [m["id"] for m in listed] == [msg["id"]]
    assert client.get(f"/api/v1/messages/{msg['id']}").json()["body"] == "Hi Dana"
    events = client.get("/api/v1/events", params={"contact_id": cid}).json()["items"]
    assert events[0]["type"] == "form.submitted" and events[0]["data"] == {"form": "tour"}


def test_a_dedupe_key_makes_a_retried_event_one_event(
    client: ApiClient, app: FastAPI, db_url: str
) -> None:
    cid = lead(client)
    body = {"type": "form.submitted", "contact_id": cid, "dedupe_key": "crm-42"}
    first = client.post("/api/v1/events", json=body).json()
    second = client.post("/api/v1/events", json=body).json()
    assert first["duplicate"] is False and isinstance(first["id"], int)
    # the retry answers with the id of the event it duplicates
    assert second == {"id": first["id"], "duplicate": True}
    assert len(client.get("/api/v1/events").json()["items"]) == 1
    # the same key in another tenant is that tenant's own first event, never acme's id
    with ApiClient(app, headers=bearer(admin_key(db_url, "globex"))) as globex:
        theirs = lead(globex, "Gail")
        other = globex.post("/api/v1/events", json={**body, "contact_id": theirs}).json()
        assert other["duplicate"] is False and other["id"] != first["id"]
        again = globex.post("/api/v1/events", json={**body, "contact_id": theirs}).json()
        assert again == {"id": other["id"], "duplicate": True}


def test_an_alias_is_stored_under_the_vocabularys_name(client: ApiClient) -> None:
    cid = lead(client)
    for sent in ("property.viewed", "website.visited", "quote.requested"):
        assert client.post("/api/v1/events", json={"type": sent, "contact_id": cid}).is_success
    stored = client.get("/api/v1/events", params={"contact_id": cid}).json()["items"]
    assert sorted(e["type"] for e in stored) == [
        "listing.viewed",
        "quote.requested",
        "site.visited",
    ]


def test_a_batch_is_stored_whole_or_not_at_all(client: ApiClient) -> None:
    cid = lead(client)
    events = [
        {"type": "page.viewed", "contact_id": cid, "dedupe_key": f"v{i % 40}"} for i in range(50)
    ]
    done = client.post("/api/v1/events/batch", json={"events": events})
    assert done.status_code == 202
    assert (done.json()["accepted"], done.json()["duplicates"]) == (40, 10)
    ids, dup = done.json()["ids"], done.json()["duplicate"]
    assert dup == [i >= 40 for i in range(50)]
    assert ids[40:] == ids[:10]  # each duplicate answers with its original's id
    again = client.post("/api/v1/events/batch", json={"events": events[:2]}).json()
    assert (again["accepted"], again["ids"], again["duplicate"]) == (0, ids[:2], [True, True])
    bad = [*events[:3], {"type": "page.viewed", "contact_id": "c_nobody"}]
    problem = assert_problem(client.post("/api/v1/events/batch", json={"events": bad}), 404)
    assert "events[3].contact_id" in str(problem["detail"])
    assert len(client.get("/api/v1/events", params={"limit": 1000}).json()["items"]) == 40
    too_many = {"events": [{"type": "x", "contact_id": cid}] * 10_001}
    problem = assert_problem(client.post("/api/v1/events/batch", json=too_many), 422)
    assert problem["errors"][0]["field"] == "body.events"  # type: ignore[index]
    problem = assert_problem(
        client.post("/api/v1/events", json={"type": "bad type!", "contact_id": cid}), 422
    )
    assert problem["errors"][0]["field"] == "body.type"  # type: ignore[index]


def test_pause_resume_cancel_and_retry(
    client: ApiClient, runtime: Runtime, app: FastAPI, db_url: str
) -> None:
    cid = lead(client)
    client.post("/api/v1/events", json={"type": "form.submitted", "contact_id": cid})
    work(runtime)
    [run] = client.get("/api/v1/runs").json()["items"]
    url = f"/api/v1/runs/{run['id']}"
    assert client.post(f"{url}/pause").json()["status"] == "paused"
    assert_problem(client.post(f"{url}/pause"), 409)
    assert client.post(f"{url}/resume").json()["status"] == "waiting"
    assert_problem(client.post(f"{url}/retry"), 409)  # only failed runs are retried
    token = member_key(db_url, "agent", "ann")
    with ApiClient(create_app(Settings(db=db_url)), headers=bearer(token)) as agent:
        assert_problem(agent.post(f"{url}/pause"), 404)  # not ann's lead: not there
        assert_problem(agent.post(f"{url}/cancel"), 403)  # agents never cancel
    assert client.post(f"{url}/cancel").json()["status"] == "cancelled"
    assert_problem(client.post(f"{url}/cancel"), 409)
    assert_problem(client.post(f"{url}/explode"), 422)

    # A run that failed at "again" is retried from that node.
    cid2 = lead(client, "Eve")
    client.post("/api/v1/events", json={"type": "form.submitted", "contact_id": cid2})
    work(runtime)
    [second] = client.get("/api/v1/runs", params={"contact_id": cid2}).json()["items"]
    stored = runtime.store.get_run(second["id"])
    assert stored is not None
    failed = Advance(
        stored.id,
        stored.seq,
        "again",
        "failed",
        None,
        dict(stored.context),
        stored.step_seq,
        error="provider down",
        ended_at=time.time(),
    )
    assert runtime.store.commit_advances(OWNER, [failed], time.time()).applied == 1
    retried = client.post(f"/api/v1/runs/{second['id']}/retry").json()
    assert (retried["status"], retried["node"], retried["error"]) == ("active", "again", None)
    work(runtime)
    history = client.get(f"/api/v1/runs/{second['id']}/history").json()
    assert history["run"]["status"] == "completed"
    assert [m["body"] for m in history["messages"]] == ["Hi Eve", "Still looking?"]


def test_agents_read_only_their_own_runs_events_and_messages(
    client: ApiClient, runtime: Runtime, app: FastAPI, db_url: str
) -> None:
    token = member_key(db_url, "agent", "ann")
    with ApiClient(app, headers=bearer(token)) as ann:
        mine = lead(ann, "Mine")
        theirs = lead(client, "Theirs")
        for cid in (mine, theirs):
            client.post("/api/v1/events", json={"type": "form.submitted", "contact_id": cid})
        work(runtime)
        assert len(client.get("/api/v1/runs").json()["items"]) == 2
        runs = ann.get("/api/v1/runs").json()["items"]
        assert [r["contact_id"] for r in runs] == [mine]
        assert {m["contact_id"] for m in ann.get("/api/v1/messages").json()["items"]} == {mine}
        assert {e["contact_id"] for e in ann.get("/api/v1/events").json()["items"]} == {mine}
        assert_problem(ann.post("/api/v1/events", json={"type": "x", "contact_id": theirs}), 404)
        assert ann.post(f"/api/v1/runs/{runs[0]['id']}/pause").json()["status"] == "paused"
        assert_problem(ann.post(f"/api/v1/runs/{runs[0]['id']}/cancel"), 403)


FORK = {
    "key": "fork",
    "name": "Fork",
    "triggers": [{"type": "event", "event": "form.submitted"}],
    "start": "both",
    "nodes": [
        {
            "id": "both",
            "kind": "parallel",
            "branches": [{"name": "text", "start": "t"}, {"name": "later", "start": "w"}],
            "next": "done",
        },
        {"id": "t", "kind": "send_sms", "body": "Hi {{ contact.first_name }}"},
        {"id": "w", "kind": "wait", "duration": "2d"},
        {"id": "done", "kind": "update_contact", "add_tags": ["joined"]},
    ],
}


def test_branch_runs_are_listed_with_their_parent_inside_the_tenant(
    client: ApiClient, runtime: Runtime, app: FastAPI, db_url: str
) -> None:
    publish(runtime.store, runtime.engine.catalog, FORK, time.time(), tenant_id="acme")
    cid = lead(client)
    client.post("/api/v1/events", json={"type": "form.submitted", "contact_id": cid})
    work(runtime)
    runs = client.get("/api/v1/runs", params={"workflow_key": "fork"}).json()["items"]
    [parent] = [r for r in runs if r["parent_run_id"] is None]
    branches = {r["branch"]: r for r in runs if r["parent_run_id"] == parent["id"]}
    assert (parent["status"], parent["node"], parent["branch"]) == ("waiting", "both", None)
    assert sorted(branches) == ["later", "text"]
    assert (branches["text"]["status"], branches["later"]["status"]) == ("completed", "waiting")
    one = client.get(f"/api/v1/runs/{branches['later']['id']}").json()
    assert (one["parent_run_id"], one["branch"]) == (parent["id"], "later")
    # Cancelling the parent cancels its branch still waiting.
    assert client.post(f"/api/v1/runs/{parent['id']}/cancel").status_code == 200
    later = client.get(f"/api/v1/runs/{branches['later']['id']}").json()
    assert (later["status"], later["exit_reason"]) == ("cancelled", "parallel:cancelled")
    with ApiClient(app, headers=bearer(admin_key(db_url, "globex"))) as globex:
        assert globex.get(f"/api/v1/runs/{branches['later']['id']}").status_code == 404
        assert globex.get("/api/v1/runs", params={"workflow_key": "fork"}).json()["items"] == []
