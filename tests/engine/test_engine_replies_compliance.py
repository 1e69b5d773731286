"""Compliance answers to inbound texts: one confirmation per opt-out (none when the provider
already sent it, none late), the CTIA HELP answer (at any hour, also to an opted-out lead, never
blocked by or counted in the budget) and the confirmation of a new opt-in."""

from __future__ import annotations

from leadflow.compliance.replies import KINDS, ReplyTexts, answers_for
from leadflow.model.records import Message
from leadflow.model.segments import count
from leadflow.settings import Settings
from support.engine_kit import DAY, HOUR, MINUTE, T0, Kit, at

STOP_TEXT = (
    "You're unsubscribed from Leadflow texts. No more messages will be sent. "
    "Reply START to resubscribe."
)
ONE_TEXT = """
key: hello
name: Hello
settings: {pause_on_reply: false, reentry: {policy: always}}
start: hi
nodes:
  - {id: hi, kind: send_sms, body: "New listing for you"}
"""


def _answers(kit: Kit, cid: str) -> list[Message]:
    return [m for m in kit.messages(contact_id=cid) if m.payload.get("compliance")]


def test_stop_is_confirmed_once_at_once(kit: Kit) -> None:
    kit.add_contact("ann")
    kit.emit("sms.received", "ann", {"body": "STOP", "from": "+12125550100"})
    kit.settle()
    [confirmation] = _answers(kit, "ann")
    assert confirmation.body == STOP_TEXT
    assert (confirmation.channel, confirmation.to, confirmation.status) == (
        "sms",
        "+12125550100",
        "delivered",
    )
    assert confirmation.run_id is None and confirmation.sent_at == T0
    assert confirmation.payload == {"compliance": "opt_out_confirmation", "opt_out_at": T0}
    # a second STOP (and a "stop texting me") of the same opt-out gets nothing more
    kit.emit("sms.received", "ann", {"body": "stop"}, occurred_at=T0 + 2 * MINUTE)
    kit.emit("sms.received", "ann", {"body": "stop texting me"}, occurred_at=T0 + 3 * HOUR)
    kit.run_until(T0 + 4 * HOUR)
    assert len(_answers(kit, "ann")) == 1
    assert [d.body for d in kit.ledger()] == [STOP_TEXT]


def test_processing_an_opt_out_again_queues_no_second_confirmation(kit: Kit) -> None:
    kit.add_contact("bo")
    kit.emit("sms.received", "bo", {"body": "unsubscribe"})
    kit.settle()
    [event] = kit.store.list_events(contact_id="bo", type="sms.received")
    contact = kit.contact("bo")
    # as after a crash between queueing and completing the event: the same answer, same key
    again = answers_for([event], {"bo": contact}, ReplyTexts(), lambda cid, since: False, kit.now)
    assert [m.idempotency_key for m in again] == [_answers(kit, "bo")[0].idempotency_key]
    assert kit.store.queue_messages(again, kit.now) == [None]
    assert len(_answers(kit, "bo")) == 1


def test_no_confirmation_when_the_provider_sent_it(kit: Kit) -> None:
    kit.add_contact("cy")
    kit.emit("sms.received", "cy", {"body": "STOP", "opt_out_type": "STOP"})
    kit.add_contact("di")
    kit.emit("sms.received", "di", {"Body": "stop", "OptOutType": "STOP"})
    kit.settle()
    for cid in ("cy", "di"):
        assert kit.contact(cid).consent == {"sms": "opted_out", "voice": "opted_out"}
        assert _answers(kit, cid) == []
    assert kit.ledger() == []


def test_a_confirmation_later_than_five_minutes_is_not_sent(kit: Kit) -> None:
    kit.add_contact("ed")
    kit.emit("sms.received", "ed", {"body": "STOP"}, occurred_at=T0)
    kit.settle(T0 + 10 * MINUTE)  # the worker was down when it came in
    [late] = _answers(kit, "ed")
    assert (late.status, late.suppressed_reason) == ("suppressed", "confirmation_late")
    [event] = kit.store.list_events(contact_id="ed", type="sms.suppressed")
    assert event.data["reason"] == "confirmation_late"
    assert kit.ledger() == []


