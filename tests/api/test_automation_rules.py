"""Automation rules through the API with the real keys of two tenants, on a real SQLite file:
create (every problem named by its field), versions, enable/disable, firings; the dry run of
execute-rules changes nothing (a full dump of the database before and after is identical) and
the real run then does exactly what it predicted; another tenant's rule, event or workflow is
not found."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.model.records import MessageFilter, RunFilter
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.store.sqlite import path_from_url
from support.api_client import ApiClient, admin_key, assert_problem, member_key
from support.llm_peer import API_KEY, error, good, running_llm_peer
from support.stores import upgraded_db

T0 = 1_767_290_400.0  # 2026-01-01T18:00:00Z
RULES = "/api/v1/automation/rules"
EXECUTE = "/api/v1/automation/execute-rules"


def welcome(key: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": key.title(),
        "triggers": [{"type": "manual"}],
        "start": "done",
        "nodes": [{"id": "done", "kind": "exit", "reason": "welcomed"}],
        "settings": {"reentry": {"policy": "always"}},
    }


class Tenants:
    def __init__(self, url: str, **settings: Any) -> None:
        self.url = url
        member_key(url, "agent", "a17", tenant="acme")  # an agent of acme to assign leads to
        self.rt: Runtime = build_runtime(Settings(db=url, **settings), clock=VirtualClock(T0))
        self.app = create_app(runtime=self.rt)
        self.a = ApiClient(self.app, {"Authorization": f"Bearer {admin_key(url, 'acme')}"})
        self.b = ApiClient(self.app, {"Authorization": f"Bearer {admin_key(url, 'rival')}"})

    def lead(self, client: ApiClient, name: str, **fields: Any) -> str:
        body = {"first_name": name, "email": f"{name}@example.com", "fields": fields}
        made = client.post("/api/v1/contacts", json=body)
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def event(self, client: ApiClient, contact: str, type_: str, **data: Any) -> int:
        posted = client.post(
            "/api/v1/events", json={"type": type_, "contact_id": contact, "data": data}
        )
        assert posted.status_code == 202, posted.text
        return int(posted.json()["id"])


@contextmanager
def tenants_of(url: str, **settings: Any) -> Iterator[Tenants]:
    tenants = Tenants(url, **settings)
    with tenants.a, tenants.b:
        for client, key in ((tenants.a, "welcome"), (tenants.b, "rival-only")):
            done = client.post(f"/api/v1/workflows/{key}/publish", json=welcome(key))
            assert done.status_code == 201, done.text
        yield tenants
    tenants.rt.close()


@pytest.fixture
def t(tmp_path: Path) -> Iterator[Tenants]:
    with tenants_of(upgraded_db(tmp_path / "rules.db")) as made:
        yield made


def dump(url: str) -> list[str]:
    conn = sqlite3.connect(path_from_url(url))
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


ZILLOW = {"field": "event.data.source", "op": "eq", "value": "zillow"}
HOT = {
    "name": "zillow leads are hot",
    "event": "lead.created",
    "filter": ZILLOW,
    "priority": 10,
    "actions": [
        {"kind": "add_tag", "tag": "hot"},
        {"kind": "set_stage", "stage": "engaged"},
        {"kind": "enroll", "workflow": "welcome"},
    ],
}
BIG = {
    "name": "big budgets go to Ann",
    "event": "lead.*",
    "filter": {"field": "contact.fields.budget", "op": "gte", "value": 500000},
    "actions": [
        {"kind": "assign_owner", "owner": "a17"},
        {"kind": "emit_event", "type": "lead.flagged", "data": {"why": "budget"}},
        {"kind": "webhook", "url": "https://crm.example.com/hook"},
    ],
}


def test_rules_crud_versions_and_the_tenancy_wall(t: Tenants) -> None:
    made = t.a.post(RULES, json=HOT)
    assert made.status_code == 201, made.text
    rule = made.json()
    assert (rule["version"], rule["enabled"], rule["event"], rule["filter"]) == (
        1,
        True,
        "lead.created",
        ZILLOW,
    )
    rid = rule["id"]
    changed = t.a.put(f"{RULES}/{rid}", json={**HOT, "priority": 20, "expect_version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = t.a.put(f"{RULES}/{rid}", json={**HOT, "expect_version": 1})
    assert_problem(stale, 409)
    versions = t.a.get(f"{RULES}/{rid}/versions").json()["items"]
    assert [(v["version"], v["priority"]) for v in versions] == [(1, 10), (2, 20)]
    assert t.a.post(f"{RULES}/{rid}/disable").json()["enabled"] is False
    assert t.a.get(f"{RULES}/{rid}").json()["enabled"] is False
    assert t.a.post(f"{RULES}/{rid}/enable").json()["enabled"] is True
    assert [r["id"] for r in t.a.get(RULES).json()["items"]] == [rid]
    assert t.a.get(f"{RULES}/{rid}/firings").json()["items"] == []

    # the other tenant: 404 for every door, and its list is its own
    for method, path in (
        ("GET", f"{RULES}/{rid}"),
        ("GET", f"{RULES}/{rid}/versions"),
        ("GET", f"{RULES}/{rid}/firings"),
        ("POST", f"{RULES}/{rid}/enable"),
        ("POST", f"{RULES}/{rid}/disable"),
    ):
        assert_problem(t.b.request(method, path), 404)
    assert_problem(t.b.put(f"{RULES}/{rid}", json=HOT), 404)
    assert t.b.get(RULES).json()["items"] == []
    assert_problem(t.b.post(EXECUTE, json={"rule_ids": [rid], "events": [1]}), 404)
    # a rule of acme cannot enroll into rival's workflow: named as if it did not exist
    foreign = {**HOT, "actions": [{"kind": "enroll", "workflow": "rival-only"}]}
    body = assert_problem(t.a.post(RULES, json=foreign), 422)
    assert {
        "field": "actions[0].workflow",
        "problem": "workflow 'rival-only' not found in this tenant",
    } in body["errors"]  # type: ignore[operator]
    # ... nor run it inline
    lead = t.lead(t.a, "ann")
    eid = t.event(t.a, lead, "lead.created", source="zillow")
    assert_problem(t.a.post(EXECUTE, json={"rules": [foreign], "events": [eid]}), 422)
    # rival cannot execute its own rule over acme's event
    theirs = t.b.post(RULES, json={**HOT, "actions": [{"kind": "add_tag", "tag": "x"}]})
    assert_problem(
        t.b.post(EXECUTE, json={"rule_ids": [theirs.json()["id"]], "events": [eid]}), 404
    )
    # an agent's key may not write rules
    agent = ApiClient(t.app, {"Authorization": f"Bearer {member_key(t.url, 'agent', 'z9')}"})
    with agent:
        assert_problem(agent.post(RULES, json=HOT), 403)


def test_a_bad_rule_names_each_field(t: Tenants) -> None:
    bad = {
        "name": "bad",
        "event": "lead.created",
        "filter": {
            "all": [
                {"field": "context.x", "op": "eq", "value": 1},
                {"field": "contact.colour", "op": "eq", "value": "red"},
            ]
        },
        "actions": [
            {"kind": "launch_rocket"},
            {"kind": "add_tag"},
            {"kind": "webhook", "url": "ftp://example.com/x"},
            {"kind": "assign_owner", "owner": "nobody"},
            {"kind": "update_contact", "set": {"email": "x@example.com", "owner": "z9"}},
        ],
    }
    body = assert_problem(t.a.post(RULES, json=bad), 422)
    fields = [e["field"] for e in body["errors"]]  # type: ignore[union-attr]
    for expected in (
        "filter.all[1].field",
        "actions[0].kind",
        "actions[1].tag",
        "actions[2].url",
        "actions[3].owner",
        "actions[4].set.email",
        "actions[4].set.owner",
    ):
        assert expected in fields, (expected, body)
    assert any("event.* and contact.*" in e["problem"] for e in body["errors"])  # type: ignore[union-attr]
    assert t.a.get(RULES).json()["items"] == []  # nothing saved


def test_dry_run_changes_nothing_and_the_real_run_does_exactly_what_it_said(t: Tenants) -> None:
    hot = t.a.post(RULES, json=HOT).json()["id"]
    big = t.a.post(RULES, json=BIG).json()["id"]
    leads = {
        "ann": t.lead(t.a, "ann", budget=900000),
        "bob": t.lead(t.a, "bob", budget=100000),
        "cyd": t.lead(t.a, "cyd", budget=750000),
        "dee": t.lead(t.a, "dee"),
    }
    events = [
        t.event(t.a, leads["ann"], "lead.created", source="zillow"),
        t.event(t.a, leads["bob"], "lead.created", source="zillow"),
        t.event(t.a, leads["cyd"], "lead.created", source="web"),
        t.event(t.a, leads["dee"], "lead.updated", source="zillow"),
    ]
    request = {"rule_ids": [hot, big], "events": events, "dry_run": True}
    before = dump(t.url)
    dry = t.a.post(EXECUTE, json=request)
    assert dry.status_code == 200, dry.text
    assert dump(t.url) == before  # not one row changed
    plan = dry.json()
    assert plan["events"] == 4 and plan["outcomes"] == {
        "applied": 4,
        "failed": 0,
        "already_fired": 0,
    }
    predicted = {(f["rule_id"], f["event_id"]) for f in plan["firings"]}
    assert predicted == {(hot, events[0]), (hot, events[1]), (big, events[0]), (big, events[2])}
    assert plan["contacts"] == sorted([leads["ann"], leads["bob"], leads["cyd"]])
    assert plan["counts"] == {
        "add_tag": 2,
        "set_stage": 2,
        "enroll": 2,
        "assign_owner": 2,
        "emit_event": 2,
        "webhook": 2,
    }
    # a dry run of an inline rule: the same impact report, nothing saved
    inline = t.a.post(EXECUTE, json={"rules": [HOT], "events": events})
    assert inline.json()["counts"] == {"add_tag": 2, "set_stage": 2, "enroll": 2}
    assert dump(t.url) == before

    real = t.a.post(EXECUTE, json={**request, "dry_run": False, "expect": plan["digest"]})
    assert real.status_code == 200, real.text
    done = real.json()
    assert done["digest"] == plan["digest"] and done["recorded"] == 4
    # what the dry run said, in the database
    store = t.rt.store
    tagged = {c.id for c in store.list_contacts() if "hot" in c.tags}
    engaged = {c.id for c in store.list_contacts() if c.stage == "engaged"}
    owned = {c.id for c in store.list_contacts() if c.owner == "a17"}
    by_kind: dict[str, set[str]] = {}
    for f in plan["firings"]:
        for a in f["actions"]:
            by_kind.setdefault(a["kind"], set()).add(f["contact_id"])
    assert tagged == engaged == by_kind["add_tag"] == {leads["ann"], leads["bob"]}
    assert owned == by_kind["assign_owner"] == {leads["ann"], leads["cyd"]}
    runs = store.list_runs(RunFilter(workflow_key="welcome"))
    assert sorted(r.contact_id for r in runs) == sorted(by_kind["enroll"])
    flagged = store.list_events(type="lead.flagged")
    assert sorted(e.contact_id or "" for e in flagged) == sorted(by_kind["emit_event"])
    hooks = store.list_messages(MessageFilter(channel="webhook"))
    assert sorted(m.contact_id or "" for m in hooks) == sorted(by_kind["webhook"])
    audited = t.a.get(f"{RULES}/{hot}/firings").json()["items"]
    assert [(f["event_id"], f["source"], f["outcome"]) for f in audited] == [
        (events[0], "execute", "applied"),
        (events[1], "execute", "applied"),
    ]
    assert [f["actions"] for f in audited] == [
        f["actions"] for f in plan["firings"] if f["rule_id"] == hot
    ]

    # again: every pair has fired; a dry run says so and a real run records nothing
    second = t.a.post(EXECUTE, json={**request, "dry_run": False}).json()
    assert second["outcomes"]["already_fired"] == 4 and second["recorded"] == 0
    # the workers then process the same events: no pair fires twice
    worker = t.rt.worker("rules-test")
    for _ in range(20):
        if not worker.tick(t.rt.clock.now()):
            break
    pairs = Counter((f.rule_id, f.event_id) for f in store.list_firings("acme", limit=1000))
    assert all(n == 1 for n in pairs.values())
    assert predicted <= set(pairs)
    assert len(store.list_runs(RunFilter(workflow_key="welcome"))) == 2


def test_a_real_run_refuses_a_stale_digest_and_inline_rules(t: Tenants) -> None:
    hot = t.a.post(RULES, json=HOT).json()["id"]
    lead = t.lead(t.a, "ann")
    eid = t.event(t.a, lead, "lead.created", source="zillow")
    plan = t.a.post(EXECUTE, json={"rule_ids": [hot], "events": [eid]}).json()
    t.a.put(f"{RULES}/{hot}", json={**HOT, "actions": [{"kind": "add_tag", "tag": "warm"}]})
    stale = {"rule_ids": [hot], "events": [eid], "dry_run": False, "expect": plan["digest"]}
    assert_problem(t.a.post(EXECUTE, json=stale), 409)
    assert t.rt.store.list_firings("acme") == []
    inline = {"rules": [HOT], "events": [eid], "dry_run": False}
    body = assert_problem(t.a.post(EXECUTE, json=inline), 422)
    assert "save them first" in str(body["errors"])
    # a time window instead of ids
    window = t.a.post(
        EXECUTE,
        json={"rule_ids": [hot], "since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"},
    ).json()
    assert [f["event_id"] for f in window["firings"]] == [eid]
    none = t.a.post(
        EXECUTE,
        json={"rule_ids": [hot], "since": "2025-01-01T00:00:00Z", "until": "2025-01-02T00:00:00Z"},
    ).json()
    assert none["firings"] == [] and none["events"] == 0


def test_draft_a_rule_from_a_sentence_offline(t: Tenants) -> None:
    text = (
        "When a new Zillow lead arrives, tag them hot, assign to a17 and enroll them in the "
        "welcome workflow"
    )
    drafted = t.a.post(f"{RULES}/draft", json={"text": text})
    assert drafted.status_code == 200, drafted.text
    d = drafted.json()
    assert d["source"] == "planner" and d["valid"], d
    assert d["rule"]["event"] == "lead.created"
    assert d["rule"]["filter"] == {"field": "event.data.source", "op": "eq", "value": "zillow"}
    assert d["rule"]["actions"] == [
        {"kind": "add_tag", "tag": "hot"},
        {"kind": "assign_owner", "owner": "a17"},
        {"kind": "enroll", "workflow": "welcome"},
    ]
    saved = t.a.post(f"{RULES}/draft", json={"text": text, "save": True}).json()["saved"]
    assert saved["enabled"] is False  # nothing fires before someone enables it
    assert t.a.get(f"{RULES}/{saved['id']}").json()["actions"] == d["rule"]["actions"]
    # a sentence naming another tenant's workflow is drafted, refused, and not saved
    foreign = "When a new lead arrives, enroll them in the rival-only workflow"
    out = t.a.post(f"{RULES}/draft", json={"text": foreign}).json()
    assert not out["valid"] and out["problems"][0]["field"] == "actions[0].workflow"
    assert_problem(t.a.post(f"{RULES}/draft", json={"text": foreign, "save": True}), 422)


MODEL_RULE = {
    "name": "hot leads to the owner",
    "event": "lead.score_changed",
    "filter": {"field": "event.data.new_band", "op": "eq", "value": "hot"},
    "actions": [{"kind": "notify_agent", "title": "Hot lead: call now", "priority": "urgent"}],
    "priority": 5,
}


def test_draft_with_a_model_checked_and_falling_back_to_the_planner(tmp_path: Path) -> None:
    url = upgraded_db(tmp_path / "llm.db")
    foreign = {**MODEL_RULE, "actions": [{"kind": "enroll", "workflow": "rival-only"}]}
    script = [good(MODEL_RULE), good(foreign), error(500, "down")]
    with running_llm_peer(script) as peer:
        llm = {"llm_base_url": peer.base_url, "llm_api_key": API_KEY, "llm_model": "m1"}
        with tenants_of(url, **llm, llm_max_retries=0) as t:
            text = "When a lead goes hot, notify the owner urgently"
            first = t.a.post(f"{RULES}/draft", json={"text": text}).json()
            assert (first["source"], first["valid"], first["rule"]) == ("model", True, MODEL_RULE)
            assert "notify_agent" in peer.requests[0]["messages"][0]["content"]  # kinds listed
            # the model names another tenant's workflow: refused, the planner's rule instead
            second = t.a.post(f"{RULES}/draft", json={"text": text + " today"}).json()
            assert second["source"] == "planner" and second["valid"]
            assert second["rule"]["event"] == "lead.score_changed"
            assert second["rule"]["actions"][0]["kind"] == "notify_agent"
            assert "did not pass the checks" in second["notes"][0]
            # the model is down: the planner's rule, said so
            third = t.a.post(f"{RULES}/draft", json={"text": text + " please"}).json()
            assert third["source"] == "planner" and "could not answer" in third["notes"][0]
