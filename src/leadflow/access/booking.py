"""Booking pages as a lead (and an agent's calendar) sees them; the link is the credential.

Booking records ``appointment.booked`` (``appointment.rescheduled`` when it replaces one of the
lead's appointments, which is cancelled) and cancelling ``appointment.cancelled``, all the lead's
events, so workflows reach their ``booked`` goals; an e-mail with the iCalendar invitation
(``payload.ics``) goes to the lead and one to the agent (an agent notice) through the outbox.
A slot already taken is a Conflict, also when two requests race (the store's unique slot)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadflow.engine.runless import message_now
from leadflow.errors import Conflict, InvalidInput, NotFound
from leadflow.model.playbooks import AgentProfile, Appointment, AppointmentFilter
from leadflow.model.records import Contact, Message, NewEvent
from leadflow.model.tenancy import Agent
from leadflow.playbooks.booking import (
    SLOT_S,
    BadLink,
    BookingLinks,
    Link,
    feed,
    free_slots,
    invitation,
    shown,
)
from leadflow.settings import Settings
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

if TYPE_CHECKING:
    from leadflow.runtime import Runtime


@dataclass(slots=True)
class Page:
    link: Link
    agent: Agent
    contact: Contact
    slots: list[float]
    appointments: list[Appointment]


def links_of(settings: Settings) -> BookingLinks:
    from leadflow.runtime import booking_links

    found = booking_links(settings)
    if found is None:
        raise NotFound("booking pages are not configured (LEADFLOW_BOOKING_SECRET)")
    return found


def _profile(store: Store, tenant: str, member: str) -> AgentProfile:
    for p in store.agent_profiles(tenant):
        if p.member_key == member:
            return p
    return AgentProfile(tenant, member)


def _resolve(rt: Runtime, token: str, *, feed_link: bool = False) -> tuple[Link, Agent]:
    try:
        link = links_of(rt.settings).read(token)
    except BadLink:
        raise NotFound("this booking link is not valid") from None
    agent = rt.store.get_agent(link.tenant_id, link.agent)
    if agent is None or agent.status != "Active" or (link.contact_id is None) != feed_link:
        raise NotFound("this booking link is not valid")
    return link, agent


def page(rt: Runtime, token: str, now: float) -> Page:
    link, agent = _resolve(rt, token)
    assert link.contact_id is not None
    contact = rt.store.get_contact(link.contact_id)
    if contact is None or contact.tenant_id != link.tenant_id:
        raise NotFound("this booking link is not valid")
    booked = rt.store.list_appointments(
        AppointmentFilter(link.tenant_id, agent=agent.member_key, since=now)
    )
    slots = free_slots(_profile(rt.store, link.tenant_id, agent.member_key), booked, now)
    mine = [a for a in booked if a.contact_id == contact.id]
    return Page(link, agent, contact, slots, mine)


def book(
    rt: Runtime, token: str, start: float, now: float, replaces: int | None = None
) -> Appointment:
    found = page(rt, token, now)
    if start not in found.slots:
        raise InvalidInput("start: that time is not a free slot of this agent")
    old = None
    if replaces is not None:
        old = next((a for a in found.appointments if a.id == replaces), None)
        if old is None:
            raise NotFound(f"no appointment {replaces} on this link")
    made = rt.store.book_appointment(
        Appointment(
            found.link.tenant_id,
            found.agent.member_key,
            found.contact.id,
            start,
            start + SLOT_S,
            created_at=now,
            replaces=replaces,
        )
    )
    if made is None:
        raise Conflict("that time was just booked by someone else; please pick another")
    kind = "appointment.booked"
    if old is not None:
        rt.store.cancel_appointment(old.tenant_id, old.id, now)
        kind = "appointment.rescheduled"
    _tell(rt, found, made, kind, now)
    return made


def cancel(rt: Runtime, token: str, appointment_id: int, now: float) -> Appointment:
    found = page(rt, token, now)
    target = next((a for a in found.appointments if a.id == appointment_id), None)
    if target is None or not rt.store.cancel_appointment(target.tenant_id, target.id, now):
        raise NotFound(f"no appointment {appointment_id} on this link")
    target.status, target.cancelled_at = "cancelled", now
    _tell(rt, found, target, "appointment.cancelled", now)
    return target


def agent_feed(rt: Runtime, token: str, now: float) -> str:
    link, agent = _resolve(rt, token, feed_link=True)
    since = now - 30 * 86400
    items = rt.store.list_appointments(
        AppointmentFilter(link.tenant_id, agent=agent.member_key, since=since, status=None)
    )
    contacts = rt.store.get_contacts({a.contact_id for a in items})
    names = {}
    for a in items:
        c = contacts.get(a.contact_id)
        who = " ".join(x for x in ((c.first_name, c.last_name) if c else ()) if x)
        names[a.id] = f"Appointment with {who or a.contact_id}"
    return feed(items, names, now)


def issue_links(
    rt: Runtime, principal: Principal, member_key: str, contact_id: str | None, now: float
) -> dict[str, str]:
    """The booking link of an agent for a lead and the agent's private feed link (paths)."""
    from leadflow.access.agent_profiles import get_profile
    from leadflow.access.scope import scope_of, visible_contact

    get_profile(rt.store, principal, member_key)  # NotFound outside the key's reach
    tokens = links_of(rt.settings)
    tenant = principal.tenant_id
    out = {"feed": f"/book/feed/{tokens.issue(Link(tenant, member_key, None), now)}.ics"}
    if contact_id is not None:
        visible_contact(rt.store, scope_of(rt.store, principal), contact_id)
        out["book"] = f"/book/{tokens.issue(Link(tenant, member_key, contact_id), now)}"
    return out


