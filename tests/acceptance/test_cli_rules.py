"""``leadflow rules`` as an operator uses it: create from a file (a bad file named by field),
list, disable/enable, execute as a dry run (nothing written) then for real, and the firings."""

from __future__ import annotations

import json

from leadflow.model.records import Contact, NewEvent
from leadflow.store.factory import open_store
from support.cli import Leadflow, assert_fails

RULE = {
    "name": "zillow leads are hot",
    "event": "lead.created",
    "filter": {"field": "event.data.source", "op": "eq", "value": "zillow"},
    "actions": [{"kind": "add_tag", "tag": "hot"}, {"kind": "set_stage", "stage": "engaged"}],
}


def test_create_list_toggle_execute_and_firings(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    store = open_store(lf.db)
    try:
        store.upsert_contacts(
            [Contact("c1", tenant_id="acme"), Contact("c2", tenant_id="acme")], 0.0
        )
        ids = store.append_events(
            [
                NewEvent("lead.created", "c1", {"source": "zillow"}, "e1", 0.0),
                NewEvent("lead.created", "c2", {"source": "web"}, "e2", 0.0),
            ],
            0.0,
        )
    finally:
        store.close()
    bad = lf.tmp_path / "bad.json"
    bad.write_text(json.dumps({**RULE, "actions": [{"kind": "add_tag"}]}))
    assert_fails(lf("rules", "create", "--file", str(bad), "--tenant", "acme"), "actions[0].tag")
    good = lf.tmp_path / "rule.yaml"
    good.write_text(json.dumps(RULE))  # JSON is YAML
    (made,) = lf.json("rules", "create", "--file", str(good), "--tenant", "acme")
    rid = str(made["id"])
    assert (made["version"], made["enabled"], made["event"]) == (1, True, "lead.created")
    assert [r["id"] for r in lf.json("rules", "list", "--tenant", "acme")] == [made["id"]]
    assert lf.json("rules", "list", "--tenant", "default") == []
    assert "disabled" in lf.ok("rules", "disable", rid, "--tenant", "acme").stdout
    assert lf.json("rules", "list", "--tenant", "acme")[0]["enabled"] is False
    lf.ok("rules", "enable", rid, "--tenant", "acme")

    events = [a for e in ids for a in ("--event", str(e))]
    dry = lf.json("rules", "execute", "--rule", rid, *events, "--tenant", "acme")
    assert dry["dry_run"] and dry["contacts"] == ["c1"]
    assert dry["counts"] == {"add_tag": 1, "set_stage": 1}
    text = lf.ok("rules", "execute", "--rule", rid, *events, "--tenant", "acme").stdout
    assert "dry run: 2 events, 1 firings" in text and "add_tag" in text
    store = open_store(lf.db)
    try:
        assert store.get_contact("c1").tags == []  # type: ignore[union-attr]
    finally:
        store.close()
    run = lf.json(
        "rules",
        "execute",
        "--rule",
        rid,
        *events,
        "--run",
        "--expect",
        dry["digest"],
        "--tenant",
        "acme",
    )
    assert run["recorded"] == 1
    (firing,) = json.loads(lf.ok("rules", "firings", rid, "--tenant", "acme").stdout)
    assert (firing["event_id"], firing["source"], firing["outcome"]) == (
        ids[0],
        "execute",
        "applied",
    )
    store = open_store(lf.db)
    try:
        c1 = store.get_contact("c1")
        assert c1 is not None and c1.tags == ["hot"] and c1.stage == "engaged"
    finally:
        store.close()
    # another tenant's operator does not see the rule
    assert_fails(lf("rules", "enable", rid, "--tenant", "default"), f"rule {rid} not found")
