"""``/api/v1/workflows``: what is published, drafts, validation, publishing, versions, diffs,
migrating runs, node counts; roles and tenants."""

from __future__ import annotations

import json
from unittest.mock import ANY

import httpx
import pytest
from fastapi import FastAPI

from leadflow.engine.workflows import enroll
from leadflow.model.records import Contact, RunFilter
from leadflow.model.tenancy import Agent
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.store.factory import open_store
from leadflow.tenancy import accounts
from support.api_client import ApiClient, admin_key, assert_problem

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def definition(key: str, body: str) -> dict[str, object]:
    return {
        "key": key,
        "name": key.title(),
        "start": "hello",
        "nodes": [{"id": "hello", "kind": "send_sms", "body": body}],
    }


@pytest.fixture
def published(db_url: str) -> str:
    store = open_store(Settings(db=db_url).db)
    try:
        store.publish_workflow("welcome", "Welcome", definition("welcome", "v1"), T0, "acme")
        store.publish_workflow("welcome", "Welcome", definition("welcome", "v2"), T0 + 60, "acme")
        store.publish_workflow("nurture", "Nurture", definition("nurture", "hi"), T0 + 120, "acme")
        store.publish_workflow("theirs", "Theirs", definition("theirs", "x"), T0, "other")
    finally:
        store.close()
    return db_url


def test_an_empty_database_lists_no_workflows(client: ApiClient) -> None:
    response = client.get("/api/v1/workflows")
    assert response.status_code == 200
    assert response.json() == {"items": []}


def test_lists_the_latest_version_of_each_workflow(published: str, client: ApiClient) -> None:
    assert client.get("/api/v1/workflows").json() == {
        "items": [
            {
                "key": "nurture",
                "name": "Nurture",
                "version": 1,
                "published_at": "2026-01-01T00:02:00Z",
            },
            {
                "key": "welcome",
                "name": "Welcome",
                "version": 2,
                "published_at": "2026-01-01T00:01:00Z",
            },
        ]
    }


def test_shows_the_latest_version_or_the_one_asked_for(published: str, client: ApiClient) -> None:
    latest = client.get("/api/v1/workflows/welcome").json()
    assert latest["version"] == 2 and latest["definition"]["nodes"][0]["body"] == "v2"
    first = client.get("/api/v1/workflows/welcome", params={"version": 1}).json()
    assert first["version"] == 1 and first["definition"]["nodes"][0]["body"] == "v1"
    assert first["published_at"] == "2026-01-01T00:00:00Z"


def test_an_unknown_workflow_or_version_is_a_404_problem(published: str, client: ApiClient) -> None:
    body = assert_problem(client.get("/api/v1/workflows/nope"), 404)
    assert body["detail"] == "no workflow 'nope' is published"
    body = assert_problem(client.get("/api/v1/workflows/welcome?version=9"), 404)
    assert body["detail"] == "workflow 'welcome' has no version 9"


@pytest.mark.parametrize("version", ["0", "-1", "two", "1.5"])
def test_version_must_be_a_positive_integer(client: ApiClient, version: str) -> None:
    response = client.get("/api/v1/workflows/welcome", params={"version": version})
    body = assert_problem(response, 422)
    errors = body["errors"]
    assert isinstance(errors, list) and [e["field"] for e in errors] == ["query.version"]


def test_another_tenants_workflow_is_not_there(client: ApiClient, published: str) -> None:
    listed = client.get("/api/v1/workflows").json()["items"]
    assert "theirs" not in [w["key"] for w in listed]
    assert_problem(client.get("/api/v1/workflows/theirs"), 404)
    assert_problem(client.get("/api/v1/workflows/theirs", params={"version": 1}), 404)


# ---------------------------------------------------------------------------- the whole lifecycle
V1: dict[str, object] = {
    "key": "welcome",
    "name": "Welcome",
    "start": "hello",
    "nodes": [
        {"id": "hello", "kind": "send_sms", "body": "Hi", "next": "pause"},
        {"id": "pause", "kind": "wait", "duration": "1d", "next": "bye"},
        {"id": "bye", "kind": "send_sms", "body": "Bye"},
    ],
}
V2: dict[str, object] = {
    **V1,
    "name": "Welcome back",
    "start": "greet",
    "nodes": [
        {"id": "greet", "kind": "send_sms", "body": "Hello", "next": "pause"},
        {"id": "pause", "kind": "wait", "duration": "2d"},
    ],
}
BROKEN: dict[str, object] = {**V1, "nodes": [{"id": "hello", "kind": "nope"}]}


def put(client: ApiClient, url: str, body: object) -> httpx.Response:
    return client.request("PUT", url, json=body)