def _notice(
    contact_id: str, to: str, key: str, subject: str, body: str, payload: dict[str, Any], now: float
) -> Message:
    """One e-mail about an appointment, sent now (``payload``: its invitation, never marketing)."""
    return message_now(
        contact_id, "email", to, key, now, subject=subject, body=body, payload=payload
    )


def _tell(rt: Runtime, found: Page, a: Appointment, kind: str, now: float) -> None:
    contact, agent = found.contact, found.agent
    agent_name = " ".join(x for x in (agent.first_name, agent.last_name) if x) or agent.member_key
    data = {
        "appointment_id": a.id,
        "agent": agent.member_key,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "replaces": a.replaces,
    }
    key = f"{kind}:{a.tenant_id}:{a.id}"
    rt.store.append_events([NewEvent(kind, contact.id, data, key, now)], now)
    method = "CANCEL" if kind == "appointment.cancelled" else "REQUEST"
    summary = f"Meeting with {agent_name}"
    ics = invitation(
        a, summary=summary, organizer=agent.email, attendee=contact.email, method=method, now=now
    )
    when = shown(a.starts_at, contact.time_zone)
    verb = {
        "appointment.booked": "booked",
        "appointment.rescheduled": "moved to",
        "appointment.cancelled": "cancelled",
    }[kind]
    invite = {"marketing": False, "ics": ics, "ics_method": method}
    who = contact.first_name or contact.id
    messages = []
    if contact.email:
        subject = f"{summary}: {verb} {when}"
        body = f"Your meeting with {agent_name} is {verb} {when}. The invitation is attached."
        messages.append(
            _notice(contact.id, contact.email, f"{key}:lead", subject, body, invite, now)
        )
    if agent.email:
        subject, body = f"Appointment {verb}: {who}", f"{who} {verb} a meeting {when}."
        extra = {"agent_notice": agent.member_key, "urgent_ok": True}
        messages.append(
            _notice(contact.id, agent.email, f"{key}:agent", subject, body, invite | extra, now)
        )
    if messages:
        rt.store.queue_messages(messages, now)


__all__ = ["agent_feed", "book", "cancel", "issue_links", "page"]
