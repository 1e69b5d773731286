"""Booking pages as a lead uses them, on a real SQLite file with a virtual clock: a signed link
from the API, plain HTML forms, booking / rescheduling / cancelling recorded as the lead's events
with iCalendar invitations in the outbox that parse with ``icalendar`` and carry the right UTC
times across the March DST change, one appointment per slot under concurrent requests, and the
agent's private feed. Another tenant's key gets nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from leadflow.access import booking
from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.errors import Conflict, InvalidInput
from leadflow.model.playbooks import AppointmentFilter
from leadflow.model.records import Contact, MessageFilter
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, member_key
from support.stores import upgraded_db

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 2, 12, 0, tzinfo=NY).timestamp()  # Monday; DST begins Sunday 8 March


def at(month: int, day: int, hour: int) -> float:
    return datetime(2026, month, day, hour, 0, tzinfo=NY).timestamp()


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    url = upgraded_db(tmp_path / "book.db")
    member_key(url, "agent", "ann")  # acme, team north, agent ann
    runtime = build_runtime(
        Settings(db=url, booking_secret="booking-secret-for-tests-0123456789"),
        clock=VirtualClock(START),
    )
    store = runtime.store
    ann = store.get_agent("acme", "ann")
    assert ann is not None
    ann.last_name, ann.email = "Lee", "ann@acme.test"
    store.upsert_agents([ann], START)
    leads = [
        Contact(
            f"lead-{i}",
            first_name=f"Lead{i}",
            email=f"l{i}@example.com",
            time_zone="America/Chicago",
            owner="ann",
            tenant_id="acme",
        )
        for i in range(1, 4)
    ]
    store.upsert_contacts(leads, START)
    yield runtime
    runtime.close()


def test_book_reschedule_cancel_and_the_feed(rt: Runtime, tmp_path: Path) -> None:
    url = rt.settings.db
    app = create_app(runtime=rt)
    acme = {"Authorization": f"Bearer {admin_key(url)}"}
    beta = {"Authorization": f"Bearer {admin_key(url, 'beta')}"}
    with ApiClient(app, headers=acme) as admin, ApiClient(app, headers=beta) as other:
        links = admin.get("/api/v1/agents/ann/booking-links", params={"contact_id": "lead-1"})
        assert links.status_code == 200, links.text
        book, feed = links.json()["book"], links.json()["feed"]
        assert other.get("/api/v1/agents/ann/booking-links").status_code == 404
        page = admin.get(book)
        assert page.status_code == 200 and "<script" not in page.text
        assert "Book a time with Ann Lee" in page.text and "America/Chicago" in page.text
        assert 'name="start"' in page.text and "Monday 9 March" in page.text
        after_dst = at(3, 9, 9)  # 09:00 EDT = 13:00 UTC, 08:00 in Chicago
        done = admin.post(book, data={"start": str(int(after_dst))})
        assert done.status_code == 200 and "Booked: Mon 9 Mar, 08:00 CDT" in done.text
        assert "Cancel" in done.text and "Reschedule" in done.text
        again = admin.post(book, data={"start": str(int(after_dst))})
        assert again.status_code == 422 and "not a free slot" in again.text
        assert admin.post(book, data={"start": "tomorrow"}).status_code == 422
        # reschedule to before the DST change: Friday 6 March 09:00 EST = 14:00 UTC
        [first] = rt.store.list_appointments(AppointmentFilter("acme", contact_id="lead-1"))
        moved = admin.post(book, data={"start": str(int(at(3, 6, 9))), "replaces": str(first.id)})
        assert moved.status_code == 200 and "Fri 6 Mar, 08:00 CST" in moved.text
        [second] = rt.store.list_appointments(AppointmentFilter("acme", contact_id="lead-1"))
        cancel = re.search(r'action="([^"]+/cancel)"', moved.text)
        assert cancel is not None
        gone = admin.post(cancel.group(1), data={"appointment": str(second.id)})
        assert gone.status_code == 200 and "Cancelled: Fri 6 Mar" in gone.text
        assert rt.store.list_appointments(AppointmentFilter("acme", contact_id="lead-1")) == []
        # the agent's feed, and links that are not ours
        ics = admin.get(feed)
        assert ics.headers["content-type"].startswith("text/calendar")
        events = [c for c in Calendar.from_ical(ics.text).walk("VEVENT")]
        assert sorted(str(e["STATUS"]) for e in events) == ["CANCELLED", "CANCELLED"]
        assert admin.get(feed.removesuffix(".ics")).status_code == 404  # a feed is no page
        assert admin.get(book[:-3] + "xyz").status_code == 404
        assert admin.get(f"/book/feed/{book.rsplit('/', 1)[1]}.ics").status_code == 404

    kinds = [e.type for e in rt.store.list_events("lead-1", 100, 0) if e.type.startswith("app")]
    assert kinds == ["appointment.booked", "appointment.rescheduled", "appointment.cancelled"]
    mails = rt.store.list_messages(MessageFilter(contact_id="lead-1", channel="email"))
    assert sorted(m.to or "" for m in mails) == ["ann@acme.test"] * 3 + ["l1@example.com"] * 3
    starts = {}
    for m in mails:
        cal = Calendar.from_ical(m.payload["ics"])
        [event] = cal.walk("VEVENT")
        starts[(str(cal["METHOD"]), m.to)] = event.decoded("DTSTART")
    assert starts[("REQUEST", "l1@example.com")] in {
        datetime(2026, 3, 9, 13, 0, tzinfo=UTC),
        datetime(2026, 3, 6, 14, 0, tzinfo=UTC),
    }
    booked = [m for m in mails if m.subject and "booked" in m.subject and m.to == "l1@example.com"]
    [event] = Calendar.from_ical(booked[0].payload["ics"]).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # after DST
    assert event.decoded("DTEND") == datetime(2026, 3, 9, 13, 30, tzinfo=UTC)
    assert starts[("CANCEL", "l1@example.com")] == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)


def test_two_leads_racing_for_one_slot_get_one_appointment_and_one_refusal(rt: Runtime) -> None:
    now = rt.clock.now()
    tokens = [booking.issue_links(rt, _admin(), "ann", f"lead-{i}", now)["book"] for i in (2, 3)]
    slot = at(3, 10, 11)

    def attempt(path: str) -> str:
        try:
            booking.book(rt, path.rsplit("/", 1)[1], slot, now)
        except (Conflict, InvalidInput) as exc:
            return f"refused: {exc.message}"
        return "booked"

    for _ in range(5):  # several rounds: the race is real each time
        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = sorted(pool.map(attempt, tokens))
        assert outcomes[0] == "booked" and outcomes[1].startswith("refused: "), outcomes
        [made] = rt.store.list_appointments(AppointmentFilter("acme", agent="ann", since=slot))
        rt.store.cancel_appointment("acme", made.id, now)


def _admin():  # type: ignore[no-untyped-def]
    from leadflow.access.scope import operator

    return operator("acme")
