"""Tenant senders: the phone numbers, Twilio Messaging Services and e-mail from-addresses a
tenant's messages leave from, and by which inbound texts, calls and e-mails find their tenant.

A sender belongs to one tenant at most ((kind, address) is unique across the installation). The
storage contract is :class:`SenderStore`, which :class:`~leadflow.store.contract.Store` extends.
"""

from __future__ import annotations

import abc
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


class SenderStore(abc.ABC):
    """The sender methods of the store contract."""

    @abc.abstractmethod
    def add_sender(self, sender: Sender, now: float) -> str:
        """Register ``sender`` (``created_at`` becomes ``now``) unless its (kind, address) is
        registered already; the id of the tenant owning it afterwards: the sender's own tenant,
        or the other tenant that had it first (nothing is changed then). Registering a sender
        again for its own tenant updates its label."""

    @abc.abstractmethod
    def remove_sender(self, tenant_id: str, kind: str, address: str) -> bool:
        """Remove the tenant's sender; False when the tenant has no such sender."""

    @abc.abstractmethod
    def list_senders(self, tenant_id: str) -> list[Sender]:
        """The tenant's senders by kind, then created_at, then address."""

    @abc.abstractmethod
    def sender_owner(self, kind: str, address: str) -> str | None:
        """The tenant owning the sender (an indexed read), or None."""
