"""Speed to lead, per contact owner: what the agent-performance report counts from the leads
of some agents, the rules written once in Python (:func:`count_leads`, over the store's plain
reads: the memory backend's answer, and the reference the SQL backends are held equal to).

A lead is a contact of the tenant owned by one of the agents; its time ``t0`` is its first
``lead.created`` event (of those at or after the epoch, as
:meth:`~leadflow.store.contract_experiments.ExperimentsStore.contact_events` reads them), or
else the contact's ``created_at``. A lead counts when ``t0`` is in the selection's range; then
its minutes to the first automated touch (the first message ``sent_at`` at or after ``t0``), to
the first human touch (the first touch event at or after ``t0``), and its appointment events in
the range."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from leadflow.model.records import Contact, ContactFilter, Event, Message, Scope

_PAGE = 1000


@dataclass(frozen=True, slots=True)
class LeadSelection:
    """The leads of ``owners`` (agents' member keys) in tenant ``tenant_id`` whose time is in
    [``since``, ``until``); ``contact_ids``: only these contacts (filters a backend cannot say
    in SQL), None: all of them."""

    tenant_id: str
    owners: frozenset[str]
    since: float | None = None
    until: float | None = None
    contact_ids: frozenset[str] | None = None

    def in_range(self, at: float) -> bool:
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)


@dataclass(frozen=True, slots=True)
class LeadEvents:
    """The event types: the lead's creation, the human touches, an appointment."""

    created: str
    touches: tuple[str, ...]
    appointment: str


@dataclass(slots=True)
class LeadCounts:
    """Per owner: its leads, how many leads took how many minutes to the first automated and
    to the first human touch (a lead without one is in neither), its appointments."""

    leads: dict[str, int] = field(default_factory=dict)
    to_auto: dict[str, dict[float, int]] = field(default_factory=dict)
    to_human: dict[str, dict[float, int]] = field(default_factory=dict)
    appointments: dict[str, int] = field(default_factory=dict)

    def add(self, other: LeadCounts) -> None:
        """Add the counts of a disjoint set of leads."""
        for mine, theirs in ((self.leads, other.leads), (self.appointments, other.appointments)):
            for owner, n in theirs.items():
                mine[owner] = mine.get(owner, 0) + n
        for mine_h, theirs_h in ((self.to_auto, other.to_auto), (self.to_human, other.to_human)):
            for owner, hist in theirs_h.items():
                into = mine_h.setdefault(owner, {})
                for minutes, n in hist.items():
                    into[minutes] = into.get(minutes, 0) + n


class _Reads(Protocol):
    def find_contacts(self, flt: ContactFilter) -> list[Contact]: ...

    def contact_events(
        self, contact_ids: Iterable[str], types: Iterable[str], since: float = 0.0
    ) -> list[Event]: ...

    def messages_of_contacts(self, contact_ids: Iterable[str]) -> list[Message]: ...


def _first_after(times: Iterable[float], t0: float) -> float | None:
    later = [t for t in times if t >= t0]
    return min(later) if later else None


def _bump(hist: dict[str, dict[float, int]], owner: str, minutes: float) -> None:
    counts = hist.setdefault(owner, {})
    counts[minutes] = counts.get(minutes, 0) + 1


def count_leads(store: _Reads, sel: LeadSelection, kinds: LeadEvents) -> LeadCounts:
    """:class:`LeadCounts` from the contacts, their events and messages, read whole."""
    out = LeadCounts()
    if not sel.owners:
        return out
    contacts: list[Contact] = []
    after: str | None = None
    scope = Scope(sel.tenant_id, sel.owners)
    while True:
        page = store.find_contacts(ContactFilter(scope=scope, after_id=after, limit=_PAGE))
        contacts += page
        if len(page) < _PAGE:
            break
        after = page[-1].id
    if sel.contact_ids is not None:
        contacts = [c for c in contacts if c.id in sel.contact_ids]
    ids = {c.id for c in contacts}
    events: dict[tuple[str, str], list[float]] = {}
    types = (kinds.created, kinds.appointment, *kinds.touches)
    for e in store.contact_events(ids, types, 0.0):
        if e.contact_id:
            events.setdefault((e.contact_id, e.type), []).append(e.occurred_at)
    sent: dict[str, list[float]] = {}
    for m in store.messages_of_contacts(ids):
        if m.contact_id and m.sent_at is not None:
            sent.setdefault(m.contact_id, []).append(m.sent_at)
    for c in contacts:
        owner = c.owner
        if owner is None or owner not in sel.owners:
            continue
        created = events.get((c.id, kinds.created))
        t0 = min(created) if created else c.created_at
        if not sel.in_range(t0):
            continue
        out.leads[owner] = out.leads.get(owner, 0) + 1
        auto = _first_after(sent.get(c.id, ()), t0)
        if auto is not None:
            _bump(out.to_auto, owner, (auto - t0) / 60)
        human = _first_after((t for k in kinds.touches for t in events.get((c.id, k), ())), t0)
        if human is not None:
            _bump(out.to_human, owner, (human - t0) / 60)
        booked = sum(1 for t in events.get((c.id, kinds.appointment), ()) if sel.in_range(t))
        if booked:
            out.appointments[owner] = out.appointments.get(owner, 0) + booked
    return out


def expand(hist: dict[float, int] | None) -> list[float]:
    """The values of a histogram, each as often as it was counted, ascending."""
    return [v for v, n in sorted((hist or {}).items()) for _ in range(n)]


__all__ = ["LeadCounts", "LeadEvents", "LeadSelection", "count_leads", "expand"]
