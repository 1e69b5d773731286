"""The right to erasure: the audit record an erased contact leaves behind, and the rules every
layer shares.

Erasing a contact removes its personal data from every table that holds it, in one
transaction: the contact row goes; what analytics count without knowing the person (runs,
messages, events, steps, tasks, appointments, deals, experiment assignments, owner assignments,
enrollment marks) stays, blanked and re-pointed to a pseudonym (``erased-`` and random hex, one
per erasure, linked to nothing); what only describes the person (listing matches, compose
drafts, CRM links, sync state and log, Messenger links) is deleted. The audit row keeps no
personal data: a SHA-256 digest of the contact id, who asked, when, and the counts per table.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

ERASED = "erased"  # the runs' exit reason and the messages' suppressed reason
# The tenant of the pseudonymous contact rows that keep erased runs' foreign key: no real
# tenant has this id (tenant ids are slugs), so no tenant's read, list or enrolment sees them.
ERASED_TENANT = "~erased"
ERASURE_COLS = "id, tenant_id, contact_digest, erased_by, erased_at, counts"


def contact_digest(contact_id: str) -> str:
    """The SHA-256 hex digest of a contact id, as the audit keeps it."""
    return hashlib.sha256(contact_id.encode("utf-8")).hexdigest()


def new_pseudonym() -> str:
    """A fresh pseudonym for an erased contact's remaining rows (random, so linked to nothing)."""
    return f"erased-{secrets.token_hex(8)}"


@dataclass(slots=True)
class Erasure:
    """One erased contact's audit line (no personal data)."""

    id: int
    tenant_id: str
    contact_digest: str
    erased_by: str
    erased_at: float
    counts: dict[str, int] = field(default_factory=dict)


__all__ = [
    "ERASED",
    "ERASED_TENANT",
    "ERASURE_COLS",
    "Erasure",
    "contact_digest",
    "new_pseudonym",
]
