"""Automation rules evaluated by the worker on each new event, on the three backends: filters
over the event and the contact, priorities and ``stop``, every built-in action kind plus the
playbooks' ``notify_agent``, one firing per (event, rule) even when the batch is seen again
(a crash before it commits), a failed firing applies nothing, and a rule never acts on another
tenant's events."""

from __future__ import annotations

import json
from typing import Any

from leadflow.engine.ports import EventBatch
from leadflow.engine.workflows import publish
from leadflow.model.automation import RuleSpec
from leadflow.model.playbooks import TaskFilter
from leadflow.model.records import MessageFilter, RunFilter
from leadflow.model.tenancy import Agent, Tenant
from leadflow.rules.observer import RulesObserver
from leadflow.tenancy import accounts
from support.engine_kit import Kit
from support.hook_server import hook_server

WELCOME = {
    "key": "welcome",
    "name": "Welcome",
    "triggers": [{"type": "manual"}],
    "start": "done",
    "nodes": [{"id": "done", "kind": "exit", "reason": "welcomed"}],
    "settings": {"reentry": {"policy": "always"}},
}


def _setup(kit: Kit) -> None:
    s = kit.store
    s.create_tenant(Tenant("acme", "Acme"), kit.now)
    s.create_tenant(Tenant("beta", "Beta"), kit.now)
    agent = Agent("acme", "a17", None, first_name="Ann", mobile_phone="+12125550199")
    accounts.add_agents(s, "acme", [agent], kit.now)
    engine = kit.runtime.engine
    publish(s, engine.catalog, WELCOME, kit.now, engine.registry, tenant_id="acme")
    kit.add_contact("c1", tenant_id="acme", fields={"budget": 900000})
    kit.add_contact("c2", tenant_id="acme", fields={"budget": 200000})
    kit.add_contact("b1", tenant_id="beta")


def _rule(
    kit: Kit, tenant: str, name: str, event: str, actions: list[dict[str, Any]], **kw: Any
) -> int:
    spec = RuleSpec(name, event, actions, **kw)
    return kit.store.create_rule(tenant, spec, True, kit.now).id


def test_worker_fires_each_rule_once_per_event_with_every_action_kind(kit: Kit) -> None:
    _setup(kit)
    big = {"field": "contact.fields.budget", "op": "gte", "value": 500000}
    zillow = {"field": "event.data.source", "op": "eq", "value": "zillow"}
    hot = _rule(
        kit,
        "acme",
        "big zillow leads",
        "lead.created",
        [
            {"kind": "add_tag", "tag": "hot"},
            {"kind": "set_stage", "stage": "engaged"},
            {"kind": "update_contact", "set": {"lead_source": {"from": "event.data.source"}}},
            {"kind": "assign_owner", "owner": "a17"},
            {"kind": "enroll", "workflow": "welcome"},
            {"kind": "emit_event", "type": "lead.flagged", "data": {"why": "big"}},
            {"kind": "webhook", "url": "https://hooks.example.com/leadflow"},
            {"kind": "notify_agent", "title": "Call this big lead", "priority": "high"},
        ],
        filter={"all": [big, zillow]},
        priority=10,
        stop=True,
    )
    low = _rule(kit, "acme", "everyone", "lead.*", [{"kind": "add_tag", "tag": "seen"}])
    theirs = _rule(kit, "beta", "beta's", "lead.created", [{"kind": "add_tag", "tag": "beta"}])
    e1 = kit.emit("lead.created", "c1", {"source": "zillow"})
    e2 = kit.emit("lead.created", "c2", {"source": "zillow"})
    kit.settle()

    c1, c2, b1 = kit.contact("c1"), kit.contact("c2"), kit.contact("b1")
    assert c1.stage == "engaged" and c1.owner == "a17"
    assert c1.fields["lead_source"] == "zillow"
    assert c2.tags == ["seen"] and c2.stage is None  # budget too low: the lower rule only
    assert b1.tags == []  # beta's rule saw no event of beta's contact
    flagged = kit.store.list_events(type="lead.flagged")
    assert len(flagged) == 1 and flagged[0].data["source_event_id"] == e1
    # hot's stop kept "everyone" off e1; the lead.flagged it emitted is a lead.* event of c1
    # that "everyone" then fired on (a rule only ignores the events it emitted itself)
    firings = kit.store.list_firings("acme")
    assert sorted((f.rule_id, f.event_id) for f in firings) == sorted(
        [(hot, e1), (low, e2), (low, flagged[0].id)]
    )
    assert c1.tags == ["hot", "seen"]
    hot_firing = next(f for f in firings if f.rule_id == hot)
    assert hot_firing.outcome == "applied" and hot_firing.rule_version == 1
    assert [a["kind"] for a in hot_firing.actions] == [
        "add_tag",
        "set_stage",
        "update_contact",
        "assign_owner",
        "enroll",
        "emit_event",
        "webhook",
        "notify_agent",
    ]
    runs = kit.store.list_runs(RunFilter(workflow_key="welcome"))
    assert [r.contact_id for r in runs] == ["c1"]
    hooks = kit.store.list_messages(MessageFilter(channel="webhook"))
    assert len(hooks) == 1 and hooks[0].to == "https://hooks.example.com/leadflow"
    assert json.loads(hooks[0].body or "{}")["event"]["id"] == e1
    (task,) = kit.store.list_tasks(TaskFilter("acme"))
    assert (task.assignee, task.title, task.contact_id) == ("a17", "Call this big lead", "c1")
    notices = kit.store.list_messages(MessageFilter(channel="sms"))
    assert [m.to for m in notices] == ["+12125550199"]
    kit.settle()  # nothing is left to fire
    assert len(kit.store.list_firings("acme")) == 3
    assert kit.store.list_firings("beta") == [] and theirs


