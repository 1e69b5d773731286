"""Tenant isolation, walked over every route: tenant "acme" has a lead, a workflow, a run, a
message and events; a key of tenant "other" calls every operation of the OpenAPI document with
acme's identifiers and gets 404 or 403 -- never acme's data. Lists answer, but with nothing of
acme's in them. A route added without a case here fails the test."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from api_client import ApiClient, admin_key
from fastapi import FastAPI

from leadflow.engine.workflows import publish
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.store.records import Contact, NewEvent

SECRET_NAME = "Zebediah"  # acme's lead: this text must never reach the other tenant
WORKFLOW = {
    "key": "acme-welcome",
    "name": "Acme Welcome",
    "triggers": [{"type": "event", "event": "form.submitted"}],
    "start": "hello",
    "nodes": [{"id": "hello", "kind": "send_sms", "body": f"Hi {SECRET_NAME}"}],
}


def _acme(db_url: str) -> dict[str, Any]:
    """acme's data made through the engine: a lead, a workflow, a run and its message."""
    rt = build_runtime(Settings(db=db_url))
    try:
        now = time.time()
        publish(rt.store, rt.engine.catalog, WORKFLOW, now, tenant_id="acme")
        contact = Contact(
            "c_acme1",
            first_name=SECRET_NAME,
            phone="+15125550123",
            email="z@example.com",
            time_zone="America/Chicago",
            tenant_id="acme",
        )
        rt.store.upsert_contacts([contact], now)
        rt.store.append_events(
            [NewEvent("form.submitted", contact.id, {"note": SECRET_NAME}, "acme-e1", now)], now
        )
        worker = rt.worker("iso")
        later = now + 86400  # any daytime moment works for the sandbox
        for _ in range(5):
            if not worker.tick(later):
                break
        [run] = rt.store.runs_of_contact(contact.id)
        [message] = rt.store.messages_of_run(run.id)
        return {
            "contact_id": contact.id,
            "run_id": run.id,
            "message_id": message.id,
            "key": WORKFLOW["key"],
            "version": 1,
            "action": "cancel",
        }
    finally:
        rt.close()


# Bodies that pass validation, so that what answers is the scope check, not the validator.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/contacts"): {"first_name": "Mine"},
    ("PATCH", "/api/v1/contacts/{contact_id}"): {"stage": "stolen"},
    ("POST", "/api/v1/contacts/{contact_id}/merge"): {"duplicate_ids": ["c_acme1"]},
    ("POST", "/api/v1/events"): {"type": "x.y", "contact_id": "c_acme1"},
    ("POST", "/api/v1/events/batch"): {"events": [{"type": "x.y", "contact_id": "c_acme1"}]},
}
RAW: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/v1/contacts/import"): (
        "text/csv",
        "ContactKey,FirstName,Email\nk1,A,a@example.com\n",
    ),
}
# Operations that create in the caller's own tenant: they succeed, but touch nothing of acme's.
OWN_WRITES = {("POST", "/api/v1/contacts"), ("POST", "/api/v1/contacts/import")}


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return sorted(
        (method.upper(), path)
        for path, item in paths.items()
        if path.startswith("/api/v1/")
        for method in item
    )


@pytest.fixture
def other(app: FastAPI, db_url: str) -> Any:
    with ApiClient(app, headers={"Authorization": f"Bearer {admin_key(db_url, 'other')}"}) as c:
        yield c


def test_another_tenants_key_never_reaches_acmes_data(
    client: ApiClient, other: ApiClient, app: FastAPI, db_url: str
) -> None:
    ids = _acme(db_url)
    before = client.get(f"/api/v1/contacts/{ids['contact_id']}").json()
    answers: dict[tuple[str, str], int] = {}
    for method, template in _operations(app):
        path = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)
        kw: dict[str, Any] = {}
        if (method, template) in RAW:
            kind, text = RAW[(method, template)]
            kw = {"content": text, "headers": {"content-type": kind}}
        elif method in ("POST", "PUT", "PATCH") and (method, template) in BODIES:
            kw = {"json": BODIES[(method, template)]}
        elif method in ("POST", "PUT", "PATCH") and "{" not in template:
            pytest.fail(f"{method} {template}: add a valid body to BODIES")
        response = other.request(method, path, **kw)
        answers[(method, template)] = response.status_code
        assert SECRET_NAME not in response.text, (method, path, response.text)
        assert ids["contact_id"] not in response.text or response.status_code in (403, 404), (
            method,
            path,
            response.text,
        )
        aims_at_acme = "{" in template or (
            (method, template) in BODIES and (method, template) not in OWN_WRITES
        )
        if aims_at_acme:
            assert response.status_code in (403, 404), (method, path, response.text)
        else:  # a list, or a write into the caller's own tenant
            assert response.status_code < 300, (method, path, response.text)
    assert len(answers) >= 12, answers  # every operation was walked
    # and nothing of acme's changed
    after = client.get(f"/api/v1/contacts/{ids['contact_id']}").json()
    assert after == before
    run = client.get(f"/api/v1/runs/{ids['run_id']}").json()
    assert run["status"] == "completed"
