"""``/api/v1/keys``: admins list, create and revoke the tenant's keys; the secret is shown once;
every key sees itself; other roles may not manage keys."""

from __future__ import annotations

from fastapi import FastAPI

from leadflow.tenancy import keys
from support.api_client import ApiClient, admin_key, assert_problem, member_key


def test_create_list_use_and_revoke(client: ApiClient, app: FastAPI, db_url: str) -> None:
    made = client.post("/api/v1/keys", json={"role": "admin", "name": "zapier"})
    assert made.status_code == 201
    body = made.json()
    assert body["key"].startswith("lf_") and body["name"] == "zapier" and body["role"] == "admin"
    listed = client.get("/api/v1/keys").json()["items"]
    assert body["id"] in [k["id"] for k in listed]
    assert all("key" not in k and "digest" not in k for k in listed)  # never a secret again
    auth = {"Authorization": f"Bearer {body['key']}"}
    me = client.get("/api/v1/keys/current", headers=auth).json()
    assert (me["id"], me["name"]) == (body["id"], "zapier")
    assert client.request("DELETE", f"/api/v1/keys/{body['id']}").json()["revoked_at"]
    assert_problem(client.get("/api/v1/keys/current", headers=auth), 401)
    assert_problem(client.request("DELETE", "/api/v1/keys/lf_nope"), 404)


def test_agent_keys_name_their_agent_and_cannot_manage_keys(client: ApiClient, db_url: str) -> None:
    problem = assert_problem(client.post("/api/v1/keys", json={"role": "agent"}), 422)
    assert str(problem["detail"]).startswith("agent:")
    token = member_key(db_url, "agent", "ann")
    made = client.post("/api/v1/keys", json={"role": "agent", "member_key": "ann"})
    assert made.status_code == 201 and made.json()["member_key"] == "ann"
    auth = {"Authorization": f"Bearer {token}"}
    assert_problem(client.get("/api/v1/keys", headers=auth), 403)
    assert_problem(client.post("/api/v1/keys", headers=auth, json={"role": "admin"}), 403)
    assert client.get("/api/v1/keys/current", headers=auth).json()["role"] == "agent"


def test_another_tenants_key_is_not_found(client: ApiClient, db_url: str) -> None:
    their_id = keys.key_id_of(admin_key(db_url, "other"))
    listed = client.get("/api/v1/keys").json()["items"]
    assert their_id is not None and all(k["id"] != their_id for k in listed)
    assert_problem(client.request("DELETE", f"/api/v1/keys/{their_id}"), 404)
