"""Tenant senders: the phone numbers, Twilio Messaging Services and e-mail from-addresses a
tenant's messages leave from, and by which inbound texts, calls and e-mails find their tenant.

A sender belongs to one tenant at most ((kind, address) is unique across the installation). The
storage contract is :class:`~leadflow.store.contract_senders.SenderStore`.
"""

from __future__ import annotations

from dataclasses import dataclass

PHONE = "phone"
MESSAGING_SERVICE = "messaging_service"
EMAIL = "email"
SENDER_KINDS = (PHONE, MESSAGING_SERVICE, EMAIL)
SENDER_COLS = "tenant_id, kind, address, label, created_at"


@dataclass(slots=True, frozen=True)
class Sender:
    """One sender of a tenant. ``address`` is normalised: an E.164 number, a Messaging Service
    SID (``MG`` + 32 hex digits) or a lower-case e-mail address; ``label`` is the display name
    of an e-mail From header."""

    tenant_id: str
    kind: str
    address: str
    label: str | None = None
    created_at: float = 0.0
