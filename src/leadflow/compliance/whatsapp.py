"""WhatsApp's own rules, checked at dispatch (with quiet hours, budgets and state caps, which
apply to WhatsApp messages as to texts).

* **Opt-in per channel.** A WhatsApp message goes only to a lead whose ``consent["whatsapp"]``
  is ``opted_in`` (WhatsApp Business policy: the person agreed to get messages from the
  business on WhatsApp); consent to texts is not consent to WhatsApp. Otherwise the message is
  suppressed: ``no_whatsapp_consent`` (``opted_out`` after an opt-out).
* **The 24-hour customer service window.** Free-form text may be sent only within 24 hours of
  the lead's last inbound WhatsApp message (``whatsapp.received``); outside it only an approved
  template (a Twilio Content SID with its variables) may be. The window is counted in elapsed
  seconds of real time (epoch seconds), so a daylight-saving change in the lead's zone neither
  stretches nor shortens it. A free-form message outside it is suppressed:
  ``whatsapp_session_closed``.
"""

from __future__ import annotations

from leadflow.engine.ports import Decision
from leadflow.model.records import Contact, Message
from leadflow.store.contract import Store

CHANNEL = "whatsapp"
INBOUND = "whatsapp.received"
SESSION_S = 24 * 3600.0
PAGE = 1000


class WhatsAppSessions:
    """When each lead last wrote on WhatsApp, read from its recorded ``whatsapp.received``
    events (processed or not)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def last_inbound(self, contact_id: str, now: float) -> float | None:
        latest: float | None = None
        after = 0
        while True:
            page = self.store.list_events(contact_id, PAGE, after_id=after, type=INBOUND)
            for event in page:
                at = event.occurred_at
                if at <= now and (latest is None or at > latest):
                    latest = at
            if len(page) < PAGE:
                return latest
            after = max(e.id for e in page if e.id is not None)


def in_session(last_inbound: float | None, now: float) -> bool:
    """Whether ``now`` lies within 24 elapsed hours of the lead's last inbound message."""
    return last_inbound is not None and 0 <= now - last_inbound < SESSION_S


def is_template(message: Message) -> bool:
    return bool(message.payload.get("content_sid"))


def whatsapp_decision(
    message: Message, contact: Contact, sessions: WhatsAppSessions | None, now: float
) -> Decision | None:
    """A suppression WhatsApp's rules call for, or None when they let the message go on to the
    other checks."""
    consent = contact.consent.get(CHANNEL)
    if consent == "opted_out":
        return Decision("suppress", reason="opted_out")
    if consent != "opted_in":
        return Decision("suppress", reason="no_whatsapp_consent")
    if is_template(message):
        return None
    last = sessions.last_inbound(contact.id, now) if sessions is not None else None
    if not in_session(last, now):
        return Decision("suppress", reason="whatsapp_session_closed")
    return None


__all__ = [
    "CHANNEL",
    "INBOUND",
    "SESSION_S",
    "WhatsAppSessions",
    "in_session",
    "is_template",
    "whatsapp_decision",
]
