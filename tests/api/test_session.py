"""Browser sessions: an API key exchanged for an HttpOnly, SameSite cookie; the cookie is the
key's caller (tenant, role, scope) on every /api/v1 route; writes need the CSRF token;
sign-out and revoking the key end it; the key is never kept, logged or put in the cookie."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from leadflow.api.app import create_app
from leadflow.settings import Settings
from leadflow.tenancy import keys
from support.api_client import ApiClient, admin_key, assert_problem, member_key

WORKFLOW = {
    "key": "welcome",
    "name": "Welcome",
    "triggers": [{"type": "event", "event": "lead.created"}],
    "start": "hello",
    "nodes": [{"id": "hello", "kind": "send_sms", "body": "Hi {{ contact.first_name }}"}],
}


@pytest.fixture
def browser(app: FastAPI) -> Iterator[ApiClient]:
    """A client with no key header: what it may do comes from its cookie."""
    with ApiClient(app) as c:
        yield c


def _sign_in(client: ApiClient, key: str) -> dict[str, str]:
    response = client.post("/api/v1/session", json={"api_key": key})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def test_sign_in_sets_an_httponly_samesite_cookie_not_the_key(
    browser: ApiClient, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = browser.post("/api/v1/session", json={"api_key": token})
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("leadflow_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert token not in cookie and token not in response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["tenant_id"], body["role"], body["member_key"]) == ("acme", "admin", None)
    assert len(body["csrf_token"]) >= 20
    # the cookie alone is now the admin of acme
    assert browser.get("/api/v1/workflows").status_code == 200
    me = browser.get("/api/v1/session").json()
    assert me["csrf_token"] == body["csrf_token"] and me["role"] == "admin"
    assert not [r for r in caplog.records if token in r.getMessage()]


def test_a_wrong_key_gets_401_and_no_cookie(browser: ApiClient) -> None:
    response = browser.post("/api/v1/session", json={"api_key": "lf_nope.nothing"})
    assert_problem(response, 401)
    assert "set-cookie" not in response.headers
    assert_problem(browser.get("/api/v1/workflows"), 401)
    body = assert_problem(browser.post("/api/v1/session", json={}), 422)
    assert "api_key" in str(body["errors"])


def test_writes_need_the_csrf_token(browser: ApiClient, token: str) -> None:
    csrf = _sign_in(browser, token)["csrf_token"]
    refused = browser.put("/api/v1/workflows/welcome/draft", json=WORKFLOW)
    assert "X-CSRF-Token" in str(assert_problem(refused, 403)["detail"])
    wrong = browser.put(
        "/api/v1/workflows/welcome/draft", json=WORKFLOW, headers={"X-CSRF-Token": "x" * 32}
    )
    assert_problem(wrong, 403)
    assert_problem(browser.get("/api/v1/workflows/welcome/draft"), 404)  # nothing was saved
    saved = browser.put(
        "/api/v1/workflows/welcome/draft", json=WORKFLOW, headers={"X-CSRF-Token": csrf}
    )
    assert saved.status_code == 200, saved.text
    published = browser.post("/api/v1/workflows/welcome/publish", headers={"X-CSRF-Token": csrf})
    assert published.status_code == 201 and published.json()["version"] == 1


def test_sign_out_ends_the_session(browser: ApiClient, token: str) -> None:
    csrf = _sign_in(browser, token)["csrf_token"]
    cookie = browser.get("/api/v1/session").request.headers["cookie"]
    assert_problem(browser.delete("/api/v1/session"), 403)  # sign-out is a write: CSRF too
    out = browser.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert 'leadflow_session=""' in out.headers["set-cookie"]
    assert_problem(browser.get("/api/v1/workflows"), 401)
    # the old cookie, replayed, is dead on the server too
    assert_problem(browser.get("/api/v1/workflows", headers={"cookie": cookie}), 401)


def test_revoking_the_key_ends_its_sessions(browser: ApiClient, client: ApiClient) -> None:
    made = client.post("/api/v1/keys", json={"role": "admin", "name": "web"}).json()
    _sign_in(browser, made["key"])
    assert browser.get("/api/v1/workflows").status_code == 200
    assert client.delete(f"/api/v1/keys/{made['id']}").status_code in (200, 204)
    assert_problem(browser.get("/api/v1/workflows"), 401)


def test_another_tenants_session_sees_nothing_of_acme(
    app: FastAPI, db_url: str, client: ApiClient, browser: ApiClient
) -> None:
    assert client.post("/api/v1/workflows/welcome/publish", json=WORKFLOW).status_code == 201
    lead = client.post("/api/v1/contacts", json={"first_name": "Zebediah"}).json()
    _sign_in(browser, admin_key(db_url, "other"))
    assert browser.get("/api/v1/session").json()["tenant_id"] == "other"
    assert_problem(browser.get("/api/v1/workflows/welcome"), 404)
    assert_problem(browser.get(f"/api/v1/contacts/{lead['id']}"), 404)
    assert browser.get("/api/v1/contacts").json()["items"] == []
    assert browser.get("/api/v1/workflows").json()["items"] == []


def test_an_agents_session_has_the_agents_scope(
    app: FastAPI, db_url: str, agent_bob: ApiClient, browser: ApiClient
) -> None:
    bobs = agent_bob.post("/api/v1/contacts", json={"first_name": "Bobs"}).json()
    me = _sign_in(browser, member_key(db_url, "agent", "ann"))
    assert (me["role"], me["member_key"]) == ("agent", "ann")
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    mine = browser.post("/api/v1/contacts", json={"first_name": "Mine"}, headers=csrf).json()
    assert mine["owner"] == "ann"
    names = [c["first_name"] for c in browser.get("/api/v1/contacts").json()["items"]]
    assert names == ["Mine"]
    assert_problem(browser.get(f"/api/v1/contacts/{bobs['id']}"), 404)
    # an agent may not publish, signed in or not
    assert_problem(
        browser.post("/api/v1/workflows/welcome/publish", json=WORKFLOW, headers=csrf), 403
    )


def test_the_key_header_still_wins_over_a_cookie(
    browser: ApiClient, db_url: str, token: str
) -> None:
    _sign_in(browser, admin_key(db_url, "other"))
    mine = browser.get("/api/v1/keys/current", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200 and mine.json()["id"] == keys.key_id_of(token)


def test_another_api_process_knows_the_session_and_its_end(
    browser: ApiClient, db_url: str, token: str
) -> None:
    csrf = _sign_in(browser, token)["csrf_token"]
    cookie = browser.get("/api/v1/session").request.headers["cookie"]
    second = create_app(Settings(db=db_url))  # another process of `leadflow serve --processes 2`
    with ApiClient(second, headers={"cookie": cookie}) as elsewhere:
        assert elsewhere.get("/api/v1/session").json()["csrf_token"] == csrf
        assert browser.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
        assert_problem(elsewhere.get("/api/v1/workflows"), 401)
