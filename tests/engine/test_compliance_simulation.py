"""The compliance proof, small: a few thousand messages to leads all over the US on a real SQLite
file, with random STOPs, STARTs, HELPs, replies and unsubscribes, and not one message outside its
window, after an opt-out, after a reply (pause_on_reply) or beyond a budget -- while every one of
those rules really held messages back."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import phonenumbers

from leadflow.contacts.importer import US_STATE_TIME_ZONES
from leadflow.simulate.compliance import ComplianceRun, compliance_runtime, run_compliance
from leadflow.simulate.compliance_history import History, history_from_store
from leadflow.simulate.compliance_people import compliance_contacts
from support.engine_kit import DAY, Kit, at

SENDS = 5000


def one_text(key: str) -> str:
    return f"""
key: {key}
name: {key}
settings: {{pause_on_reply: false}}
start: a
nodes:
  - {{id: a, kind: send_sms, body: "Hello from {key}"}}
"""


def simulate(tmp_path: Path, seed: int) -> tuple[ComplianceRun, History]:
    runtime = compliance_runtime(f"sqlite:///{tmp_path}/compliance.db", seed=seed)
    try:
        result = run_compliance(runtime, sends=SENDS, seed=seed)
        history = history_from_store(runtime.store, runtime.settings.budget_per_day)
    finally:
        runtime.close()
    return result, history


def test_thousands_of_sends_break_no_rule_and_every_rule_was_hit(tmp_path: Path) -> None:
    result, history = simulate(tmp_path, seed=11)
    report = result.report
    assert result.sent >= SENDS
    assert report.messages_left == result.sent  # the check saw every message that left
    assert dict(report.violations) == {}, report.as_dict()["examples"]

    # every rule was exercised: something was held back by each of them
    deferred, suppressed = result.deferred, report.suppressed
    assert deferred["node:quiet_hours"] + deferred["dispatch:quiet_hours"] > 0
    assert deferred["dispatch:state_cap"] > 0
    assert deferred["dispatch:budget"] > 0
    assert suppressed["opted_out"] > 0
    assert suppressed["replied"] + suppressed["run_paused"] > 0
    # and the leads really did all of it
    assert {"opt_out", "opt_in", "help", "reply", "email.unsubscribed", "email.received"} <= set(
        report.inbound
    ), report.inbound
    for rule in ("window", "opt_out", "reply", "budget"):
        assert report.checked[rule] > 100, rule

    by_state = Counter(c.state for c in history.contacts.values())
    assert by_state["FL"] and by_state["OK"] and by_state["WA"]
    channels = Counter(m.channel for m in history.messages if m.sent_at is not None)
    assert channels["sms"] and channels["email"] and channels["voice"]
    # texts came back after a START: an opt-in is honoured, not only opt-outs
    starts = {i.contact_id: i.at for i in history.inbound if i.intent == "opt_in"}
    after_start = [
        m
        for m in history.messages
        if m.channel == "sms" and m.sent_at and m.sent_at > starts.get(m.contact_id or "", 1e18)
    ]
    assert after_start


def test_the_leads_cover_every_state_dc_and_territories_with_valid_numbers() -> None:
    people = compliance_contacts(3000, seed=5, now=0.0)
    states = {p.state for p in people if p.state}
    assert set(US_STATE_TIME_ZONES) - {"AS", "MP"} <= states  # 50 states, DC, PR, VI, GU
    moved = toll_free = no_address = second_zone = 0
    for p in people:
        assert p.phone is not None
        number = phonenumbers.parse(p.phone)
        assert phonenumbers.is_valid_number(number), p.phone
        if not phonenumbers.is_number_geographical(number):
            toll_free += 1
        if p.state is None:
            no_address += 1
            continue
        if p.time_zone != US_STATE_TIME_ZONES[p.state]:
            second_zone += 1
        place = phonenumbers.geocoder.description_for_number(number, "en")
        if place and p.state == "TX" and "Texas" not in place:
            moved += 1
    assert len({p.phone for p in people}) == len(people)
    assert toll_free > 50 and no_address > 100 and second_zone > 50 and moved > 5
    again = compliance_contacts(3000, seed=5, now=0.0)
    assert [p.phone for p in again] == [p.phone for p in people]  # seeded


def test_four_texts_due_together_to_florida_leave_three_that_day(make_kit: object) -> None:
    """Found by the simulation: texts in one dispatch batch each count towards the cap."""
    noon = at(2024, 6, 12, 12, 0)
    kit: Kit = make_kit(start=noon)  # type: ignore[operator]
    for key in ("w1", "w2", "w3", "w4"):
        kit.publish(one_text(key))
    kit.add_contact("fl", time_zone="America/New_York", phone="+13055550100")
    for key in ("w1", "w2", "w3", "w4"):
        kit.enroll(key, "fl")
    kit.run_until(noon + 2 * DAY)
    times = sorted(m.sent_at or 0 for m in kit.messages(contact_id="fl") if m.sent_at)
    assert len(times) == 4
    assert times[:3] == [noon] * 3
    assert times[3] >= noon + DAY
