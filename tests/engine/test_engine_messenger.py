"""The ``send_messenger`` node on every backend (sandbox provider): the lead's PSID and page
from its thread, Meta's 24-hour window and tags judged at dispatch, a lead with no thread held
back."""

from __future__ import annotations

from typing import Any

from leadflow.model.meta import MESSENGER_FIELD
from support.engine_kit import DAY, HOUR, T0, Kit

FLOW = """
key: fb
name: FB
start: m
nodes:
  - id: m
    kind: send_messenger
    body: "Hi {{ contact.first_name }}, still looking in Austin?"
"""
TAGGED = FLOW.replace('Austin?"', 'Austin?"\n    messaging_type: MESSAGE_TAG\n    tag: HUMAN_AGENT')


def threads(**pages: tuple[str, float]) -> dict[str, Any]:
    return {MESSENGER_FIELD: {p: {"psid": s, "last_inbound_at": t} for p, (s, t) in pages.items()}}


def test_it_answers_the_lead_on_the_page_it_last_wrote_to(kit: Kit) -> None:
    kit.publish(FLOW)
    kit.add_contact("ann", first_name="Ann", fields=threads(p1=("psid-1", T0 - 5 * HOUR),
                                                           p2=("psid-2", T0 - HOUR)))  # fmt: skip
    kit.enroll("fb", "ann")
    kit.settle()
    (msg,) = kit.messages()
    assert (msg.channel, msg.to, msg.status) == ("messenger", "psid-2", "delivered")
    assert msg.body == "Hi Ann, still looking in Austin?"
    assert msg.payload == {"page_id": "p2", "messaging_type": "RESPONSE"}
    assert kit.ledger()[0].channel == "messenger"


def test_after_24_hours_only_a_tag_may_go(kit: Kit) -> None:
    kit.publish(FLOW)
    kit.publish(TAGGED.replace("key: fb", "key: fb-tag"))
    kit.add_contact("ann", first_name="Ann", fields=threads(p1=("psid-1", T0 - 2 * DAY)))
    kit.enroll("fb", "ann")
    kit.enroll("fb-tag", "ann")
    kit.settle()
    by_kind = {m.payload["messaging_type"]: m for m in kit.messages()}
    assert by_kind["RESPONSE"].status == "suppressed"
    assert by_kind["RESPONSE"].suppressed_reason == "messenger_window_closed"
    assert by_kind["MESSAGE_TAG"].status == "delivered"
    assert len(kit.ledger()) == 1


def test_a_lead_with_no_thread_gets_nothing(kit: Kit) -> None:
    kit.publish(FLOW)
    kit.add_contact("bob", first_name="Bob")
    kit.enroll("fb", "bob")
    kit.settle()
    (msg,) = kit.messages()
    assert (msg.status, msg.to) == ("suppressed", None)
    assert kit.ledger() == []
