"""The compliance policy checked at the moment a message is about to leave.

Checks, in order: the run was paused, or exited / failed / was cancelled after the message was
queued (stop on reply, goals) -> suppress; the contact opted out of the channel -> suppress;
texts and calls outside 8:00-21:00 (8:00-20:00 for Florida, Oklahoma and Washington) in every
zone the recipient may be in -> defer to the next allowed minute; the workflow's own send window
(any channel) -> defer; a Florida or Oklahoma recipient already got 3 texts/calls in the last 24
hours -> defer an hour (``state_cap``); the contact already got ``budget_per_day`` messages in the
last 24 hours (all workflows and channels) -> defer an hour.
A deferred message is checked again when it comes due.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from leadflow.channels.recipient import (
    CAP_PER_DAY,
    capped,
    legal_window,
    possible_zones,
    presumed_states,
)
from leadflow.definitions.models import Settings as WorkflowSettings
from leadflow.engine.localtime import hhmm, next_allowed, zone
from leadflow.engine.ports import SEND, Decision
from leadflow.errors import InvalidInput
from leadflow.store.records import CANCELLED, EXITED, FAILED, PAUSED, Contact, Message, Run

QUIET_HOURS_CHANNELS = frozenset({"sms", "voice"})
# A run that completed normally still sends what it queued; these stop what is still queued.
_STOPPED = frozenset({EXITED, CANCELLED, FAILED})


@dataclass(slots=True, frozen=True)
class CompliancePolicy:
    legal_start: str = "08:00"
    legal_end: str = "21:00"
    default_timezone: str = "America/New_York"
    budget_per_day: int = 10  # messages per contact per rolling 24 h, all workflows; 0 = off
    budget_retry_s: float = 3600.0

    def check(
        self,
        message: Message,
        contact: Contact | None,
        run: Run | None,
        settings: WorkflowSettings | None,
        now: float,
        sent_24h: int = 0,
        texts_calls_24h: int = 0,
    ) -> Decision:
        if run is not None:
            if run.status == PAUSED:
                return Decision("suppress", reason="run_paused")
            if run.status in _STOPPED and (run.ended_at or 0) > message.created_at:
                why = run.exit_reason or run.status
                return Decision("suppress", reason=f"run_{run.status}:{why}")
        if message.channel == "webhook":
            return SEND
        if contact is None:
            return Decision("suppress", reason="contact_missing")
        consent_channel = "sms" if message.channel == "voice" else message.channel
        if contact.consent.get(message.channel) == "opted_out" or (
            contact.consent.get(consent_channel) == "opted_out"
        ):
            return Decision("suppress", reason="opted_out")
        moment = self.earliest(message.channel, contact, settings, now)
        if moment > now:
            return Decision("defer", until=moment, reason="quiet_hours")
        if (
            message.channel in QUIET_HOURS_CHANNELS
            and texts_calls_24h >= CAP_PER_DAY
            and capped(presumed_states(contact))
        ):
            return Decision("defer", until=now + self.budget_retry_s, reason="state_cap")
        if self.budget_per_day and sent_24h >= self.budget_per_day:
            return Decision("defer", until=now + self.budget_retry_s, reason="budget")
        return SEND

    def earliest(
        self, channel: str, contact: Contact | None, settings: WorkflowSettings | None, now: float
    ) -> float:
        """The first moment at or after ``now`` inside the legal window (texts and calls) in
        *every* zone the recipient may be in, with the window of the strictest state that may
        apply (:mod:`leadflow.channels.recipient`), and inside the workflow's window in the
        contact's own zone (the workflow's default zone, else the global default, for a
        contact without one)."""
        if channel == "webhook" or contact is None:
            return now
        window = settings.send_window if settings is not None else None
        fallback = settings.default_timezone if settings is not None else self.default_timezone
        rules: list[tuple[ZoneInfo, int, int, list[str] | None]] = []
        if channel in QUIET_HOURS_CHANNELS:
            state_start, state_end = legal_window(presumed_states(contact))
            start = hhmm(max(self.legal_start, state_start))
            end = hhmm(min(self.legal_end, state_end))
            rules += [
                (zone(z, fallback), start, end, None) for z in possible_zones(contact, fallback)
            ]
        if window is not None:
            tz = zone(contact.time_zone, fallback)
            rules.append((tz, hhmm(window.start), hhmm(window.end), list(window.weekdays)))
        moment = now
        for _ in range(16):  # every window must hold at once
            before = moment
            for tz, start_min, end_min, weekdays in rules:
                moment = next_allowed(moment, tz, start_min, end_min, weekdays)
            if moment == before:
                return moment
        raise InvalidInput(f"no moment lies inside every send window of contact {contact.id}")
