"""Whole journeys through New Lead Welcome with ``leadflow worker``: the messages each lead gets,
quiet hours in the lead's own time zone, stop on reply, and the virtual clock kept in the
database.

Lead time zones are chosen relative to the real time (``zone_at_local_hour``), because a worker
with ``--virtual-clock`` starts from the real time: "night" means it is 03:00 where the lead
lives when the test runs."""

from __future__ import annotations

import time as wall
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from leadflow.engine.worker import VIRTUAL_NOW
from leadflow.store.factory import open_store
from support.cli import WELCOME_KEY, Leadflow, local, parse_iso, sent_order, zone_at_local_hour

EXPECTED = [("welcome_sms", "sms"), ("welcome_email", "email"), ("second_sms", "sms")]


def lead(cid: str, zone: str, n: int) -> list[str]:
    # A toll-free number carries no zone, so the lead's TimeZone alone decides quiet hours here
    # (a geographic number would add its own zone to the windows to honour).
    return [cid, cid.title(), "Lead", f"{cid}@example.com", f"+1 800 555 01{n:02d}", zone, ""]


def stored_virtual_now(lf: Leadflow) -> float | None:
    store = open_store(lf.db)
    try:
        value = store.get_meta(VIRTUAL_NOW)
    finally:
        store.close()
    return None if value is None else float(value)


def store_virtual_now(lf: Leadflow, moment: float) -> None:
    """What a database last run with ``--virtual-clock`` keeps (set here directly, as a
    database left alone for days would have it)."""
    store = open_store(lf.db)
    try:
        store.set_meta(VIRTUAL_NOW, repr(moment))
    finally:
        store.close()


def assert_sms_in_legal_hours(message: dict[str, Any], zone: str) -> None:
    at = local(message["sent_at"], zone).time()
    assert time(8, 0) <= at < time(21, 0), (message["node"], message["sent_at"], zone)


def test_new_lead_welcome_for_three_leads(ready: Leadflow) -> None:
    zones = {
        "day": zone_at_local_hour(12),
        "night": zone_at_local_hour(3),
        "pacific": "America/Los_Angeles",
    }
    ready.import_contacts(
        [lead(cid, zone, n) for n, (cid, zone) in enumerate(zones.items())],
        "--emit",
        "lead.created",
    )
    summary = ready.worker("--virtual-clock")
    assert summary["stopped_by_signal"] is False
    contacts = {c["id"]: c for c in ready.json("contacts", "list")}

    for cid, zone in zones.items():
        run = ready.run_of(cid)
        assert run["status"] == "completed" and run["workflow_key"] == WELCOME_KEY
        messages = sent_order(ready.messages("--contact", cid))
        assert [(m["node"], m["channel"]) for m in messages] == EXPECTED, cid
        assert all(m["status"] == "delivered" and m["duplicates"] == 0 for m in messages)
        assert {m["run_id"] for m in messages} == {run["id"]}
        sms1, email, sms2 = messages
        assert sms1["to"] == sms2["to"] == contacts[cid]["phone"]
        assert email["to"] == f"{cid}@example.com"
        for sms in (sms1, sms2):
            assert_sms_in_legal_hours(sms, zone)
        # two hours after the first text, the e-mail (e-mail has no quiet hours)
        gap = parse_iso(email["sent_at"]) - parse_iso(sms1["sent_at"])
        assert abs(gap - timedelta(hours=2)) <= timedelta(seconds=2), (cid, gap)
        # the next morning at 10:00 in the lead's zone, the second text
        second = local(sms2["sent_at"], zone)
        assert second.time() == time(10, 0), (cid, sms2["sent_at"])
        assert second.date() == local(email["sent_at"], zone).date() + timedelta(days=1)

    # At 03:00 the welcome text waits for 08:00 local; at noon it goes at once.
    night_first = sent_order(ready.messages("--contact", "night"))[0]
    assert local(night_first["sent_at"], zones["night"]).time() == time(8, 0)
    day_first = sent_order(ready.messages("--contact", "day"))[0]
    waited = parse_iso(day_first["sent_at"]) - parse_iso(contacts["day"]["created_at"])
    assert timedelta(0) <= waited < timedelta(minutes=2)
    night_steps = ready.json("runs", "show", str(ready.run_of("night")["id"]))["steps"]
    assert night_steps[0]["outcome"] == "deferred:quiet_hours"


