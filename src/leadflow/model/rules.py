"""Semantics shared by every backend, written once: re-entry, contact patches, status order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from leadflow.errors import InvalidInput, StoreError
from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.records import (
    CONTACT_SCALARS,
    MESSAGE_STATUSES,
    Advance,
    Contact,
    ContactFilter,
    ContactPatch,
    EnrollRequest,
    HeldLease,
    Message,
    MessageStatus,
    NewEvent,
    RunStatus,
    WorkflowVersion,
)

DAY_S = 86400.0
REENTRY_POLICIES = ("never", "after", "always")
# A parallel node's branch runs: runs of the parent's own workflow and contact, never blocked
# by re-entry (the parent's run is open) nor counted against a rate cap; not a workflow setting.
BRANCH_POLICY = "branch"
OPEN_STATUSES = (
    RunStatus.ACTIVE,
    RunStatus.WAITING,
    RunStatus.PAUSED,
)  # live or paused: blocks re-entry
# Replies from the lead: they pause runs with pause_on_reply and set the contact's last reply.
REPLY_EVENT_TYPES = (
    "sms.received",
    "email.received",
    "voice.received",
    "whatsapp.received",
    "messenger.received",
)
# Consent changes reported by a provider (a carrier opt-out, an unsubscribe, a spam complaint).
CONSENT_EVENT_TYPES = ("sms.opted_out", "email.unsubscribed", "email.spam_reported")
# An unprocessed event of one of these types holds back the contact's outbox: a reply (stop on
# reply) or a consent change must take effect before the next send.
HOLD_EVENT_TYPES = REPLY_EVENT_TYPES + CONSENT_EVENT_TYPES


# ---------------------------------------------------------------------------- re-entry
@dataclass(slots=True)
class RunStats:
    """What re-entry needs to know about a contact's runs of one workflow key."""

    total: int = 0
    open: int = 0  # live or paused
    last_created: float | None = None
    recent: int = 0  # created after rate_window_start(now)

    def add_pruned(self, runs: int, last_created: float) -> None:
        """Count ``runs`` pruned runs (an enrollment mark) as runs that exist: they block
        ``never``, and ``after`` counts from the latest of them; pruned runs are finished."""
        self.total += runs
        if self.last_created is None or last_created > self.last_created:
            self.last_created = last_created


def add_marks(
    stats: dict[tuple[str, str], RunStats], marks: Iterable[Sequence[Any]]
) -> dict[tuple[str, str], RunStats]:
    """Fold enrollment marks, rows of (contact_id, workflow_key, runs, last_created_at), into
    ``stats`` (per (contact_id, workflow_key)); returns ``stats``."""
    for contact_id, key, runs, last_created in marks:
        stats.setdefault((contact_id, key), RunStats()).add_pruned(int(runs), float(last_created))
    return stats


def check_reentry(policy: str, days: int | None) -> None:
    if policy not in REENTRY_POLICIES and policy != BRANCH_POLICY:
        raise InvalidInput(f"re-entry policy must be one of {REENTRY_POLICIES}, not {policy!r}")
    if days is not None and days < 0:
        raise InvalidInput(f"re-entry days must not be negative, not {days}")


def reentry_window_start(days: int | None, now: float) -> float:
    """Runs created after this moment block re-entry under ``after`` (no window: now)."""
    return now - (days or 0) * DAY_S


RATE_WINDOW_S = 3600.0  # EnrollRequest.max_per_hour counts the runs created in this window


def rate_window_start(now: float) -> float:
    """Runs created after this moment count against ``EnrollRequest.max_per_hour``."""
    return now - RATE_WINDOW_S


def reentry_blocks(policy: str, days: int | None, stats: RunStats | None, now: float) -> bool:
    if stats is None or stats.total == 0 or policy == BRANCH_POLICY:
        return False
    if policy == "never" or stats.open:
        return True
    if policy == "after":
        last = stats.last_created
        return last is not None and last > reentry_window_start(days, now)
    return False


