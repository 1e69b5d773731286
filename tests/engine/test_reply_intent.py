"""Reply intent on every backend: each inbound reply carries ``data.intent`` (and its
confidence and source) before any workflow sees it; a workflow branches on ``event.data.intent``
and, after a ``wait_for_event``, on ``steps.<node>.intent``; ``needs_agent`` and
``appointment_request`` replies make one task for the contact's owner, even when the batch is
processed again."""

from __future__ import annotations

import json
from typing import Any

from leadflow.engine.ports import EventBatch
from leadflow.model.playbooks import TaskFilter
from leadflow.model.tenancy import Agent, Tenant
from support.engine_kit import HOUR, T0, Kit
from support.llm_peer import API_KEY, Reply, error, running_llm_peer

TRIAGE = """
key: triage
name: Triage
settings: {pause_on_reply: false}
triggers: [{type: event, event: sms.received}]
start: route
nodes:
  - id: route
    kind: branch
    cases:
      - {when: {field: event.data.intent, op: eq, value: question}, next: answer}
      - {when: {field: event.data.intent, op: eq, value: not_now}, next: later}
    default: other
  - {id: answer, kind: send_sms, body: "Good question ({{ event.data.intent_source }})"}
  - {id: later, kind: send_sms, body: "No rush"}
  - {id: other, kind: send_sms, body: "Other: {{ event.data.intent }}"}
"""

ASK = """
key: ask
name: Ask
start: hello
nodes:
  - {id: hello, kind: send_sms, body: "Still looking?", next: reply}
  - {id: reply, kind: wait_for_event, event: sms.received, timeout: 2d, on_event: route,
     on_timeout: nudge}
  - id: route
    kind: branch
    cases:
      - {when: {field: steps.reply.intent, op: eq, value: interested}, next: great}
    default: fine
  - {id: great, kind: send_sms, body: "Great! ({{ steps.reply.intent }})"}
  - {id: fine, kind: send_sms, body: "Noted: {{ steps.reply.intent }}"}
  - {id: nudge, kind: send_sms, body: "Nudge"}
"""


def _bodies(kit: Kit, cid: str) -> list[str]:
    return [m.body or "" for m in kit.messages() if m.contact_id == cid]


def _event(kit: Kit, event_id: int) -> dict[str, object]:
    (found,) = [e for e in kit.store.list_events() if e.id == event_id]
    return found.data


def test_a_workflow_branches_on_the_reply_intent(kit: Kit) -> None:
    kit.publish(TRIAGE)
    for cid in ("c1", "c2", "c3"):
        kit.add_contact(cid)
    asked = kit.emit("sms.received", "c1", {"body": "what's the HOA on that one?"})
    later = kit.emit("sms.received", "c2", {"body": "not right now, maybe in the spring"})
    kit.emit("sms.received", "c3", {"body": "Can we see it Saturday at 2?"})
    kit.settle(T0)

    assert _bodies(kit, "c1") == ["Good question (model)"]
    assert _bodies(kit, "c2") == ["No rush"]
    assert _bodies(kit, "c3") == ["Other: appointment_request"]
    assert asked is not None and later is not None
    stored = _event(kit, asked)  # the stored event carries the reading too
    assert stored["intent"] == "question" and stored["intent_source"] == "model"
    assert 0.0 < float(stored["intent_confidence"]) <= 1.0  # type: ignore[arg-type]


def test_wait_for_event_exposes_the_intent_as_a_step_fact(kit: Kit) -> None:
    kit.publish(ASK)
    kit.add_contact("c1")
    kit.add_contact("c2")
    (r1,) = kit.enroll("ask", "c1")
    (r2,) = kit.enroll("ask", "c2")
    kit.settle(T0)
    kit.emit("sms.received", "c1", {"body": "yes please, send me more like that"})
    kit.emit("sms.received", "c2", {"body": "who is this?"})
    kit.run_until(T0 + HOUR)

    assert _bodies(kit, "c1") == ["Still looking?", "Great! (interested)"]
    assert _bodies(kit, "c2") == ["Still looking?", "Noted: question"]
    facts = kit.run(r1).context["steps"]["reply"]
    assert facts["received"] is True and facts["intent"] == "interested"
    assert facts["intent_source"] == "model" and 0 < facts["intent_confidence"] <= 1
    assert kit.run(r2).context["steps"]["reply"]["intent"] == "question"


