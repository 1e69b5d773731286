"""The sandbox provider's ledger: what the fake provider "delivered", kept in the database so
that tests and simulations can check exactly-once delivery across processes."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from leadflow.model.records import SandboxDelivery

# A delivery to the sandbox provider: (idempotency key, channel, to, body, provider id).
SandboxItem = tuple[str, str, str | None, str | None, str]


class SandboxLedger(abc.ABC):
    """The sandbox provider's ledger (not part of the core store: only the sandbox provider and
    the tests read it)."""

    def sandbox_deliver(
        self,
        idempotency_key: str,
        channel: str,
        to: str | None,
        body: str | None,
        provider_id: str,
        now: float,
    ) -> bool:
        """Record a sandbox delivery in its own transaction (as an outside system would). True
        when new; False when the key was delivered before, in which case its ``duplicates``
        counter goes up by one and nothing else changes."""
        item = (idempotency_key, channel, to, body, provider_id)
        return self.sandbox_deliver_many([item], now)[0]

    @abc.abstractmethod
    def sandbox_deliver_many(self, items: Sequence[SandboxItem], now: float) -> list[bool]:
        """Record a batch of sandbox deliveries in ONE transaction (an outside system receiving a
        batch). Items are ``(idempotency_key, channel, to, body, provider_id)``; per item, True
        when new, False when the key was delivered before -- by an earlier call or earlier in
        this one -- in which case its ``duplicates`` goes up by one and nothing else changes.
        All or nothing: a refused item (e.g. a new key without channel) records none."""

    @abc.abstractmethod
    def sandbox_lookup(self, idempotency_key: str) -> SandboxDelivery | None: ...

    @abc.abstractmethod
    def sandbox_deliveries(self) -> list[SandboxDelivery]: ...


__all__ = ["SandboxItem", "SandboxLedger"]
