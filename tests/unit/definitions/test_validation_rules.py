"""validate(): durations, templates, conditions, triggers, settings, node rules, all at once."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.definitions import validate

from .helpers import errors_of, has, sms, wait, workflow

# ---------------------------------------------------------------- durations and waits


def test_wait_duration_malformed() -> None:
    errors = errors_of(workflow(wait("w", duration="2 hours")))
    assert has(errors, "nodes[0](w).duration: invalid duration '2 hours'")


def test_wait_duration_missing() -> None:
    assert "nodes[0](w).duration: field required" in errors_of(
        workflow({"id": "w", "kind": "wait"})
    )


def test_wait_for_event_timeout_malformed() -> None:
    node = {"id": "wait_reply", "kind": "wait_for_event", "event": "sms.received", "timeout": "-1d"}
    errors = errors_of(workflow(sms("a", next="wait_reply"), {**node, "next": "a"}))
    assert has(errors, "nodes[1](wait_reply).timeout: invalid duration '-1d': negative")


def test_wait_for_event_without_timeout() -> None:
    node = {"id": "wait_reply", "kind": "wait_for_event", "event": "sms.received", "next": "b"}
    errors = errors_of(workflow(sms("a", next="wait_reply"), node, sms("b")))
    assert has(errors, "nodes[1](wait_reply).timeout: a wait_for_event needs a timeout")


def test_wait_for_event_timeout_with_nowhere_to_go() -> None:
    node = {"id": "w", "kind": "wait_for_event", "event": "sms.received", "timeout": "3d"}
    errors = errors_of(workflow({**node, "on_event": "b"}, sms("b")))
    assert has(errors, "nodes[0](w).on_timeout: when the timeout passes the run has nowhere to go")
    assert errors_of(workflow({**node, "next": "b"}, sms("b"))) == []
    assert errors_of(workflow({**node, "on_timeout": "b"}, sms("b"))) == []


# ---------------------------------------------------------------- templates and conditions


@pytest.mark.parametrize(
    ("node", "path"),
    [
        (sms("n", body="Hi {{ contact.frist_name }}"), "nodes[0](n).body"),
        (
            {"id": "n", "kind": "send_email", "subject": "{{ x }}", "body": "ok"},
            "nodes[0](n).subject",
        ),
        ({"id": "n", "kind": "send_email", "subject": "s", "body": "{% if %}"}, "nodes[0](n).body"),
        (
            {"id": "n", "kind": "send_email", "subject": "s", "body": "b", "html": "{{ a b }}"},
            "nodes[0](n).html",
        ),
        ({"id": "n", "kind": "voice_call", "say": "{{ lead.name }}"}, "nodes[0](n).say"),
        ({"id": "n", "kind": "webhook", "url": "https://x/{{ y }}"}, "nodes[0](n).url"),
        ({"id": "n", "kind": "webhook", "url": "https://x", "body": "{{ z }}"}, "nodes[0](n).body"),
        (
            {"id": "n", "kind": "update_contact", "set": {"stage": "{{ q }}"}},
            "nodes[0](n).set.stage",
        ),
    ],
)
def test_template_problems_in_nodes(node: dict[str, Any], path: str) -> None:
    assert has(errors_of(workflow(node)), f"{path}: ")


def test_condition_problems_everywhere() -> None:
    bad = {"field": "contact.state", "op": "between", "value": [1]}
    data = workflow(
        {"id": "b", "kind": "branch", "cases": [{"when": bad, "next": "w"}], "default": "w"},
        {"id": "w", "kind": "wait_for_event", "event": "e", "match": bad, "timeout": "1d"},
        triggers=[{"type": "event", "event": "lead.created", "filter": bad}],
        settings={"goals": [{"name": "g", "when": bad}]},
    )
    errors = errors_of(data)
    for path in (
        "nodes[0](b).cases[0].when",
        "nodes[1](w).match",
        "triggers[0].filter",
        "settings.goals[0].when",
    ):
        assert f"{path}.value: 'between' needs a list of two values [low, high], got [1]" in errors


def test_steps_reference_to_unknown_node_is_a_warning() -> None:
    cond = {"field": "steps.nope.sent", "op": "exists"}
    data = workflow(sms("a"), triggers=[{"type": "event", "event": "x", "filter": cond}])
    report = validate(data)
    assert report.ok
    assert report.warnings == [
        "triggers[0].filter: 'steps.nope.sent' refers to no node of this workflow"
    ]


# ---------------------------------------------------------------- triggers and settings


def test_event_trigger_needs_event() -> None:
    errors = errors_of(workflow(triggers=[{"type": "event"}]))
    assert has(errors, "triggers[0].event: an event trigger needs event")


def test_schedule_trigger_needs_valid_cron_and_zone() -> None:
    triggers = [
        {"type": "schedule"},
        {"type": "schedule", "cron": "61 * * * *"},
        {"type": "schedule", "cron": "0 9 * * 1", "timezone": "Mars/Olympus"},
        {"type": "schedule", "cron": "0 9 * * 1", "timezone": "America/Chicago"},
    ]
    errors = errors_of(workflow(triggers=triggers))
    assert has(errors, "triggers[0].cron: a schedule trigger needs cron")
    assert "triggers[1].cron: invalid cron expression '61 * * * *'" in errors
    assert has(errors, "triggers[2].timezone: unknown time zone 'Mars/Olympus'")
    assert not has(errors, "triggers[3]")


def test_trigger_type_unknown() -> None:
    errors = errors_of(workflow(triggers=[{"type": "webhook"}]))
    assert (
        "triggers[0].type: invalid value 'webhook'; expected one of 'event', 'schedule' or 'manual'"
        in errors
    )


def test_no_triggers_is_fine() -> None:
    report = validate(workflow(triggers=[]))
    assert report.ok and report.warnings == []
    data = workflow()
    del data["triggers"]
    assert validate(data).ok


def test_reentry_after_needs_days() -> None:
    errors = errors_of(workflow(settings={"reentry": {"policy": "after"}}))
    assert has(errors, "settings.reentry.days: policy 'after' needs days")
    errors = errors_of(workflow(settings={"reentry": {"policy": "after", "days": 0}}))
    assert "settings.reentry.days: must be at least 1" in errors
    assert validate(workflow(settings={"reentry": {"policy": "after", "days": 30}})).ok


def test_default_timezone() -> None:
    errors = errors_of(workflow(settings={"default_timezone": "Eastern"}))
    assert has(errors, "settings.default_timezone: unknown time zone 'Eastern'")


def test_goal_needs_event_or_when() -> None:
    errors = errors_of(workflow(settings={"goals": [{"name": "g"}]}))
    assert "settings.goals[0]: a goal needs event or when (or both)" in errors


# ---------------------------------------------------------------- node rules


def test_split_arm_names_unique() -> None:
    arms = [{"name": "A", "weight": 1, "next": "x"}, {"name": "A", "weight": 2, "next": "x"}]
    errors = errors_of(workflow({"id": "s", "kind": "split", "arms": arms}, sms("x")))
    assert "nodes[0](s).arms[1].name: duplicate arm name 'A'" in errors


def test_voice_call_needs_audio_or_say() -> None:
    errors = errors_of(workflow({"id": "v", "kind": "voice_call"}))
    assert "nodes[0](v): a voice_call needs audio_url or say" in errors
    assert validate(workflow({"id": "v", "kind": "voice_call", "say": "Hello"})).ok


def test_webhook_url_scheme() -> None:
    errors = errors_of(
        workflow({"id": "h", "kind": "webhook", "url": "ftp://crm/{{ contact.id }}"})
    )
    assert (
        "nodes[0](h).url: must start with http:// or https://, got 'ftp://crm/{{ contact.id }}'"
        in errors
    )


def test_long_sms_is_a_warning() -> None:
    report = validate(workflow(sms("a", body="x" * 307)))
    assert report.ok
    assert report.warnings == [
        "nodes[0](a).body: SMS body is 307 GSM-7 units, more than 2 segments: it is sent and "
        "billed as 3 SMS"
    ]
    assert validate(workflow(sms("a", body="x" * 306))).warnings == []  # 2 x 153


def test_one_curly_quote_makes_a_text_ucs2_and_the_warning_says_so() -> None:
    body = "It\u2019s " + "x" * 130  # 135 units: 3 UCS-2 segments, 1 if the quote were plain
    report = validate(workflow(sms("a", body=body)))
    assert len(report.warnings) == 1
    assert "135 UCS-2 units" in report.warnings[0] and "3 SMS" in report.warnings[0]
    assert report.warnings[0].endswith("UCS-2 because of '\u2019'")
    assert validate(workflow(sms("a", body=body.replace("\u2019", "'")))).warnings == []


# ---------------------------------------------------------------- all at once


def test_many_errors_reported_at_once() -> None:
    data = {
        "key": "ok-key",
        "name": "Many problems",
        "extra": 1,
        "triggers": [{"type": "schedule", "cron": "nope"}, {"type": "event"}],
        "settings": {"reentry": {"policy": "after"}, "default_timezone": "Nowhere/City"},
        "start": "welcome",
        "nodes": [
            {
                "id": "welcome",
                "kind": "send_sms",
                "body": "Hi {{ contact.frist_name }}",
                "next": "emial",
            },
            {"id": "email", "kind": "send_email", "subject": "x", "body": "{% if %}"},
            {
                "id": "wait_reply",
                "kind": "wait_for_event",
                "event": "sms.received",
                "timeout": "3 days",
            },
            {"id": "fax", "kind": "send_fax"},
            {"id": "loop", "kind": "send_sms", "body": "again", "next": "loop"},
            {"id": "email", "kind": "exit"},
            {"id": "s", "kind": "split", "arms": [{"name": "a", "weight": 1, "next": "s2"}]},
            {"id": "v", "kind": "voice_call"},
            {"id": "h", "kind": "webhook", "url": "crm.local"},
            {"id": "w", "kind": "wait", "duration": "forever"},
        ],
    }
    errors = errors_of(data)
    expected_prefixes = [
        "(root): unknown field 'extra'",
        "triggers[0].cron: invalid cron expression",
        "triggers[1].event: an event trigger needs event",
        "settings.reentry.days: policy 'after' needs days",
        "settings.default_timezone: unknown time zone",
        "nodes[3](fax).kind: unknown node kind 'send_fax'",
        "nodes[5](email).id: duplicate node id 'email'",
        "nodes[0](welcome).next: edge to missing node 'emial'",
        "nodes[6](s).arms[0].next: edge to missing node 's2'",
        "nodes[1](email): not reachable from start 'welcome'",
        "nodes[4](loop): cycle with no wait node: loop -> loop",
        "nodes[0](welcome).body: unknown contact field 'frist_name'",
        "nodes[1](email).body: template syntax error at line 1",
        "nodes[2](wait_reply).timeout: invalid duration '3 days'",
        "nodes[2](wait_reply).on_timeout: when the timeout passes",
        "nodes[7](v): a voice_call needs audio_url or say",
        "nodes[8](h).url: must start with http:// or https://",
        "nodes[9](w).duration: invalid duration 'forever'",
    ]
    missing = [p for p in expected_prefixes if not has(errors, p)]
    assert missing == [], errors


@pytest.mark.parametrize(
    "data",
    [
        {"nodes": None},
        {"nodes": [None, 5, "x", [], {"id": 5, "kind": 7}]},
        {1: 2, None: 3},
        {"key": [], "name": {}, "start": 1.5, "nodes": [{"id": "a", "kind": "branch", "cases": 5}]},
        {"settings": [], "triggers": {}},
        {"settings": {"goals": [None, {"name": []}], "reentry": 5, "send_window": "x"}},
        {"triggers": [{"type": "schedule", "cron": 5, "timezone": None, "filter": []}]},
        {"nodes": [{"id": "a", "kind": "wait_for_event", "event": "e", "timeout": 5, "match": {}}]},
        {"nodes": [{"id": "a", "kind": "split", "arms": [{"name": "x"}, None, {"next": 5}]}]},
        {"nodes": [{"id": "a", "kind": "branch", "cases": [{"when": {"not": {"not": []}}}]}]},
    ],
)
def test_junk_is_reported_not_raised(data: Any) -> None:
    errors = errors_of(data)
    assert errors
    assert not has(errors, "(root): could not validate")


def test_deeply_nested_condition_does_not_raise() -> None:
    cond: dict[str, Any] = {"field": "contact.state", "op": "exists"}
    for _ in range(3000):
        cond = {"not": cond}
    report = validate(workflow(sms("a"), triggers=[{"type": "manual", "filter": cond}]))
    assert isinstance(report.errors, list)