def enroll_two_leads(db_url: str) -> None:
    """Two leads of acme (one owned by agent a1) in the latest version of ``welcome``."""
    rt = build_runtime(Settings(db=db_url))
    try:
        rt.store.upsert_contacts(
            [Contact("c1", owner="a1", tenant_id="acme"), Contact("c2", tenant_id="acme")], T0
        )
        out = enroll(
            rt.store, rt.engine.catalog, "welcome", T0, contact_ids=["c1", "c2"], tenant_id="acme"
        )
        assert out.created == 2
    finally:
        rt.close()


def open_runs(db_url: str) -> list[tuple[str, int, str | None]]:
    store = open_store(db_url)
    try:
        runs = store.list_runs(RunFilter(workflow_key="welcome"))
        return sorted((r.contact_id, r.version, r.node) for r in runs)
    finally:
        store.close()


def move(old: str, new: str | None) -> dict[str, object]:
    timing = "" if new is None else "kept"  # unmapped, or the same kind of node
    return {"from_version": 1, "from_node": old, "to_node": new, "runs": 2, "timing": timing}


def test_draft_validate_publish_diff_migrate(client: ApiClient, db_url: str) -> None:
    checked = client.post("/api/v1/workflows/validate", json=BROKEN)
    assert checked.status_code == 200
    assert checked.json()["ok"] is False
    where = {"path": "nodes[0](hello).kind", "field": "body.nodes[0](hello).kind", "problem": ANY}
    assert where in checked.json()["errors"]  # `field` names it as a 400/422 problem does
    assert client.post("/api/v1/workflows/validate", json=V1).json() == {
        "ok": True,
        "errors": [],
        "warnings": [],
    }

    saved = put(client, "/api/v1/workflows/welcome/draft", BROKEN)
    assert saved.status_code == 200 and saved.json()["validation"]["ok"] is False
    assert client.get("/api/v1/workflows/drafts").json()["items"] == [
        {"key": "welcome", "name": "Welcome", "updated_at": ANY, "updated_by": ANY}
    ]
    body = assert_problem(client.post("/api/v1/workflows/welcome/publish"), 422)
    assert {"field": "draft.nodes[0](hello).kind", "problem": ANY} in body["errors"]  # type: ignore[operator]

    assert put(client, "/api/v1/workflows/welcome/draft", V1).json()["validation"]["ok"] is True
    assert client.get("/api/v1/workflows/welcome/draft").json()["definition"] == V1
    first = client.post("/api/v1/workflows/welcome/publish")
    assert first.status_code == 201, first.text  # a version was created
    assert first.json() | {"published_at": None} == {
        "key": "welcome",
        "version": 1,
        "name": "Welcome",
        "published_at": None,
        "created": True,
    }
    assert_problem(client.get("/api/v1/workflows/welcome/draft"), 404)  # published: gone
    assert client.get("/api/v1/workflows/drafts").json() == {"items": []}
    enroll_two_leads(db_url)

    second = client.post("/api/v1/workflows/welcome/publish", json=V2)
    assert (second.status_code, second.json()["version"], second.json()["created"]) == (
        201,
        2,
        True,
    )
    again = client.post("/api/v1/workflows/welcome/publish", json=V2)  # the same: nothing new
    assert (again.status_code, again.json()["version"], again.json()["created"]) == (200, 2, False)
    versions = client.get("/api/v1/workflows/welcome/versions").json()
    assert [(v["version"], v["name"]) for v in versions["items"]] == [
        (1, "Welcome"),
        (2, "Welcome back"),
    ]
    shown = client.get("/api/v1/workflows/welcome/versions/1").json()
    assert shown["version"] == 1 and shown["definition"]["start"] == "hello"

    diff = client.get("/api/v1/workflows/welcome/diff", params={"from": 1, "to": 2}).json()
    assert diff["nodes_added"] == ["greet"] and diff["nodes_removed"] == ["hello", "bye"]
    assert diff["nodes_changed"] == [{"id": "pause", "fields": ["next", "duration"]}]
    assert diff["fields_changed"] == ["name", "start"] and diff["same"] is False
    assert diff["text"].startswith("--- welcome v1\n+++ welcome v2\n")
    assert "\n-name: Welcome\n" in diff["text"] and "\n+name: Welcome back\n" in diff["text"]

    migrate = "/api/v1/workflows/welcome/migrate"
    unmapped = client.post(migrate, json={"to_version": 2}).json()
    assert unmapped["dry_run"] is True and (unmapped["total"], unmapped["unmapped"]) == (2, 2)
    assert unmapped["moves"] == [
        {"from_version": 1, "from_node": "hello", "to_node": None, "runs": 2, "timing": ""}
    ]
    refused = assert_problem(client.post(migrate, json={"to_version": 2, "dry_run": False}), 422)
    assert refused["detail"] == (
        "runs at nodes with no counterpart in version 2: v1:hello (2); "
        "map them in mapping or set skip_unmapped"
    )
    nowhere = {"to_version": 2, "mapping": {"hello": "gone"}}
    assert assert_problem(client.post(migrate, json=nowhere), 422)["detail"] == (
        "mapping: no node 'gone' in version 2"
    )
    plan = {"to_version": 2, "from_version": 1, "mapping": {"hello": "greet"}}
    dry = client.post(migrate, json=plan).json()
    assert dry["moves"] == [
        {"from_version": 1, "from_node": "hello", "to_node": "greet", "runs": 2, "timing": "kept"}
    ]
    assert (dry["unmapped"], dry["moved"]) == (0, 0)
    assert open_runs(db_url) == [("c1", 1, "hello"), ("c2", 1, "hello")]
    done = client.post(migrate, json={**plan, "dry_run": False}).json()
    assert (done["dry_run"], done["moved"], done["conflicts"]) == (False, 2, 0)
    assert open_runs(db_url) == [("c1", 2, "greet"), ("c2", 2, "greet")]

    counts = client.get("/api/v1/workflows/welcome/counts").json()
    assert counts["key"] == "welcome"
    assert sum(c["current"] for c in counts["items"]) == 2
    summary = client.get("/api/v1/workflows/welcome/runs-summary").json()
    assert summary == {"key": "welcome", "by_status": {"active": 2}, "total": 2}


