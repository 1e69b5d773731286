"""Every /api/v1 route needs an API key; a bad one gets the same 401 problem, whatever is wrong
with it; health endpoints stay open for load balancers and probes."""

from __future__ import annotations

import pytest

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.model.tenancy import Agent
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.store.factory import open_store
from leadflow.tenancy import accounts, keys
from support.api_client import ApiClient, admin_key, assert_problem


def _fail(anonymous: ApiClient, header: str | None) -> dict[str, object]:
    headers = {} if header is None else {"Authorization": header}
    response = anonymous.get("/api/v1/workflows", headers=headers)
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    return body


def test_no_key_or_a_bad_one_is_the_same_401(anonymous: ApiClient, token: str) -> None:
    key_id, secret = keys.parse(token) or ("", "")
    bodies = [
        _fail(anonymous, None),
        _fail(anonymous, ""),
        _fail(anonymous, f"Basic {token}"),
        _fail(anonymous, "Bearer "),
        _fail(anonymous, "Bearer not-a-key"),
        _fail(anonymous, f"Bearer lf_{'0' * 16}_{secret}"),  # unknown id
        _fail(anonymous, f"Bearer lf_{key_id}_{keys.new_key().secret}"),  # wrong secret
    ]
    details = {str(b["detail"]) for b in bodies}
    assert details == {"A valid API key is required: send `Authorization: Bearer <key>`."}
    assert all(secret not in str(b) for b in bodies)


def test_a_key_revoked_elsewhere_stops_within_the_cache_time(token: str, db_url: str) -> None:
    clock = VirtualClock(1_800_000_000.0)
    runtime = build_runtime(Settings(db=db_url, key_cache_s=5), clock=clock)
    try:
        with ApiClient(create_app(runtime=runtime)) as anonymous:
            good = anonymous.get("/api/v1/workflows", headers={"Authorization": f"Bearer {token}"})
            assert good.status_code == 200
            store = open_store(db_url)  # as `leadflow keys revoke` does, from another process
            try:
                key_id = keys.key_id_of(token)
                assert key_id is not None and store.revoke_api_key(key_id, 1.0)
            finally:
                store.close()
            clock.set(clock.now() + 4.9)
            again = anonymous.get("/api/v1/workflows", headers={"Authorization": f"Bearer {token}"})
            assert again.status_code == 200  # still trusted for the cache time
            clock.set(clock.now() + 0.2)
            _fail(anonymous, f"Bearer {token}")
    finally:
        runtime.close()


def test_without_a_cache_a_revoked_key_stops_at_once(token: str, db_url: str) -> None:
    with ApiClient(create_app(Settings(db=db_url, key_cache_s=0))) as anonymous:
        good = anonymous.get("/api/v1/workflows", headers={"Authorization": f"Bearer {token}"})
        assert good.status_code == 200
        store = open_store(db_url)
        try:
            key_id = keys.key_id_of(token)
            assert key_id is not None and store.revoke_api_key(key_id, 1.0)
        finally:
            store.close()
        _fail(anonymous, f"Bearer {token}")


def test_a_key_revoked_through_the_api_stops_at_once(client: ApiClient, db_url: str) -> None:
    victim = admin_key(db_url)
    victim_id = keys.key_id_of(victim)
    auth = {"Authorization": f"Bearer {victim}"}
    assert client.get("/api/v1/workflows", headers=auth).status_code == 200  # now cached
    revoked = client.request("DELETE", f"/api/v1/keys/{victim_id}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    _fail(client, f"Bearer {victim}")


def test_a_key_of_an_agent_no_longer_active_is_refused(db_url: str, token: str) -> None:
    with ApiClient(create_app(Settings(db=db_url, key_cache_s=0))) as anonymous:
        _agent_made_inactive(anonymous, db_url)


def _agent_made_inactive(anonymous: ApiClient, db_url: str) -> None:
    store = open_store(db_url)
    try:
        accounts.add_agents(store, "acme", [Agent("acme", "a1")], 0.0)
        _, agent_token = accounts.create_key(store, "acme", "agent", 0.0, member_key="a1")
        auth = {"Authorization": f"Bearer {agent_token}"}
        assert anonymous.get("/api/v1/workflows", headers=auth).status_code == 200
        accounts.add_agents(store, "acme", [Agent("acme", "a1", status="Inactive")], 1.0)
    finally:
        store.close()
    _fail(anonymous, f"Bearer {agent_token}")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"])
def test_probes_and_docs_need_no_key(anonymous: ApiClient, path: str) -> None:
    assert anonymous.get(path).status_code == 200


def test_the_openapi_document_declares_bearer_401(anonymous: ApiClient) -> None:
    spec = anonymous.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/workflows"]["get"]
    assert "401" in operation["responses"]
    schemes = spec["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]  # /docs gets "Authorize"
    assert operation["security"] == [{name: []} for name in schemes]
