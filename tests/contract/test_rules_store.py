"""Automation rules and their firings: every backend alike (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from leadflow.model.automation import FiringEffects, RuleFiring, RuleSpec
from leadflow.model.records import ContactPatch, NewEvent
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from support.records import T0, contact, event


def _spec(name: str = "hot leads", **kw: object) -> RuleSpec:
    return RuleSpec(name, "lead.created", [{"kind": "add_tag", "tag": "hot"}], **kw)  # type: ignore[arg-type]


def _tenants(store: Store) -> None:
    store.create_tenant(Tenant("acme", "Acme"), T0)
    store.create_tenant(Tenant("beta", "Beta"), T0)


def test_rules_are_versioned_rows_of_one_tenant(store: Store) -> None:
    _tenants(store)
    rule = store.create_rule(
        "acme",
        _spec(filter={"field": "event.data.source", "op": "eq", "value": "zillow"}),
        True,
        T0,
    )
    assert (rule.version, rule.enabled, rule.spec.name) == (1, True, "hot leads")
    assert rule.spec.filter == {"field": "event.data.source", "op": "eq", "value": "zillow"}
    v2 = store.update_rule("acme", rule.id, _spec("warmer", priority=5, stop=True), T0 + 1, 1)
    assert v2 is not None and (v2.version, v2.spec.name, v2.spec.priority, v2.spec.stop) == (
        2,
        "warmer",
        5,
        True,
    )
    # a stale edit (expecting version 1 again) writes nothing
    assert store.update_rule("acme", rule.id, _spec("stale"), T0 + 2, 1) is None
    assert [r.spec.name for r in store.rule_versions("acme", rule.id)] == ["hot leads", "warmer"]
    assert store.get_rule("acme", rule.id, 1).spec.name == "hot leads"  # type: ignore[union-attr]
    assert store.get_rule("acme", rule.id).version == 2  # type: ignore[union-attr]
    # the other tenant sees nothing of it and cannot change it
    assert store.get_rule("beta", rule.id) is None
    assert store.rule_versions("beta", rule.id) == []
    assert store.update_rule("beta", rule.id, _spec("x"), T0, 2) is None
    assert store.set_rule_enabled("beta", rule.id, False, T0) is None
    assert store.list_rules("beta") == []
    other = store.create_rule("beta", _spec("theirs"), True, T0)
    assert other.id != rule.id
    assert [r.id for r in store.list_rules("acme")] == [rule.id]
    # enable/disable: the rule's state, not a new version
    off = store.set_rule_enabled("acme", rule.id, False, T0 + 3)
    assert off is not None and (off.enabled, off.version) == (False, 2)
    assert [r.id for r in store.enabled_rules()] == [other.id]
    store.set_rule_enabled("acme", rule.id, True, T0 + 4)
    assert [r.id for r in store.enabled_rules()] == [rule.id, other.id]


def test_a_firing_is_recorded_once_per_event_and_rule_with_its_effects(store: Store) -> None:
    _tenants(store)
    store.upsert_contacts([contact("c1", tenant_id="acme")], T0)
    rule = store.create_rule("acme", _spec(), True, T0)
    (eid,) = store.append_events([event("lead.created", "c1", "e1")], T0)
    assert eid is not None
    effects = FiringEffects(
        patches=[ContactPatch("c1", set={"stage": "hot"}, add_tags=["vip"])],
        events=[NewEvent("rule.done", "c1", {"n": 1}, f"rule:{rule.id}:{eid}:0", T0)],
    )

    def firing() -> RuleFiring:
        return RuleFiring(
            "acme",
            rule.id,
            1,
            eid,
            "c1",
            [{"kind": "set_stage", "stage": "hot"}],
            "applied",
            T0 + 5,
        )

    first = firing()
    assert store.fired([eid]) == set()
    assert store.record_firing(first, effects, T0 + 5)
    assert first.id is not None
    again = FiringEffects(patches=[ContactPatch("c1", add_tags=["twice"])])
    assert not store.record_firing(firing(), again, T0 + 6)  # the pair has fired: nothing written
    c1 = store.get_contact("c1")
    assert c1 is not None and c1.stage == "hot" and c1.tags == ["vip"]
    assert store.event_ids_by_dedupe([f"rule:{rule.id}:{eid}:0"])
    assert store.fired([eid, eid + 99]) == {(eid, rule.id)}
    (got,) = store.list_firings("acme", rule.id)
    assert (got.id, got.rule_version, got.event_id, got.outcome, got.source) == (
        first.id,
        1,
        eid,
        "applied",
        "worker",
    )
    assert got.actions == [{"kind": "set_stage", "stage": "hot"}]
    assert store.list_firings("beta") == []
    assert store.list_firings("acme", after_id=got.id) == []


def test_a_failed_firing_applies_nothing(store: Store) -> None:
    _tenants(store)
    store.upsert_contacts([contact("c1", tenant_id="acme")], T0)
    rule = store.create_rule("acme", _spec(), True, T0)
    (eid,) = store.append_events([event("lead.created", "c1", "e1")], T0)
    assert eid is not None
    failed = RuleFiring("acme", rule.id, 1, eid, "c1", [], "failed", T0, error="no such workflow")
    effects = FiringEffects(patches=[ContactPatch("c1", set={"stage": "hot"})])
    assert store.record_firing(failed, effects, T0)
    assert store.get_contact("c1").stage is None  # type: ignore[union-attr]
    (got,) = store.list_firings("acme")
    assert (got.outcome, got.error) == ("failed", "no such workflow")


def test_firings_recorded_together_in_one_call(store: Store) -> None:
    _tenants(store)
    store.upsert_contacts([contact("c1", tenant_id="acme"), contact("c2", tenant_id="acme")], T0)
    rule = store.create_rule("acme", _spec(), True, T0)
    e1, e2 = store.append_events(
        [event("lead.created", "c1", "e1"), event("lead.created", "c2", "e2")], T0
    )
    assert e1 is not None and e2 is not None

    def firing(eid: int, cid: str) -> RuleFiring:
        return RuleFiring("acme", rule.id, 1, eid, cid, [], "applied", T0)

    tag = FiringEffects(patches=[ContactPatch("c1", add_tags=["a"])])
    later = FiringEffects(patches=[ContactPatch("c1", set={"stage": "x"}, add_tags=["b"])])
    two = FiringEffects(patches=[ContactPatch("c2", add_tags=["c"])])
    got = store.record_firings(
        [(firing(e1, "c1"), tag), (firing(e1, "c1"), later), (firing(e2, "c2"), two)], T0
    )
    assert got == [True, False, True]  # the same pair twice in one call: the first one only
    assert store.get_contact("c1").tags == ["a"]  # type: ignore[union-attr]
    assert store.get_contact("c1").stage is None  # type: ignore[union-attr]
    assert store.get_contact("c2").tags == ["c"]  # type: ignore[union-attr]
    assert store.record_firings([(firing(e2, "c2"), two)], T0) == [False]
    assert len(store.list_firings("acme")) == 2