def test_the_draft_key_must_be_the_path_key(client: ApiClient) -> None:
    body = assert_problem(put(client, "/api/v1/workflows/other-key/draft", V1), 422)
    assert [e["field"] for e in body["errors"]] == ["body.key"]  # type: ignore[union-attr]
    body = assert_problem(client.post("/api/v1/workflows/other-key/publish", json=V1), 422)
    assert [e["field"] for e in body["errors"]] == ["body.key"]  # type: ignore[union-attr]


def test_publishing_an_invalid_body_names_every_problem(client: ApiClient) -> None:
    broken = {**V1, "start": "nowhere", "nodes": [{"id": "hello", "kind": "nope"}]}
    body = assert_problem(client.post("/api/v1/workflows/welcome/publish", json=broken), 422)
    fields = [e["field"] for e in body["errors"]]  # type: ignore[union-attr]
    assert "body.nodes[0](hello).kind" in fields and "body.start" in fields
    assert_problem(client.post("/api/v1/workflows/welcome/publish"), 404)  # no draft either
    assert_problem(client.get("/api/v1/workflows/welcome/versions"), 404)


def test_drafts_can_be_deleted(client: ApiClient) -> None:
    put(client, "/api/v1/workflows/welcome/draft", V1)
    assert client.request("DELETE", "/api/v1/workflows/welcome/draft").status_code == 204
    assert_problem(client.request("DELETE", "/api/v1/workflows/welcome/draft"), 404)
    assert_problem(client.get("/api/v1/workflows/welcome/draft"), 404)


def test_agents_read_but_do_not_write(client: ApiClient, app: FastAPI, db_url: str) -> None:
    assert client.post("/api/v1/workflows/welcome/publish", json=V1).status_code == 201
    enroll_two_leads(db_url)
    store = open_store(db_url)
    try:
        accounts.add_agents(store, "acme", [Agent("acme", "a1")], 0.0)
        _, token = accounts.create_key(store, "acme", "agent", 0.0, member_key="a1")
    finally:
        store.close()
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as agent:
        assert_problem(agent.post("/api/v1/workflows/welcome/publish", json=V1), 403)
        assert_problem(put(agent, "/api/v1/workflows/welcome/draft", V1), 403)
        assert_problem(agent.request("DELETE", "/api/v1/workflows/welcome/draft"), 403)
        assert_problem(agent.post("/api/v1/workflows/welcome/migrate", json={"to_version": 1}), 403)
        assert agent.get("/api/v1/workflows/welcome/versions").status_code == 200
        counts = agent.get("/api/v1/workflows/welcome/counts").json()["items"]
        assert sum(c["current"] for c in counts) == 1  # only the lead a1 owns
        summary = agent.get("/api/v1/workflows/welcome/runs-summary").json()
        assert (summary["total"], sum(summary["by_status"].values())) == (1, 1)


OTHER_TENANT_ROUTES = [
    ("GET", "/api/v1/workflows/welcome", None),
    ("GET", "/api/v1/workflows/welcome/draft", None),
    ("DELETE", "/api/v1/workflows/welcome/draft", None),
    ("GET", "/api/v1/workflows/welcome/versions", None),
    ("GET", "/api/v1/workflows/welcome/versions/1", None),
    ("GET", "/api/v1/workflows/welcome/diff?from=1&to=1", None),
    ("POST", "/api/v1/workflows/welcome/migrate", {"to_version": 1}),
    ("GET", "/api/v1/workflows/welcome/counts", None),
    ("GET", "/api/v1/workflows/welcome/runs-summary", None),
]