def plan_enrollments(
    requests: Sequence[EnrollRequest],
    now: float,
    contact_exists: Callable[[str], bool],
    stats_of: Callable[[str, str], RunStats | None],
) -> tuple[list[EnrollRequest], int]:
    """The requests that create a run (in order) and the number skipped. A request accepted
    here counts against later requests of the same call (a new run is live)."""
    for req in requests:
        check_reentry(req.reentry, req.reentry_days)
    overlay: dict[tuple[str, str], RunStats] = {}
    accepted: list[EnrollRequest] = []
    skipped = 0
    for req in requests:
        cid = req.contact_id
        if not contact_exists(cid):
            skipped += 1
            continue
        pair = (cid, req.workflow_key)
        stats = overlay.get(pair)
        if stats is None:
            stats = stats_of(cid, req.workflow_key) or RunStats()
            overlay[pair] = stats
        if reentry_blocks(req.reentry, req.reentry_days, stats, now) or (
            req.max_per_hour is not None and stats.recent >= req.max_per_hour
        ):
            skipped += 1
            continue
        accepted.append(req)
        stats.total += 1
        stats.open += 1
        if req.reentry != BRANCH_POLICY:  # a branch run is no enrolment: no rate cap counts it
            stats.recent += 1
        stats.last_created = now
    return accepted, skipped


# ---------------------------------------------------------------------------- event units
@dataclass(slots=True)
class EventPlan:
    """Which advances of a ``complete_events`` batch are applied."""

    accepted: list[Advance]  # in the order they are applied (seq-consistent)
    rejected: list[Advance]  # in the order given: lost a seq race, or withdrawn with their event
    retry_events: set[int]  # events with a rejected advance: nothing of them is applied


def plan_event_advances(
    advances: Sequence[Advance], seq_of: Callable[[int], int | None]
) -> EventPlan:
    """Treat the advances of one event as one unit: all applied or none.

    Units are the advances sharing an ``event_id`` (in the order given), and each advance without
    one on its own; they are tried in the order of their first advance, each against the seqs left
    by the units accepted before it (``seq_of`` gives a run's stored seq, None if unknown). A unit
    is accepted only if every one of its advances passes the seq guard; a rejected unit changes
    no seq, so a later advance that builds on it (seq + 1) is rejected too, and so is its event.
    """
    units: list[list[int]] = []
    by_event: dict[int, list[int]] = {}
    for i, a in enumerate(advances):
        if a.event_id is None:
            units.append([i])
            continue
        unit = by_event.get(a.event_id)
        if unit is None:
            unit = by_event[a.event_id] = []
            units.append(unit)
        unit.append(i)
    seqs: dict[int, int | None] = {}
    accepted: list[Advance] = []
    rejected: set[int] = set()
    retry: set[int] = set()
    for unit in units:
        trial: dict[int, int] = {}
        ok = True
        for i in unit:
            a = advances[i]
            rid = a.run_id
            if rid in trial:
                current: int | None = trial[rid]
            elif rid in seqs:
                current = seqs[rid]
            else:
                current = seqs[rid] = seq_of(rid)
            if current != a.seq:
                ok = False
                break
            trial[rid] = a.seq + 1
        if ok:
            seqs.update(trial)
            accepted += [advances[i] for i in unit]
            continue
        rejected.update(unit)
        event_id = advances[unit[0]].event_id
        if event_id is not None:
            retry.add(event_id)
    return EventPlan(accepted, [a for i, a in enumerate(advances) if i in rejected], retry)


# ---------------------------------------------------------------------------- contact patches
def apply_patch(contact: Contact, patch: ContactPatch, now: float) -> None:
    """Apply ``patch`` to ``contact`` in place: known attributes are set (as text), any other
    key goes to ``fields``; tags are removed then added (no duplicates); consent is merged."""
    for key, value in patch.set.items():
        if key in CONTACT_SCALARS:
            setattr(contact, key, None if value is None else str(value))
        else:
            contact.fields[key] = value
    if patch.remove_tags or patch.add_tags:
        removed = set(patch.remove_tags)
        tags = [t for t in contact.tags if t not in removed]
        for tag in patch.add_tags:
            if tag not in tags:
                tags.append(tag)
        contact.tags = tags
    if patch.consent:
        contact.consent.update(patch.consent)
    contact.updated_at = now


def apply_patches(
    contacts: dict[str, Contact], patches: Sequence[ContactPatch], now: float
) -> list[Contact]:
    """Apply each patch to its contact in ``contacts`` (patches of unknown contacts are
    dropped): the contacts touched, once each."""
    touched: dict[str, Contact] = {}
    for patch in patches:
        contact = contacts.get(patch.contact_id)
        if contact is not None:
            apply_patch(contact, patch, now)
            touched[contact.id] = contact
    return list(touched.values())


