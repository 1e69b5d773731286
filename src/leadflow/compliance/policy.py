"""The compliance policy checked at the moment a message is about to leave.

Checks, in order: the run was paused, or exited / failed / was cancelled after the message was
queued (stop on reply, goals) -> suppress; the contact opted out of the channel -> suppress;
texts and calls outside 8:00-21:00 (8:00-20:00 for Florida, Oklahoma and Washington) in every
zone the recipient may be in -> defer to the next allowed minute; the workflow's own send window
(any channel) -> defer; a Florida or Oklahoma recipient already got 3 texts/calls in the last 24
hours -> defer an hour (``state_cap``); the contact already got ``budget_per_day`` messages in the
last 24 hours (all workflows and channels) -> defer an hour. A voicemail drop (a prerecorded,
"artificial voice" call: FCC 22-85) needs the contact's prior express consent to calls: without
``consent["voice"] == "opted_in"`` it is suppressed (``no_voice_consent``); live calls keep the
rules above.

Compliance answers (``payload["compliance"]``, :mod:`leadflow.compliance.replies`) are what the lead
asked for and leave at once, outside quiet hours, budget and state cap alike (and count in
neither): the opt-out confirmation passes the opt-out itself, but only within
``confirmation_window_s`` of the opt-out (later: ``confirmation_late``); a HELP answer goes to an
opted-out contact too; an opt-in confirmation does not once the contact opted out again.
A deferred message is checked again when it comes due.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from leadflow.compliance.messenger import messenger_refusal
from leadflow.compliance.recipient import (
    CAP_PER_DAY,
    capped,
    legal_window,
    presumed_states,
    states_of,
    zones_of,
)
from leadflow.compliance.replies import HELP, OPT_IN_CONFIRMATION, OPT_OUT_CONFIRMATION
from leadflow.compliance.whatsapp import WhatsAppSessions, whatsapp_decision
from leadflow.definitions.models import Settings as WorkflowSettings
from leadflow.engine.localtime import hhmm, next_allowed, zone
from leadflow.engine.ports import SEND, Decision
from leadflow.errors import NoSendWindow
from leadflow.model.meta import MESSENGER_CHANNEL
from leadflow.model.records import (
    Contact,
    Message,
    Run,
    RunStatus,
)

# WhatsApp messages keep the quiet hours and state caps of texts (compliance/whatsapp.py).
QUIET_HOURS_CHANNELS = frozenset({"sms", "voice", "whatsapp"})
# A run that completed normally still sends what it queued; these stop what is still queued.
_STOPPED = frozenset({RunStatus.EXITED, RunStatus.CANCELLED, RunStatus.FAILED})


@dataclass(slots=True, frozen=True)
class CompliancePolicy:
    legal_start: str = "08:00"
    legal_end: str = "21:00"
    default_timezone: str = "America/New_York"
    budget_per_day: int = 10  # messages per contact per rolling 24 h, all workflows; 0 = off
    budget_retry_s: float = 3600.0
    confirmation_window_s: float = 300.0  # an opt-out confirmation later than this is not sent
    # When each lead last wrote on WhatsApp (its 24-hour window); None: never (templates only).
    whatsapp_sessions: WhatsAppSessions | None = None

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
            if run.status == RunStatus.PAUSED:
                return Decision("suppress", reason="run_paused")
            if run.status in _STOPPED and (run.ended_at or 0) > message.created_at:
                why = run.exit_reason or run.status
                return Decision("suppress", reason=f"run_{run.status}:{why}")
        if message.channel == "webhook":
            return SEND
        if contact is None:
            return Decision("suppress", reason="contact_missing")
        kind = message.payload.get("compliance") if message.run_id is None else None
        if kind is not None:  # only an answer that belongs to no run, never a workflow's text
            return self._answer(message, contact, kind, now)
        if message.payload.get("agent_notice"):
            return agent_notice(message, now)  # to the agent: the agent's hours, not the lead's
        consent_channel = "sms" if message.channel == "voice" else message.channel
        if contact.consent.get(message.channel) == "opted_out" or (
            contact.consent.get(consent_channel) == "opted_out"
        ):
            return Decision("suppress", reason="opted_out")
        if message.channel == "whatsapp":
            held = whatsapp_decision(message, contact, self.whatsapp_sessions, now)
            if held is not None:
                return held
        if (
            message.channel == "voice"
            and message.payload.get("mode") == "voicemail_drop"
            and contact.consent.get("voice") != "opted_in"
        ):
            return Decision("suppress", reason="no_voice_consent")
        if message.channel == MESSENGER_CHANNEL:  # Meta's 24-hour window and message tags
            refusal = messenger_refusal(message, contact, now)
            if refusal is not None:
                return Decision("suppress", reason=refusal)
        try:
            moment = self.earliest(message.channel, contact, settings, now)
        except NoSendWindow:
            return Decision("suppress", reason="no_window")
        if moment > now:
            return Decision("defer", until=moment, reason="quiet_hours")
        if (
            message.channel in QUIET_HOURS_CHANNELS
            and texts_calls_24h >= CAP_PER_DAY
            and self.capped(contact)
        ):
            return Decision("defer", until=now + self.budget_retry_s, reason="state_cap")
        if self.budget_per_day and sent_24h >= self.budget_per_day:
            return Decision("defer", until=now + self.budget_retry_s, reason="budget")
        return SEND

    def capped(self, contact: Contact) -> bool:
        """Whether a state's per-day cap on texts and calls applies to ``contact``."""
        return capped(presumed_states(contact))

    def _answer(self, message: Message, contact: Contact, kind: object, now: float) -> Decision:
        """A compliance answer: the lead asked for it, so no window, budget or cap holds it."""
        opted_out = contact.consent.get(message.channel) == "opted_out"
        if kind == OPT_OUT_CONFIRMATION:
            opt_out_at = message.payload.get("opt_out_at")
            since = opt_out_at if isinstance(opt_out_at, int | float) else message.created_at
            if now - since > self.confirmation_window_s:
                return Decision("suppress", reason="confirmation_late")
            return SEND
        if kind == HELP:
            return SEND
        if kind == OPT_IN_CONFIRMATION and not opted_out:
            return SEND
        return Decision("suppress", reason="opted_out" if opted_out else "unknown_compliance")

    def earliest(
        self, channel: str, contact: Contact | None, settings: WorkflowSettings | None, now: float
    ) -> float:
        """The first moment at or after ``now`` inside the legal window (texts and calls) in
        *every* zone the recipient may be in, with the window of the strictest state that may
        apply (:mod:`leadflow.compliance.recipient`), and inside the workflow's window in the
        contact's own zone (the workflow's default zone, else the global default, for a
        contact without one)."""
        if channel == "webhook" or contact is None:
            return now
        window = settings.send_window if settings is not None else None
        fallback = settings.default_timezone if settings is not None else self.default_timezone
        rules: list[tuple[ZoneInfo, int, int, list[str] | None]] = []
        if channel in QUIET_HOURS_CHANNELS:
            rules += _legal_rules(
                contact.phone,
                contact.state,
                contact.time_zone,
                fallback,
                self.legal_start,
                self.legal_end,
            )
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
        raise NoSendWindow(f"no moment lies inside every send window of contact {contact.id}")


