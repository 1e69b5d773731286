"""notify_agent with ``summary: true`` on every backend: the task and the agent's e-mail carry
the lead's summary (what to know before calling), the agent's text its key lines; written by
the model when one is configured (a loopback chat-completions server), extractive without."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from leadflow.model.playbooks import TaskFilter
from leadflow.model.tenancy import Agent, Tenant
from support.engine_kit import Kit
from support.llm_peer import API_KEY, LlmPeer, Reply, running_llm_peer

HOT = """
key: hot
name: Hot
start: tell
settings: {pause_on_reply: false}
nodes:
  - {id: tell, kind: notify_agent, title: "Call {{ contact.first_name }}", body: "Asked to tour.",
     summary: true, channels: [sms, email]}
"""
REPLY = "Can I see the condo Saturday?"


def setup(kit: Kit) -> None:
    kit.store.create_tenant(Tenant("default", "Default"), kit.now)
    kit.store.upsert_agents(
        [
            Agent(
                "default",
                "ann",
                first_name="Ann",
                email="ann@agents.test",
                mobile_phone="+12125550000",
            )
        ],
        kit.now,
    )
    kit.add_contact(
        "lou", first_name="Lou", owner="ann", stage="hot", fields={"criteria": "condo under 450k"}
    )
    kit.emit("sms.received", "lou", {"body": REPLY, "intent": "appointment_request"})
    kit.settle()


def node_tasks(kit: Kit) -> list[Any]:
    """The notify_agent node's task (the reply in ``setup`` also makes one: its intent asks for
    an appointment, and reply intent gives the owner a task for that)."""
    return [t for t in kit.store.list_tasks(TaskFilter("default")) if t.title == "Call Lou"]


def notices(kit: Kit) -> dict[str, Any]:
    return {m.channel: m for m in kit.messages() if m.payload.get("agent_notice")}


def test_the_task_and_the_notices_carry_the_extractive_summary(make_kit: Any) -> None:
    kit: Kit = make_kit()
    setup(kit)
    kit.publish(HOT)
    kit.enroll("hot", "lou")
    kit.settle()
    [task] = node_tasks(kit)
    assert task.body is not None
    before, summary = task.body.split("\n\nWhat to know before you call:\n")
    assert before == "Asked to tour."
    lines = summary.splitlines()
    assert lines[0] == "Lou | stage hot"
    assert lines[1].startswith("Score ")
    assert "Looking for: condo under 450k" in lines
    assert f'"{REPLY}"; intent appointment_request' in summary
    sent = notices(kit)
    assert summary in (sent["email"].body or "")
    text = sent["sms"].body or ""
    assert text.startswith("[normal] Call Lou - Lou\nScore ")
    assert "Looking for: condo under 450k" in text


@pytest.fixture
def peer() -> Iterator[LlmPeer]:
    with running_llm_peer() as found:
        yield found


def test_with_a_model_the_summary_is_written_by_it(make_kit: Any, peer: LlmPeer) -> None:
    written = "Lou wants a condo under 450k and asked to tour on Saturday; call to book it."
    peer.script = [Reply(content=json.dumps({"summary": written}))]
    kit: Kit = make_kit(llm_base_url=peer.base_url, llm_api_key=API_KEY, llm_max_retries=0)
    setup(kit)
    kit.publish(HOT)
    kit.enroll("hot", "lou")
    kit.settle()
    [task] = node_tasks(kit)
    assert task.body == f"Asked to tour.\n\nWhat to know before you call:\n{written}"
    assert len(peer.requests) == 1


def test_without_the_flag_nothing_is_added(make_kit: Any) -> None:
    kit: Kit = make_kit()
    setup(kit)
    kit.publish(HOT.replace("summary: true, ", ""))
    kit.enroll("hot", "lou")
    kit.settle()
    [task] = node_tasks(kit)
    assert task.body == "Asked to tour."