def test_a_reply_after_the_first_text_stops_the_run(ready: Leadflow) -> None:
    zone = zone_at_local_hour(12)
    ready.import_contacts([lead("replier", zone, 1), lead("quiet", zone, 2)])
    ready.ok("enroll", WELCOME_KEY, "--all")
    ready.worker("--until-idle")  # both get the welcome text now
    assert len(ready.messages("--status", "delivered")) == 2
    ready.ok("events", "emit", "sms.received", "--contact", "replier", "--data", '{"body": "yes!"}')
    ready.worker("--virtual-clock")  # days go by

    replier = ready.run_of("replier")
    assert replier["status"] == "exited" and replier["exit_reason"] == "replied"
    assert replier["ended_at"] is not None and replier["wake_at"] is None
    assert [m["node"] for m in ready.messages("--contact", "replier")] == ["welcome_sms"]
    assert ready.run_of("quiet")["status"] == "completed"
    assert len(ready.messages("--contact", "quiet")) == 3
    outcomes = [s["outcome"] for s in ready.json("runs", "show", str(replier["id"]))["steps"]]
    assert outcomes[-1] == "goal:replied"
    assert ready.runs("--status", "exited") == [replier]


def test_a_reply_before_the_deferred_first_text_means_no_text_at_all(ready: Leadflow) -> None:
    zone = zone_at_local_hour(3)  # night: the welcome text waits for the morning
    ready.import_contacts([lead("owl", zone, 1)], "--emit", "lead.created")
    ready.worker("--until-idle")
    run = ready.run_of("owl")
    assert run["status"] in {"waiting", "active"} and run["node"] == "welcome_sms"
    assert ready.messages() == []
    ready.ok("events", "emit", "sms.received", "--contact", "owl")
    ready.worker("--virtual-clock")
    run = ready.run_of("owl")
    assert run["status"] == "exited" and run["exit_reason"] == "replied"
    assert ready.messages() == []


def test_virtual_clock_is_kept_in_the_database_and_resumed(ready: Leadflow) -> None:
    zone = zone_at_local_hour(12)
    ready.import_contacts([lead("first", zone, 1)], "--emit", "lead.created")
    assert stored_virtual_now(ready) is None
    done = ready.worker("--virtual-clock")
    assert done["messages_dispatched"] == 3
    moment = parse_iso(done["virtual_now"])
    stored = stored_virtual_now(ready)
    assert stored is not None and int(stored) == int(moment.timestamp())
    # The clock moved to the last due moment: the second text, the next morning.
    last_sent = max(parse_iso(m["sent_at"]) for m in ready.messages())
    assert moment == last_sent
    assert moment - parse_iso(ready.run_of("first")["created_at"]) > timedelta(hours=12)

    # Started again with nothing to do: nothing happens, the time stays.
    again = ready.worker("--virtual-clock")
    assert again["runs_advanced"] == 0 and again["messages_dispatched"] == 0
    assert again["virtual_now"] == done["virtual_now"]
    assert stored_virtual_now(ready) == stored

    # A lead arriving now is served from the stored virtual moment, not from the real time.
    ready.import_contacts([lead("second", zone, 2)], "--emit", "lead.created")
    later = ready.worker("--virtual-clock")
    welcome = sent_order(ready.messages("--contact", "second"))[0]
    assert parse_iso(welcome["sent_at"]) >= moment
    assert parse_iso(later["virtual_now"]) > moment
    assert ready.run_of("second")["status"] == "completed"


