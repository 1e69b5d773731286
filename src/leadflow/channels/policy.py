"""The compliance policy checked at the moment a message is about to leave.

Checks, in order: the run was paused, or exited / failed / was cancelled after the message was
queued (stop on reply, goals) -> suppress; the contact opted out of the channel -> suppress;
texts and calls outside 8:00-21:00 in the recipient's local time -> defer to the next allowed
minute; the workflow's own send window (any channel) -> defer; the contact already got
``budget_per_day`` messages in the last 24 hours (all workflows and channels) -> defer an hour.
A deferred message is checked again when it comes due.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.definitions.models import Settings as WorkflowSettings
from leadflow.engine.localtime import hhmm, next_allowed, zone
from leadflow.engine.ports import SEND, Decision
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
        if self.budget_per_day and sent_24h >= self.budget_per_day:
            return Decision("defer", until=now + self.budget_retry_s, reason="budget")
        return SEND

    def earliest(
        self, channel: str, contact: Contact | None, settings: WorkflowSettings | None, now: float
    ) -> float:
        """The first moment at or after ``now`` inside the legal window (texts and calls) and the
        workflow's window, in the recipient's local time (the workflow's default zone, else the
        global default, for a contact without one)."""
        if channel == "webhook" or contact is None:
            return now
        window = settings.send_window if settings is not None else None
        fallback = settings.default_timezone if settings is not None else self.default_timezone
        tz = zone(contact.time_zone, fallback)
        moment = now
        if channel in QUIET_HOURS_CHANNELS:
            moment = next_allowed(moment, tz, hhmm(self.legal_start), hhmm(self.legal_end))
        if window is not None:
            start, end = hhmm(window.start), hhmm(window.end)
            for _ in range(4):  # both windows must hold at once
                narrowed = next_allowed(moment, tz, start, end, list(window.weekdays))
                if channel in QUIET_HOURS_CHANNELS:
                    narrowed = next_allowed(
                        narrowed, tz, hhmm(self.legal_start), hhmm(self.legal_end)
                    )
                if narrowed == moment:
                    break
                moment = narrowed
        return moment
