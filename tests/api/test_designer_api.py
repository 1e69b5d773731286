"""What the designer adds to the API: simulating a definition (``POST /workflows/simulate``),
the layout stored with a draft (``PUT /workflows/{key}/draft/layout``), and the names a
workflow is written with (``GET /schema/events``, ``GET /schema/contact``); roles, bounds and
tenants."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import FastAPI

from leadflow.definitions.io import dump_yaml
from leadflow.definitions.models import WorkflowDefinition
from support.api_client import ApiClient, admin_key, assert_problem

SIMULATE = "/api/v1/workflows/simulate"


def branching(key: str = "sim-welcome") -> dict[str, Any]:
    """A text, a branch on the lead's state (two arms to one goal) and a webhook that fails."""
    return {
        "key": key,
        "name": "Sim welcome",
        "triggers": [{"type": "event", "event": "lead.created"}],
        "start": "hello",
        "nodes": [
            {
                "id": "hello",
                "kind": "send_sms",
                "body": "Hi {{ contact.first_name }}",
                "next": "pick",
            },
            {
                "id": "pick",
                "kind": "branch",
                "cases": [
                    {"when": {"field": "contact.state", "op": "eq", "value": "TX"}, "next": "won"}
                ],
                "default": "won",
            },
            {"id": "won", "kind": "goal", "goal": "converted"},
        ],
    }


def test_simulating_a_draft_gives_the_funnel_per_node_and_edge(client: ApiClient) -> None:
    answer = client.post(SIMULATE, json={"definition": branching(), "leads": 30, "days": 5})
    assert answer.status_code == 200, answer.text
    sim = answer.json()
    assert sim["key"] == "sim-welcome" and sim["leads"] == 30 and sim["virtual_days"] == 5
    nodes = {n["node"]: n for n in sim["nodes"]}
    assert set(nodes) == {"hello", "pick", "won"}
    entered = nodes["hello"]["entered"]
    assert 0 < entered <= 30
    hello = nodes["hello"]
    assert hello["completed"] + hello["failed"] + hello["current"] == entered
    assert nodes["pick"]["entered"] == nodes["pick"]["completed"] == nodes["won"]["entered"]
    assert nodes["won"]["exit_reasons"] == {"converted": nodes["won"]["entered"]}
    edges = {(e["source"], e["port"]): e for e in sim["edges"]}
    assert set(edges) == {("hello", "next"), ("pick", "cases[0].next"), ("pick", "default")}
    assert edges[("hello", "next")]["runs"] == nodes["pick"]["entered"]
    # the two arms of the branch lead to one node: each is counted by the branch's outcome
    split = edges[("pick", "cases[0].next")]["runs"], edges[("pick", "default")]["runs"]
    assert sum(split) == nodes["pick"]["entered"]
    assert split == (
        nodes["pick"]["outcomes"].get("case:0", 0),
        nodes["pick"]["outcomes"]["default"],
    )
    assert isinstance(sim["deferred_for_quiet_hours"], int) and sim["failure_list"] == []
    # the same seed, the same numbers; the tenant's data untouched
    again = client.post(SIMULATE, json={"definition": branching(), "leads": 30, "days": 5})
    assert again.json()["nodes"] == sim["nodes"]
    assert client.get("/api/v1/runs").json()["items"] == []
    assert client.get("/api/v1/workflows").json()["items"] == []


def test_failures_come_back_with_their_reasons(client: ApiClient) -> None:
    definition = branching("sim-fails")
    definition["nodes"][0]["body"] = "Hi {{ 1 // 0 }}"  # valid, and fails when rendered
    sim = client.post(SIMULATE, json={"definition": definition, "leads": 5, "days": 3}).json()
    assert sim["failure_list"] == [
        {
            "node": "hello",
            "reason": "template error at line 1: ZeroDivisionError: "
            "integer division or modulo by zero",
            "count": 5,
        }
    ]
    hello = {n["node"]: n for n in sim["nodes"]}["hello"]
    assert hello["entered"] == hello["failed"] == 5 and sim["runs"] == {"failed": 5}
    assert [e["runs"] for e in sim["edges"] if e["source"] == "hello"] == [0]


