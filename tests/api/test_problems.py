"""Every error is an RFC 9457 problem (application/problem+json) that names what is wrong, and
never shows internals."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from leadflow.api.app import create_app
from leadflow.errors import StoreError
from leadflow.settings import Settings
from support.api_client import ApiClient, assert_problem


class Contact(BaseModel):
    phone: str
    email: str


class Lead(BaseModel):
    contact: Contact


def with_test_routes(app: FastAPI) -> FastAPI:
    """Routes that exist only in these tests: a body to validate, and two failures."""

    @app.post("/test/leads")
    def take(lead: Lead) -> dict[str, str]:
        return {"phone": lead.contact.phone}

    @app.get("/test/crash")
    def crash() -> None:
        raise RuntimeError("internal detail: connection to 10.0.0.7 refused")

    @app.get("/test/store")
    def store_fails() -> None:
        raise StoreError("SQLite (/srv/secret/path.db): disk I/O error")

    return app


def test_unknown_route_is_a_404_problem(client: ApiClient) -> None:
    body = assert_problem(client.get("/no/such/thing"), 404)
    assert body["type"] == "about:blank" and body["title"] == "Not Found"
    assert "/no/such/thing" in str(body["detail"])


def test_wrong_method_is_a_405_problem_naming_the_allowed_ones(client: ApiClient) -> None:
    response = client.post("/healthz")
    body = assert_problem(response, 405)
    assert "GET" in response.headers["allow"]
    assert "POST is not allowed on /healthz" in str(body["detail"])


def test_validation_names_each_field_with_a_dotted_path(app: FastAPI) -> None:
    with ApiClient(with_test_routes(app)) as client:
        response = client.post("/test/leads", json={"contact": {"email": "a@example.com"}})
        body = assert_problem(response, 422)
        assert body["errors"] == [{"field": "body.contact.phone", "problem": "Field required"}]
        assert "body.contact.phone" in str(body["detail"])

        bad_json = client.post(
            "/test/leads", content=b"{not json", headers={"content-type": "application/json"}
        )
        errors = assert_problem(bad_json, 400)["errors"]  # not JSON at all: 400, by line/column
        assert errors == [
            {
                "field": "body",
                "problem": "is not valid JSON at line 1 column 2 "
                "(Expecting property name enclosed in double quotes)",
            }
        ]


def test_a_rejected_value_is_not_echoed_back(app: FastAPI) -> None:
    with ApiClient(with_test_routes(app)) as client:
        response = client.post(
            "/test/leads", json={"contact": {"phone": ["sekrit-value"], "email": "a@example.com"}}
        )
    assert_problem(response, 422)
    assert "sekrit-value" not in response.text


def test_unexpected_errors_are_a_generic_500_logged_with_the_request_id(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with ApiClient(with_test_routes(app)) as client:
        crash = client.get("/test/crash", headers={"X-Request-ID": "crash-1"})
        store = client.get("/test/store", headers={"X-Request-ID": "store-1"})
    for response in (crash, store):
        body = assert_problem(response, 500)
        assert "10.0.0.7" not in response.text and "/srv/secret" not in response.text
        assert "request id" in str(body["detail"])
    assert crash.headers["x-request-id"] == "crash-1"
    logged = [r for r in caplog.records if r.name == "leadflow.api"]
    assert any("crash-1" in r.getMessage() and r.exc_info for r in logged)
    assert any("store-1" in r.getMessage() and "disk I/O" in r.getMessage() for r in logged)


def test_an_oversized_body_is_refused_with_413_before_it_is_read(db_url: str) -> None:
    app = with_test_routes(create_app(Settings(db=db_url, max_body_bytes=1000)))
    with ApiClient(app) as client:
        # Declared too large: refused on the Content-Length, whatever the route.
        for path in ("/test/leads", "/healthz", "/no/such/route"):
            body = assert_problem(client.post(path, content=b"x" * 5000), 413)
            assert "1000 bytes" in str(body["detail"])

        # Streamed without a length: refused once more than the limit has arrived.
        sent: list[int] = []

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(50):
                sent.append(1)
                yield b"x" * 100

        streamed = client.post(
            "/test/leads", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_problem(streamed, 413)
        assert len(sent) < 50  # the rest of the body was never read

        # Under the limit: served as usual.
        ok = client.post("/test/leads", json={"contact": {"phone": "+1", "email": "a@b.co"}})
        assert ok.status_code == 200 and ok.json() == {"phone": "+1"}


def test_a_body_that_is_not_json_is_a_400_naming_line_and_column(client: ApiClient) -> None:
    broken = '{"first_name": "Ann",\n  "email": ann@example.com}'
    problem = assert_problem(
        client.post(
            "/api/v1/contacts", content=broken, headers={"content-type": "application/json"}
        ),
        400,
    )
    assert str(problem["detail"]).startswith("the body is not valid JSON at line 2 column 12")
    assert problem["errors"] == [
        {"field": "body", "problem": str(problem["detail"]).removeprefix("the body ")}
    ]
    assert client.get("/api/v1/contacts").json()["items"] == []  # nothing written
