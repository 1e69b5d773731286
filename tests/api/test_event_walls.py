"""Events that name other tenants' (or other contacts') objects, and events that cannot be
processed, through real HTTP with real keys, on SQLite and PostgreSQL.

* An agent key of tenant "rival" posts message events about its own lead that name acme's
  message and run ids: acme's messages keep their status, error and facts, acme's queued
  messages still go out, and each event says what was ignored and why.
* Ids in event data are checked at the edge (422 naming the field).
* An event the engine cannot process (a number beyond ``bigint`` written before this check) is
  quarantined: a standalone ``leadflow worker --until-idle`` exits 0, the events batched with it
  are processed, and the failure shows in ``GET /api/v1/events?status=failed`` and /metrics.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_metrics import sample

from leadflow.api.app import create_app
from leadflow.engine.workflows import publish
from leadflow.model.records import Message, MessageFilter, NewEvent, RunFilter
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, assert_problem, member_key
from support.stores import SQL_BACKENDS, database

HUGE = 1180591620717411303424  # 2**70: no bigint holds it
CONSOLE_SCRIPT = Path(sys.executable).with_name("leadflow")
WELCOME = {
    "key": "welcome",
    "name": "Welcome",
    "triggers": [{"type": "event", "event": "form.submitted"}],
    "start": "hello",
    "nodes": [
        {"id": "hello", "kind": "send_sms", "body": "Hi {{ contact.first_name }}", "next": "mail"},
        {"id": "mail", "kind": "send_email", "subject": "Homes", "body": "Hello", "next": "pause"},
        {"id": "pause", "kind": "wait", "duration": "3d"},
    ],
}


@pytest.fixture(params=SQL_BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path, "walls.db") as made:
        yield made


@pytest.fixture
def runtime(url: str) -> Iterator[Runtime]:
    rt = build_runtime(Settings(db=url))
    publish(rt.store, rt.engine.catalog, WELCOME, time.time(), tenant_id="acme")
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def acme(url: str, runtime: Runtime) -> Iterator[ApiClient]:
    token = admin_key(url)
    app = create_app(Settings(db=url), runtime=runtime)
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


@pytest.fixture
def rival(url: str, runtime: Runtime) -> Iterator[ApiClient]:
    """An agent's key of another tenant."""
    token = member_key(url, "agent", "mallory", tenant="rival", team="south")
    app = create_app(Settings(db=url), runtime=runtime)
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def daytime() -> float:
    """The next 16:00 UTC (10:00 or 11:00 in Chicago): inside every legal send window."""
    day = 86400.0
    now = time.time()
    moment = now - now % day + 16 * 3600
    return moment if moment > now + 60 else moment + day


def work(rt: Runtime, moment: float | None = None) -> None:
    worker = rt.worker("walls-test")
    moment = moment or daytime()
    for _ in range(10):
        if not worker.tick(moment):
            return


def lead(client: ApiClient, name: str) -> str:
    made = client.post(
        "/api/v1/contacts",
        json={
            "first_name": name,
            "time_zone": "America/Chicago",
            "phone": f"+1512555{sum(map(ord, name)) % 10000:04d}",
            "email": f"{name.lower()}@example.com",
        },
    )
    assert made.status_code in (200, 201), made.text
    return str(made.json()["id"])


def post(client: ApiClient, etype: str, cid: str, data: dict[str, Any]) -> int:
    posted = client.post("/api/v1/events", json={"type": etype, "contact_id": cid, "data": data})
    assert posted.status_code == 202, posted.text
    return int(posted.json()["id"])


def facts(m: Message) -> tuple[Any, ...]:
    return (m.status, m.error, m.delivered_at, m.opened_at, m.clicked_at, m.replied_at)


def messages_of(rt: Runtime, cid: str) -> list[Message]:
    return rt.store.list_messages(MessageFilter(contact_id=cid))


def event_out(client: ApiClient, cid: str) -> dict[int, dict[str, Any]]:
    found = client.get("/api/v1/events", params={"contact_id": cid})
    assert found.status_code == 200, found.text
    return {e["id"]: e for e in found.json()["items"]}