def test_bounds_and_bad_definitions_are_422_naming_the_field(client: ApiClient) -> None:
    for extra, field in (
        ({"leads": 501}, "body.leads"),
        ({"leads": 0}, "body.leads"),
        ({"days": 61}, "body.days"),
        ({"days": 0}, "body.days"),
        ({"seed": -1}, "body.seed"),
        ({"nope": 1}, "body.nope"),
    ):
        body = assert_problem(client.post(SIMULATE, json={"definition": branching(), **extra}), 422)
        assert field in [e["field"] for e in body["errors"]], (extra, body)  # type: ignore[union-attr]
    broken = {**branching(), "start": "nowhere"}
    body = assert_problem(client.post(SIMULATE, json={"definition": broken}), 422)
    assert "body.definition.start" in [e["field"] for e in body["errors"]]  # type: ignore[union-attr]


def test_an_agent_may_not_simulate(agent_ann: ApiClient) -> None:
    assert_problem(agent_ann.post(SIMULATE, json={"definition": branching()}), 403)


def starter(target: str) -> dict[str, Any]:
    return {
        "key": "starter",
        "name": "Starter",
        "triggers": [{"type": "event", "event": "lead.created"}],
        "start": "go",
        "nodes": [{"id": "go", "kind": "start_workflow", "workflow": target}],
    }


def test_a_started_workflow_is_the_callers_own(
    app: FastAPI, db_url: str, client: ApiClient
) -> None:
    theirs = admin_key(db_url, tenant="other")
    with ApiClient(app, headers={"Authorization": f"Bearer {theirs}"}) as other:
        made = other.post("/api/v1/workflows/nurture/publish", json=branching("nurture"))
        assert made.status_code == 201, made.text
        # the other tenant simulates its own starter: its nurture runs too
        sim = other.post(SIMULATE, json={"definition": starter("nurture"), "leads": 5, "days": 2})
        assert sim.status_code == 200, sim.text
        go = sim.json()["nodes"][0]
        assert go["entered"] > 0 and go["failed"] == 0 and sim.json()["failure_list"] == []
        assert any("nurture" in n for n in sim.json()["notes"])
        # acme names the other tenant's workflow: not there for acme
        body = assert_problem(client.post(SIMULATE, json={"definition": starter("nurture")}), 422)
        fields = [e["field"] for e in body["errors"]]  # type: ignore[union-attr]
        assert fields == ["body.definition.nodes[0](go).workflow"]


LAYOUT = {"nodes": {"hello": {"x": 10.5, "y": -20}, "pick": {"x": 300, "y": 140}}}


def test_a_drafts_layout_is_kept_beside_its_definition(client: ApiClient) -> None:
    definition = branching()
    path = "/api/v1/workflows/sim-welcome/draft"
    assert_problem(client.put(f"{path}/layout", json=LAYOUT), 404)  # no draft yet
    assert client.put(path, json=definition).status_code == 200
    assert client.get(path).json()["layout"] is None
    saved = client.put(f"{path}/layout", json=LAYOUT)
    assert saved.status_code == 200, saved.text
    expected = {"hello": {"x": 10.5, "y": -20.0}, "pick": {"x": 300.0, "y": 140.0}}
    assert saved.json()["layout"] == expected
    # saving the definition again keeps the layout; the definition never holds it
    assert client.put(path, json=definition).json()["layout"] == expected
    got = client.get(path).json()
    assert got["layout"] == expected and got["definition"] == definition
    parsed = WorkflowDefinition.model_validate(got["definition"])
    text = dump_yaml(parsed)
    assert "x:" not in text and text == dump_yaml(
        WorkflowDefinition.model_validate(yaml.safe_load(text))
    )


def test_a_bad_layout_is_422_naming_the_field(client: ApiClient, agent_ann: ApiClient) -> None:
    path = "/api/v1/workflows/sim-welcome/draft"
    client.put(path, json=branching())
    for layout, field in (
        ({"nodes": {"hello": {"x": "left", "y": 1}}}, "body.nodes.hello.x"),
        ({"nodes": {"hello": {"x": 1}}}, "body.nodes.hello.y"),
        ({"nodes": {"hello": {"x": 1, "y": 2, "z": 3}}}, "body.nodes.hello.z"),
        ({"nodes": []}, "body.nodes"),
        ({}, "body.nodes"),
        ({"nodes": {"hello": {"x": 1e12, "y": 2}}}, "nodes.hello.x"),
        ({"nodes": {"no such id!": {"x": 1, "y": 2}}}, "nodes"),
    ):
        body = assert_problem(client.put(f"{path}/layout", json=layout), 422)
        assert field in [e["field"] for e in body["errors"]], (layout, body)  # type: ignore[union-attr]
    assert client.get(path).json()["layout"] is None
    assert_problem(agent_ann.put(f"{path}/layout", json=LAYOUT), 403)


