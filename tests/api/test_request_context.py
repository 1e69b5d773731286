"""Request ids, CORS, and what reaches the logs: never a credential."""

from __future__ import annotations

import logging

import pytest

from leadflow.api.app import create_app
from leadflow.settings import Settings
from support.api_client import ApiClient, assert_problem

SECRET = "sekrit"


def test_a_sane_request_id_comes_back_on_the_response(client: ApiClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "client-id.42"})
    assert response.headers["x-request-id"] == "client-id.42"
    problem = client.get("/nowhere", headers={"X-Request-ID": "client-id.43"})
    assert assert_problem(problem, 404)["request_id"] == "client-id.43"


ODD_IDS = [None, "", "has spaces", "x" * 200, "new\\nline", "<script>", "a;b"]


@pytest.mark.parametrize("sent", ODD_IDS)
def test_a_missing_or_odd_request_id_is_replaced_by_a_fresh_one(
    client: ApiClient, sent: str | None
) -> None:
    headers = {"X-Request-ID": sent} if sent is not None else {}
    first = client.get("/healthz", headers=headers).headers["x-request-id"]
    second = client.get("/healthz", headers=headers).headers["x-request-id"]
    assert first and first != sent and first != second
    assert first.isalnum() and len(first) <= 64


def test_credentials_never_reach_the_logs(
    client: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = {"Authorization": f"Bearer {SECRET}", "X-Request-ID": "trace-me"}
    for url in (
        f"/healthz?token={SECRET}",
        f"/api/v1/workflows/x?api_key={SECRET}&version=0",
        f"/no/such/route?password={SECRET}&signature={SECRET}&secret={SECRET}&key={SECRET}",
    ):
        client.get(url, headers=auth)
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    text = "\n".join(logging.Formatter("%(name)s %(message)s").format(r) for r in server)
    access = [r for r in server if r.name == "leadflow.api.access"]
    assert len(access) == 3  # one line per request, and it was captured
    assert "trace-me" in text and "token=***" in text and "version=0" in text
    assert SECRET not in text
    assert "Bearer" not in text


def test_cors_is_off_unless_origins_are_configured(db_url: str, client: ApiClient) -> None:
    origin = {"Origin": "https://crm.example.com"}
    assert "access-control-allow-origin" not in client.get("/healthz", headers=origin).headers
    app = create_app(Settings(db=db_url, cors_origins=["https://crm.example.com"]))
    with ApiClient(app) as cors:
        simple = cors.get("/healthz", headers=origin)
        assert simple.headers["access-control-allow-origin"] == "https://crm.example.com"
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
        preflight = cors.request(
            "OPTIONS",
            "/api/v1/workflows",
            headers={**origin, "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 200
        other = cors.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
