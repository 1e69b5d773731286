"""Clusters that act: each k-means cluster of a smart campaign's segment becomes a condition in
the workflow language (a shallow decision rule over contact fields), measured on the segment's
contacts, with a channel plan, a validated and simulated draft and a prediction of its own.

Planted so that one field is not enough: buyers in Austin with a high budget, buyers in Austin
with a low budget, and buyers in Dallas with a high budget; the first is only "city Austin AND
budget high"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sklearn.metrics import adjusted_rand_score

from leadflow.ai.campaign import Segment, channel_plan
from leadflow.ai.cluster_rules import cluster_rule, roundest, rule_of
from leadflow.ai.clusters import cluster_contacts, fit
from leadflow.definitions.conditions import compile_condition
from leadflow.model.records import Contact
from leadflow.store import open_store
from support.api_client import ApiClient, admin_key
from support.planted_leads import ACME, DAY, NOW, ZETA, planted
from support.stores import upgraded_db

CAMPAIGN = "/api/v1/automation/smart-campaign"


def _selected(condition: dict[str, Any], contacts: list[Contact]) -> list[int]:
    test = compile_condition(condition)
    return [i for i, c in enumerate(contacts) if test({"contact": c.as_dict()})]


def _fields(condition: dict[str, Any]) -> set[str]:
    leaves = condition.get("all") or [
        leaf for branch in condition.get("any", []) for leaf in branch["all"]
    ]
    return {leaf["field"] for leaf in leaves}


def test_each_planted_cluster_gets_a_condition_that_selects_it() -> None:
    contacts, planted_as = planted("acme", ACME)
    found = fit(contacts, {}, NOW)
    assert not isinstance(found, str) and found.k == 3, found
    assert adjusted_rand_score(planted_as, found.labels) >= 0.9
    for label in range(3):
        rule = cluster_rule(contacts, found.columns, found.labels, label)
        assert not isinstance(rule, str), rule
        assert rule.precision >= 0.9 and rule.recall >= 0.9, rule
        # ... and against the planted groups, not only k-means' labels
        group = max(
            range(3),
            key=lambda g: sum(found.labels[i] == label for i in range(g * 40, g * 40 + 40)),
        )
        picked = set(_selected(rule.condition, contacts))
        wanted = set(range(group * 40, group * 40 + 40))
        assert len(picked & wanted) >= 0.9 * len(picked) and len(picked & wanted) >= 36
        if group == 0:  # Austin and a high budget: one field cannot say it
            assert rule.depth >= 2 and "contact.fields.city" in _fields(rule.condition)
            assert _fields(rule.condition) & {"contact.fields.budget", "contact.score"}
            assert "Austin" in str(rule.condition)


def test_contacts_without_the_number_stay_where_the_tree_put_them() -> None:
    """Two groups told apart by budget only, the budget missing for every eighth contact: the
    side of the split the tree sent them to says "or budget missing", so the rule still selects
    its cluster (the comparison alone would lose them)."""
    groups = (("Austin", 900_000, 60, "0-3 months"), ("Austin", 300_000, 60, "0-3 months"))
    contacts, _ = planted("acme", groups)
    for c in contacts[::8]:
        del c.fields["budget"]
    found = fit(contacts, {}, NOW, k=2)
    assert not isinstance(found, str)
    said_missing = 0
    for label in range(2):
        rule = cluster_rule(contacts, found.columns, found.labels, label)
        assert not isinstance(rule, str), rule
        assert rule.precision >= 0.9 and rule.recall >= 0.9, rule
        (leaf,) = rule.condition["all"]
        if "any" in leaf:
            said_missing += 1
            assert leaf["any"][1] == {"field": "contact.fields.budget", "op": "eq", "value": None}
            members = {i for i, x in enumerate(found.labels) if x == label}
            alone = set(_selected({"all": [leaf["any"][0]]}, contacts))
            assert len(alone & members) < 0.9 * len(members)
    assert said_missing == 1


def test_thresholds_are_round_numbers_between_the_data() -> None:
    assert roundest(612_345, 701_000) == 700_000
    assert roundest(612_345, 640_000) == 620_000
    assert roundest(41.5, 42) == 42
    assert roundest(0.51, 0.58) == 0.55
    contacts, _ = planted("acme", ACME)
    out = cluster_contacts(contacts, {}, NOW, k=3, more=rule_of(contacts))
    for cluster in out["clusters"]:
        for leaf in cluster["rule"]["condition"].get("all", []):
            if leaf["op"] in ("gte", "lt") and leaf["field"] == "contact.fields.budget":
                assert leaf["value"] % 10_000 == 0, leaf


def test_a_cluster_no_contact_field_tells_apart_has_no_rule() -> None:
    contacts = [
        Contact(id=f"c{i:03d}", fields={"city": "Austin"}, created_at=NOW - DAY, tenant_id="a")
        for i in range(60)
    ]
    engagement = {c.id: {"sent": 4, "replied": 3 if i < 20 else 0} for i, c in enumerate(contacts)}
    found = fit(contacts, engagement, NOW)
    assert not isinstance(found, str)
    reason = cluster_rule(contacts, found.columns, found.labels, 0)
    assert isinstance(reason, str) and "engagement" in reason


def test_a_cluster_ruled_by_a_hot_score_is_planned_as_hot_leads() -> None:
    hot = Segment("s-c1", [{"all": [{"field": "contact.score", "op": "gte", "value": 75}]}], "x")
    warm = Segment("s-c2", [{"field": "contact.score", "op": "gte", "value": 50}], "x")
    assert channel_plan(hot, ["sms", "email", "voice"]) == ["sms", "voice"]
    assert channel_plan(warm, ["sms", "email", "voice"]) == ["sms", "email"]


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, FastAPI]]:
    from leadflow.api.app import create_app
    from leadflow.settings import Settings

    for name in ("LEADFLOW_LLM_BASE_URL", "LEADFLOW_DB"):
        monkeypatch.delenv(name, raising=False)
    url = upgraded_db(tmp_path / "api.db")
    yield url, create_app(Settings(db=url))


def test_cluster_segments_get_drafts_inside_their_tenant(api: tuple[str, FastAPI]) -> None:
    url, app = api
    acme_key, zeta_key = admin_key(url, "acme"), admin_key(url, "zeta")
    acme_contacts = planted("acme", ACME)[0]
    zeta_contacts = planted("zeta", ZETA, per_group=30)[0]
    store = open_store(url)
    try:
        store.upsert_contacts(acme_contacts, NOW)
        store.upsert_contacts(zeta_contacts, NOW)
    finally:
        store.close()
    body = {
        "goal": "book more showings",
        "audience": "buyers",
        "channels": ["sms", "email", "voice"],
        "budget": 120,
        "clusters": True,
        "save": True,
    }
    with ApiClient(app, headers={"Authorization": f"Bearer {acme_key}"}) as acme:
        out = acme.post(CAMPAIGN, json=body).json()
        (segment,) = out["segments"]
        assert segment["contacts"] == 120 and segment["clusters"]["k"] == 3
        assert segment["reach"] == 60  # 120 messages, two per contact
        keys, plans = set(), []
        for cluster in segment["clusters"]["clusters"]:
            rule, own = cluster["rule"], cluster["segment"]
            assert rule["precision"] >= 0.9 and rule["recall"] >= 0.9, rule
            # the draft's filter enrolls exactly the contacts counted (a workflow sees only
            # its tenant's contacts)
            (trigger,) = own["workflow"]["triggers"]
            picked = _selected(trigger["filter"], acme_contacts)
            assert len(picked) == own["contacts"] == rule["matched"]
            assert own["conditions"][0] == segment["conditions"][0]  # buyers, then the rule
            # its own channel plan: the two high-score groups (medians ~80) as hot leads
            scores = sorted(acme_contacts[i].fields["score"] for i in picked)
            hot = scores[len(scores) // 2] >= 70
            assert own["channels"] == (["sms", "voice"] if hot else ["sms", "email"]), scores
            plans.append(own["channels"])
            assert own["validation"]["valid"], own["validation"]
            split = own["workflow"]["nodes"][0]
            assert split["experiment"]["metric"]["event"] == "appointment.booked"
            assert own["channels"] and own["prediction"]["replies"]["expected"] > 0
            low, high = own["prediction"]["appointments"]["interval_95"]
            assert low <= own["prediction"]["appointments"]["expected"] <= high
            # reach: the cluster's share of the segment's, within the budget
            assert own["reach"] == round(own["contacts"] * segment["reach"] / 120)
            keys.add(own["saved"]["key"])
        assert len(keys) == 3 and sorted(plans) == [["sms", "email"]] + [["sms", "voice"]] * 2
        assert sum(c["segment"]["reach"] for c in segment["clusters"]["clusters"]) <= (
            segment["reach"] + 2
        )
        drafts = {d["key"] for d in acme.get("/api/v1/workflows/drafts").json()["items"]}
        assert keys <= drafts
        six = acme.post(CAMPAIGN, json={**body, "clusters": 6, "save": False}).json()
        for cluster in six["segments"][0]["clusters"]["clusters"]:  # small ones: no draft
            assert (cluster["segment"] is None) == (cluster["contacts"] < 10), cluster
            if cluster["segment"] is None:
                assert any(cluster["name"] in w and "no draft" in w for w in six["warnings"])
        plain = acme.post(CAMPAIGN, json={**body, "clusters": False, "save": False}).json()
        assert "clusters" not in plain["segments"][0]
    with ApiClient(app, headers={"Authorization": f"Bearer {zeta_key}"}) as zeta:
        theirs = zeta.post(CAMPAIGN, json={**body, "save": False}).json()["segments"][0]
        assert theirs["contacts"] == 60 and theirs["clusters"]["k"] == 2
        said = str([c["rule"]["condition"] for c in theirs["clusters"]["clusters"]])
        assert "Austin" not in said and "Dallas" not in said
        for cluster in theirs["clusters"]["clusters"]:
            (trigger,) = cluster["segment"]["workflow"]["triggers"]
            picked = _selected(trigger["filter"], zeta_contacts)
            assert len(picked) == cluster["segment"]["contacts"] == cluster["rule"]["matched"]
            assert cluster["rule"]["precision"] >= 0.9 and cluster["rule"]["recall"] >= 0.9
        drafts = {d["key"] for d in zeta.get("/api/v1/workflows/drafts").json()["items"]}
        assert not keys & drafts
