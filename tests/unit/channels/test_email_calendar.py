"""An e-mail carrying an iCalendar invitation (``payload.ics``, from a booking): the MIME message
offers it as a text/calendar alternative with its METHOD and as invite.ics, and the SendGrid
body attaches it; the calendar parses with ``icalendar``."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from icalendar import Calendar

from leadflow.channels.email_render import EmailIdentity, render_email
from leadflow.channels.sendgrid import mail_send_body
from leadflow.model.playbooks import Appointment
from leadflow.playbooks.booking import invitation
from support.email_messages import email_message

NOW = 1_773_000_000.0
START = datetime(2026, 3, 9, 13, 0, tzinfo=UTC).timestamp()


def test_the_invitation_travels_as_calendar_part_and_attachment() -> None:
    appt = Appointment("acme", "ann", "lead-1", START, START + 1800, id=4)
    ics = invitation(
        appt,
        summary="Meeting with Ann",
        organizer="ann@acme.test",
        attendee="l1@example.com",
        now=NOW,
    )
    msg = email_message(
        subject="Meeting",
        body="See you",
        payload={"marketing": False, "ics": ics, "ics_method": "REQUEST"},
    )
    email = render_email(msg, EmailIdentity(from_addr="Acme <a@acme.example>"), NOW)
    mime = email.mime()
    types = [p.get_content_type() for p in mime.walk()]
    assert types.count("text/calendar") == 2 and "text/plain" in types
    inline = next(p for p in mime.walk() if p.get_content_type() == "text/calendar")
    assert inline.get_param("method") == "REQUEST"
    assert any(p.get_filename() == "invite.ics" for p in mime.walk())
    [event] = Calendar.from_ical(inline.get_content()).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert str(event["ORGANIZER"]) == "mailto:ann@acme.test"
    body = mail_send_body(email, msg)
    [attached] = body["attachments"]
    assert attached["filename"] == "invite.ics"
    assert attached["type"] == "text/calendar; method=REQUEST"
    assert Calendar.from_ical(base64.b64decode(attached["content"])).walk("VEVENT")


def test_a_plain_email_has_no_calendar() -> None:
    msg = email_message(subject="Hi", body="Hello", payload={"marketing": False})
    email = render_email(msg, EmailIdentity(from_addr="Acme <a@acme.example>"), NOW)
    assert email.calendar is None
    assert "attachments" not in mail_send_body(email, msg)