def test_a_batch_seen_again_after_a_crash_fires_nothing_twice(kit: Kit) -> None:
    _setup(kit)
    rid = _rule(
        kit,
        "acme",
        "welcome everyone",
        "lead.created",
        [{"kind": "enroll", "workflow": "welcome"}, {"kind": "emit_event", "type": "lead.flagged"}],
    )
    ids = [kit.emit("lead.created", c) for c in ("c1", "c2")]
    events = [e for e in kit.store.list_events(type="lead.created") if e.id in ids]
    observer = RulesObserver(kit.store, kit.runtime.engine.registry)
    for _ in range(3):  # the same batch three times, as a worker restarted before its commit
        observer.observe(EventBatch(kit.store, events, {}, kit.now))
    assert observer.fired == 2
    assert len(kit.store.list_firings("acme", rid)) == 2
    assert len(kit.store.list_runs(RunFilter(workflow_key="welcome"))) == 2  # reentry: always
    assert len(kit.store.list_events(type="lead.flagged")) == 2
    kit.settle()  # the worker itself then claims them: still once
    assert len(kit.store.list_firings("acme", rid)) == 2
    assert len(kit.store.list_runs(RunFilter(workflow_key="welcome"))) == 2


def test_a_firing_that_cannot_act_is_recorded_failed_and_applies_nothing(kit: Kit) -> None:
    _setup(kit)
    rid = _rule(
        kit,
        "acme",
        "tag then enroll in a workflow that is not there",
        "lead.created",
        [{"kind": "add_tag", "tag": "x"}, {"kind": "enroll", "workflow": "gone"}],
    )
    kit.emit("lead.created", "c1")
    kit.settle()
    (f,) = kit.store.list_firings("acme", rid)
    assert f.outcome == "failed" and "workflow 'gone' not found in this tenant" in (f.error or "")
    assert kit.contact("c1").tags == []


def test_a_webhook_action_goes_out_through_the_outbox_once(make_kit: Any) -> None:
    kit: Kit = make_kit(webhook_allow_private=True)
    _setup(kit)
    with hook_server() as server:
        rid = _rule(
            kit,
            "acme",
            "to the CRM",
            "lead.created",
            [{"kind": "webhook", "url": f"{server.url}/in"}],
        )
        eid = kit.emit("lead.created", "c1", {"source": "zillow"})
        kit.settle()
        kit.settle()
        (req,) = server.received  # one POST, however often the worker passes
    assert (req.method, req.path) == ("POST", "/in")
    assert req.headers["Idempotency-Key"] == f"rule:{rid}:{eid}:0"
    body = json.loads(req.body)
    assert (body["rule_id"], body["event"]["id"], body["contact_id"]) == (rid, eid, "c1")
    assert body["event"]["data"] == {"source": "zillow"}
    (msg,) = kit.messages(channel="webhook")
    assert msg.status == "delivered"


def test_a_webhook_action_to_a_private_address_is_refused_by_the_ssrf_guard(kit: Kit) -> None:
    _setup(kit)
    with hook_server() as server:
        _rule(kit, "acme", "to me", "lead.created", [{"kind": "webhook", "url": server.url}])
        kit.emit("lead.created", "c1")
        kit.settle()
        kit.settle()
        assert server.received == []
    (msg,) = kit.messages(channel="webhook")
    assert msg.status == "failed"
    assert msg.error is not None and "non-public address 127.0.0.1" in msg.error
