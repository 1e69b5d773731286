"""Tenant isolation, walked over every route: tenant "acme" has a lead, a workflow, a run, a
message and events; a key of tenant "other" calls every operation of the OpenAPI document with
acme's identifiers and gets 404 or 403 -- never acme's data. Lists answer, but with nothing of
acme's in them. A route added without a case here fails the test."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from fastapi import FastAPI

from leadflow.access import orchestration
from leadflow.access.scope import operator
from leadflow.engine.workflows import publish
from leadflow.model.automation import RuleSpec
from leadflow.model.crm import CrmConnector, NewCrmDelivery
from leadflow.model.deals import Deal
from leadflow.model.experiments import Assignment, Experiment
from leadflow.model.listings import Listing
from leadflow.model.meta import MetaPage
from leadflow.model.playbooks import Task
from leadflow.model.records import Contact, NewEvent
from leadflow.model.senders import Sender
from leadflow.model.tenancy import Agent, Team
from leadflow.model.webhooks import WebhookSubscription
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.tenancy import keys
from support.api_client import ApiClient, admin_key

SECRET_NAME = "Zebediah"  # acme's lead: this text must never reach the other tenant
ACME_NUMBER = "+15125550100"  # acme's sender
ACME_PAGE_ID, ACME_PAGE_TOKEN = "1010101010", "EAAacmeIsolation4242"  # acme's Facebook page
WORKFLOW = {
    "key": "acme-welcome",
    "name": "Acme Welcome",
    "triggers": [{"type": "event", "event": "form.submitted"}],
    "start": "hello",
    "nodes": [{"id": "hello", "kind": "send_sms", "body": f"Hi {SECRET_NAME}"}],
}

# Another tenant's own workflow under acme's key (keys are per tenant).
HIJACK = {**WORKFLOW, "name": "Hijack", "nodes": [{"id": "hello", "kind": "send_sms", "body": "x"}]}


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
        # noon in Chicago (18:00 UTC, 17:00 in summer) a day or two ahead: inside the legal
        # window whatever the real time of day is
        later = (now // 86400 + 2) * 86400 + 18 * 3600
        for _ in range(5):
            if not worker.tick(later):
                break
        [run] = rt.store.runs_of_contact(contact.id)
        [message] = rt.store.messages_of_run(run.id)
        rt.store.set_inbound_secret("acme", "acme-inbound-secret", now)
        rt.store.add_sender(Sender("acme", "phone", ACME_NUMBER), now)
        rt.store.upsert_listings(
            [Listing("acme", "L-acme-1", public_remarks=SECRET_NAME, list_price=450000.0)], now
        )
        rt.store.create_subscription(
            WebhookSubscription(
                "sub_acme1", "acme", "https://crm.example.com/hook", ["*"], "acme-out-secret"
            ),
            now,
        )
        # acme's experiment shares the workflow's key, so that {key} reaches it too
        experiment = Experiment(
            "acme",
            WORKFLOW["key"],
            WORKFLOW["key"],
            "hello",
            {
                "metric": {"event": "x.y"},
                "arms": [{"name": "a", "weight": 0.5}, {"name": "b", "weight": 0.5}],
            },
            {"a": 0.5, "b": 0.5},
        )
        rt.store.save_experiment(experiment, None)
        rt.store.save_deals(
            [Deal("acme", "D-acme-1", "buy", 45_000_000, "2026-01-02", now, contact_id=contact.id)],
            now,
        )
        rt.store.upsert_team(Team("acme", "north", "North"), now)
        rt.store.upsert_agents(
            [Agent("acme", "ann_acme", first_name=SECRET_NAME, team_key="north")], now
        )
        task, _ = rt.store.create_task(
            Task("acme", contact.id, "ann_acme", f"Call {SECRET_NAME}", now + 3600, "acme-t1")
        )
        rt.store.assign_arm(Assignment("acme", WORKFLOW["key"], contact.id, "a", now))
        rt.store.save_meta_page(MetaPage(ACME_PAGE_ID, "acme", "Acme", ACME_PAGE_TOKEN), now)
        batch = orchestration.submit(
            rt,
            operator("acme"),
            {"tasks": [{"id": "s", "kind": "summarise", "input": {"contact_id": contact.id}}]},
            now,
        )
        # acme's CRM connector and a change it sent (its text must not reach the other tenant)
        rt.store.put_crm_connector(
            CrmConnector("acme", "ghl", {"api_key": "acme-ghl-token-123", "location_id": "L1"}),
            now,
        )
        rt.store.begin_crm_delivery(
            NewCrmDelivery("acme", "ghl", "add_note", "acme-n1", contact.id, {"body": SECRET_NAME}),
            now,
        )
        rule = rt.store.create_rule(
            "acme", RuleSpec(SECRET_NAME, "x.y", [{"kind": "add_tag", "tag": "t"}]), True, now
        )
        return {
            "batch_id": batch["id"],
            "tenant_id": "acme",
            "sub_id": "sub_acme1",
            "listing_key": "L-acme-1",
            "deal_key": "D-acme-1",
            "contact_id": contact.id,
            "run_id": run.id,
            "message_id": message.id,
            "key": WORKFLOW["key"],
            "version": 1,
            "action": "cancel",
            "kind": "phone",
            "address": ACME_NUMBER,
            "member_key": "ann_acme",
            "team_key": "north",
            "task_id": task.id,
            "rule_id": rule.id,
            "name": "new-lead-welcome",  # a shipped template: no tenant's
            "page_id": ACME_PAGE_ID,
            "crm": "ghl",
        }
    finally:
        rt.close()


MY_RULE = {"name": "mine", "event": "x.y", "actions": [{"kind": "add_tag", "tag": "t"}]}
MY_DEAL = {"DealKey": "D-mine", "Side": "buy", "ClosePrice": 1, "CloseDate": "2026-01-02"}
# Bodies that pass validation, so that what answers is the scope check, not the validator.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/contacts"): {"first_name": "Mine"},
    ("PATCH", "/api/v1/contacts/{contact_id}"): {"stage": "stolen"},
    ("POST", "/api/v1/contacts/{contact_id}/merge"): {"duplicate_ids": ["c_acme1"]},
    ("POST", "/api/v1/contacts/{contact_id}/consent"): {
        "channel": "sms",
        "state": "opted_out",
        "source": "agent",
    },
    ("POST", "/api/v1/session"): {"api_key": "lf_0000000000000000_not-a-key"},
    ("POST", "/api/v1/events"): {"type": "x.y", "contact_id": "c_acme1"},
    ("POST", "/api/v1/events/batch"): {"events": [{"type": "x.y", "contact_id": "c_acme1"}]},
    ("POST", "/api/v1/workflows/validate"): {**WORKFLOW, "key": "mine"},
    ("POST", "/api/v1/workflows/simulate"): {
        "definition": {**WORKFLOW, "key": "mine"},
        "leads": 1,
        "days": 1,
    },
    ("PUT", "/api/v1/workflows/{key}/draft/layout"): {"nodes": {"hello": {"x": 1, "y": 2}}},
    ("PUT", "/api/v1/workflows/{key}/layout"): {"nodes": {"hello": {"x": 1, "y": 2}}},
    # a preview for acme's lead: its name must not come back
    ("POST", "/api/v1/workflows/preview"): {
        "template": "{{ contact.first_name }}",
        "contact_id": "c_acme1",
    },
    ("PUT", "/api/v1/listings/{listing_key}"): {"ListPrice": 1.0, "StandardStatus": "Active"},
    ("POST", "/api/v1/listings/import"): {"items": [{"ListingKey": "L-mine", "ListPrice": 1.0}]},
    ("POST", "/api/v1/webhooks"): {"url": "https://mine.example.com/", "event_types": ["*"]},
    ("POST", "/api/v1/webhooks/secret"): None,
    ("POST", "/api/v1/inbound-email/sendgrid-secret"): None,
    ("POST", "/api/v1/keys"): {"role": "admin", "name": "mine"},
    ("PATCH", "/api/v1/webhooks/{sub_id}"): {"url": "https://thief.example.com/"},
    ("POST", "/api/v1/hooks/{tenant_id}/leads"): {"first_name": "Forged", "email": "f@x.com"},
    ("POST", "/api/v1/hooks/{tenant_id}/crm-events"): {"type": "Registration", "person": {}},
    ("POST", "/api/v1/hooks/{tenant_id}/lead-email"): None,
    ("PUT", "/api/v1/workflows/{key}/draft"): HIJACK,
    ("POST", "/api/v1/workflows/{key}/publish"): HIJACK,
    ("POST", "/api/v1/workflows/{key}/migrate"): {"to_version": 1, "dry_run": True},
    ("POST", "/api/v1/runs/{run_id}/rewind"): {"to_node": "hello", "dry_run": False},
    ("POST", "/api/v1/experiments/{key}/apply"): {"arm": "a"},
    ("POST", "/api/v1/tenants/current/senders"): {"kind": "phone", "address": ACME_NUMBER},
    ("POST", "/api/v1/deals"): MY_DEAL,
    ("POST", "/api/v1/deals/import"): {"items": [MY_DEAL]},
    ("POST", "/api/v1/automation/workflow"): {
        "prompt": "Text new leads right away",
        "options": {"simulate": False},
    },
    ("POST", "/api/v1/automation/smart-campaign"): {"goal": "replies", "simulate": False},
    ("POST", "/api/v1/templates/{name}/install"): {},
    ("POST", "/api/v1/tasks/{task_id}/snooze"): {"minutes": 30},
    ("POST", "/api/v1/tasks/{task_id}/reassign"): {"assignee": "ann_acme"},
    ("PUT", "/api/v1/agents/{member_key}/profile"): {"hours_start": "07:00"},
    ("POST", "/api/v1/replies/classify"): {"texts": ["who is this?"]},
    ("POST", "/api/v1/tenants/current/meta/pages"): {
        "page_id": ACME_PAGE_ID,
        "access_token": "EAAthiefToken0000",
    },
    ("PUT", "/api/v1/teams/{team_key}"): {"TeamName": "Mine"},
    ("PUT", "/api/v1/agents/{member_key}"): {"MemberFirstName": "Mine"},
    ("POST", "/api/v1/agents/import"): {"items": [{"MemberKey": "mine"}]},
    ("POST", "/api/v1/workflows/{key}/enroll"): {"all": True},
    # a batch of AI tasks naming acme's lead: refused as not found
    ("POST", "/api/v1/automation/orchestrate"): {
        "tasks": [{"id": "s", "kind": "summarise", "input": {"contact_id": "c_acme1"}}]
    },
    ("PUT", "/api/v1/integrations/{crm}"): {"api_key": "mine-0123456789", "location_id": "L9"},
    ("POST", "/api/v1/integrations/{crm}/operations"): {
        "operation": "add_note",
        "contact_id": "c_acme1",
        "params": {"body": "x"},
        "idempotency_key": "acme-n1",
    },
    ("POST", "/api/v1/automation/rules"): MY_RULE,
    ("PUT", "/api/v1/automation/rules/{rule_id}"): MY_RULE,
    ("POST", "/api/v1/automation/rules/draft"): {"text": "When a new lead arrives, tag them hot"},
    # acme's first rule and first event (a fresh database): not found for anyone else
    ("POST", "/api/v1/automation/execute-rules"): {"rule_ids": [1], "events": [1]},
}
QUERIES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/workflows/{key}/diff"): {"from": 1, "to": 1},
    ("GET", "/api/v1/analytics/funnel"): {"workflow": WORKFLOW["key"]},
    ("GET", "/api/v1/analytics/cohorts"): {"workflow": WORKFLOW["key"], "goal": "x.y"},
    ("GET", "/api/v1/analytics/insights"): {"workflow": WORKFLOW["key"]},
    ("GET", "/api/v1/analytics/segments"): {"workflow": WORKFLOW["key"]},
    ("GET", "/api/v1/analytics/funnel/contacts"): {
        "workflow": WORKFLOW["key"],
        "metric": "entered",
    },
    ("GET", "/api/v1/integrations/{crm}/sync-log"): {"contact_id": "c_acme1"},
}
# Operations that name acme's object in their query (a workflow key): not found elsewhere.
AIMS_BY_QUERY = {
    ("GET", "/api/v1/analytics/funnel"),
    ("GET", "/api/v1/analytics/cohorts"),
    ("GET", "/api/v1/analytics/insights"),
    ("GET", "/api/v1/analytics/segments"),
    ("GET", "/api/v1/analytics/funnel/contacts"),
}
# A sender (a phone number, a Messaging Service) is one real thing: another tenant registering
# acme's number is refused as taken (409, which says only that it is in use).
KEY_TAKEN = {
    ("POST", "/api/v1/tenants/current/senders"),
    ("POST", "/api/v1/tenants/current/meta/pages"),  # a Facebook page, likewise
}
RAW: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/v1/contacts/import"): (
        "text/csv",
        "ContactKey,FirstName,Email\nk1,A,a@example.com\n",
    ),
}
# A browser session is made from a key in the body, not from the key header: a wrong key in the
# body, or asking which session a key header is, answers 401.
NO_SESSION = {("POST", "/api/v1/session"), ("GET", "/api/v1/session")}
# Operations that create in the caller's own tenant: they succeed, but touch nothing of acme's.
OWN_WRITES = {
    ("POST", "/api/v1/contacts"),
    ("POST", "/api/v1/automation/workflow"),  # a draft for the caller, from its own words
    ("POST", "/api/v1/automation/smart-campaign"),  # drafts sized on the caller's contacts
    ("POST", "/api/v1/contacts/import"),
    ("POST", "/api/v1/workflows/validate"),
    ("POST", "/api/v1/workflows/simulate"),  # the caller's definition, in a scratch store
    ("DELETE", "/api/v1/session"),  # ends the caller's own session, if any
    ("POST", "/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks/secret"),
    ("POST", "/api/v1/inbound-email/sendgrid-secret"),  # the caller's own hook secret
    ("POST", "/api/v1/keys"),
    # Listing keys are per tenant: a PUT with acme's key makes the caller's own listing.
    ("PUT", "/api/v1/listings/{listing_key}"),
    ("POST", "/api/v1/listings/import"),
    # Deal keys are per tenant as well.
    ("POST", "/api/v1/deals"),
    ("POST", "/api/v1/deals/import"),
    # Workflow keys are per tenant too: a draft or a publish under acme's key is the caller's
    # own workflow (no "taken" answer that would tell acme's key exists).
    ("PUT", "/api/v1/workflows/{key}/draft"),
    ("POST", "/api/v1/workflows/{key}/publish"),
    # ... and the layout PUT after it places the caller's own draft (the walk goes in order)
    ("PUT", "/api/v1/workflows/{key}/draft/layout"),
    # ... as the layout PUT of a published key places the caller's own workflow (when the
    # caller has published one under that key; test_designer_api checks acme's is untouched)
    ("PUT", "/api/v1/workflows/{key}/layout"),
    # The shipped templates are no tenant's: shown to all, installed into the caller's tenant.
    ("GET", "/api/v1/templates/{name}"),
    ("POST", "/api/v1/templates/{name}/install"),
    # Reading reply texts names nothing of anybody's; a model server's calls are the caller's.
    ("POST", "/api/v1/replies/classify"),
    # Team and member keys are per tenant: a PUT under acme's key makes the caller's own.
    ("PUT", "/api/v1/teams/{team_key}"),
    ("PUT", "/api/v1/agents/{member_key}"),
    ("POST", "/api/v1/agents/import"),
    # A CRM connector is per tenant: a PUT sets the caller's own; its delivery log is its own.
    ("PUT", "/api/v1/integrations/{crm}"),
    ("GET", "/api/v1/integrations/{crm}/deliveries"),
    ("POST", "/api/v1/automation/rules"),  # the caller's own rule
    ("POST", "/api/v1/automation/rules/draft"),  # a rule from the caller's own words
}


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
    client: ApiClient, other: ApiClient, app: FastAPI, db_url: str, token: str
) -> None:
    ids = _acme(db_url) | {"key_id": keys.key_id_of(token)}
    before = client.get(f"/api/v1/contacts/{ids['contact_id']}").json()
    answers: dict[tuple[str, str], int] = {}
    # Last: the writes that make the caller its own agent or team under acme's key (after
    # them, that key rightly finds the caller's own, e.g. its agent's profile).
    last = {("PUT", "/api/v1/teams/{team_key}"), ("PUT", "/api/v1/agents/{member_key}")}
    for method, template in sorted(_operations(app), key=lambda op: op in last):
        path = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)
        kw: dict[str, Any] = {}
        if (method, template) in RAW:
            kind, text = RAW[(method, template)]
            kw = {"content": text, "headers": {"content-type": kind}}
        elif method in ("POST", "PUT", "PATCH") and (method, template) in BODIES:
            body = BODIES[(method, template)]
            kw = {} if body is None else {"json": body}
        elif method in ("POST", "PUT", "PATCH") and "{" not in template:
            pytest.fail(f"{method} {template}: add a valid body to BODIES")
        if (method, template) in QUERIES:
            kw["params"] = QUERIES[(method, template)]
        response = other.request(method, path, **kw)
        answers[(method, template)] = response.status_code
        assert SECRET_NAME not in response.text, (method, path, response.text)
        assert ids["contact_id"] not in response.text or response.status_code in (403, 404), (
            method,
            path,
            response.text,
        )
        aims_at_acme = (
            ("{" in template and (method, template) not in OWN_WRITES)
            or ((method, template) in BODIES and (method, template) not in OWN_WRITES)
            or (method, template) in AIMS_BY_QUERY
        )
        if (method, template) in NO_SESSION:
            assert response.status_code == 401, (method, path, response.text)
        elif template.startswith("/api/v1/hooks/"):
            # Inbound hooks answer to a signature, not to a key: unsigned, they refuse.
            assert response.status_code == 401, (method, path, response.text)
        elif (method, template) in KEY_TAKEN:
            assert response.status_code == 409, (method, path, response.text)
        elif aims_at_acme:
            assert response.status_code in (403, 404), (method, path, response.text)
        else:  # a list, or a write into the caller's own tenant
            assert response.status_code < 300, (method, path, response.text)
    assert len(answers) >= 12, answers  # every operation was walked
    # A lead's score and its factors are acme's data too.
    assert answers[("GET", "/api/v1/contacts/{contact_id}/score")] == 404
    # An experiment's numbers and decisions are acme's data too.
    assert answers[("GET", "/api/v1/experiments/{key}")] == 404
    assert answers[("POST", "/api/v1/experiments/{key}/apply")] == 404
    # and nothing of acme's changed
    after = client.get(f"/api/v1/contacts/{ids['contact_id']}").json()
    assert after == before
    assert client.get(f"/api/v1/experiments/{ids['key']}").json()["status"] == "running"
    run = client.get(f"/api/v1/runs/{ids['run_id']}").json()
    assert run["status"] == "completed"
    workflow = client.get(f"/api/v1/workflows/{ids['key']}").json()
    assert (workflow["version"], workflow["name"]) == (1, "Acme Welcome")
    assert client.get("/api/v1/workflows/drafts").json()["items"] == []
    assert client.get("/api/v1/keys/current").json()["revoked_at"] is None
    sub = client.get(f"/api/v1/webhooks/{ids['sub_id']}").json()
    assert sub["url"] == "https://crm.example.com/hook"
    listing = client.get(f"/api/v1/listings/{ids['listing_key']}").json()
    assert (listing["ListPrice"], listing["PublicRemarks"]) == (450000.0, SECRET_NAME)
    deal = client.get(f"/api/v1/deals/{ids['deal_key']}").json()
    assert (deal["ClosePrice"], deal["ContactKey"]) == ("450000.00", ids["contact_id"])
    assert answers[("GET", "/api/v1/analytics/funnel")] == 404
    senders = client.get("/api/v1/tenants/current/senders").json()["items"]
    assert [s["address"] for s in senders] == [ACME_NUMBER]
    pages = client.get("/api/v1/tenants/current/meta/pages").json()["items"]
    assert [(p["page_id"], p["access_token"]) for p in pages] == [
        (ACME_PAGE_ID, "…" + ACME_PAGE_TOKEN[-4:])
    ]
    names = [c["first_name"] for c in client.get("/api/v1/contacts").json()["items"]]
    assert names == [SECRET_NAME]  # no forged lead got in
    roster = client.get("/api/v1/agents").json()["items"]
    assert [(a["MemberKey"], a["MemberFirstName"]) for a in roster] == [("ann_acme", SECRET_NAME)]
    assert [t["TeamName"] for t in client.get("/api/v1/teams").json()["items"]] == ["North"]
    assert answers[("POST", "/api/v1/workflows/{key}/enroll")] == 404
    batch = client.get(f"/api/v1/automation/orchestrate/{ids['batch_id']}").json()
    assert (batch["status"], batch["counts"]) == ("running", {"pending": 1})  # not cancelled
    crm = client.get("/api/v1/integrations/ghl").json()
    assert (crm["config"]["location_id"], crm["config"]["api_key"]) == ("L1", "****-123")
    assert answers[("GET", "/api/v1/integrations/{crm}")] == 404
    assert answers[("POST", "/api/v1/integrations/{crm}/operations")] == 404
    (sent,) = client.get("/api/v1/integrations/ghl/deliveries").json()["items"]
    assert sent["request"] == {"body": SECRET_NAME}