def test_events_naming_another_tenants_messages_change_nothing_of_theirs(
    acme: ApiClient, rival: ApiClient, runtime: Runtime
) -> None:
    rt = runtime
    ann = lead(acme, "Ann")  # her messages go out
    cleo = lead(acme, "Cleo")  # hers are queued, not sent yet
    post(acme, "form.submitted", ann, {})
    work(rt)
    sent = messages_of(rt, ann)
    assert [m.status for m in sent] == ["delivered", "delivered"]
    post(acme, "form.submitted", cleo, {})
    moment = daytime()
    worker = rt.worker("walls-advance")
    worker.events.process_due(moment)
    worker.advancer.advance_due(moment)  # queued, not dispatched
    queued = messages_of(rt, cleo)
    assert [m.status for m in queued] == ["pending", "pending"]
    (ann_run,) = rt.store.list_runs(RunFilter(contact_id=ann))
    before = {m.id: facts(m) for m in sent}

    mine = lead(rival, "Mallory")
    sms, mail = sent
    pending_sms, pending_mail = queued
    forged = [
        post(rival, "sms.delivered", mine, {"message_id": pending_sms.id}),
        post(rival, "email.delivered", mine, {"message_id": pending_mail.id}),
        post(rival, "email.opened", mine, {"message_id": mail.id}),
        post(rival, "email.clicked", mine, {"message_id": mail.id, "url": "https://x.test"}),
        post(rival, "sms.failed", mine, {"message_id": sms.id, "error": "pwned by rival"}),
        post(rival, "email.failed", mine, {"message_id": pending_mail.id, "error": "pwned"}),
        post(rival, "sms.received", mine, {"message_id": sms.id, "body": "yes please"}),
        post(
            rival,
            "sms.failed",
            mine,
            {"run_id": ann_run.id, "message_id": sms.id, "node": "hello", "error": "pwned"},
        ),
    ]
    work(rt)

    # acme's sent messages are as they were; the queued ones went out as if nothing happened
    assert {m.id: facts(m) for m in messages_of(rt, ann)} == before
    for m in messages_of(rt, cleo):
        assert (m.status, m.error, m.opened_at, m.clicked_at, m.replied_at) == (
            "delivered",
            None,
            None,
            None,
            None,
        )
        assert m.sent_at is not None
    assert [d.idempotency_key for d in rt.store.sandbox_deliveries()].count(
        pending_sms.idempotency_key
    ) == 1
    run = rt.store.get_run(ann_run.id)
    assert run is not None and (run.status, run.node) == ("waiting", "pause")

    # each forged event was processed, and says what was ignored and why
    shown = event_out(rival, mine)
    for event_id in forged:
        event = shown[event_id]
        assert event["status"] == "processed" and event["error"] is None
        assert "is not a message to this contact" in (event["ignored"] or ""), event
    assert "data.run_id: " in shown[forged[-1]]["ignored"]


def test_events_naming_another_contacts_message_in_the_same_tenant_are_ignored(
    acme: ApiClient, runtime: Runtime
) -> None:
    rt = runtime
    ann, bob = lead(acme, "Ann"), lead(acme, "Bob")
    post(acme, "form.submitted", ann, {})
    work(rt)
    sms, mail = messages_of(rt, ann)
    before = [facts(m) for m in (sms, mail)]
    ids = [
        post(acme, "email.opened", bob, {"message_id": mail.id}),
        post(acme, "sms.failed", bob, {"message_id": sms.id, "error": "not hers"}),
        post(acme, "sms.received", bob, {"message_id": sms.id, "body": "hello"}),
    ]
    work(rt)
    assert [facts(m) for m in messages_of(rt, ann)] == before
    shown = event_out(acme, bob)
    for event_id in ids:
        assert shown[event_id]["ignored"] == (
            f"data.message_id: {shown[event_id]['data']['message_id']} is not a message to "
            "this contact"
        )
    # the same events about her own messages are facts
    post(acme, "email.opened", ann, {"message_id": mail.id})
    work(rt)
    opened = rt.store.get_message(mail.id or 0)
    assert opened is not None and opened.opened_at is not None


