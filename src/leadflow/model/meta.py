"""Meta (Facebook) pages and Messenger threads: the records and the rules every layer shares.

A Facebook page belongs to one tenant at most (the page id is the key): its webhooks' events
(Messenger messages, Lead Ads leads) go to that tenant, and its messages are sent with its page
access token. A Messenger user is known to a page by a page-scoped id (PSID); the link
(page, PSID) -> contact is kept in the store, and the contact carries its threads in
``fields["messenger"]``: ``{page_id: {"psid": ..., "last_inbound_at": epoch seconds}}``, which
is what the 24-hour standard messaging window is judged by at dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MESSENGER_FIELD = "messenger"
MESSENGER_CHANNEL = "messenger"
PAGE_COLS = "page_id, tenant_id, name, access_token, created_at"

# The Send API's messaging types and the message tags leadflow lets a workflow use outside the
# 24-hour window (Meta's documented tags; HUMAN_AGENT allows 7 days after the user's message).
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
MESSAGE_TAGS = (
    "HUMAN_AGENT",
    "ACCOUNT_UPDATE",
    "CONFIRMED_EVENT_UPDATE",
    "POST_PURCHASE_UPDATE",
)
STANDARD_WINDOW_S = 24 * 3600.0
HUMAN_AGENT_WINDOW_S = 7 * 24 * 3600.0


@dataclass(slots=True, frozen=True)
class MetaPage:
    """A tenant's Facebook page: its id, a display name and its page access token (a secret:
    never shown back in full, never logged)."""

    page_id: str
    tenant_id: str
    name: str | None
    access_token: str
    created_at: float = 0.0


def messenger_threads(fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The contact's Messenger threads by page id (well-formed entries only)."""
    found = fields.get(MESSENGER_FIELD)
    if not isinstance(found, dict):
        return {}
    return {
        str(page): dict(thread)
        for page, thread in found.items()
        if isinstance(thread, dict) and isinstance(thread.get("psid"), str)
    }


def with_inbound(fields: dict[str, Any], page_id: str, psid: str, at: float) -> dict[str, Any]:
    """``fields`` with the thread of (page, PSID) marked as written to by the user at ``at``
    (a later message never moves the mark back)."""
    threads = messenger_threads(fields)
    old = threads.get(page_id, {})
    last = old.get("last_inbound_at")
    newest = max(at, float(last)) if isinstance(last, int | float) else at
    threads[page_id] = {"psid": psid, "last_inbound_at": newest}
    return {**fields, MESSENGER_FIELD: threads}


def window_refusal(
    thread: dict[str, Any] | None, messaging_type: str, tag: str | None, now: float
) -> str | None:
    """Why Meta's standard messaging window forbids this send now, or None when it allows it.

    Within 24 hours of the user's last message anything may be sent (RESPONSE, UPDATE or a
    tag). After it only a MESSAGE_TAG with an allowed tag: HUMAN_AGENT up to 7 days after the
    user's last message, the other tags at any time."""
    last = thread.get("last_inbound_at") if thread else None
    if not isinstance(last, int | float):
        if messaging_type == "MESSAGE_TAG" and tag in MESSAGE_TAGS and tag != "HUMAN_AGENT":
            return None
        return "messenger_no_thread"  # the user never wrote to the page: nothing may be sent
    age = now - float(last)
    if age <= STANDARD_WINDOW_S:
        return None
    if messaging_type != "MESSAGE_TAG" or tag not in MESSAGE_TAGS:
        return "messenger_window_closed"
    if tag == "HUMAN_AGENT" and age > HUMAN_AGENT_WINDOW_S:
        return "messenger_human_agent_window_closed"
    return None
