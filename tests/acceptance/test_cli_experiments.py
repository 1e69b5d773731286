"""``leadflow experiments list|report|review|apply|stop``: what a user reads about an experiment
(its arm rows, the effect against the control, the decision history) and deciding by hand. The
experiment, its sticky assignments, outcome events and a first decision are written through the
store into the SQLite file the CLI is pointed at."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from leadflow.model.experiments import Assignment, Experiment, ExperimentDecision
from leadflow.model.records import Contact, NewEvent
from leadflow.store import open_store
from leadflow.tenancy import accounts
from support.cli import ISO_Z, Leadflow, assert_fails, squash

T0 = 1_750_000_000.0
DAY = 86400.0
KEY = "welcome.opener"
WEIGHTS = {"friendly": 0.45, "listings": 0.45, "holdout": 0.1}
ARMS = (("friendly", 200, 20), ("listings", 200, 50), ("holdout", 44, 2))


def seed(
    db: str,
    tenant: str = "default",
    key: str = KEY,
    weights: dict[str, float] | None = None,
    **config: Any,
) -> None:
    """An experiment with 200/200/44 contacts converting 10% / 25% / 4.5% on
    appointment.booked within 14 days, and one decision (keep) already taken."""
    block: dict[str, Any] = {
        "metric": {"name": "booked", "event": "appointment.booked", "within": "14d"},
        "method": "frequentist",
        "decide": "manual",
        "arms": [
            {"name": "friendly", "weight": 0.45, "holdout": False},
            {"name": "listings", "weight": 0.45, "holdout": False},
            {"name": "holdout", "weight": 0.1, "holdout": True},
        ],
    } | config
    store = open_store(db)
    try:
        if store.get_tenant(tenant) is None:
            accounts.create_tenant(store, tenant, f"{tenant.title()} Realty", 0.0)
        experiment = Experiment(
            tenant,
            key,
            "welcome",
            "opener",
            block,
            dict(weights or WEIGHTS),
            created_at=T0,
            updated_at=T0,
        )
        assert store.save_experiment(experiment, None)
        contacts, events = [], []
        for arm, n, converted in ARMS:
            for i in range(n):
                cid = f"{tenant}-{arm}-{i}"
                contacts.append(Contact(cid, tenant_id=tenant))
                if i < converted:
                    events.append(NewEvent("appointment.booked", cid, {}, cid, T0 + i + DAY))
        store.upsert_contacts(contacts, T0)
        for arm, n, _ in ARMS:
            for i in range(n):
                store.assign_arm(Assignment(tenant, key, f"{tenant}-{arm}-{i}", arm, T0 + i))
        store.append_events(events, T0)
        now = dict(weights or WEIGHTS)
        keep = ExperimentDecision(
            tenant, key, T0 + 3600, "keep", "fewer than 100 contacts in an arm", now, now
        )
        stored = store.get_experiment(tenant, key)
        assert stored is not None and store.record_decision(keep, stored, stored.revision)
    finally:
        store.close()


def tables(text: str) -> list[dict[str, list[str]]]:
    """Each Rich table printed, as its rows' cells by first cell."""
    found: list[dict[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("┏"):
            found.append({})
        elif line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            found[-1][cells[0]] = cells[1:]
    return found


@pytest.fixture
def exp(lf: Leadflow) -> Leadflow:
    lf.init()
    seed(lf.db)
    return lf


def test_list_shows_each_experiment_with_its_mode_and_contacts(exp: Leadflow) -> None:
    [row] = exp.json("experiments", "list")
    assert row["key"] == KEY
    assert (row["workflow_key"], row["node_id"]) == ("welcome", "opener")
    assert (row["decide"], row["method"], row["status"]) == ("manual", "frequentist", "running")
    assert row["contacts"] == 444
    [table] = tables(exp.ok("experiments", "list").stdout)
    assert table[KEY][:7] == ["welcome", "opener", "manual", "frequentist", "running", "", "444"]
    assert exp.json("experiments", "list", "--tenant", "acme") == []


def test_report_prints_arm_rows_effect_and_history(exp: Leadflow) -> None:
    out = exp.ok("experiments", "report", KEY).stdout
    text = squash(out)
    assert "metric booked within 14d; method frequentist" in text
    assert "control friendly" in text
    arms, guardrails, decisions = tables(out)
    assert arms["friendly"] == ["0.45 / 0.45", "200", "20", "10.0%", "-", "-", ""]
    weight, contacts, conversions, rate, effect, evidence, significant = arms["listings"]
    assert (weight, contacts, conversions, rate) == ("0.45 / 0.45", "200", "50", "25.0%")
    assert effect.startswith("+150.0% [+")  # 25% against 10%, the interval above zero
    assert evidence.startswith("p = ") and significant == "*"
    assert arms["holdout (holdout)"][:4] == ["0.10 / 0.10", "44", "2", "4.5%"]
    assert "sample ratio: p = " in text and "(ok)" in text
    assert "holdout (holdout): treated 17.5% (70/400) vs holdout 4.5% (2/44)" in text
    assert guardrails["listings"][:4] == ["opt_out", "0", "0.0%", "n/a (zero_variance)"]
    assert guardrails["listings"][-1] == ""  # not failed
    [(when, history)] = decisions.items()
    assert ISO_Z.match(when)
    assert history[:2] == ["keep", "fewer than 100 contacts in an arm"]
    assert history[2] == "friendly 0.45, listings 0.45, holdout 0.10 -> friendly 0.45, " + (
        "listings 0.45, holdout 0.10"
    )


def test_report_json_is_the_whole_report(exp: Leadflow) -> None:
    data = exp.json("experiments", "report", KEY)
    assert data["key"] == KEY and data["control"] == "friendly"
    arms = {a["name"]: a for a in data["arms"]}
    assert (arms["listings"]["n"], arms["listings"]["conversions"]) == (200, 50)
    assert arms["listings"]["analysis"]["effect"] == pytest.approx(1.5)
    assert arms["listings"]["analysis"]["significant"] is True
    assert arms["friendly"]["analysis"] is None
    assert data["srm"]["p_value"] > 0.001
    assert data["srm"]["counts"] == {"friendly": 200, "listings": 200, "holdout": 44}
    assert data["holdout"]["holdout_n"] == 44
    [decision] = data["decisions"]
    assert decision["action"] == "keep"
    assert ISO_Z.match(decision["decided_at"])
    assert ISO_Z.match(data["computed_at"])


def test_apply_refuses_the_holdout_then_rolls_out_an_arm(exp: Leadflow) -> None:
    assert_fails(exp("experiments", "apply", KEY, "holdout"), "ARM:", "holdout")
    assert_fails(exp("experiments", "apply", KEY, "nope"), "ARM:", "'nope'")
    text = squash(exp.ok("experiments", "apply", KEY, "listings").stdout)
    assert "manual_apply" in text and "winner: listings" in text
    assert "friendly 0.45, listings 0.45, holdout 0.10 ->" in text
    data = exp.json("experiments", "report", KEY)
    assert (data["status"], data["winner"]) == ("applied", "listings")
    assert [d["action"] for d in data["decisions"]] == ["keep", "manual_apply"]
    assert data["decisions"][1]["numbers"]["arms"], "the decision keeps its numbers"


def test_stop_and_review(exp: Leadflow) -> None:
    assert "no decision: it decides manually" in exp.ok("experiments", "review", KEY).stdout
    assert exp.json("experiments", "stop", KEY)["action"] == "stop"
    assert exp.json("experiments", "report", KEY)["status"] == "stopped"
    assert_fails(exp("experiments", "stop", KEY), "already stopped")


def test_review_of_an_auto_apply_experiment_rolls_the_winner_out(exp: Leadflow) -> None:
    # 20 conversions in the control: the seed's volume, below the default 30 a winner waits for
    seed(exp.db, key="auto.opener", decide="auto_apply", min_conversions=20)
    decision = exp.json("experiments", "review", "auto.opener")["decision"]
    assert (decision["action"], decision["winner"]) == ("apply_winner", "listings")
    text = squash(exp.ok("experiments", "report", "auto.opener").stdout)
    assert "applied, winner listings" in text
    assert "apply_winner" in text


def test_a_sample_ratio_mismatch_is_flagged_and_blocks_the_review(exp: Leadflow) -> None:
    # 200:200:44 contacts where the weights say 70:20:10: the split is broken
    skewed = {"friendly": 0.7, "listings": 0.2, "holdout": 0.1}
    seed(exp.db, key="skewed", weights=skewed, decide="auto_apply")
    text = squash(exp.ok("experiments", "report", "skewed").stdout)
    assert "sample ratio mismatch: p = " in text and "< 0.001" in text
    decision = exp.json("experiments", "review", "skewed")["decision"]
    assert decision["action"] == "blocked_srm"
    assert decision["weights_after"] == skewed
    assert decision["numbers"]["srm"]["p_value"] < 0.001


def test_a_bayesian_report_gives_the_chance_to_win_and_the_risk(exp: Leadflow) -> None:
    seed(exp.db, key="bayes", method="bayesian")
    arms, _, _ = tables(exp.ok("experiments", "report", "bayes").stdout)
    evidence, significant = arms["listings"][5:]
    assert evidence.startswith("P(win) ") and ", risk " in evidence
    chance = exp.json("experiments", "report", "bayes")["arms"][1]["analysis"]["chance_to_win"]
    assert chance > 0.95 and significant == "*"
    assert evidence.startswith(f"P(win) {chance:.1%}")


def test_an_unknown_or_foreign_key_is_an_error(exp: Leadflow) -> None:
    assert_fails(exp("experiments", "report", "nope"), "KEY:", "'nope'")
    for command in ("report", "review", "stop"):
        assert_fails(exp("experiments", command, KEY, "--tenant", "acme"), "KEY:", "acme")


SPLIT_WORKFLOW = """\
key: opener-test
name: Opener test
triggers:
  - type: event
    event: lead.created
start: pick
nodes:
  - id: pick
    kind: split
    arms:
      - {name: friendly, weight: 45, next: mail_friendly}
      - {name: listings, weight: 45, next: mail_listings}
      - {name: holdout, weight: 10, holdout: true}
    experiment:
      metric: {name: booked, event: appointment.booked, within: 14d}
      method: frequentist
  - id: mail_friendly
    kind: send_email
    subject: Welcome
    body: Hi
  - id: mail_listings
    kind: send_email
    subject: Three homes for you
    body: Hi
"""


def _leads(lf: Leadflow, start: int, count: int) -> None:
    """``count`` new leads (e-mail only: no quiet hours) enter through lead.created."""
    ids = [f"L{i}" for i in range(start, start + count)]
    rows = [
        [cid, "Lead", "", f"{cid.lower()}@example.com", "", "America/Chicago", "TX"] for cid in ids
    ]
    lf.import_contacts(rows, "--emit", "lead.created")
    lf.worker("--until-idle")


def test_a_published_split_is_reported_and_rolled_out_by_hand(lf: Leadflow) -> None:
    lf.init()
    path = lf.tmp_path / "opener.yaml"
    path.write_text(SPLIT_WORKFLOW, encoding="utf-8")
    lf.ok("workflows", "publish", path)
    [row] = lf.json("experiments", "list")
    assert (row["key"], row["decide"], row["status"], row["contacts"]) == (
        "opener-test.pick",
        "manual",
        "running",
        0,
    )
    _leads(lf, 0, 60)
    report = lf.json("experiments", "report", "opener-test.pick")
    arms = {a["name"]: a for a in report["arms"]}
    assert sum(a["n"] for a in arms.values()) == 60
    # every treated lead got the arm's e-mail; the holdout got nothing
    subjects = Counter(m["subject"] for m in lf.messages())
    assert subjects["Welcome"] == arms["friendly"]["n"]
    assert subjects["Three homes for you"] == arms["listings"]["n"]
    # the friendly arm's first three leads book
    booked = [r["contact_id"] for r in lf.runs() if _arm_of(lf, r) == "friendly"][:3]
    for cid in booked:
        lf.ok("events", "emit", "appointment.booked", "--contact", cid)
    lf.worker("--until-idle")
    report = lf.json("experiments", "report", "opener-test.pick")
    assert {a["name"]: a["conversions"] for a in report["arms"]}["friendly"] == 3
    lf.ok("experiments", "apply", "opener-test.pick", "listings")
    _leads(lf, 60, 20)
    after = lf.json("experiments", "report", "opener-test.pick")
    counts = {a["name"]: a["n"] for a in after["arms"]}
    # the 20 new leads went to listings or the holdout (which keeps its share); none to friendly
    assert counts["friendly"] == arms["friendly"]["n"]
    assert (
        counts["listings"] + counts["holdout"] == arms["listings"]["n"] + arms["holdout"]["n"] + 20
    )
    assert [d["action"] for d in after["decisions"]] == ["manual_apply"]


def _arm_of(lf: Leadflow, run: dict[str, Any]) -> str | None:
    store = open_store(lf.db)
    try:
        found = store.get_assignment("default", "opener-test.pick", run["contact_id"])
    finally:
        store.close()
    return None if found is None else found.arm
