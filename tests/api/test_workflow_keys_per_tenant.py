"""Workflow keys are per tenant, through real HTTP with each tenant's own admin key, on SQLite and
PostgreSQL: a definition can only reference its own tenant's workflows (at publish and again at
run time), two brokerages each publish ``new-lead-welcome`` with their own versions, drafts,
runs and experiments, and nothing answers "belongs to another tenant" any more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, assert_problem
from support.postgres import ENABLED
from support.stores import database

T0 = 1_767_290_400.0  # 2026-01-01T18:00:00Z: noon in Chicago, inside every send window
KEY = "new-lead-welcome"
MISSING = f"no workflow {KEY!r} in this tenant (publish it, or save it as a draft, first)"
A_SECRET = "Acme's private welcome text"


def welcome(body: str, *, split: bool = False) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {"id": "hello", "kind": "send_email", "subject": "Welcome", "body": body, "next": "later"},
        {"id": "later", "kind": "wait", "duration": "3d"},
    ]
    start = "hello"
    if split:
        start = "pick"
        arms = [
            {"name": "a", "weight": 1, "next": "hello"},
            {"name": "b", "weight": 1, "next": "hello"},
        ]
        experiment = {"metric": {"event": "appointment.booked"}, "decide": "manual"}
        nodes.insert(0, {"id": "pick", "kind": "split", "arms": arms, "experiment": experiment})
    return {
        "key": KEY,
        "name": "New lead welcome",
        "triggers": [{"type": "event", "event": "lead.created"}],
        "start": start,
        "nodes": nodes,
    }


def handoff(target: str, *, on_error: bool = False) -> dict[str, Any]:
    go: dict[str, Any] = {"id": "go", "kind": "start_workflow", "workflow": target}
    nodes: list[dict[str, Any]] = [
        {"id": "note", "kind": "update_contact", "add_tags": ["handed-off"], "next": "go"},
        go,
    ]
    if on_error:
        go["on_error"] = "fallback"
        nodes.append({"id": "fallback", "kind": "exit", "reason": "no_target"})
    return {
        "key": "handoff",
        "name": "Hand-off",
        "triggers": [{"type": "event", "event": "lead.created"}],
        "start": "note",
        "nodes": nodes,
    }


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgres" and not ENABLED:
        pytest.skip("LEADFLOW_TEST_POSTGRES=0")
    with database(request.param, tmp_path, "keys.db") as made:
        yield made


class Tenants:
    """One runtime (virtual clock) and an admin client per tenant, "acme" (A) and "rival" (B)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.rt: Runtime = build_runtime(Settings(db=url), clock=VirtualClock(T0))
        self.app = create_app(runtime=self.rt)
        self.a = ApiClient(self.app, {"Authorization": f"Bearer {admin_key(url, 'acme')}"})
        self.b = ApiClient(self.app, {"Authorization": f"Bearer {admin_key(url, 'rival')}"})

    def lead(self, client: ApiClient, name: str) -> str:
        body = {"first_name": name, "email": f"{name}@example.com", "time_zone": "America/Chicago"}
        made = client.post("/api/v1/contacts", json=body)
        assert made.status_code == 201, made.text
        posted = client.post(
            "/api/v1/events", json={"type": "lead.created", "contact_id": made.json()["id"]}
        )
        assert posted.status_code == 202, posted.text
        return str(made.json()["id"])

    def work(self) -> None:
        worker = self.rt.worker("keys-test")
        for _ in range(10):
            if not worker.tick(self.rt.clock.now()):
                return


@pytest.fixture
def t(url: str) -> Iterator[Tenants]:
    tenants = Tenants(url)
    with tenants.a, tenants.b:
        yield tenants
    tenants.rt.close()