# ---------------------------------------------------------------------------- message status
_RANK: dict[str, int] = {
    MessageStatus.PENDING: 0,
    MessageStatus.DEFERRED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
}
_TERMINAL = (MessageStatus.FAILED, MessageStatus.SUPPRESSED)


def check_message_status(status: str) -> None:
    if status not in MESSAGE_STATUSES:
        raise StoreError(f"unknown message status {status!r}")


def check_runless(messages: Sequence[Message]) -> None:
    """Messages queued on their own belong to no run (a run's messages come with its advance)."""
    for m in messages:
        if m.run_id is not None:
            raise InvalidInput(
                f"messages.run_id must be empty for a message queued on its own "
                f"(idempotency_key {m.idempotency_key!r} has run {m.run_id})"
            )


def merge_status(current: str, new: str | None) -> str:
    """The status after learning ``new``: pending < deferred < sending < sent < delivered; a
    status never moves backwards; failed/suppressed are terminal and replace anything but
    delivered."""
    if new is None or new == current or current in _TERMINAL:
        return current
    if new in _TERMINAL:
        return current if current == MessageStatus.DELIVERED else new
    rank = _RANK.get(new)
    if rank is None:
        raise StoreError(f"unknown message status {new!r}")
    return new if rank > _RANK.get(current, -1) else current


__all__ = [
    "CONSENT_EVENT_TYPES",
    "HOLD_EVENT_TYPES",
    "REPLY_EVENT_TYPES",
    "EventPlan",
    "RunStats",
    "add_marks",
    "apply_patch",
    "check_runless",
    "merge_status",
    "plan_enrollments",
    "plan_event_advances",
    "reentry_blocks",
]


# ---------------------------------------------------------------------------- leases
LEASE_QUEUES = ("events", "messages", "runs")


def meta_number(value: str | None) -> float | None:
    """A meta value read as a number (None when missing or not a number)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def events_not_about(events: Sequence[NewEvent], message_ids: Sequence[int]) -> list[NewEvent]:
    """The events whose ``data["message_id"]`` is none of ``message_ids`` (events about a
    message whose verdict was refused are refused with it)."""
    if not message_ids:
        return list(events)
    refused = set(message_ids)
    return [e for e in events if (e.data or {}).get("message_id") not in refused]


def summarize_leases(found: Sequence[tuple[str, str, float]]) -> list[HeldLease]:
    """(owner, queue, lease_until) per held entry -> one :class:`HeldLease` per (owner, queue),
    ordered by owner, then queue."""
    groups: dict[tuple[str, str], list[float]] = {}
    for owner, queue, until in found:
        groups.setdefault((owner, queue), []).append(until)
    return [
        HeldLease(owner, queue, len(times), min(times), max(times))
        for (owner, queue), times in sorted(groups.items())
    ]


def publishable(
    latest: WorkflowVersion | None, definition: dict[str, Any]
) -> WorkflowVersion | None:
    """Publishing ``definition`` over ``latest`` (the latest version of the same tenant's key):
    that version to return as is when it already holds this definition (no new version), else
    None (publish a new one)."""
    if latest is None:
        return None
    return latest if latest.definition == loads(dumps(definition)) else None


def matches_contact(c: Contact, flt: ContactFilter) -> bool:
    """Whether ``c`` passes ``flt`` (all but paging): the memory backend's reading of the
    filter, which the SQL backends express in their WHERE clause."""
    if flt.scope is not None and not flt.scope.allows(c):
        return False
    if flt.owner is not None and c.owner != flt.owner:
        return False
    if flt.stage is not None and c.stage != flt.stage:
        return False
    if flt.phone is not None and c.phone != flt.phone:
        return False
    if flt.email is not None and (c.email or "").lower() != flt.email.lower():
        return False
    if flt.tag is not None and flt.tag not in c.tags:
        return False
    if flt.updated_since is not None and c.updated_at < flt.updated_since:
        return False
    if flt.q:
        q = flt.q.lower()
        name = f"{c.first_name or ''} {c.last_name or ''}".lower()
        if q not in name and q not in (c.email or "").lower() and q not in (c.phone or ""):
            return False
    return True
