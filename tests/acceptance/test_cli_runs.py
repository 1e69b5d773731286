"""``leadflow enroll``, ``events emit``, ``runs list|show|pause|resume|cancel``,
``messages list``."""

from __future__ import annotations

import pytest

from support.cli import (
    ISO_Z,
    RUN_STATUSES,
    WELCOME_KEY,
    Leadflow,
    assert_fails,
    parse_iso,
    squash,
    zone_at_local_hour,
)

RUN_FIELDS = {"id", "workflow_key", "version", "contact_id", "node", "wake_at", "status"}
MESSAGE_FIELDS = {
    "id",
    "run_id",
    "contact_id",
    "node",
    "channel",
    "to",
    "status",
    "idempotency_key",
    "created_at",
    "sent_at",
    "suppressed_reason",
    "duplicates",
}
STEP_FIELDS = {
    "step_seq",
    "node",
    "kind",
    "attempt",
    "outcome",
    "started_at",
    "due_at",
    "error",
    "data",
}


@pytest.fixture
def leads(ready: Leadflow) -> Leadflow:
    """Three daytime leads (it is noon where they live), no runs yet."""
    zone = zone_at_local_hour(12)
    ready.import_contacts(
        [
            ["c1", "Ann", "Lee", "ann@example.com", "+1 800 555 0101", zone, ""],
            ["c2", "Bob", "Ray", "bob@example.com", "(800) 555-0102", zone, ""],
            ["c3", "Cat", "Ng", "cat@example.com", "800-555-0103", zone, ""],
        ]
    )
    return ready


# ---------------------------------------------------------------------------------- enroll


def test_enroll_all_then_again_is_skipped_by_the_reentry_policy(leads: Leadflow) -> None:
    out = leads.json("enroll", WELCOME_KEY, "--all")
    assert out["created"] == 3 and out["skipped"] == 0
    again = leads.ok("enroll", WELCOME_KEY, "--all")
    assert "enrolled 0, skipped 3 (re-entry policy)" in squash(again.stdout)
    assert len(leads.runs()) == 3


def test_enroll_some_contacts(leads: Leadflow) -> None:
    out = leads.json("enroll", WELCOME_KEY, "--contact", "c1", "--contact", "c3")
    assert out["created"] == 2 and len(out["run_ids"]) == 2
    runs = leads.runs()
    assert sorted(r["contact_id"] for r in runs) == ["c1", "c3"]
    assert sorted(r["id"] for r in runs) == sorted(out["run_ids"])
    assert leads.json("enroll", WELCOME_KEY, "--contact", "c1")["skipped"] == 1


def test_enroll_needs_all_or_contacts_and_a_known_workflow(leads: Leadflow) -> None:
    assert_fails(leads("enroll", WELCOME_KEY), "--all", "--contact")
    assert_fails(leads("enroll", WELCOME_KEY, "--all", "--contact", "c1"), "--all", "--contact")
    assert_fails(leads("enroll", "no-such-flow", "--all"), "'no-such-flow'", "is published")
    assert leads.runs() == []


def test_enroll_unknown_contact_is_an_error(leads: Leadflow) -> None:
    assert_fails(leads("enroll", WELCOME_KEY, "--contact", "ghost"), "--contact", "'ghost'")
    # One unknown among known ones: nobody is enrolled, and the message names only it.
    text = assert_fails(leads("enroll", WELCOME_KEY, "--contact", "c1", "--contact", "ghost"))
    assert "'ghost'" in text and "'c1'" not in text
    assert leads.runs() == []


# ---------------------------------------------------------------------------------- events


def test_events_emit_and_dedupe_key(leads: Leadflow) -> None:
    first = leads.json("events", "emit", "sms.received", "--contact", "c1", "--key", "reply-1")
    assert isinstance(first["id"], int) and first["duplicate"] is False
    assert first["dedupe_key"] == "reply-1"
    second = leads.json("events", "emit", "sms.received", "--contact", "c1", "--key", "reply-1")
    assert second == {"id": first["id"], "duplicate": True, "dedupe_key": "reply-1"}
    text = leads.ok("events", "emit", "sms.received", "--contact", "c1", "--key", "reply-1")
    assert "duplicate" in squash(text.stdout)
    # Without a key every emit is a new event.
    a = leads.json("events", "emit", "note.added", "--contact", "c2", "--data", '{"n": 1}')
    b = leads.json("events", "emit", "note.added", "--contact", "c2", "--data", '{"n": 1}')
    assert a["id"] != b["id"] and not a["duplicate"] and not b["duplicate"]
    # Exactly the three distinct events are processed.
    assert leads.worker("--until-idle")["events"] == 3


def test_events_emit_bad_data_and_unknown_contact(leads: Leadflow) -> None:
    assert_fails(
        leads("events", "emit", "sms.received", "--contact", "c1", "--data", "{bad"),
        "--data",
        "not valid JSON",
    )
    assert_fails(
        leads("events", "emit", "sms.received", "--contact", "c1", "--data", "[1, 2]"),
        "--data",
        "JSON object",
    )
    assert_fails(
        leads("events", "emit", "sms.received", "--contact", "ghost"), "--contact", "'ghost'"
    )
    assert leads.worker("--until-idle")["events"] == 0


# ---------------------------------------------------------------------------------- runs


