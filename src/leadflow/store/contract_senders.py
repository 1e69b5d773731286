"""The sender methods of the store contract (tenant senders: see :mod:`leadflow.model.senders`)."""

from __future__ import annotations

import abc

from leadflow.model.senders import Sender


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
