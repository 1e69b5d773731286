"""``/healthz`` and ``/readyz`` as an orchestrator (or an operator with curl) sees them."""

from __future__ import annotations

from pathlib import Path

from leadflow.api.app import create_app
from leadflow.settings import Settings
from support.api_client import ApiClient, assert_problem


def test_healthz_says_ok(client: ApiClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_on_an_upgraded_database(client: ApiClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert isinstance(body["schema_version"], int) and body["schema_version"] >= 1


def test_readyz_on_an_empty_database_is_503_naming_the_fixing_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with ApiClient(create_app(Settings(db=url))) as client:
        assert client.get("/healthz").status_code == 200  # alive, just not ready
        body = assert_problem(client.get("/readyz"), 503)
    assert f"leadflow db upgrade --db {url}" in str(body["detail"])
    assert "empty" in str(body["detail"])


def test_openapi_and_docs_are_served(client: ApiClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/workflows/{key}" in spec["paths"]
    assert "/healthz" in spec["paths"] and "/readyz" in spec["paths"]
    not_found = spec["paths"]["/api/v1/workflows/{key}"]["get"]["responses"]["404"]
    assert "application/problem+json" in not_found["content"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    # served from the package: works behind a firewall, nothing from a CDN
    assert "/docs/static/swagger-ui-bundle.js" in docs.text
    assert "http://" not in docs.text and "https://" not in docs.text
    script = client.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert client.get("/docs/static/swagger-ui.css").status_code == 200