@lru_cache(maxsize=65536)
def _legal_rules(
    phone: str | None,
    state: str | None,
    time_zone: str | None,
    fallback: str,
    legal_start: str,
    legal_end: str,
) -> tuple[tuple[ZoneInfo, int, int, None], ...]:
    """The legal window in each zone a recipient with these facts may be in. It depends only on
    the arguments, and every text is checked twice (at its send node and at dispatch), so it is
    worked out once per recipient."""
    state_start, state_end = legal_window(states_of(phone, state))
    start = hhmm(max(legal_start, state_start))
    end = hhmm(min(legal_end, state_end))
    zones = zones_of(phone, time_zone, fallback)
    return tuple((zone(z, fallback), start, end, None) for z in zones)


def agent_notice(message: Message, now: float) -> Decision:
    """A notice to an agent (``notify_agent``): sent within the agent's working hours
    (``payload.window``), any time when the task is urgent and the agent allowed that."""
    if message.payload.get("urgent_ok"):
        return SEND
    window = message.payload.get("window")
    if not isinstance(window, dict):
        return SEND
    tz = zone(str(window.get("time_zone") or ""), "America/New_York")
    days = [str(d) for d in window.get("weekdays") or []]
    try:
        start, end = hhmm(str(window["start"])), hhmm(str(window["end"]))
        moment = next_allowed(now, tz, start, end, days or None)
    except (KeyError, ValueError):
        return Decision("suppress", reason="no_window")
    return SEND if moment <= now else Decision("defer", until=moment, reason="agent_hours")