def test_events_for_contacts_outside_the_keys_scope_are_refused(
    url: str, acme: ApiClient, rival: ApiClient, runtime: Runtime
) -> None:
    ann = lead(acme, "Ann")
    body = {"type": "email.opened", "contact_id": ann, "data": {}}
    assert_problem(rival.post("/api/v1/events", json=body), 404)
    batch = {"events": [body]}
    assert_problem(rival.post("/api/v1/events/batch", json=batch), 404)
    # an agent of acme itself sees only its own leads
    token = member_key(url, "agent", "agnes")
    app = create_app(Settings(db=url), runtime=runtime)
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as agnes:
        assert_problem(agnes.post("/api/v1/events", json=body), 404)
    assert runtime.store.list_events(ann) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("message_id", HUGE),
        ("message_id", "42"),
        ("message_id", True),
        ("message_id", 0),
        ("message_id", 4.5),
        ("run_id", -3),
        ("run_id", 2**63),
    ],
)
def test_ids_in_event_data_are_checked_at_the_edge(
    acme: ApiClient, runtime: Runtime, field: str, value: Any
) -> None:
    ann = lead(acme, "Ann")
    body = {"type": "sms.delivered", "contact_id": ann, "data": {field: value}}
    problem = assert_problem(acme.post("/api/v1/events", json=body), 422)
    fields = [e["field"] for e in problem["errors"]]  # type: ignore[union-attr]
    assert fields == [f"body.data.{field}"], problem
    ok = {"type": "form.submitted", "contact_id": ann, "data": {}}
    problem = assert_problem(acme.post("/api/v1/events/batch", json={"events": [ok, body]}), 422)
    fields = [e["field"] for e in problem["errors"]]  # type: ignore[union-attr]
    assert fields == [f"body.events[1].data.{field}"], problem
    assert runtime.store.list_events(ann) == []  # nothing stored


@pytest.mark.subprocess
def test_an_event_the_engine_cannot_process_is_quarantined_and_the_worker_goes_on(
    url: str, acme: ApiClient, runtime: Runtime, tmp_path: Path
) -> None:
    rt = runtime
    ann, bob = lead(acme, "Ann"), lead(acme, "Bob")
    now = time.time()
    # A row the edge would refuse now (written by an older version, or straight to the table),
    # batched with ordinary events around it.
    ids = rt.store.append_events(
        [
            NewEvent("form.submitted", ann, {}, "t:1", now),
            NewEvent("sms.delivered", bob, {"message_id": HUGE}, "t:2", now),
            NewEvent("form.submitted", bob, {}, "t:3", now),
        ],
        now,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env["LEADFLOW_DB"] = url
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "worker", "--until-idle", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    stored = {e.id: e for e in rt.store.list_events()}
    good1, poison, good3 = (stored[i] for i in ids if i is not None)
    assert good1.status == good3.status == "processed"
    assert poison.status == "failed"
    assert poison.error == f"data.message_id: {HUGE} is out of range (1..{2**63 - 1})"
    assert {r.contact_id for r in rt.store.list_runs(RunFilter(workflow_key="welcome"))} == {
        ann,
        bob,
    }
    failed = acme.get("/api/v1/events", params={"status": "failed"})
    assert failed.status_code == 200, failed.text
    (shown,) = failed.json()["items"]
    assert (shown["id"], shown["status"], shown["error"]) == (poison.id, "failed", poison.error)
    processed = {e["id"] for e in acme.get("/api/v1/events?status=processed").json()["items"]}
    assert {good1.id, good3.id} <= processed and poison.id not in processed
    text = acme.get("/metrics").text
    assert sample(text, "leadflow_events_failed_total") == 1
    assert sample(text, "leadflow_pending_events") == 0
