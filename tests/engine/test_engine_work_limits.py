"""Unbounded work from one workflow: start_workflow chains stop at a depth, enrollments per
contact per workflow per hour are capped in the store, and a hostile template fails its own
step fast while the other messages of the batch still go out. Memory, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import pytest

from leadflow.definitions.io import load_text
from leadflow.definitions.models import WorkflowDefinition
from leadflow.model.records import (
    DEFAULT_TENANT,
    Draft,
    RunStatus,
)
from support.engine_kit import HOUR, Kit

LOOP = """
key: loop
name: Loop
settings: {reentry: {policy: always}}
start: again
nodes:
  - {id: again, kind: start_workflow, workflow: loop}
"""


def test_a_self_starting_workflow_stops_at_the_hourly_cap(make_kit: Any) -> None:
    kit: Kit = make_kit(max_workflow_depth=100, max_enrollments_per_hour=20)
    kit.publish(LOOP)
    kit.add_contact("c1")
    kit.enroll("loop", "c1")
    kit.run_until(kit.now + 3 * HOUR)
    runs = kit.runs("loop")
    assert len(runs) == 20  # bounded: the 20th run's start is refused
    refused = [r for r in runs if r.status == RunStatus.FAILED]
    assert len(refused) == 1
    (step,) = kit.steps(refused[0].id)
    assert step.outcome == "failed"
    assert step.error == (
        "start_workflow: 'loop' not started: the contact has had 20 runs of it in the past "
        "hour, the most allowed is 20 (LEADFLOW_MAX_ENROLLMENTS_PER_HOUR)"
    )
    assert all(r.status == "completed" for r in runs if r is not refused[0])


def test_a_chain_a_b_a_stops_at_the_depth(kit: Kit) -> None:
    def flow(key: str, other: str) -> str:
        return (
            f"key: {key}\nname: {key}\nsettings: {{reentry: {{policy: always}}}}\nstart: go\n"
            f"nodes:\n  - {{id: go, kind: start_workflow, workflow: {other}}}\n"
        )

    # Two workflows that start each other: the second is saved as a draft first.
    kit.store.save_draft(Draft(DEFAULT_TENANT, "b", load_text(flow("b", "a")), kit.now))
    for key, other in (("a", "b"), ("b", "a")):
        kit.publish(flow(key, other))
    kit.add_contact("c1")
    kit.enroll("a", "c1")
    kit.run_until(kit.now + HOUR)
    runs = kit.runs()
    assert len(runs) == 6  # the root and 5 hops (LEADFLOW_MAX_WORKFLOW_DEPTH defaults to 5)
    (last,) = [r for r in runs if r.status == RunStatus.FAILED]
    assert last.error == (
        "go: start_workflow: 'a' not started: the chain a -> b -> a -> b -> a -> b -> a is "
        "deeper than 5 (LEADFLOW_MAX_WORKFLOW_DEPTH)"
    )
    assert [s.error for s in kit.steps(last.id)] == [last.error.removeprefix("go: ")]


def test_the_depth_is_configurable(make_kit: Any) -> None:
    kit: Kit = make_kit(max_workflow_depth=2)
    kit.publish(LOOP)
    kit.add_contact("c1")
    kit.enroll("loop", "c1")
    kit.run_until(kit.now + HOUR)
    assert len(kit.runs("loop")) == 3
    assert "deeper than 2 (LEADFLOW_MAX_WORKFLOW_DEPTH)" in str(
        [r.error for r in kit.runs("loop") if r.status == RunStatus.FAILED]
    )


def test_an_event_triggered_loop_is_capped_per_hour(make_kit: Any) -> None:
    """A workflow triggered by the delivery of its own text would run forever."""
    kit: Kit = make_kit(budget_per_day=0, max_enrollments_per_hour=5)
    kit.publish(
        """
key: echo
name: Echo
triggers: [{type: event, event: sms.delivered}]
settings: {reentry: {policy: always}, pause_on_reply: false}
start: s
nodes:
  - {id: s, kind: send_sms, body: "again"}
"""
    )
    kit.add_contact("c1")
    kit.emit("sms.delivered", "c1")
    kit.run_until(kit.now + 30 * 60)
    assert len(kit.runs("echo")) == 5
    assert len(kit.ledger()) == 5
    kit.run_until(kit.now + 3 * HOUR)  # nothing is left to restart it
    assert len(kit.runs("echo")) == 5


HOSTILE = {
    "doubling": "{% set n = namespace(s='xx') %}{% for i in range(40) %}"
    "{% set n.s = n.s ~ n.s %}{% endfor %}{{ n.s }}",
    "huge range": "{% for i in range(10**9) %}{{ i }}{% endfor %}",
    "huge repeat": "{{ 'x' * 10**8 }}",
    "long loop": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "many copies": "{% for i in range(200) %}{{ 'x' * 100000 }}{% endfor %}",
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_template_fails_fast_and_the_batch_goes_on(kit: Kit, body: str) -> None:
    # Stored without validation: publishing refuses the statically obvious ones already.
    nodes = [{"id": "s", "kind": "send_sms", "body": body}]
    data = {"key": "bad", "name": "Bad", "start": "s", "nodes": nodes}
    definition = WorkflowDefinition.model_validate(data).model_dump(mode="json", by_alias=True)
    kit.store.publish_workflow("bad", "Bad", definition, kit.now)
    kit.runtime.engine.catalog.bump()
    kit.publish("key: good\nname: Good\nstart: s\nnodes:\n  - {id: s, kind: send_sms, body: Hi}\n")
    kit.add_contact("c1")
    kit.add_contact("c2")
    (bad,) = kit.enroll("bad", "c1")
    (good,) = kit.enroll("good", "c2")
    started = time.process_time()
    kit.settle()
    assert time.process_time() - started < 1.0
    run = kit.run(bad)
    assert run.status == RunStatus.FAILED
    assert run.error is not None and run.error.startswith("s: template error")
    assert "LEADFLOW_" in run.error or "Range too big" in run.error
    assert kit.run(good).status == "completed"
    assert [d.body for d in kit.ledger()] == ["Hi"]


def test_the_message_limits_are_configurable(make_kit: Any) -> None:
    kit: Kit = make_kit(max_sms_chars=20, max_email_subject_chars=10, render_max_steps=500)
    kit.publish(
        """
key: sizes
name: Sizes
start: sms
nodes:
  - {id: sms, kind: send_sms, body: "{{ 'x' * 21 }}", on_error: mail}
  - {id: mail, kind: send_email, subject: "Hello there {{ contact.first_name }}", body: b,
     on_error: loop}
  - {id: loop, kind: send_sms, body: "{% for i in range(1000) %}{% endfor %}ok"}
"""
    )
    kit.add_contact("c1")
    (rid,) = kit.enroll("sizes", "c1")
    kit.settle()
    errors = [s.error for s in kit.steps(rid) if s.error]
    assert errors == [
        "template error: SMS body longer than 20 characters (LEADFLOW_MAX_SMS_CHARS)",
        "template error: e-mail subject longer than 10 characters "
        "(LEADFLOW_MAX_EMAIL_SUBJECT_CHARS)",
        "template error at line 1: SMS body: more than 500 template steps "
        "(LEADFLOW_RENDER_MAX_STEPS)",
    ]
    assert kit.ledger() == []