def test_the_opt_out_rules_win_and_consent_is_applied(kit: Kit) -> None:
    kit.add_contact("c1")
    eid = kit.emit("sms.received", "c1", {"body": "wrong number, stop texting me"})
    kit.settle(T0)
    assert eid is not None
    data = _event(kit, eid)
    assert (data["intent"], data["intent_source"], data["intent_confidence"]) == (
        "opt_out",
        "rules",
        1.0,
    )
    assert kit.contact("c1").consent["sms"] == "opted_out"


def _agents(kit: Kit) -> None:
    kit.store.create_tenant(Tenant("default", "Default"), kit.now)
    kit.store.upsert_agents(
        [Agent("default", "ann", first_name="Ann"), Agent("default", "bob", first_name="Bob")],
        kit.now,
    )


def test_needs_agent_and_appointment_requests_make_one_task_for_the_owner(kit: Kit) -> None:
    _agents(kit)
    kit.add_contact("c1", owner="ann")
    kit.add_contact("c2", owner="bob")
    human = kit.emit(
        "email.received",
        "c1",
        {"subject": "Re: listings", "body": "Can I talk to a real person please"},
    )
    tour = kit.emit("sms.received", "c2", {"body": "Could I tour the house tomorrow after 5pm"})
    kit.emit("sms.received", "c2", {"body": "thanks, send more in Round Rock"})
    kit.settle(T0)

    tasks = kit.store.list_tasks(TaskFilter("default", None, None))
    by = {(t.assignee, t.title) for t in tasks}
    assert by == {
        ("ann", "Reply needs an agent: C1"),
        ("bob", "Reply asks for an appointment: C2"),
    }
    assert all(t.label == "reply" and t.due_at == T0 + HOUR for t in tasks)
    assert {t.step_key for t in tasks} == {f"reply:{human}", f"reply:{tour}"}
    created = [e for e in kit.store.list_events() if e.type == "task.created"]
    assert sorted(e.data["reason"] for e in created) == ["appointment_request", "needs_agent"]


def test_a_batch_read_again_makes_no_second_task_and_keeps_its_reading(kit: Kit) -> None:
    _agents(kit)
    kit.add_contact("c1", owner="ann")
    eid = kit.emit("sms.received", "c1", {"body": "have someone call me back asap"})
    assert eid is not None
    # The observers see the batch, then the worker dies before completing the events.
    (event,) = kit.store.claim_events("dead", T0, 10, 30.0)
    for observer in kit.runtime.engine.registry.observers:
        observer.observe(EventBatch(kit.store, [event], kit.store.get_contacts(["c1"]), T0))
    first = _event(kit, eid)
    kit.settle(T0 + 60)  # the lease ran out: another pass processes it again
    assert _event(kit, eid) == first
    tasks = kit.store.list_tasks(TaskFilter("default", None, None))
    assert [(t.assignee, t.step_key) for t in tasks] == [("ann", f"reply:{eid}")]
    created = [e for e in kit.store.list_events() if e.type == "task.created"]
    assert len(created) == 1


def test_with_a_model_server_it_reads_the_replies_and_falls_back_when_it_fails(
    make_kit: Any,
) -> None:
    answer = Reply(content=json.dumps({"intent": "not_now", "confidence": 0.66}))
    with running_llm_peer([answer]) as peer:
        kit = make_kit(llm_base_url=peer.base_url, llm_api_key=API_KEY, llm_max_retries=0)
        kit.publish(TRIAGE)
        kit.add_contact("c1")
        kit.add_contact("c2")
        eid = kit.emit("sms.received", "c1", {"body": "we'll see"})
        kit.settle(T0)
        assert len(peer.requests) == 1
        assert eid is not None
        assert _event(kit, eid)["intent_source"] == "llm"
        assert _bodies(kit, "c1") == ["No rush"]
        # the server fails: the local model answers, the reply is still read and routed
        peer.script[:] = [error(500, "down for maintenance")]
        failed = kit.emit("sms.received", "c2", {"body": "what's the HOA on that one?"})
        kit.settle(T0 + 60)
        assert failed is not None
        data = _event(kit, failed)
        assert (data["intent"], data["intent_source"]) == ("question", "model")
        assert _bodies(kit, "c2") == ["Good question (model)"]
        # a batch read again (the stored reading) never asks the server twice
        assert len(peer.requests) == 2