def _publish(client: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    done = client.post(f"/api/v1/workflows/{body['key']}/publish", json=body)
    assert done.status_code in (200, 201), done.text  # 200: the same as the latest version
    found: dict[str, Any] = done.json()
    return found


def _runs(client: ApiClient, key: str) -> list[dict[str, Any]]:
    found = client.get("/api/v1/runs", params={"workflow_key": key}).json()["items"]
    return list(found)


# ---------------------------------------------------------------------------- references
def test_b_cannot_publish_a_start_workflow_into_as_key_same_answer_as_a_missing_key(
    t: Tenants,
) -> None:
    _publish(t.a, welcome(A_SECRET))
    into_a = assert_problem(t.b.post("/api/v1/workflows/handoff/publish", json=handoff(KEY)), 422)
    missing = handoff("no-such-workflow")
    nowhere = assert_problem(t.b.post("/api/v1/workflows/handoff/publish", json=missing), 422)
    assert into_a["errors"] == [{"field": "body.nodes[1](go).workflow", "problem": MISSING}]
    same = str(into_a).replace(KEY, "K").replace(str(into_a["request_id"]), "R")
    assert same == str(nowhere).replace("no-such-workflow", "K").replace(
        str(nowhere["request_id"]), "R"
    )
    # validate and a saved draft say the same, naming the field
    checked = t.b.post("/api/v1/workflows/validate", json=handoff(KEY)).json()
    assert checked["ok"] is False
    where = {"path": "nodes[1](go).workflow", "field": "body.nodes[1](go).workflow"}
    assert checked["errors"] == [where | {"problem": MISSING}]
    saved = t.b.put("/api/v1/workflows/handoff/draft", json=handoff(KEY))
    assert saved.status_code == 200 and saved.json()["validation"]["errors"] == checked["errors"]
    published = assert_problem(t.b.post("/api/v1/workflows/handoff/publish"), 422)
    assert published["errors"] == [{"field": "draft.nodes[1](go).workflow", "problem": MISSING}]
    assert t.b.get("/api/v1/workflows").json() == {"items": []}
    # A itself may reference its own workflow
    assert _publish(t.a, handoff(KEY))["version"] == 1


def test_a_target_in_draft_counts_only_in_its_own_tenant(t: Tenants) -> None:
    """Two workflows that start each other: the second is saved as a draft, then both are
    published. Another tenant's draft of that key counts for nothing."""
    target = {**welcome("later"), "key": "follow-up"}
    assert t.a.put("/api/v1/workflows/follow-up/draft", json=target).status_code == 200
    rival = assert_problem(
        t.b.post("/api/v1/workflows/handoff/publish", json=handoff("follow-up")), 422
    )
    assert rival["errors"] == [
        {"field": "body.nodes[1](go).workflow", "problem": MISSING.replace(KEY, "follow-up")}
    ]
    assert _publish(t.a, handoff("follow-up"))["version"] == 1


@pytest.mark.parametrize("on_error", [False, True], ids=["fails", "on_error"])
def test_a_smuggled_start_workflow_cannot_run_as_workflow(t: Tenants, on_error: bool) -> None:
    _publish(t.a, welcome(A_SECRET))
    # Past validation: written straight into the store as B's workflow.
    t.rt.store.publish_workflow("handoff", "Hand-off", handoff(KEY, on_error=on_error), T0, "rival")
    t.rt.engine.catalog.bump()
    lead = t.lead(t.b, "bea")
    t.work()
    [run] = _runs(t.b, "handoff")
    history = t.b.get(f"/api/v1/runs/{run['id']}/history").json()
    if on_error:
        assert (run["status"], run["exit_reason"]) == ("exited", "no_target")
    else:
        assert run["status"] == "failed"
        assert run["error"] == f"go: start_workflow: no workflow {KEY!r} in this tenant"
    step = next(s for s in history["steps"] if s["node"] == "go")
    assert step["error"] == f"start_workflow: no workflow {KEY!r} in this tenant"
    # B's lead never ran A's workflow: no run of that key anywhere, and no text of A's reached it
    assert _runs(t.b, KEY) == [] and _runs(t.a, KEY) == []
    assert t.rt.store.count_runs(KEY) == {}
    messages = t.b.get("/api/v1/messages", params={"contact_id": lead}).json()["items"]
    assert all(A_SECRET not in (m["body"] or "") for m in messages)
    assert t.a.get(f"/api/v1/workflows/{KEY}/runs-summary").json()["total"] == 0


# ---------------------------------------------------------------------------- same key
def test_two_tenants_each_publish_the_same_key_with_their_own_versions_and_runs(
    t: Tenants,
) -> None:
    assert _publish(t.a, welcome("A v1"))["version"] == 1
    b_first = _publish(t.b, welcome("B v1"))
    assert (b_first["key"], b_first["version"], b_first["created"]) == (KEY, 1, True)
    assert _publish(t.a, welcome("A v2"))["version"] == 2
    assert _publish(t.b, welcome("B v1"))["created"] is False  # same definition: no new version
    a_versions = t.a.get(f"/api/v1/workflows/{KEY}/versions").json()
    b_versions = t.b.get(f"/api/v1/workflows/{KEY}/versions").json()
    assert [v["version"] for v in a_versions["items"]] == [1, 2]
    assert [v["version"] for v in b_versions["items"]] == [1]
    b_latest = t.b.get(f"/api/v1/workflows/{KEY}").json()
    assert (b_latest["version"], b_latest["definition"]["nodes"][0]["body"]) == (1, "B v1")
    assert_problem(t.b.get(f"/api/v1/workflows/{KEY}", params={"version": 2}), 404)

    ann, bob = t.lead(t.a, "ann"), t.lead(t.b, "bob")
    t.work()
    [a_run], [b_run] = _runs(t.a, KEY), _runs(t.b, KEY)
    assert (a_run["contact_id"], a_run["version"]) == (ann, 2)
    assert (b_run["contact_id"], b_run["version"]) == (bob, 1)
    a_msgs = t.a.get("/api/v1/messages", params={"contact_id": ann}).json()["items"]
    b_msgs = t.b.get("/api/v1/messages", params={"contact_id": bob}).json()["items"]
    assert [m["body"] for m in a_msgs] == ["A v2"] and [m["body"] for m in b_msgs] == ["B v1"]
    for client in (t.a, t.b):
        summary = client.get(f"/api/v1/workflows/{KEY}/runs-summary").json()
        assert summary["total"] == 1
        counts = client.get(f"/api/v1/workflows/{KEY}/counts").json()["items"]
        assert sum(c["entered"] for c in counts if c["node"] == "hello") == 1
    # A migrates its runs to version 1: only A's run is counted and moved
    body = {"to_version": 1, "dry_run": False}
    moved = t.a.post(f"/api/v1/workflows/{KEY}/migrate", json=body).json()
    assert (moved["total"], moved["moved"]) == (1, 1)
    assert _runs(t.b, KEY)[0]["version"] == 1 and _runs(t.a, KEY)[0]["version"] == 1
    b_plan = t.b.post(f"/api/v1/workflows/{KEY}/migrate", json={"to_version": 1}).json()
    assert b_plan["total"] == 0  # B's run is already on B's version 1
    assert_problem(t.b.post(f"/api/v1/workflows/{KEY}/migrate", json={"to_version": 2}), 404)


def test_drafts_of_the_same_key_are_each_tenants_own(t: Tenants) -> None:
    saved = t.a.put(f"/api/v1/workflows/{KEY}/draft", json=welcome("A draft"))
    assert saved.status_code == 200, saved.text
    assert_problem(t.b.get(f"/api/v1/workflows/{KEY}/draft"), 404)
    assert t.b.get("/api/v1/workflows/drafts").json() == {"items": []}
    # B publishes the key A only has in draft: fine for B, and A's draft is untouched
    assert _publish(t.b, welcome("B live"))["version"] == 1
    mine = t.b.put(f"/api/v1/workflows/{KEY}/draft", json=welcome("B next"))
    assert mine.status_code == 200, mine.text
    a_draft = t.a.get(f"/api/v1/workflows/{KEY}/draft").json()
    assert a_draft["definition"]["nodes"][0]["body"] == "A draft"
    assert_problem(t.a.get(f"/api/v1/workflows/{KEY}"), 404)  # A has not published it
    assert t.b.delete(f"/api/v1/workflows/{KEY}/draft").status_code == 204
    assert t.a.get(f"/api/v1/workflows/{KEY}/draft").status_code == 200
    # A publishes its draft: version 1 of A's workflow, B's stays as it is
    assert _publish(t.a, welcome("A draft"))["version"] == 1
    assert t.b.get(f"/api/v1/workflows/{KEY}").json()["definition"]["nodes"][0]["body"] == "B live"


def test_no_answer_says_a_key_belongs_to_another_tenant(t: Tenants) -> None:
    _publish(t.a, welcome(A_SECRET))
    for response, status in (
        (t.b.put(f"/api/v1/workflows/{KEY}/draft", json=welcome("B")), 200),
        (t.b.post(f"/api/v1/workflows/{KEY}/publish", json=welcome("B")), 201),
    ):
        assert response.status_code == status, response.text
        assert "another tenant" not in response.text
    # B now has its own workflow of that key; a key nobody in B published stays a 404
    assert t.b.get(f"/api/v1/workflows/{KEY}/runs-summary").json()["total"] == 0
    missing = assert_problem(t.b.get("/api/v1/workflows/never-published/runs-summary"), 404)
    assert missing["detail"] == "no workflow 'never-published' is published"
    a_latest = t.a.get(f"/api/v1/workflows/{KEY}").json()
    assert a_latest["definition"]["nodes"][0]["body"] == A_SECRET and a_latest["version"] == 1


def test_experiments_of_the_same_key_are_each_tenants_own(t: Tenants) -> None:
    _publish(t.a, welcome("A", split=True))
    _publish(t.b, welcome("B", split=True))
    exp = f"{KEY}.pick"
    for client in (t.a, t.b):
        [item] = client.get("/api/v1/experiments").json()["items"]
        assert (item["key"], item["contacts"]) == (exp, 0)
    for name in ("ann", "amy", "al"):
        t.lead(t.a, name)
    t.lead(t.b, "bob")
    t.work()
    [a_item] = t.a.get("/api/v1/experiments").json()["items"]
    [b_item] = t.b.get("/api/v1/experiments").json()["items"]
    assert (a_item["contacts"], b_item["contacts"]) == (3, 1)
    stopped = t.b.post(f"/api/v1/experiments/{exp}/stop")
    assert stopped.status_code == 200, stopped.text
    assert t.a.get(f"/api/v1/experiments/{exp}").json()["status"] == "running"
    assert t.b.get(f"/api/v1/experiments/{exp}").json()["status"] == "stopped"