def test_another_tenants_draft_layout_is_not_there(
    app: FastAPI, db_url: str, client: ApiClient
) -> None:
    client.put("/api/v1/workflows/sim-welcome/draft", json=branching())
    theirs = admin_key(db_url, tenant="other")
    with ApiClient(app, headers={"Authorization": f"Bearer {theirs}"}) as other:
        assert_problem(other.put("/api/v1/workflows/sim-welcome/draft/layout", json=LAYOUT), 404)
        assert client.get("/api/v1/workflows/sim-welcome/draft").json()["layout"] is None


def test_publishing_a_draft_keeps_its_layout_for_the_published_versions(
    app: FastAPI, db_url: str, client: ApiClient, agent_ann: ApiClient
) -> None:
    base = "/api/v1/workflows/sim-welcome"
    expected = {"hello": {"x": 10.5, "y": -20.0}, "pick": {"x": 300.0, "y": 140.0}}
    assert_problem(client.put(f"{base}/layout", json=LAYOUT), 404)  # not published yet
    client.put(f"{base}/draft", json=branching())
    client.put(f"{base}/draft/layout", json=LAYOUT)
    assert client.post(f"{base}/publish").status_code == 201  # from the draft: deleted
    assert_problem(client.get(f"{base}/draft"), 404)
    assert client.get(base).json()["layout"] == expected
    assert client.get(f"{base}/versions/1").json()["layout"] == expected
    before = client.get(base).json()["definition"]
    # the designer moves the published nodes: kept for the key, the definition unchanged
    moved = {
        "nodes": {"hello": {"x": 0, "y": 0}, "pick": {"x": 0, "y": 90}, "won": {"x": 0, "y": 180}}
    }
    assert client.put(f"{base}/layout", json=moved).status_code == 204
    got = client.get(base).json()
    assert got["definition"] == before
    assert got["layout"] == {k: {"x": 0.0, "y": float(v["y"])} for k, v in moved["nodes"].items()}
    # a new draft published with a body keeps the draft's layout when it has one
    client.put(f"{base}/draft", json=branching())
    client.put(f"{base}/draft/layout", json=LAYOUT)
    changed = branching()
    changed["name"] = "Sim welcome 2"
    assert client.post(f"{base}/publish", json=changed).status_code == 201
    assert client.get(f"{base}/versions/2").json()["layout"] == expected
    body = assert_problem(
        client.put(f"{base}/layout", json={"nodes": {"hello": {"x": 1e12, "y": 0}}}), 422
    )
    assert "nodes.hello.x" in [e["field"] for e in body["errors"]]  # type: ignore[union-attr]
    assert_problem(agent_ann.put(f"{base}/layout", json=LAYOUT), 403)
    assert agent_ann.get(base).json()["layout"] == expected  # any key of the tenant reads it
    theirs = admin_key(db_url, tenant="other")
    with ApiClient(app, headers={"Authorization": f"Bearer {theirs}"}) as other:
        assert_problem(other.put(f"{base}/layout", json=LAYOUT), 404)
        assert_problem(other.get(base), 404)
        other.post(f"{base}/publish", json=branching())  # their own workflow of the same key
        assert other.get(base).json()["layout"] is None
        assert client.get(base).json()["layout"] == expected


def test_the_event_vocabulary_and_contact_fields_for_the_pickers(
    client: ApiClient, agent_ann: ApiClient
) -> None:
    events = agent_ann.get("/api/v1/schema/events")
    assert events.status_code == 200
    names = [e["name"] for e in events.json()["items"]]
    assert names[0] == "lead.created" and "sms.received" in names and len(names) == len(set(names))
    assert events.json()["aliases"]["property.viewed"] == "listing.viewed"
    contact = client.get("/api/v1/schema/contact").json()
    assert {"first_name", "state", "score_band", "fields", "tags"} <= set(contact["fields"])
    assert contact["roots"] == ["contact", "event", "context", "steps"]
    assert {"eq", "in", "between", "changed"} <= set(contact["ops"])
