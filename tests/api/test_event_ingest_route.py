"""``POST /api/v1/events``'s short way (leadflow.api.routers.events.IngestRoute) and its place
first among the routes (leadflow.api.app.HotPath): every request gets the answer FastAPI's whole
way gives it, and the OpenAPI document does not change."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.routing import Match

from leadflow.api.app import HotPath
from leadflow.api.routers.events import IngestRoute
from support.api_client import ApiClient

GOOD = b'{"type":"form.submitted","contact_id":"%s","data":{"a":1},"dedupe_key":"%s"}'
JSON = {"content-type": "application/json"}


def _cases(cid: str, tag: str) -> list[tuple[str, bytes, dict[str, str]]]:
    def good(key: str, **swap: str) -> bytes:
        body = GOOD % (cid.encode(), f"{tag}-{key}".encode())
        for old, new in swap.items():
            body = body.replace(old.encode(), new.encode())
        return body

    return [
        ("new", good("k1"), JSON),
        ("duplicate", good("k1"), JSON),
        ("charset", good("k2"), {"content-type": "application/json; charset=utf-8"}),
        ("plus-json", good("k3"), {"content-type": "application/vnd.lead+json"}),
        ("no content type", good("k4"), {}),
        ("text", good("k5"), {"content-type": "text/plain"}),
        ("empty", b"", JSON),
        ("not JSON", b'{"type":', JSON),
        ("not JSON, no key", b'{"type":', {**JSON, "authorization": ""}),
        ("no key", good("k6"), {**JSON, "authorization": ""}),
        ("unknown key", good("k7"), {**JSON, "authorization": "Bearer lf_nope"}),
        ("invalid, no key", b'{"type":"x"}', {**JSON, "authorization": ""}),
        ("missing field", b'{"type":"x"}', JSON),
        ("extra field", b'{"type":"x","contact_id":"c","zzz":1}', JSON),
        ("a list", b"[1,2]", JSON),
        ("BOM", b"\xef\xbb\xbf" + good("k8"), JSON),
        ("control character", good("k\t9"), JSON),
        ("huge integer", good("k10", **{'"a":1': '"a":' + "9" * 5000}), JSON),
        ("unknown contact", good("k11", **{cid: "nobody"}), JSON),
        ("string id", good("k12", **{'"a":1': '"message_id":"7"'}), JSON),
        ("bad time", good("k13", **{'"a":1': '"a":1},"occurred_at":"soon","x":{'}), JSON),
        (
            "yaml",
            f"type: a.b\ncontact_id: {cid}\ndedupe_key: {tag}-k14\n".encode(),
            {"content-type": "application/yaml"},
        ),
    ]


def _answers(client: ApiClient, cid: str, tag: str) -> list[tuple[str, int, Any, str]]:
    found: list[tuple[str, int, Any, str]] = []
    for name, body, headers in _cases(cid, tag):
        response = client.post("/api/v1/events", content=body, headers=headers)
        text = re.sub(r'"(request_id|id)":("[^"]*"|\d+)', r'"\1":X', response.text)
        text = text.replace(tag, "TAG")
        answered = sorted(
            (k, v)
            for k, v in response.headers.items()
            if k not in ("x-request-id", "content-length")
        )
        found.append((name, response.status_code, answered, text))
    return found


def _contact(client: ApiClient) -> str:
    made = client.post("/api/v1/contacts", json={"first_name": "Dana", "phone": "+15125550100"})
    assert made.status_code in (200, 201), made.text
    return str(made.json()["id"])


def test_the_short_way_answers_as_fastapis_whole_way(client: ApiClient, app: FastAPI) -> None:
    cid = _contact(client)
    short = _answers(client, cid, "qq1")
    # Any dependency override sends every request the whole FastAPI way.
    app.dependency_overrides[_contact] = lambda: None
    try:
        whole = _answers(client, cid, "qq2")
    finally:
        app.dependency_overrides.clear()
    assert short == whole
    assert [s for _, s, _, _ in short][:4] == [202, 202, 202, 202]


def test_the_route_is_an_ingest_route_matched_first_and_documented(app: FastAPI) -> None:
    first = app.router.routes[0]
    assert isinstance(first, HotPath)
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/api/v1/events"}
    assert first.matches({**scope, "root_path": "", "headers": []})[0] == Match.FULL
    for other in ({"method": "GET"}, {"path": "/api/v1/events/batch"}, {"type": "websocket"}):
        assert first.matches({**scope, "root_path": "", "headers": [], **other})[0] == Match.NONE
    posted = app.openapi()["paths"]["/api/v1/events"]["post"]
    assert posted["operationId"] == "post_event_api_v1_events_post"
    assert posted["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EventIn"
    }
    assert posted["security"] == [{"ApiKey": []}]
    assert not any(isinstance(r, IngestRoute) for r in app.routes)  # inside the events router


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/events/batch"])
def test_the_metrics_name_the_route_template(client: ApiClient, path: str) -> None:
    client.post(path, json={"events": []} if path.endswith("batch") else {})
    text = client.get("/metrics").text
    assert f'route="{path}"' in text
