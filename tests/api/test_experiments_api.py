"""``/api/v1/experiments``: the report a user reads (arm rows, effect with its interval, the
decision history with its numbers), apply/stop/review, 404 for a missing or another tenant's
experiment, and the roles that may decide. The experiment, its sticky assignments, its outcome
events and a first decision are written through the store into a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.model.experiments import Assignment, Experiment, ExperimentDecision
from leadflow.model.records import Contact, NewEvent
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.store.contract import Store
from leadflow.tenancy import accounts
from support.api_client import ApiClient, admin_key, assert_problem, member_key

T0 = 1_750_000_000.0
HOUR, DAY = 3600.0, 86400.0
KEY = "welcome.opener"
WEIGHTS = {"friendly": 0.45, "listings": 0.45, "holdout": 0.1}
CONFIG: dict[str, Any] = {
    "metric": {"name": "booked", "event": "appointment.booked", "within": "14d"},
    "method": "frequentist",
    "decide": "manual",
    "min_sample": 100,
    "arms": [
        {"name": "friendly", "weight": 0.45, "holdout": False},
        {"name": "listings", "weight": 0.45, "holdout": False},
        {"name": "holdout", "weight": 0.1, "holdout": True},
    ],
}
# (arm, contacts, converted within the window)
ARMS = (("friendly", 200, 20), ("listings", 200, 50), ("holdout", 44, 2))


def seed_experiment(
    store: Store,
    tenant: str,
    key: str = KEY,
    opt_outs: dict[str, int] | None = None,
    **config: Any,
) -> None:
    """An experiment in ``tenant`` whose contacts were assigned over the first hours after T0,
    with bookings a day after assignment (plus one 20 days after: outside the window), and one
    decision already taken."""
    if store.get_tenant(tenant) is None:
        accounts.create_tenant(store, tenant, f"{tenant.title()} Realty", 0.0)
    experiment = Experiment(
        tenant,
        key,
        "welcome",
        "opener",
        CONFIG | config,
        dict(WEIGHTS),
        created_at=T0,
        updated_at=T0,
        next_review_at=T0 + DAY,
    )
    assert store.save_experiment(experiment, None)
    contacts, events = [], []
    for arm, n, converted in ARMS:
        for i in range(n):
            cid = f"{tenant}-{arm}-{i}"
            contacts.append(Contact(cid, first_name="Lead", tenant_id=tenant))
            at = T0 + i * 60
            events.append(NewEvent("lead.created", cid, {}, f"{cid}-created", at))
            if i < converted:
                booked = at + DAY
                events.append(NewEvent("appointment.booked", cid, {}, f"{cid}-b", booked))
            elif i == converted:  # too late to count
                events.append(NewEvent("appointment.booked", cid, {}, f"{cid}-b", at + 20 * DAY))
            if i < (opt_outs or {}).get(arm, 0):
                events.append(NewEvent("sms.opted_out", cid, {}, f"{cid}-out", at + HOUR))
    store.upsert_contacts(contacts, T0)
    for arm, n, _ in ARMS:
        for i in range(n):
            cid = f"{tenant}-{arm}-{i}"
            store.assign_arm(Assignment(tenant, key, cid, arm, T0 + i * 60))
    store.append_events(events, T0)
    first = ExperimentDecision(
        tenant,
        key,
        T0 + HOUR,
        "keep",
        "fewer than 100 contacts in an arm",
        dict(WEIGHTS),
        dict(WEIGHTS),
        numbers={"arms": {"friendly": {"n": 40}}, "srm_p_value": 0.7},
    )
    stored = store.get_experiment(tenant, key)
    assert stored is not None
    assert store.record_decision(first, stored, stored.revision) is not None


@pytest.fixture
def rt(db_url: str) -> Iterator[Runtime]:
    runtime = build_runtime(Settings(db=db_url), clock=VirtualClock(T0 + 30 * DAY))
    yield runtime
    runtime.close()


@pytest.fixture
def acme(rt: Runtime, db_url: str) -> Iterator[ApiClient]:
    token = admin_key(db_url, "acme")
    seed_experiment(rt.store, "acme")
    with ApiClient(create_app(runtime=rt), headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def _client(rt: Runtime, token: str) -> ApiClient:
    return ApiClient(create_app(runtime=rt), headers={"Authorization": f"Bearer {token}"})


def test_the_report_shows_each_arm_against_the_control(acme: ApiClient) -> None:
    got = acme.get(f"/api/v1/experiments/{KEY}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["key"] == KEY
    assert (body["workflow_key"], body["node_id"]) == ("welcome", "opener")
    assert (body["status"], body["winner"], body["control"]) == ("running", None, "friendly")
    assert body["metric"] == "booked"
    rows = {a["name"]: a for a in body["arms"]}
    assert list(rows) == ["friendly", "listings", "holdout"]
    counts = {n: (a["contacts"], a["conversions"], a["rate"]) for n, a in rows.items()}
    # the booking 20 days after assignment is outside the 14-day window
    assert counts == {
        "friendly": (200, 20, 0.1),
        "listings": (200, 50, 0.25),
        "holdout": (44, 2, pytest.approx(2 / 44)),
    }
    assert rows["friendly"]["analysis"] is None  # the control
    lift = rows["listings"]["analysis"]
    assert lift["effect"] == pytest.approx(1.5)  # 25% against 10%
    assert 0 < lift["ci_low"] < 1.5 < lift["ci_high"]
    assert lift["p_value"] < 0.05 and lift["significant"] is True
    assert rows["holdout"]["holdout"] is True
    assert (rows["listings"]["weight"], rows["listings"]["planned_weight"]) == (0.45, 0.45)
    # contacts follow the weights (200:200:44 for 0.45:0.45:0.1): no sample-ratio alarm
    assert body["srm_p_value"] > 0.001
    [guard] = rows["listings"]["guardrails"]
    assert (guard["name"], guard["conversions"], guard["failed"]) == ("opt_out", 0, False)
    assert guard["analysis"]["difference"] == "absolute"  # guardrails compare rates
    assert lift["difference"] == "relative"
    [decision] = body["decisions"]
    assert decision["action"] == "keep"
    assert decision["reason"] == "fewer than 100 contacts in an arm"
    assert decision["decided_at"] == "2025-06-15T16:06:40Z"
    assert decision["numbers"] == {"arms": {"friendly": {"n": 40}}, "srm_p_value": 0.7}


def test_the_list_gives_mode_status_and_contacts(acme: ApiClient) -> None:
    got = acme.get("/api/v1/experiments")
    assert got.status_code == 200, got.text
    [item] = got.json()["items"]
    assert item["key"] == KEY
    assert (item["decide"], item["method"], item["status"]) == ("manual", "frequentist", "running")
    assert item["contacts"] == 444
    assert item["weights"] == WEIGHTS
    assert item["next_review_at"] == "2025-06-16T15:06:40Z"


def test_apply_rolls_an_arm_out_and_the_history_keeps_it(acme: ApiClient) -> None:
    for arm in ("holdout", "nope"):
        refused = acme.post(f"/api/v1/experiments/{KEY}/apply", json={"arm": arm})
        body = assert_problem(refused, 422)
        assert [e["field"] for e in body["errors"]] == ["body.arm"], body  # type: ignore[union-attr]
    applied = acme.post(f"/api/v1/experiments/{KEY}/apply", json={"arm": "listings"})
    assert applied.status_code == 200, applied.text
    decision = applied.json()
    assert (decision["action"], decision["winner"]) == ("manual_apply", "listings")
    assert decision["weights_before"] == WEIGHTS
    assert decision["weights_after"]["listings"] > WEIGHTS["listings"]
    assert decision["weights_after"]["friendly"] == 0
    report = acme.get(f"/api/v1/experiments/{KEY}").json()
    assert (report["status"], report["winner"]) == ("applied", "listings")
    by_arm = {a["name"]: a for a in report["arms"]}
    assert by_arm["listings"]["weight"] == decision["weights_after"]["listings"]
    assert by_arm["listings"]["planned_weight"] == 0.45
    history = acme.get(f"/api/v1/experiments/{KEY}/decisions").json()["items"]
    assert [d["action"] for d in history] == ["keep", "manual_apply"]
    assert history[1]["numbers"], "a decision keeps the numbers it was taken on"


def test_stop_and_review(acme: ApiClient) -> None:
    reviewed = acme.post(f"/api/v1/experiments/{KEY}/review")
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json() == {"decision": None}  # a manual experiment decides nothing itself
    stopped = acme.post(f"/api/v1/experiments/{KEY}/stop")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["action"] == "stop"
    report = acme.get(f"/api/v1/experiments/{KEY}").json()
    assert report["status"] == "stopped"
    assert [d["action"] for d in report["decisions"]] == ["keep", "stop"]


def test_an_auto_apply_review_decides_and_stores_its_numbers(rt: Runtime, db_url: str) -> None:
    # 20 conversions in the control: the test's volume, below the default 30 a winner waits for
    seed_experiment(rt.store, "acme", "auto.opener", decide="auto_apply", min_conversions=20)
    with _client(rt, admin_key(db_url, "acme")) as acme:
        reviewed = acme.post("/api/v1/experiments/auto.opener/review")
        assert reviewed.status_code == 200, reviewed.text
        decision = reviewed.json()["decision"]
        assert decision is not None
        assert decision["action"] == "apply_winner", decision
        assert decision["winner"] == "listings"
        assert decision["numbers"]
        report = acme.get("/api/v1/experiments/auto.opener").json()
        assert (report["status"], report["winner"]) == ("applied", "listings")
        assert report["decisions"][-1]["id"] == decision["id"]


def test_a_winner_that_fails_a_guardrail_is_not_applied(rt: Runtime, db_url: str) -> None:
    seed_experiment(
        rt.store,
        "acme",
        "guarded",
        opt_outs={"friendly": 2, "listings": 30},
        decide="auto_apply",
        min_conversions=20,
    )
    with _client(rt, admin_key(db_url, "acme")) as acme:
        report = acme.get("/api/v1/experiments/guarded").json()
        guards = {a["name"]: a["guardrails"][0] for a in report["arms"]}
        assert (guards["listings"]["conversions"], guards["listings"]["rate"]) == (30, 0.15)
        assert guards["listings"]["failed"] is True
        assert guards["friendly"]["failed"] is False
        decision = acme.post("/api/v1/experiments/guarded/review").json()["decision"]
        assert decision["action"] == "blocked_guardrail", decision
        assert "opt_out" in decision["reason"]
        assert decision["weights_after"] == WEIGHTS
        after = acme.get("/api/v1/experiments/guarded").json()
        assert (after["status"], after["winner"]) == ("running", None)


def test_stopping_twice_is_a_conflict(acme: ApiClient) -> None:
    assert acme.post(f"/api/v1/experiments/{KEY}/stop").status_code == 200
    again = assert_problem(acme.post(f"/api/v1/experiments/{KEY}/stop"), 409)
    assert "already stopped" in str(again["detail"])


def test_a_missing_or_foreign_experiment_is_404(rt: Runtime, db_url: str) -> None:
    seed_experiment(rt.store, "acme")
    with _client(rt, admin_key(db_url, "other")) as other:
        assert other.get("/api/v1/experiments").json() == {"items": []}
        for method, path, body in (
            ("GET", f"/api/v1/experiments/{KEY}", None),
            ("GET", f"/api/v1/experiments/{KEY}/decisions", None),
            ("POST", f"/api/v1/experiments/{KEY}/review", None),
            ("POST", f"/api/v1/experiments/{KEY}/apply", {"arm": "listings"}),
            ("POST", f"/api/v1/experiments/{KEY}/stop", None),
            ("GET", "/api/v1/experiments/nope", None),
        ):
            answer = other.request(method, path, json=body)
            assert_problem(answer, 404)
            assert "Lead" not in answer.text
    experiment = rt.store.get_experiment("acme", KEY)
    assert experiment is not None and experiment.status == "running"
    assert len(rt.store.experiment_decisions("acme", KEY)) == 1


def test_an_agent_reads_but_may_not_decide(rt: Runtime, db_url: str) -> None:
    seed_experiment(rt.store, "acme")
    with _client(rt, member_key(db_url, "agent", "ann")) as agent:
        assert agent.get(f"/api/v1/experiments/{KEY}").status_code == 200
        for path, body in (("review", None), ("apply", {"arm": "listings"}), ("stop", None)):
            refused = agent.post(f"/api/v1/experiments/{KEY}/{path}", json=body)
            problem = assert_problem(refused, 403)
            assert "admin or manager" in str(problem["detail"])
    with _client(rt, member_key(db_url, "manager", "max")) as manager:
        stopped = manager.post(f"/api/v1/experiments/{KEY}/stop")
        assert stopped.status_code == 200, stopped.text
    assert len(rt.store.experiment_decisions("acme", KEY)) == 2


def test_the_openapi_document_describes_the_report(acme: ApiClient) -> None:
    spec = acme.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/v1/experiments/{key}"]) == {"get"}
    assert "requestBody" in paths["/api/v1/experiments/{key}/apply"]["post"]
    schemas = spec["components"]["schemas"]
    assert {"ReportOut", "ArmOut", "AnalysisOut", "DecisionOut"} <= set(schemas)
    assert "srm_p_value" in schemas["ReportOut"]["properties"]


SPLIT_WORKFLOW: dict[str, Any] = {
    "key": "opener-test",
    "name": "Opener test",
    "triggers": [{"type": "event", "event": "lead.created"}],
    "start": "pick",
    "nodes": [
        {
            "id": "pick",
            "kind": "split",
            "arms": [
                {"name": "friendly", "weight": 1, "next": "mail_friendly"},
                {"name": "listings", "weight": 1, "next": "mail_listings"},
            ],
            "experiment": {"metric": {"event": "appointment.booked"}, "decide": "manual"},
        },
        {"id": "mail_friendly", "kind": "send_email", "subject": "Welcome", "body": "Hi"},
        {"id": "mail_listings", "kind": "send_email", "subject": "Homes", "body": "Hi"},
    ],
}


def _new_leads(acme: ApiClient, rt: Runtime, first: int, count: int) -> list[str]:
    """``count`` leads (e-mail only) made and announced through the API; the worker runs."""
    ids = []
    for i in range(first, first + count):
        made = acme.post("/api/v1/contacts", json={"first_name": "Lead", "email": f"l{i}@x.com"})
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    events = [{"type": "lead.created", "contact_id": cid} for cid in ids]
    assert acme.post("/api/v1/events/batch", json={"events": events}).status_code == 202
    worker = rt.worker("api-experiments")
    while worker.tick(rt.clock.now()):
        pass
    return ids


def test_a_split_published_through_the_api_is_reported_and_applied(
    rt: Runtime, db_url: str
) -> None:
    with _client(rt, admin_key(db_url, "acme")) as acme:
        published = acme.post("/api/v1/workflows/opener-test/publish", json=SPLIT_WORKFLOW)
        assert published.status_code == 201, published.text
        [item] = acme.get("/api/v1/experiments").json()["items"]
        assert (item["key"], item["contacts"], item["weights"]) == (
            "opener-test.pick",
            0,
            {"friendly": 0.5, "listings": 0.5},
        )
        _new_leads(acme, rt, 0, 40)
        report = acme.get("/api/v1/experiments/opener-test.pick").json()
        before = {a["name"]: a["contacts"] for a in report["arms"]}
        assert sum(before.values()) == 40 and min(before.values()) > 0
        applied = acme.post("/api/v1/experiments/opener-test.pick/apply", json={"arm": "listings"})
        assert applied.json()["weights_after"] == {"friendly": 0.0, "listings": 1.0}
        _new_leads(acme, rt, 40, 10)
        after = acme.get("/api/v1/experiments/opener-test.pick").json()
        counts = {a["name"]: a["contacts"] for a in after["arms"]}
        assert counts == {"friendly": before["friendly"], "listings": before["listings"] + 10}
        assert [d["action"] for d in after["decisions"]] == ["manual_apply"]
