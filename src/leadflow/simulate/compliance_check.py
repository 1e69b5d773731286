"""An independent check of a message history against the sending rules.

The engine enforces the rules in :mod:`leadflow.compliance.policy` and
:mod:`leadflow.compliance.recipient`; this module re-derives them from the law's wording with
``zoneinfo`` and ``phonenumbers`` alone (and a state table of its own), so a mistake in the
engine's reading is not repeated here. For every message that left (``sent_at`` set):

* ``window``: texts and calls inside 8:00-21:00 local time (8:00-20:00 when the address state or
  the state of the number's area code is Florida, Oklahoma or Washington) in the address zone and
  in every zone of a geographic number (a toll-free number names no place: phonenumbers lists
  every zone of the plan for it); with neither, the workflow's default zone. Any channel: inside
  the workflow's own send window (contact's zone) when it has one.
* ``opt_out``: no text or call after the contact's opt-out text until a later opt-in; an opt-in
  by text restores texts only (calls need consent of their own). No e-mail after an e-mail
  unsubscribe. A message without a run (an opt-out confirmation, a HELP answer) is exempt, at
  most one per opt-out (plus one per HELP).
* ``reply``: in a ``pause_on_reply`` workflow, nothing created before a reply of the contact
  leaves at or after that reply.
* ``budget``: at most ``budget_per_day`` messages (all channels) in any 24 hours per contact;
  Florida and Oklahoma recipients at most 3 texts and calls in any 24 hours.

The history is plain data (:class:`~leadflow.simulate.compliance_history.History`):
:func:`~leadflow.simulate.compliance_history.history_from_store` reads it from a store, tests
build one by hand.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from leadflow.model.records import Contact, Message
from leadflow.simulate.compliance_history import REPLY_TYPES, UNSUBSCRIBE_TYPE, History, Inbound

DAY = 86400.0
RULES = ("window", "opt_out", "reply", "budget")
STRICT_HOURS = {"FL": (8 * 60, 20 * 60), "OK": (8 * 60, 20 * 60), "WA": (8 * 60, 20 * 60)}
FEDERAL_HOURS = (8 * 60, 21 * 60)
DAILY_CAP_STATES = frozenset({"FL", "OK"})
DAILY_CAP = 3
PHONE_CHANNELS = frozenset({"sms", "voice"})
EXAMPLES_KEPT = 5
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Place names phonenumbers' geocoder gives for US area codes (a whole state, or "City, ST").
STATE_NAMES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Washington D.C.": "DC",
    "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL",
    "Indiana": "IN", "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA",
    "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN",
    "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY",
    "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK",
    "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
    "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington State": "WA", "Washington": "WA", "West Virginia": "WV",
    "Wisconsin": "WI", "Wyoming": "WY",
}  # fmt: skip


@dataclass
class ComplianceReport:
    messages_left: int = 0
    checked: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    suppressed: Counter[str] = field(default_factory=Counter)
    inbound: Counter[str] = field(default_factory=Counter)
    exempt_notices: int = 0

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())

    def flag(self, rule: str, message: Message, why: str) -> None:
        self.violations[rule] += 1
        if len(self.examples[rule]) < EXAMPLES_KEPT:
            who = f"message {message.id} ({message.channel}, {message.contact_id})"
            self.examples[rule].append(f"{who}: {why}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages_left": self.messages_left,
            "violations": {rule: self.violations[rule] for rule in RULES},
            "examples": {k: v for k, v in self.examples.items() if v},
            "checked": dict(self.checked),
            "suppressed_by_reason": dict(sorted(self.suppressed.items())),
            "inbound": dict(sorted(self.inbound.items())),
            "exempt_notices": self.exempt_notices,
        }


def check(history: History) -> ComplianceReport:
    """Every rule over every message that left; violations counted with a few examples."""
    report = ComplianceReport()
    by_contact: dict[str, list[Inbound]] = defaultdict(list)
    for item in sorted(history.inbound, key=lambda i: i.at):
        by_contact[item.contact_id].append(item)
        report.inbound[item.intent if item.type == "sms.received" else item.type] += 1
    left: dict[str, list[Message]] = defaultdict(list)
    for msg in history.messages:
        if msg.status == "suppressed":
            report.suppressed[_reason(msg.suppressed_reason)] += 1
        if msg.payload.get("agent_notice"):  # to an agent about the lead, not to the lead
            continue
        if msg.sent_at is not None and msg.contact_id:
            left[msg.contact_id].append(msg)
            report.messages_left += 1
    for contact_id, messages in left.items():
        messages.sort(key=lambda m: (m.sent_at or 0.0, m.id or 0))
        contact = history.contacts.get(contact_id)
        if contact is None:
            continue
        inbound = by_contact.get(contact_id, [])
        _windows(history, contact, messages, report)
        _opt_outs(contact, messages, inbound, report)
        _replies(history, messages, inbound, report)
        _budgets(history, contact, messages, report)
    return report


# ---------------------------------------------------------------------------- the rules


def _windows(h: History, contact: Contact, messages: list[Message], r: ComplianceReport) -> None:
    zones, number_state = _number(contact.phone)
    states = {s for s in (_state(contact.state), number_state) if s}
    start, end = FEDERAL_HOURS
    for state in states:
        s, e = STRICT_HOURS.get(state, FEDERAL_HOURS)
        start, end = max(start, s), min(end, e)
    for msg in messages:
        if msg.run_id is None:
            continue  # answers to the contact's own text are not outreach
        rules = h.workflows.get(msg.workflow_key or "")
        fallback = rules.default_zone if rules else h.default_zone
        own = contact.time_zone or fallback
        at = msg.sent_at or 0.0
        if msg.channel in PHONE_CHANNELS:
            r.checked["window"] += 1
            places = {z for z in (contact.time_zone, *zones) if z} or {fallback}
            for name in sorted(places):
                minute = _minute(at, name)
                if not start <= minute < end:
                    clock = f"{int(minute) // 60:02d}:{int(minute) % 60:02d}"
                    r.flag("window", msg, f"left at {clock} in {name} (allowed {_hm(start, end)})")
                    break
        if rules and rules.window:
            w_start, w_end, days = rules.window
            r.checked["window"] += 1
            minute = _minute(at, own)
            day = _DAYS[datetime.fromtimestamp(at, _zone(own)).weekday()]
            if not w_start <= minute < w_end or (days and day not in days):
                r.flag("window", msg, f"outside the workflow window on {day} in {own}")


def _opt_outs(
    contact: Contact, messages: list[Message], inbound: list[Inbound], r: ComplianceReport
) -> None:
    # Per channel, the moments consent was lost (False) or given back (True), in order.
    changes: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for item in inbound:
        if item.type == UNSUBSCRIBE_TYPE:
            changes["email"].append((item.at, False))
        elif item.type == "sms.received" and item.intent == "opt_out":
            changes["sms"].append((item.at, False))
            changes["voice"].append((item.at, False))
        elif item.type == "sms.received" and item.intent == "opt_in":
            changes["sms"].append((item.at, True))
    notices: Counter[int] = Counter()
    stops = [i.at for i in inbound if i.type == "sms.received" and i.intent == "opt_out"]
    helps = [i.at for i in inbound if i.type == "sms.received" and i.intent == "help"]
    for msg in messages:
        if msg.run_id is not None:
            r.checked["opt_out"] += 1
        history = changes.get(msg.channel)
        if not history:
            continue
        at = msg.sent_at or 0.0
        allowed = True
        for moment, given in history:
            if moment > at:
                break
            allowed = given
        if allowed:
            continue
        if msg.run_id is None:  # a confirmation or HELP answer: at most one per opt-out / HELP
            r.exempt_notices += 1
            last_stop = max((s for s in stops if s <= at), default=0.0)
            notices[int(last_stop)] += 1
            extra = sum(1 for h_at in helps if last_stop <= h_at <= at)
            if notices[int(last_stop)] > 1 + extra:
                r.flag("opt_out", msg, "a second notice after one opt-out")
            continue
        r.flag("opt_out", msg, f"left {at - _last_loss(history, at):.0f}s after the opt-out")


def _replies(
    h: History, messages: list[Message], inbound: list[Inbound], r: ComplianceReport
) -> None:
    replies = [i.at for i in inbound if i.type in REPLY_TYPES]
    for msg in messages:
        rules = h.workflows.get(msg.workflow_key or "")
        if msg.run_id is None or rules is None or not rules.pause_on_reply:
            continue
        r.checked["reply"] += 1
        at = msg.sent_at or 0.0
        # a reply strictly after the message was queued and no later than when it left
        first = bisect_right(replies, msg.created_at)
        if first < len(replies) and replies[first] <= at:
            r.flag("reply", msg, f"left {at - replies[first]:.0f}s after the contact replied")


def _budgets(h: History, contact: Contact, messages: list[Message], r: ComplianceReport) -> None:
    capped = bool({_state(contact.state), _number(contact.phone)[1]} & DAILY_CAP_STATES)
    # Answers to the lead's own texts (an opt-out confirmation, a HELP answer: no run) are not
    # solicitations: they neither count towards the budget or the cap nor are held to them.
    solicited = [m for m in messages if m.run_id is not None]
    all_times = [m.sent_at or 0.0 for m in solicited]
    phone_times = [m.sent_at or 0.0 for m in solicited if m.channel in PHONE_CHANNELS]
    for msg in messages:
        if msg.run_id is None:
            continue
        at = msg.sent_at or 0.0
        if h.budget_per_day:
            r.checked["budget"] += 1
            n = bisect_right(all_times, at) - bisect_left(all_times, at - DAY)
            if n > h.budget_per_day:
                r.flag("budget", msg, f"{n} messages within 24 h (budget {h.budget_per_day})")
        if capped and msg.channel in PHONE_CHANNELS:
            r.checked["budget"] += 1
            n = bisect_right(phone_times, at) - bisect_left(phone_times, at - DAY)
            if n > DAILY_CAP:
                r.flag("budget", msg, f"{n} texts/calls within 24 h to a capped state")


# ---------------------------------------------------------------------------- facts


@lru_cache(maxsize=65536)
def _number(phone: str | None) -> tuple[tuple[str, ...], str | None]:
    """(zones, state) of a geographic US number; ((), None) for anything else."""
    if not phone:
        return (), None
    try:
        parsed = phonenumbers.parse(phone, "US")
    except phonenumbers.NumberParseException:
        return (), None
    if not phonenumbers.is_number_geographical(parsed):
        return (), None
    from phonenumbers import geocoder
    from phonenumbers import timezone as number_zones

    zones = tuple(z for z in number_zones.time_zones_for_number(parsed) if z != "Etc/Unknown")
    place = geocoder.description_for_number(parsed, "en")
    state = STATE_NAMES.get(place)
    if state is None and ", " in place:
        tail = place.rsplit(", ", 1)[1]
        state = tail if tail in STATE_NAMES.values() else None
    return zones, state


def _state(value: str | None) -> str | None:
    return value.strip().upper() if value else None


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _minute(at: float, zone_name: str) -> float:
    local = datetime.fromtimestamp(at, _zone(zone_name))
    return local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 6e7


def _hm(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _last_loss(history: list[tuple[float, bool]], at: float) -> float:
    return max(moment for moment, given in history if moment <= at and not given)


def _reason(reason: str | None) -> str:
    """``run_paused``, ``opted_out``...; ``run_exited:<goal>`` kept to its first part."""
    return (reason or "unknown").split(":", 1)[0]