def test_virtual_clock_starts_at_the_real_time_on_a_database_without_one(ready: Leadflow) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    out = ready.worker("--virtual-clock")
    started = parse_iso(out["virtual_now"])
    assert before - timedelta(seconds=1) <= started <= datetime.now(UTC)
    assert stored_virtual_now(ready) is not None


def test_virtual_clock_resumes_even_when_behind_the_real_time(ready: Leadflow) -> None:
    three_days_ago = float(int(wall.time()) - 3 * 86400)
    store_virtual_now(ready, three_days_ago)
    out = ready.worker("--virtual-clock")
    assert parse_iso(out["virtual_now"]).timestamp() == three_days_ago  # not the wall clock
    assert stored_virtual_now(ready) == three_days_ago
    again = ready.worker("--virtual-clock")
    assert parse_iso(again["virtual_now"]).timestamp() == three_days_ago


def test_until_idle_stops_when_nothing_is_due_now(ready: Leadflow) -> None:
    ready.import_contacts([lead("a", zone_at_local_hour(12), 1)], "--emit", "lead.created")
    out = ready.worker("--until-idle")
    assert out["virtual_now"] is None and out["stopped_by_signal"] is False
    assert out["messages_dispatched"] == 1
    assert ready.run_of("a")["status"] == "waiting"
    assert ready.worker("--until-idle")["runs_advanced"] == 0  # the 2h wait is not due yet


@pytest.mark.parametrize("batch", ["1", "2"])
def test_small_batches_still_finish_everything(ready: Leadflow, batch: str) -> None:
    zone = zone_at_local_hour(12)
    ready.import_contacts([lead(f"b{i}", zone, i) for i in range(5)], "--emit", "lead.created")
    ready.worker("--virtual-clock", "--batch", batch)
    assert {r["status"] for r in ready.runs()} == {"completed"}
    assert len(ready.messages("--status", "delivered")) == 15


def test_a_lead_who_opted_out_of_texts_gets_only_the_email(ready: Leadflow) -> None:
    path = ready.tmp_path / "consent.csv"
    path.write_text(
        "ContactKey,FirstName,Email,MobilePhone,TimeZone,SmsConsent\n"
        "o1,Olga,olga@example.com,+1 415 555 0101,America/Los_Angeles,no\n"
    )
    ready.ok("contacts", "import", path, "--emit", "lead.created")
    assert ready.json("contacts", "list")[0]["consent"]["sms"] == "opted_out"
    ready.worker("--virtual-clock")
    by_node = {m["node"]: m for m in ready.messages()}
    assert by_node["welcome_email"]["status"] == "delivered"
    for node in ("welcome_sms", "second_sms"):
        assert by_node[node]["status"] == "suppressed"
        assert by_node[node]["suppressed_reason"] == "opted_out"
        assert by_node[node]["sent_at"] is None


def test_a_template_that_cannot_render_fails_the_run_and_sends_nothing(lf: Leadflow) -> None:
    lf.init()
    path = lf.tmp_path / "failing.yaml"
    path.write_text(
        "key: failing\n"
        "name: Failing\n"
        "start: hello\n"
        "nodes:\n"
        "  - {id: hello, kind: send_email, subject: Hi,"
        " body: 'Hi {{ contact.fields.missing.deeper }}'}\n"
    )
    lf.ok("workflows", "publish", path)
    lf.import_contacts([lead("f1", "America/Chicago", 1)])
    lf.ok("enroll", "failing", "--contact", "f1")
    lf.worker("--virtual-clock")
    run = lf.run_of("f1")
    assert run["status"] == "failed" and run["node"] == "hello"
    assert "template error" in run["error"] and "missing" in run["error"]
    assert lf.messages() == []
    (step,) = lf.json("runs", "show", str(run["id"]))["steps"]
    assert step["outcome"] == "failed" and "template error" in step["error"]


