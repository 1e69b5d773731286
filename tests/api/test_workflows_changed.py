"""``changed`` conditions through the API: misuse is named field by field, never a 5xx."""

from __future__ import annotations

from typing import Any

from support.api_client import ApiClient, assert_problem


def flow(when: dict[str, Any], trigger_filter: dict[str, Any] | None = None) -> dict[str, Any]:
    trigger: dict[str, Any] = {"type": "event", "event": "lead.created"}
    if trigger_filter is not None:
        trigger["filter"] = trigger_filter
    return {
        "key": "stage-watch",
        "name": "Stage watch",
        "triggers": [trigger],
        "start": "check",
        "nodes": [
            {"id": "check", "kind": "branch", "cases": [{"when": when, "next": "yes"}]},
            {"id": "yes", "kind": "send_sms", "body": "Moved"},
        ],
    }


def test_changed_outside_contact_and_in_a_trigger_filter_is_named(client: ApiClient) -> None:
    bad = flow(
        {"field": "event.data.stage", "op": "changed", "value": {"from": "a", "into": "b"}},
        trigger_filter={"field": "contact.stage", "op": "changed"},
    )
    checked = client.post("/api/v1/workflows/validate", json=bad)
    assert checked.status_code == 200
    body = checked.json()
    assert body["ok"] is False
    paths = {e["path"]: e["problem"] for e in body["errors"]}
    assert "contact.<name>" in paths["nodes[0](check).cases[0].when.field"]
    assert "{from: <value>, to: <value>}" in paths["nodes[0](check).cases[0].when.value"]
    assert "trigger decides before there is a run" in paths["triggers[0].filter"]
    refused = assert_problem(client.post("/api/v1/workflows/stage-watch/publish", json=bad), 422)
    fields = {e["field"] for e in refused["errors"]}  # type: ignore[union-attr]
    assert "body.nodes[0](check).cases[0].when.field" in fields


def test_a_well_formed_changed_condition_publishes(client: ApiClient) -> None:
    good = flow({"field": "contact.stage", "op": "changed", "value": {"to": "client"}})
    assert client.post("/api/v1/workflows/validate", json=good).json()["ok"] is True
    published = client.post("/api/v1/workflows/stage-watch/publish", json=good)
    assert published.status_code == 201, published.text