def test_another_tenant_finds_nothing_and_its_own_key_is_its_own(
    client: ApiClient, app: FastAPI, db_url: str
) -> None:
    assert client.post("/api/v1/workflows/welcome/publish", json=V1).status_code == 201
    token = admin_key(db_url, tenant="other")
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as other:
        for method, url, body in OTHER_TENANT_ROUTES:
            found = assert_problem(other.request(method, url, json=body), 404)
            missing = "workflow 'welcome' has no draft" if url.endswith("/draft") else None
            assert found["detail"] == (missing or "no workflow 'welcome' is published"), url
        assert other.get("/api/v1/workflows/drafts").json() == {"items": []}
        # The key is per tenant: "other" publishes its own welcome, version 1.
        mine = other.post("/api/v1/workflows/welcome/publish", json=V2)
        assert (mine.status_code, mine.json()["version"]) == (201, 1)
        assert put(other, "/api/v1/workflows/welcome/draft", V1).status_code == 200
    store = open_store(db_url)
    try:
        latest = store.get_workflow("acme", "welcome")
        assert latest is not None and (latest.tenant_id, latest.version) == ("acme", 1)
        assert latest.name == V1["name"]
        assert store.get_draft("acme", "welcome") is None
    finally:
        store.close()


def test_the_key_drafts_is_reserved_by_the_api(client: ApiClient) -> None:
    body = definition("drafts", "hi")
    problem = assert_problem(
        client.request("PUT", "/api/v1/workflows/drafts/draft", json=body), 422
    )
    assert "reserved" in json.dumps(problem["errors"])
    assert_problem(client.post("/api/v1/workflows/drafts/publish", json=body), 422)
    assert client.get("/api/v1/workflows/drafts").json()["items"] == []


# ------------------------------------------------------------------------ enrolling over the API
def test_enroll_starts_runs_once_and_the_re_entry_policy_skips_the_second_time(
    client: ApiClient, db_url: str
) -> None:
    assert client.post("/api/v1/workflows/welcome/publish", json=V1).status_code == 201
    store = open_store(db_url)
    try:
        store.upsert_contacts(
            [Contact("c1", tenant_id="acme"), Contact("c2", tenant_id="acme")], T0
        )
    finally:
        store.close()
    first = client.post("/api/v1/workflows/welcome/enroll", json={"contact_ids": ["c1", "c2"]})
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["skipped"]) == (2, 0)
    assert len(first.json()["run_ids"]) == 2
    assert [r[0] for r in open_runs(db_url)] == ["c1", "c2"]
    again = client.post("/api/v1/workflows/welcome/enroll", json={"all": True}).json()
    assert (again["created"], again["skipped"]) == (0, 2)  # still running: no second run
    assert len(open_runs(db_url)) == 2


def test_enroll_names_a_bad_body_and_an_unknown_workflow(client: ApiClient) -> None:
    both = client.post(
        "/api/v1/workflows/welcome/enroll", json={"contact_ids": ["c1"], "all": True}
    )
    assert "contact_ids" in str(assert_problem(both, 422))
    body = assert_problem(client.post("/api/v1/workflows/nope/enroll", json={"all": True}), 404)
    assert "nope" in str(body)


def test_another_tenants_contact_is_refused_as_unknown_and_nothing_is_enrolled(
    client: ApiClient, app: FastAPI, db_url: str
) -> None:
    assert client.post("/api/v1/workflows/welcome/publish", json=V1).status_code == 201
    other = admin_key(db_url, tenant="other")
    store = open_store(db_url)
    try:
        store.upsert_contacts(
            [Contact("c1", tenant_id="acme"), Contact("theirs", tenant_id="other")], T0
        )
    finally:
        store.close()
    mixed = client.post("/api/v1/workflows/welcome/enroll", json={"contact_ids": ["c1", "theirs"]})
    nobody = client.post("/api/v1/workflows/welcome/enroll", json={"contact_ids": ["c1", "ghost"]})
    assert assert_problem(mixed, 404)["detail"] == assert_problem(nobody, 404)["detail"].replace(
        "ghost", "theirs"
    )  # the same words for another tenant's lead as for nobody's
    assert open_runs(db_url) == []  # c1 was not enrolled either
    with ApiClient(app, headers={"Authorization": f"Bearer {other}"}) as theirs:
        # acme's workflow does not exist for the other tenant, even for its own contact
        refused = theirs.post("/api/v1/workflows/welcome/enroll", json={"contact_ids": ["theirs"]})
        assert_problem(refused, 404)
    assert open_runs(db_url) == []
