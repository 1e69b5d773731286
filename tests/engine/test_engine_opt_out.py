"""A lead who texts STOP (or "wrong number", or "take me off your list") gets no text and no call
after it -- from the workflow it was in, from one queued before, or from one it enters later --
and the change is kept with its evidence. START brings texts back, not calls."""

from __future__ import annotations

from support.engine_kit import DAY, HOUR, T0, Kit

DRIP = """
key: drip
name: Drip
settings: {pause_on_reply: false, reentry: {policy: always}}
start: first
nodes:
  - {id: first, kind: send_sms, body: "Hi {{ contact.first_name }}", next: later}
  - {id: later, kind: wait, duration: 1d, next: second}
  - {id: second, kind: send_sms, body: "Still looking?", next: call}
  - {id: call, kind: voice_call, say: "Hi, it's Sam."}
"""
OTHER = """
key: other
name: Other
start: hello
nodes:
  - {id: hello, kind: send_sms, body: "New listing for you"}
"""


def _suppressed(kit: Kit, cid: str) -> list[tuple[str | None, str | None]]:
    return [
        (m.node, m.suppressed_reason)
        for m in kit.messages(contact_id=cid)
        if m.status == "suppressed"
    ]


def test_stop_ends_every_text_and_call_after_it(kit: Kit) -> None:
    kit.publish(DRIP)
    kit.publish(OTHER)
    kit.add_contact("ann")
    kit.enroll("drip", "ann")
    kit.settle()
    assert [m.status for m in kit.messages(contact_id="ann")] == ["delivered"]
    kit.emit("sms.received", "ann", {"body": "Wrong number, take me off your list"})
    kit.settle()
    contact = kit.contact("ann")
    assert contact.consent == {"sms": "opted_out", "voice": "opted_out"}
    history = contact.fields["consent_history"]
    assert [(h["channel"], h["state"], h["source"]) for h in history] == [
        ("sms", "opted_out", "sms_keyword"),
        ("voice", "opted_out", "sms_keyword"),
    ]
    assert history[0]["evidence"] == "Wrong number, take me off your list"
    kit.run_until(T0 + 3 * DAY)
    kit.enroll("other", "ann")
    kit.run_until(T0 + 4 * DAY)
    sent = [m for m in kit.messages(contact_id="ann") if m.status in ("sent", "delivered")]
    # nothing after the opt-out but its one confirmation
    assert [(m.node, m.payload.get("compliance")) for m in sent] == [
        ("first", None),
        (None, "opt_out_confirmation"),
    ]
    assert sorted(_suppressed(kit, "ann")) == [
        ("call", "opted_out"),
        ("hello", "opted_out"),
        ("second", "opted_out"),
    ]


def test_a_reply_that_only_contains_stop_is_no_opt_out(kit: Kit) -> None:
    kit.publish(DRIP)
    kit.add_contact("bob", consent={"voice": "opted_in"})  # the call is a voicemail drop
    kit.enroll("drip", "bob")
    kit.settle()
    kit.emit("sms.received", "bob", {"body": "I'll stop by the open house at 5"})
    kit.run_until(T0 + 3 * DAY)
    assert kit.contact("bob").consent == {"voice": "opted_in"}
    nodes = [m.node for m in kit.messages(contact_id="bob") if m.status == "delivered"]
    assert nodes == ["first", "second", "call"]


def test_start_brings_texts_back_but_not_calls(kit: Kit) -> None:
    kit.publish(OTHER)
    kit.add_contact("cy")
    kit.emit("sms.received", "cy", {"body": "STOP"})
    kit.settle()
    kit.emit("sms.received", "cy", {"body": "START"}, occurred_at=T0 + HOUR)
    kit.run_until(T0 + 2 * HOUR)
    assert kit.contact("cy").consent == {"sms": "opted_in", "voice": "opted_out"}
    states = [h["state"] for h in kit.contact("cy").fields["consent_history"]]
    assert states == ["opted_out", "opted_out", "opted_in"]
    kit.enroll("other", "cy")
    kit.run_until(T0 + 3 * HOUR)
    # the opt-out and the opt-in were each confirmed; the workflow's text goes out again
    assert [
        (m.status, m.node, m.payload.get("compliance")) for m in kit.messages(contact_id="cy")
    ] == [
        ("delivered", None, "opt_out_confirmation"),
        ("delivered", None, "opt_in_confirmation"),
        ("delivered", "hello", None),
    ]


def test_the_providers_opt_out_flag_counts_and_a_second_stop_changes_nothing(kit: Kit) -> None:
    kit.add_contact("di")
    kit.emit("sms.received", "di", {"body": "please no", "OptOutType": "STOP"})
    kit.emit("sms.received", "di", {"body": "STOP"}, occurred_at=T0 + 60)
    kit.run_until(T0 + HOUR)
    assert kit.contact("di").consent == {"sms": "opted_out", "voice": "opted_out"}
    assert len(kit.contact("di").fields["consent_history"]) == 2  # one change, two channels
