"""Booking pages: signed links, free slots, iCalendar (RFC 5545) invitations and feeds.

A link (``/book/{token}``) is a Fernet token (encrypted and authenticated, keys derived by HKDF
from ``LEADFLOW_BOOKING_SECRET``) naming the tenant, the agent and the lead (or, for an agent's
private calendar feed, the agent alone): nobody can make one, and reading one tells nothing.
Free slots are the agent's working hours (its profile: zone, hours, weekdays) cut in
``SLOT_S`` pieces over the next ``HORIZON_DAYS``, at least ``LEAD_TIME_S`` ahead, minus booked
appointments. Times are kept in UTC and shown in the lead's zone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cryptography.fernet import InvalidToken
from icalendar import Calendar, Event, vCalAddress

from leadflow.channels.sealed import Sealer, well_formed
from leadflow.definitions import models as m
from leadflow.engine.context import Go, Result, StepContext
from leadflow.engine.localtime import WEEKDAYS, hhmm, zone
from leadflow.model.playbooks import AgentProfile, Appointment
from leadflow.store.contract import Store

SLOT_S = 30 * 60
HORIZON_DAYS = 14
LEAD_TIME_S = 2 * 3600


class BadLink(Exception):
    """The link is malformed, altered or not made with this secret."""


@dataclass(frozen=True, slots=True)
class Link:
    tenant_id: str
    agent: str
    contact_id: str | None  # None: the agent's calendar feed


class BookingLinks:
    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the booking secret must be at least 16 characters long")
        self._sealer = Sealer(secret, salt=b"leadflow.booking", info=b"fernet-v1")

    def __repr__(self) -> str:
        return "BookingLinks(secret=***)"

    def issue(self, link: Link, now: float) -> str:
        return self._sealer.seal([link.tenant_id, link.agent, link.contact_id], now)

    def read(self, token: str) -> Link:
        if not well_formed(token):
            raise BadLink("malformed")
        try:
            tenant, agent, contact = json.loads(self._sealer.open(token))
        except (InvalidToken, ValueError, TypeError):
            raise BadLink("does not verify") from None
        if not (isinstance(tenant, str) and isinstance(agent, str)) or not (
            contact is None or isinstance(contact, str)
        ):
            raise BadLink("malformed payload")
        return Link(tenant, agent, contact)


def free_slots(
    profile: AgentProfile, booked: list[Appointment], now: float, days: int = HORIZON_DAYS
) -> list[float]:
    """Starts (UTC epoch) of the agent's free slots from ``now + LEAD_TIME_S`` on."""
    tz = zone(profile.time_zone)
    start_min, end_min = hhmm(profile.hours_start), hhmm(profile.hours_end)
    allowed = {WEEKDAYS.index(d) for d in profile.weekdays} if profile.weekdays else set(range(7))
    taken = {a.starts_at for a in booked if a.status == "booked"}
    earliest = now + LEAD_TIME_S
    out: list[float] = []
    day = datetime.fromtimestamp(now, tz).date()
    for _ in range(days + 1):
        if day.weekday() in allowed:
            minute = start_min
            while minute + SLOT_S // 60 <= end_min:
                local = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
                at = local.replace(tzinfo=tz).astimezone(UTC).timestamp()
                if at >= earliest and at not in taken:
                    out.append(at)
                minute += SLOT_S // 60
        day += timedelta(days=1)
    return out


def shown(at: float, zone_name: str | None) -> str:
    """``Mon 8 Jun, 09:30 CDT`` in the lead's zone."""
    here = datetime.fromtimestamp(at, ZoneInfo(zone_name) if zone_name else UTC)
    return here.strftime("%a %-d %b, %H:%M %Z")


def invitation(
    appointment: Appointment,
    *,
    summary: str,
    organizer: str | None,
    attendee: str | None,
    method: str = "REQUEST",
    now: float,
) -> str:
    """An RFC 5545 calendar with one event (UTC times), as text (the ``icalendar`` package)."""
    cal = Calendar()
    cal.add("prodid", "-//leadflow//booking//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add_component(_event(appointment, summary, organizer, attendee, now))
    return str(cal.to_ical().decode())


def _event(
    a: Appointment, summary: str, organizer: str | None, attendee: str | None, now: float
) -> Event:
    event = Event()
    event.add("uid", f"appointment-{a.tenant_id}-{a.id}@leadflow")
    event.add("dtstamp", datetime.fromtimestamp(now, UTC))
    event.add("dtstart", datetime.fromtimestamp(a.starts_at, UTC))
    event.add("dtend", datetime.fromtimestamp(a.ends_at, UTC))
    event.add("summary", summary)
    event.add("status", "CANCELLED" if a.status == "cancelled" else "CONFIRMED")
    event.add("sequence", 1 if a.status == "cancelled" else 0)
    if organizer:
        event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    if attendee:
        event.add("attendee", vCalAddress(f"mailto:{attendee}"))
    return event


def feed(appointments: list[Appointment], summary_of: dict[int, str], now: float) -> str:
    """An agent's calendar feed: every appointment, cancelled ones marked so."""
    cal = Calendar()
    cal.add("prodid", "-//leadflow//agent feed//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "leadflow appointments")
    for a in appointments:
        cal.add_component(_event(a, summary_of.get(a.id, "Appointment"), None, None, now))
    return str(cal.to_ical().decode())


class BookingLinkHandler:
    """Instant: ``context.booking_url`` = the owner's booking page for this contact."""

    def __init__(self, store: Store, links: BookingLinks | None, public_url: str | None) -> None:
        self.store = store
        self.links = links
        self.base = (public_url or "").rstrip("/")

    def enter(self, ctx: StepContext, node: m.BookingLink) -> Result:
        contact = ctx.contact
        url = node.fallback
        outcome = "fallback"
        if self.links is not None and contact is not None and contact.owner:
            agent = self.store.get_agent(contact.tenant_id, contact.owner)
            if agent is not None and agent.status == "Active":
                token = self.links.issue(
                    Link(contact.tenant_id, agent.member_key, contact.id), ctx.now
                )
                url, outcome = f"{self.base}/book/{token}", "link"
        ctx.context.setdefault("vars", {})["booking_url"] = url
        ctx.invalidate()
        ctx.remember(node.id, linked=outcome == "link")
        return Go(node.next, outcome=outcome)

    def resume(self, ctx: StepContext, node: m.BookingLink) -> Result:  # pragma: no cover
        return Go(node.next, outcome="resumed")