def test_runs_list_json_fields_and_filters(leads: Leadflow) -> None:
    leads.ok("enroll", WELCOME_KEY, "--all")
    leads.worker("--until-idle")  # each sends the welcome SMS and waits two hours
    runs = leads.runs()
    assert len(runs) == 3
    for run in runs:
        assert set(run) >= RUN_FIELDS
        assert run["workflow_key"] == WELCOME_KEY and run["version"] == 1
        assert run["status"] == "waiting" and run["node"] == "wait_2h"
        assert ISO_Z.match(run["wake_at"])
        assert run["status"] in RUN_STATUSES
    assert [r["contact_id"] for r in leads.runs("--contact", "c2")] == ["c2"]
    assert len(leads.runs("--status", "waiting")) == 3
    assert leads.runs("--status", "completed") == []
    assert len(leads.runs("--workflow", WELCOME_KEY)) == 3
    assert leads.runs("--workflow", "other") == []
    assert_fails(leads("runs", "list", "--status", "sleeping"), "--status", "'sleeping'")
    table = leads.ok("runs", "list").stdout
    assert "runs (3)" in table and "wait_2h" in table and "waiting" in table


def test_runs_show_history(leads: Leadflow) -> None:
    (run_id,) = leads.json("enroll", WELCOME_KEY, "--contact", "c1")["run_ids"]
    leads.worker("--virtual-clock")
    shown = leads.json("runs", "show", str(run_id))
    assert shown["id"] == run_id and shown["status"] == "completed"
    steps = shown["steps"]
    for step in steps:
        assert set(step) >= STEP_FIELDS
        assert ISO_Z.match(step["started_at"])
    assert [s["step_seq"] for s in steps] == list(range(1, len(steps) + 1))
    outcomes = [(s["node"], s["outcome"]) for s in steps]
    assert outcomes == [
        ("welcome_sms", "queued"),
        ("wait_2h", "waiting"),
        ("wait_2h", "timer"),
        ("welcome_email", "queued"),
        ("wait_next_morning", "waiting"),
        ("wait_next_morning", "timer"),
        ("second_sms", "queued"),
    ]
    assert [m["node"] for m in shown["messages"]] == ["welcome_sms", "welcome_email", "second_sms"]
    text = squash(leads.ok("runs", "show", str(run_id)).stdout)
    assert f"run {run_id}: {WELCOME_KEY} v1, contact c1, completed at second_sms" in text
    for word in ("queued", "waiting", "timer", "wait_next_morning"):
        assert word in text


def test_runs_show_unknown_run(leads: Leadflow) -> None:
    assert_fails(leads("runs", "show", "999"), "no run 999")


def test_pause_resume_cancel(leads: Leadflow) -> None:
    leads.ok("enroll", WELCOME_KEY, "--all")
    leads.worker("--until-idle")  # welcome SMS out, all three waiting two hours
    ids = {r["contact_id"]: r["id"] for r in leads.runs()}
    p, c = str(ids["c1"]), str(ids["c2"])
    assert f"run {p}: paused" in leads.ok("runs", "pause", p).stdout
    assert f"run {c}: cancelled" in leads.ok("runs", "cancel", c).stdout
    assert_fails(leads("runs", "pause", p), "paused")  # already paused
    assert_fails(leads("runs", "resume", c), "cancelled")  # cancelled is for good
    assert_fails(leads("runs", "pause", "999"))

    leads.worker("--virtual-clock")  # time passes: only c3 goes on
    assert leads.run_of("c1")["status"] == "paused"
    cancelled = leads.run_of("c2")
    assert cancelled["status"] == "cancelled" and cancelled["exit_reason"] == "cancelled"
    assert leads.run_of("c3")["status"] == "completed"
    assert len(leads.messages("--contact", "c1")) == 1
    assert len(leads.messages("--contact", "c2")) == 1
    assert len(leads.messages("--contact", "c3")) == 3

    assert leads.ok("runs", "resume", p).stdout.strip() in {f"run {p}: waiting", f"run {p}: active"}
    leads.worker("--virtual-clock")
    assert leads.run_of("c1")["status"] == "completed"
    nodes = [m["node"] for m in leads.messages("--contact", "c1")]
    assert nodes == ["welcome_sms", "welcome_email", "second_sms"]
    assert len(leads.messages("--contact", "c2")) == 1


# ---------------------------------------------------------------------------------- messages


def test_messages_list_json_fields_and_filters(leads: Leadflow) -> None:
    leads.ok("enroll", WELCOME_KEY, "--all")
    leads.worker("--virtual-clock")
    messages = leads.messages()
    assert len(messages) == 9
    for m in messages:
        assert set(m) >= MESSAGE_FIELDS
        assert ISO_Z.match(m["created_at"]) and ISO_Z.match(m["sent_at"])
        assert parse_iso(m["sent_at"]) >= parse_iso(m["created_at"])
        assert m["status"] == "delivered" and m["suppressed_reason"] is None
        assert m["duplicates"] == 0
        assert m["idempotency_key"]
    assert len({m["idempotency_key"] for m in messages}) == 9
    assert len({m["id"] for m in messages}) == 9
    sms = leads.messages("--channel", "sms")
    assert len(sms) == 6 and all(m["to"].startswith("+1") for m in sms)
    email = leads.messages("--channel", "email")
    assert {m["to"] for m in email} == {"ann@example.com", "bob@example.com", "cat@example.com"}
    c1_run = leads.run_of("c1")["id"]
    assert {m["run_id"] for m in leads.messages("--run", str(c1_run))} == {c1_run}
    assert len(leads.messages("--status", "delivered")) == 9
    assert leads.messages("--status", "suppressed") == []
    table = leads.ok("messages", "list").stdout
    assert "messages (9)" in table and "welcome_email" in table
