"""A tenant's contacts and events as feature rows at a cutoff, labelled by what followed.

A row describes one contact as it looked at a cutoff time, using only events that happened at or
before it: how many visits, listing views, saves, replies, opens and clicks fell in the last 7,
30 and 90 days, how long ago the last of them was, how old the lead is, and a few fields the lead
gave (budget, timeline, pre-approval). Its label is 1 when the goal event (an appointment booked,
by default) happened within the horizon after the cutoff. Contacts that reached the goal at or
before the cutoff are left out: there is nothing left to predict for them.

The split is by time: the validation cutoff is the latest one whose horizon has fully passed;
every training cutoff lies at least one horizon before it, so no training label looks past the
validation cutoff.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from leadflow.model.records import Contact, ContactFilter, Scope
from leadflow.model.vocabulary import canonical_all
from leadflow.store.contract import CoreStore

FloatArray = npt.NDArray[np.float64]
DAY = 86400.0
RECENCY_CAP_DAYS = 365.0
DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {
    "visits": ("site.visited", "open_house.visited"),
    "views": ("listing.viewed",),
    "saves": ("listing.saved",),
    "replies": ("sms.received", "email.received", "voice.received"),
    "opens": ("email.opened",),
    "clicks": ("email.clicked", "link.clicked"),
}
_YES = {"yes", "true", "y"}
_NO = {"no", "false", "n"}


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Which event types count as which activity, over which windows, and which contact fields
    are used as they are."""

    groups: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_GROUPS))
    windows_days: tuple[int, ...] = (7, 30, 90)
    fields: tuple[str, ...] = ("budget", "timeline_months", "pre_approved")

    def names(self) -> list[str]:
        out = [f"{g}_{w}d" for g in self.groups for w in self.windows_days]
        out += ["days_since_activity", "age_days"]
        for name in self.fields:
            out += [name, f"{name}_known"]
        return out


@dataclass(slots=True)
class History:
    """Contacts by id and, per contact, its events as time-sorted (occurred_at, type) pairs."""

    contacts: dict[str, Contact]
    events: dict[str, list[tuple[float, str]]]


def load_history(store: CoreStore, tenant_id: str, page: int = 5000) -> History:
    """Every contact of the tenant and every event of those contacts, read page by page."""
    scope = Scope(tenant_id)
    contacts: dict[str, Contact] = {}
    after: str | None = None
    while True:
        batch = store.find_contacts(ContactFilter(scope=scope, after_id=after, limit=page))
        contacts.update((c.id, c) for c in batch)
        if len(batch) < page:
            break
        after = batch[-1].id
    events: dict[str, list[tuple[float, str]]] = {}
    after_id = 0
    while True:
        found = store.list_events(limit=page, scope=scope, after_id=after_id)
        for event in found:
            if event.contact_id is not None:
                events.setdefault(event.contact_id, []).append((event.occurred_at, event.type))
        if len(found) < page:
            break
        after_id = found[-1].id
    for items in events.values():
        items.sort()
    return History(contacts, events)


def _field_value(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        text = raw.strip().lower().replace(",", "").lstrip("$")
        if text in _YES:
            return 1.0
        if text in _NO:
            return 0.0
        try:
            return float(text)
        except ValueError:
            return None
    return None


def feature_row(
    spec: FeatureSpec, contact: Contact, events: list[tuple[float, str]], cutoff: float
) -> list[float]:
    """The contact at ``cutoff`` (events after it are not looked at)."""
    seen = events[: bisect.bisect_right(events, (cutoff, "\uffff"))]
    row: list[float] = []
    last_activity: float | None = None
    for types in spec.groups.values():
        wanted = canonical_all(types)  # a model trained before the vocabulary: its old names
        times = [t for t, kind in seen if kind in wanted]
        if times and (last_activity is None or times[-1] > last_activity):
            last_activity = times[-1]
        for window in spec.windows_days:
            start = cutoff - window * DAY
            row.append(float(sum(1 for t in times if t > start)))
    recency = RECENCY_CAP_DAYS if last_activity is None else (cutoff - last_activity) / DAY
    row.append(min(RECENCY_CAP_DAYS, recency))
    born = min([contact.created_at] + [t for t, _ in seen[:1]])
    row.append(max(0.0, (cutoff - born) / DAY))
    for name in spec.fields:
        value = _field_value(contact.fields.get(name))
        row += [0.0, 0.0] if value is None else [value, 1.0]
    return row


def reached(events: list[tuple[float, str]], goal: str, start: float, end: float) -> bool:
    """True when the goal event happened in (start, end]."""
    return any(kind == goal and start < t <= end for t, kind in events)


@dataclass(frozen=True, slots=True)
class Panel:
    """Feature rows with labels, the cutoff each row was taken at and its contact."""

    x: FloatArray
    y: FloatArray
    cutoffs: FloatArray
    contact_ids: list[str]


def build_panel(
    history: History, spec: FeatureSpec, cutoffs: Iterable[float], goal: str, horizon_days: int
) -> Panel:
    """One row per (cutoff, contact that existed and had not reached the goal by then), in
    cutoff order."""
    rows: list[list[float]] = []
    labels: list[float] = []
    at: list[float] = []
    ids: list[str] = []
    horizon = horizon_days * DAY
    for cutoff in sorted(cutoffs):
        for cid in sorted(history.contacts):
            contact = history.contacts[cid]
            events = history.events.get(cid, [])
            first = min([contact.created_at] + [t for t, _ in events[:1]])
            if first > cutoff or reached(events, goal, float("-inf"), cutoff):
                continue
            rows.append(feature_row(spec, contact, events, cutoff))
            labels.append(1.0 if reached(events, goal, cutoff, cutoff + horizon) else 0.0)
            at.append(cutoff)
            ids.append(cid)
    width = len(spec.names())
    x = np.array(rows, dtype=np.float64).reshape(len(rows), width)
    return Panel(x, np.array(labels, dtype=np.float64), np.array(at, dtype=np.float64), ids)


def split_cutoffs(
    now: float, horizon_days: int, step_days: int = 30, count: int = 6
) -> tuple[list[float], float]:
    """(training cutoffs, validation cutoff): validation at ``now - horizon``; training cutoffs
    every ``step_days`` going back from one more horizon before it."""
    validation = now - horizon_days * DAY
    latest_train = validation - horizon_days * DAY
    train = [latest_train - k * step_days * DAY for k in range(count)]
    return sorted(train), validation


__all__ = [
    "DEFAULT_GROUPS",
    "FeatureSpec",
    "History",
    "Panel",
    "build_panel",
    "feature_row",
    "load_history",
    "reached",
    "split_cutoffs",
]
