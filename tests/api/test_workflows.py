"""``GET /api/v1/workflows`` and ``GET /api/v1/workflows/{key}``: what is published."""

from __future__ import annotations

import pytest
from api_client import ApiClient, assert_problem

from leadflow.settings import Settings
from leadflow.store.factory import open_store

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
