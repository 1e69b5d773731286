"""The stricter rules that follow a recipient: every zone they may be in (address and number),
Florida / Oklahoma / Washington's 8:00-20:00, and Florida / Oklahoma's 3 texts or calls a day."""

from __future__ import annotations

from support.engine_kit import DAY, HOUR, LA, NY, Kit, at, local

ONE_TEXT = """
key: one
name: One
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hi {{ contact.first_name }}"}
"""
FOUR_TEXTS = """
key: four
name: Four
settings: {pause_on_reply: false}
start: t1
nodes:
  - {id: t1, kind: send_sms, body: "One", next: w1}
  - {id: w1, kind: wait, duration: 1h, next: t2}
  - {id: t2, kind: send_sms, body: "Two", next: w2}
  - {id: w2, kind: wait, duration: 1h, next: t3}
  - {id: t3, kind: send_sms, body: "Three", next: w3}
  - {id: w3, kind: wait, duration: 1h, next: t4}
  - {id: t4, kind: send_sms, body: "Four"}
"""


def _sent_at(kit: Kit, cid: str) -> list[float]:
    return [m.sent_at or 0 for m in kit.messages(contact_id=cid) if m.status == "delivered"]


def test_a_lead_who_moved_is_texted_only_when_it_is_day_in_both_places(make_kit: object) -> None:
    nine_ny = at(2024, 6, 13, 9, 0)  # 06:00 in Los Angeles
    kit: Kit = make_kit(start=nine_ny)  # type: ignore[operator]
    kit.publish(ONE_TEXT)
    kit.add_contact("moved", time_zone="America/New_York", phone="+14155550100")  # a CA number
    kit.add_contact("local", time_zone="America/New_York", phone="+12125550100")
    kit.enroll("one", "moved", "local")
    kit.run_until(nine_ny + 6 * HOUR)
    assert local(_sent_at(kit, "local")[0], NY).hour == 9
    moved = _sent_at(kit, "moved")[0]
    assert (local(moved, NY).hour, local(moved, LA).hour) == (11, 8)


def test_florida_and_washington_numbers_stop_at_eight_pm(make_kit: object) -> None:
    evening = at(2024, 6, 12, 20, 30)  # New York time, also the Florida number's zone
    kit: Kit = make_kit(start=evening)  # type: ignore[operator]
    kit.publish(ONE_TEXT)
    kit.add_contact("fl", time_zone="America/New_York", phone="+13055550100")
    kit.add_contact("ny", time_zone="America/New_York", phone="+12125550100")
    kit.add_contact("wa_state", time_zone="America/New_York", state="WA", phone="+12125550101")
    kit.enroll("one", "fl", "ny", "wa_state")
    kit.run_until(evening + DAY)
    assert _sent_at(kit, "ny") == [evening]
    for cid in ("fl", "wa_state"):
        sent = local(_sent_at(kit, cid)[0], NY)
        assert (sent.day, sent.hour, sent.minute) == (13, 8, 0), cid


def test_florida_gets_three_texts_a_day_at_most(make_kit: object) -> None:
    noon = at(2024, 6, 12, 12, 0)
    kit: Kit = make_kit(start=noon)  # type: ignore[operator]
    kit.publish(FOUR_TEXTS)
    kit.add_contact("fl", time_zone="America/New_York", phone="+13055550100")
    kit.add_contact("tx", time_zone="America/Chicago", phone="+15125550100")
    kit.enroll("four", "fl", "tx")
    kit.run_until(noon + 2 * DAY)
    tx = _sent_at(kit, "tx")
    assert len(tx) == 4 and tx[-1] - tx[0] == 3 * HOUR  # no cap in Texas
    fl = _sent_at(kit, "fl")
    assert len(fl) == 4
    assert fl[:3] == [noon, noon + HOUR, noon + 2 * HOUR]
    assert fl[3] >= fl[0] + DAY  # the fourth waited until the first left the 24 hours
    assert all(
        sum(1 for t in fl if start <= t < start + DAY) <= 3 for start in fl
    )  # never four in any 24 hours


OFFICE_HOURS_TEXT = """
key: office
name: Office hours
settings: {send_window: {start: "09:00", end: "17:00"}}
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hi {{ contact.first_name }}", next: b}
  - {id: b, kind: send_email, subject: Listings, body: "New listings"}
"""


def test_a_text_no_window_can_hold_is_suppressed_and_the_run_goes_on(make_kit: object) -> None:
    """A Guam number and a New York address: day in Guam is night in New York, so no moment is
    inside both and the workflow's office hours. The text is suppressed as no_window (it can
    never leave) instead of failing the run; the e-mail after it goes out in office hours."""
    nine_ny = at(2024, 6, 13, 9, 0)
    kit: Kit = make_kit(start=nine_ny)  # type: ignore[operator]
    kit.publish(OFFICE_HOURS_TEXT)
    kit.add_contact("guam", time_zone="America/New_York", phone="+16716460100")
    (rid,) = kit.enroll("office", "guam")
    kit.run_until(nine_ny + 2 * DAY)
    text, mail = sorted(kit.messages(contact_id="guam"), key=lambda m: m.channel != "sms")
    assert (text.channel, text.status, text.suppressed_reason) == ("sms", "suppressed", "no_window")
    assert (mail.channel, mail.status) == ("email", "delivered")
    run = kit.store.get_run(rid)
    assert run is not None and run.status == "completed"