def test_a_new_opt_out_after_an_opt_in_is_confirmed_again(kit: Kit) -> None:
    kit.add_contact("fay")
    kit.emit("sms.received", "fay", {"body": "STOP"})
    kit.settle()
    kit.emit("sms.received", "fay", {"body": "START"}, occurred_at=T0 + HOUR)
    kit.run_until(T0 + HOUR)
    kit.emit("sms.received", "fay", {"body": "STOP"}, occurred_at=T0 + 2 * HOUR)
    kit.run_until(T0 + 3 * HOUR)
    kinds = [(m.payload["compliance"], m.status) for m in _answers(kit, "fay")]
    assert kinds == [
        ("opt_out_confirmation", "delivered"),
        ("opt_in_confirmation", "delivered"),
        ("opt_out_confirmation", "delivered"),
    ]
    # still opted out a day later: a STOP is confirmed again, not within the day
    kit.emit("sms.received", "fay", {"body": "STOP"}, occurred_at=T0 + 3 * HOUR)
    kit.run_until(T0 + 4 * HOUR)
    assert len(_answers(kit, "fay")) == 3
    kit.emit("sms.received", "fay", {"body": "STOP"}, occurred_at=T0 + 2 * DAY)
    kit.run_until(T0 + 2 * DAY + HOUR)
    assert len(_answers(kit, "fay")) == 4


def test_help_is_answered_at_night_even_when_opted_out(make_kit: object) -> None:
    night = at(2024, 6, 12, 23, 30)
    kit: Kit = make_kit(  # type: ignore[operator]
        start=night,
        sms_brand="Acme Realty",
        sms_help_contact="call 512-555-0100",
        sms_frequency="Up to 4 msgs/wk",
    )
    kit.add_contact("gus", consent={"sms": "opted_out", "voice": "opted_out"})
    kit.emit("sms.received", "gus", {"body": "HELP"})
    kit.settle()
    [answer] = _answers(kit, "gus")
    assert answer.payload == {"compliance": "help"}
    assert (answer.status, answer.sent_at) == ("delivered", night)
    body = answer.body or ""
    for part in (
        "Acme Realty",
        "call 512-555-0100",
        "Up to 4 msgs/wk",
        "Msg & data rates may apply",
        "Reply STOP to opt out",
    ):
        assert part in body, (part, body)
    assert kit.contact("gus").consent["sms"] == "opted_out"  # HELP changes no consent


def test_help_is_neither_blocked_by_nor_counted_in_the_budget(make_kit: object) -> None:
    kit: Kit = make_kit(budget_per_day=1)  # type: ignore[operator]
    kit.publish(ONE_TEXT)
    kit.add_contact("hal")
    kit.enroll("hello", "hal")
    kit.settle()
    kit.emit("sms.received", "hal", {"body": "info"}, occurred_at=T0 + MINUTE)
    kit.settle(T0 + MINUTE)
    [answer] = _answers(kit, "hal")
    assert answer.status == "delivered"  # the budget (1) was already spent
    assert kit.store.sent_count_since("hal", T0 - DAY) == 1  # and the answer took none of it
    kit.enroll("hello", "hal")
    kit.settle(T0 + 2 * MINUTE)
    queued = [m for m in kit.messages(contact_id="hal") if m.status == "deferred"]
    assert [(m.node, m.suppressed_reason) for m in queued] == [("hi", "budget")]


def test_start_is_confirmed_but_a_plain_yes_is_an_ordinary_reply(kit: Kit) -> None:
    kit.add_contact("ida", consent={"sms": "opted_out"})
    kit.add_contact("jo")
    kit.emit("sms.received", "ida", {"body": "yes"})  # yes, after an opt-out: resubscribes
    kit.emit("sms.received", "jo", {"body": "Yes!"})  # yes to "still looking?"
    kit.settle()
    [answer] = _answers(kit, "ida")
    assert answer.payload == {"compliance": "opt_in_confirmation"}
    body = answer.body or ""
    assert "Leadflow" in body and "Msg & data rates may apply" in body
    assert "Reply HELP for help, STOP to opt out" in body and "Msg frequency varies" in body
    assert kit.contact("ida").consent["sms"] == "opted_in"
    assert _answers(kit, "jo") == []


def test_the_answers_stay_short() -> None:
    """One segment each with the defaults; at most two with the longest settings allowed."""
    fields = Settings.model_fields
    longest = ReplyTexts(
        "B" * _max_length(fields["sms_brand"].metadata),
        "h" * _max_length(fields["sms_help_contact"].metadata),
        "f" * _max_length(fields["sms_frequency"].metadata),
    )
    for kind in KINDS:
        assert count(ReplyTexts().text(kind)).segments == 1, kind
        assert count(longest.text(kind)).segments <= 2, kind
    assert "Msg & data rates may apply" not in ReplyTexts().text("opt_out_confirmation")


def _max_length(metadata: list[object]) -> int:
    return next(int(m.max_length) for m in metadata if hasattr(m, "max_length"))
