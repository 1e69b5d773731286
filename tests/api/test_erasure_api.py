"""``DELETE /api/v1/contacts/{id}`` (right to erasure) and ``GET /api/v1/erasures``: a lead
that went through a real worker (event, run, sent text) is erased by its tenant's admin; its
run is cancelled, its personal data is gone from the SQLite file, an audit line without it is
kept, and another tenant's identical lead is untouched. Other tenants, agents and managers out
of scope are refused."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from leadflow.engine.workflows import publish
from leadflow.model.erasure import contact_digest
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.store.factory import open_store
from support.api_client import ApiClient, admin_key, assert_problem
from support.erasure_kit import all_rows, scan

PERSON = {"first_name": "Zenobia", "last_name": "Quillfeather", "time_zone": "America/Chicago"}
EMAIL, PHONE = "zenobia.q@example.org", "+15125550177"
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
    admin_key(db_url, "zeta")  # the second tenant exists before publishing
    rt = build_runtime(Settings(db=db_url))
    for tenant in ("acme", "zeta"):
        publish(rt.store, rt.engine.catalog, WELCOME, time.time(), tenant_id=tenant)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def zeta(app: FastAPI, db_url: str) -> Iterator[ApiClient]:
    with ApiClient(app, headers={"Authorization": f"Bearer {admin_key(db_url, 'zeta')}"}) as c:
        yield c


def daytime() -> float:
    day, now = 86400.0, time.time()
    moment = now - now % day + 16 * 3600
    return moment if moment > now + 60 else moment + day


def lead_with_history(client: ApiClient, rt: Runtime) -> str:
    made = client.post("/api/v1/contacts", json={**PERSON, "email": EMAIL, "phone": PHONE})
    assert made.status_code == 201, made.text
    cid = str(made.json()["id"])
    posted = client.post(
        "/api/v1/events",
        json={"type": "form.submitted", "contact_id": cid, "data": {"email": EMAIL}},
    )
    assert posted.status_code == 202, posted.text
    worker = rt.worker("erasure-test")
    for _ in range(8):
        if not worker.tick(daytime()):
            break
    (run,) = client.get("/api/v1/runs", params={"contact_id": cid}).json()["items"]
    assert run["status"] == "waiting"
    return cid


def test_an_admin_erases_a_lead_and_nothing_of_it_is_left(
    client: ApiClient, zeta: ApiClient, runtime: Runtime, db_url: str
) -> None:
    gone = lead_with_history(client, runtime)
    kept = lead_with_history(zeta, runtime)  # the same person at another brokerage
    (run,) = client.get("/api/v1/runs", params={"contact_id": gone}).json()["items"]

    assert_problem(zeta.delete(f"/api/v1/contacts/{gone}"), 404)  # never another tenant's
    erased = client.delete(f"/api/v1/contacts/{gone}")

    assert erased.status_code == 200, erased.text
    receipt = erased.json()
    assert receipt["contact_sha256"] == contact_digest(gone)
    assert receipt["erased_at"].endswith("Z") and receipt["erased_by"].startswith("key:")
    assert receipt["counts"]["contacts"] == 1 and receipt["counts"]["runs"] == 1
    assert receipt["counts"]["messages"] >= 1 and receipt["counts"]["events"] >= 1
    assert_problem(client.get(f"/api/v1/contacts/{gone}"), 404)
    assert_problem(client.delete(f"/api/v1/contacts/{gone}"), 404)
    assert [e["contact_sha256"] for e in client.get("/api/v1/erasures").json()] == [
        contact_digest(gone)
    ]
    assert zeta.get("/api/v1/erasures").json() == []
    store = open_store(db_url)
    try:
        stopped = store.get_run(run["id"])
        assert stopped is not None
        assert (stopped.status, stopped.exit_reason) == ("cancelled", "erased")
        rows = all_rows(store)
    finally:
        store.close()
    assert scan(rows, [gone]) == set()
    people = [r for r in rows["contacts"] if r[3] == EMAIL]
    assert [r[0] for r in people] == [kept]
    to_the_phone = [r for r in rows["messages"] if r[6] == PHONE]
    assert to_the_phone and all(r[2] == kept for r in to_the_phone)
    assert zeta.get(f"/api/v1/contacts/{kept}").json()["email"] == EMAIL


def test_agents_and_managers_out_of_scope_cannot_erase(
    client: ApiClient, agent_ann: ApiClient, manager: ApiClient
) -> None:
    cid = client.post("/api/v1/contacts", json={"email": EMAIL}).json()["id"]
    assert_problem(agent_ann.delete(f"/api/v1/contacts/{cid}"), 403)
    assert_problem(manager.delete(f"/api/v1/contacts/{cid}"), 404)  # not its team's lead
    assert_problem(manager.get("/api/v1/erasures"), 403)
    assert client.get(f"/api/v1/contacts/{cid}").status_code == 200
    owned = client.post("/api/v1/contacts", json={"email": "b@example.org", "owner": "max"})
    assert manager.delete(f"/api/v1/contacts/{owned.json()['id']}").status_code == 200
