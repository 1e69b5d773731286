"""The independent compliance check finds each kind of violation in a hand-made history (and
nothing in a clean one), so a simulation it passes really kept the rules."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from leadflow.model.records import Contact, Message
from leadflow.simulate.compliance_check import check
from leadflow.simulate.compliance_history import History, Inbound, WorkflowRules, workflow_rules

NY = ZoneInfo("America/New_York")
DRIP = WorkflowRules(pause_on_reply=True, default_zone="America/New_York", window=None)
LOOSE = WorkflowRules(pause_on_reply=False, default_zone="America/New_York", window=None)
WEEKDAYS = WorkflowRules(False, "America/New_York", (9 * 60, 17 * 60, frozenset({"mon", "fri"})))


def at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = NY) -> float:
    """A moment in June 2031 (2 June is a Monday) on the wall clock of ``zone``."""
    return datetime(2031, 6, day, hour, minute, tzinfo=zone).timestamp()


def person(cid: str = "c1", phone: str = "+12125550123", state: str | None = "NY") -> Contact:
    zone = "America/New_York" if state else None
    return Contact(id=cid, phone=phone, state=state, time_zone=zone)


_ids = iter(range(1, 10_000))


def sent(
    when: float,
    channel: str = "sms",
    workflow: str = "drip",
    created: float | None = None,
    run_id: int | None = 1,
    contact: str = "c1",
) -> Message:
    return Message(
        run_id=run_id,
        contact_id=contact,
        workflow_key=workflow,
        node="n0",
        channel=channel,
        to="x",
        idempotency_key=f"k{next(_ids)}",
        due_at=when,
        created_at=when if created is None else created,
        status="sent",
        sent_at=when,
        id=next(_ids),
    )


def run(
    messages: list[Message],
    inbound: list[Inbound] | None = None,
    contacts: list[Contact] | None = None,
    budget: int = 6,
) -> dict[str, int]:
    found = contacts or [person()]
    workflows = {"drip": DRIP, "loose": LOOSE, "weekdays": WEEKDAYS}
    history = History({c.id: c for c in found}, messages, inbound or [], workflows, budget)
    report = check(history)
    return dict(report.violations)


def test_a_clean_history_has_no_violation() -> None:
    messages = [sent(at(2, 10)), sent(at(2, 14), "email"), sent(at(3, 9), "voice")]
    assert run(messages) == {}


def test_a_text_at_21_30_local_is_a_window_violation() -> None:
    assert run([sent(at(2, 21, 30))]) == {"window": 1}
    assert run([sent(at(2, 7, 59))]) == {"window": 1}
    assert run([sent(at(2, 21, 30), "email")]) == {}  # e-mail has no legal window


def test_strict_states_end_at_20_by_address_or_by_area_code() -> None:
    florida = person(phone="+13055550123", state="FL")
    assert run([sent(at(2, 20, 30))], contacts=[florida]) == {"window": 1}
    moved = person(phone="+14055550123", state="NY")  # an Oklahoma number, a New York address
    assert run([sent(at(2, 20, 30))], contacts=[moved]) == {"window": 1}
    assert run([sent(at(2, 19, 30))], contacts=[moved]) == {}


def test_every_zone_of_the_number_must_be_inside_the_window() -> None:
    moved = person(phone="+14155550123", state="NY")  # San Francisco number, New York address
    assert run([sent(at(2, 10, 30))], contacts=[moved]) == {"window": 1}  # 7:30 in California
    assert run([sent(at(2, 11, 30))], contacts=[moved]) == {}


def test_a_toll_free_number_without_address_falls_back_to_the_workflow_zone() -> None:
    nowhere = person(phone="+18005550123", state=None)
    assert run([sent(at(2, 12))], contacts=[nowhere]) == {}
    assert run([sent(at(2, 22))], contacts=[nowhere]) == {"window": 1}


def test_the_workflow_window_binds_every_channel() -> None:
    assert run([sent(at(2, 10), "email", "weekdays")]) == {}
    assert run([sent(at(2, 18), "email", "weekdays")]) == {"window": 1}
    assert run([sent(at(3, 10), "email", "weekdays")]) == {"window": 1}  # a Tuesday


def test_a_text_after_stop_is_reported_until_start() -> None:
    stop = Inbound("c1", "sms.received", at(2, 10), "opt_out")
    start = Inbound("c1", "sms.received", at(3, 10), "opt_in")
    assert run([sent(at(2, 11), "sms", "loose")], [stop]) == {"opt_out": 1}
    assert run([sent(at(3, 11), "sms", "loose")], [stop, start]) == {}
    # START gives texts back, not calls
    assert run([sent(at(3, 11), "voice", "loose")], [stop, start]) == {"opt_out": 1}


def test_one_notice_after_an_opt_out_is_allowed_not_two() -> None:
    stop = Inbound("c1", "sms.received", at(2, 10), "opt_out")
    one = [sent(at(2, 10, 1), "sms", "loose", run_id=None)]
    assert run(one, [stop]) == {}
    two = [*one, sent(at(2, 10, 2), "sms", "loose", run_id=None)]
    assert run(two, [stop]) == {"opt_out": 1}


def test_an_email_after_an_unsubscribe_is_reported() -> None:
    click = Inbound("c1", "email.unsubscribed", at(2, 10), "opt_out")
    assert run([sent(at(2, 12), "email", "loose")], [click]) == {"opt_out": 1}
    assert run([sent(at(2, 12), "sms", "loose")], [click]) == {}


def test_a_message_queued_before_a_reply_must_not_leave_after_it() -> None:
    reply = Inbound("c1", "sms.received", at(2, 10), "reply")
    queued = sent(at(2, 11), created=at(2, 9))
    assert run([queued], [reply]) == {"reply": 1}
    answer = sent(at(2, 11), created=at(2, 10, 5))  # queued after the reply: fine
    assert run([answer], [reply]) == {}
    loose = sent(at(2, 11), "sms", "loose", created=at(2, 9))  # no pause_on_reply
    assert run([loose], [reply]) == {}


def test_more_than_the_budget_in_24_hours_is_reported() -> None:
    seven = [sent(at(2, 9) + i * 3600, "email", "loose") for i in range(7)]
    assert run(seven) == {"budget": 1}
    spread = [sent(at(2, 9) + i * 5 * 3600, "email", "loose") for i in range(7)]
    assert run(spread) == {}


def test_a_fourth_text_in_24_hours_to_florida_is_reported() -> None:
    florida = person(phone="+13055550123", state="FL")
    four = [sent(at(2, 9) + i * 3600, "sms", "loose") for i in range(4)]
    assert run(four, contacts=[florida]) == {"budget": 1}
    assert run(four, contacts=[person()]) == {}
    with_mail = [*four[:3], sent(at(2, 15), "email", "loose")]
    assert run(with_mail, contacts=[florida]) == {}


def test_workflow_rules_are_read_from_a_published_definition() -> None:
    rules = workflow_rules(
        {"settings": {"pause_on_reply": False, "send_window": {"start": "09:30", "end": "17:00"}}}
    )
    assert rules == WorkflowRules(False, "America/New_York", (570, 1020, frozenset()))
    assert workflow_rules({}).pause_on_reply is True
