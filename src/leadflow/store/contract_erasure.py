"""The right to erasure: a contact's personal data removed from every table in one
transaction, an audit line kept (see :mod:`leadflow.model.erasure`)."""

from __future__ import annotations

import abc

from leadflow.model.erasure import Erasure


class ErasureStore(abc.ABC):
    @abc.abstractmethod
    def erase_contact(
        self, tenant_id: str, contact_id: str, erased_by: str, now: float
    ) -> Erasure | None:
        """In ONE transaction: the contact's live runs cancelled (exit reason ``erased``), its
        pending/deferred messages suppressed (``erased``), its personal data removed from every
        table (the contact row deleted; messages' address, subject, body, payload and error
        blanked; events' and steps' data emptied; tasks, appointments, deals, experiment and
        owner assignments re-pointed to a pseudonym and blanked; listing matches, compose
        drafts, CRM links/sync state/log and Messenger links deleted; CRM deliveries, webhook
        deliveries, sandbox deliveries and AI task inputs blanked), and an audit row written.
        Returns the audit row, or None (nothing changed) when ``contact_id`` is not a contact
        of ``tenant_id``."""

    @abc.abstractmethod
    def list_erasures(self, tenant_id: str, limit: int = 100) -> list[Erasure]:
        """The tenant's erasure audit, newest first."""


__all__ = ["ErasureStore"]