def test_a_webhook_to_a_private_address_is_refused(lf: Leadflow) -> None:
    lf.init()
    path = lf.tmp_path / "hook.yaml"
    path.write_text(
        "key: hook\n"
        "name: Hook\n"
        "start: call\n"
        "nodes:\n"
        "  - {id: call, kind: webhook, url: 'http://127.0.0.1:9/crm', next: done}\n"
        "  - {id: done, kind: send_email, subject: Hi, body: Hi}\n"
    )
    lf.ok("workflows", "publish", path)
    lf.import_contacts([lead("h1", "America/Chicago", 1)])
    lf.ok("enroll", "hook", "--contact", "h1")
    lf.worker("--virtual-clock")
    (hook,) = lf.messages("--channel", "webhook")
    assert hook["status"] == "failed" and hook["sent_at"] is None
    assert "127.0.0.1" in hook["error"] and "LEADFLOW_WEBHOOK_ALLOW_PRIVATE" in hook["error"]


TWO_EMAILS = """\
key: {key}
name: Two e-mails {key}
start: first
nodes:
  - {{id: first, kind: send_email, subject: First from {key}, body: Hi, next: second}}
  - {{id: second, kind: send_email, subject: Second from {key}, body: Hi again}}
"""


def workflows_for_one_lead(lf: Leadflow, keys: str = "abc") -> None:
    lf.init()
    lf.import_contacts([lead("busy", "America/Chicago", 1)])
    for key in (f"wf-{k}" for k in keys):
        path = lf.tmp_path / f"{key}.yaml"
        path.write_text(TWO_EMAILS.format(key=key))
        lf.ok("workflows", "publish", path)
        lf.ok("enroll", key, "--contact", "busy")


def test_the_daily_message_budget_defers_what_is_over_it(lf: Leadflow) -> None:
    workflows_for_one_lead(lf)
    env = {"LEADFLOW_BUDGET_PER_DAY": "3"}
    lf.json("worker", "--until-idle", env=env)
    messages = lf.messages()
    assert len(messages) == 6  # three workflows, two e-mails each, all queued
    delivered = [m for m in messages if m["status"] == "delivered"]
    held = [m for m in messages if m["status"] != "delivered"]
    assert len(delivered) == 3 and len(held) == 3
    for m in held:  # deferred an hour, saying why
        assert m["status"] == "deferred" and m["suppressed_reason"] == "budget", m
        assert m["sent_at"] is None
        wait = parse_iso(m["due_at"]) - parse_iso(m["created_at"])
        assert timedelta(minutes=59) <= wait <= timedelta(minutes=61), m
    assert {m["suppressed_reason"] for m in delivered} == {None}

    # The budget is a rolling 24 hours: the rest goes out a day after the first three.
    lf.json("worker", "--virtual-clock", env=env)
    messages = sent_order(lf.messages())
    assert [m["status"] for m in messages] == ["delivered"] * 6
    assert {m["suppressed_reason"] for m in messages} == {None}
    first, fourth = parse_iso(messages[0]["sent_at"]), parse_iso(messages[3]["sent_at"])
    assert timedelta(hours=24) <= fourth - first <= timedelta(hours=25)
    subjects = {m["subject"] for m in messages}
    assert subjects == {f"{n} from wf-{k}" for n in ("First", "Second") for k in "abc"}


def test_a_budget_of_zero_is_no_limit(lf: Leadflow) -> None:
    workflows_for_one_lead(lf)
    lf.json("worker", "--until-idle", env={"LEADFLOW_BUDGET_PER_DAY": "0"})
    messages = lf.messages()
    assert len(messages) == 6 and {m["status"] for m in messages} == {"delivered"}


def test_the_default_budget_is_ten_messages_a_day(lf: Leadflow) -> None:
    workflows_for_one_lead(lf, keys="abcdef")  # twelve e-mails for one lead
    lf.worker("--until-idle")
    statuses = [m["status"] for m in lf.messages()]
    assert statuses.count("delivered") == 10 and statuses.count("deferred") == 2
