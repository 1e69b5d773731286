"""Meta's standard messaging window, judged at dispatch for the ``messenger`` channel.

Free-form messages may go within 24 hours of the user's last message to the page; after that
only a ``MESSAGE_TAG`` send with an allowed tag (HUMAN_AGENT up to 7 days after it;
ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE at any time). A message that may
not go is suppressed with the reason (``messenger_window_closed``,
``messenger_human_agent_window_closed``, ``messenger_no_thread``) in its
``messenger.suppressed`` event. The user's last message time is the contact's thread for the
message's page (:mod:`leadflow.model.meta`)."""

from __future__ import annotations

from leadflow.model.meta import messenger_threads, window_refusal
from leadflow.model.records import Contact, Message


def messenger_refusal(message: Message, contact: Contact, now: float) -> str | None:
    payload = message.payload or {}
    page_id = payload.get("page_id")
    thread = messenger_threads(contact.fields).get(str(page_id)) if page_id else None
    messaging_type = str(payload.get("messaging_type") or "RESPONSE")
    tag = payload.get("tag")
    return window_refusal(thread, messaging_type, tag if isinstance(tag, str) else None, now)
