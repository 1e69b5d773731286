"""The sandbox provider's ledger in the memory backend: one record per idempotency key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from leadflow.errors import StoreError
from leadflow.model.records import SandboxDelivery
from leadflow.store.contract_sandbox import SandboxItem, SandboxLedger
from leadflow.store.parts import MemoryPart


def _require(value: object, what: str) -> None:
    if value is None:
        raise StoreError(f"NOT NULL constraint failed: sandbox_deliveries.{what}")


class MemorySandbox(MemoryPart, SandboxLedger):
    def _ledger(self) -> dict[str, SandboxDelivery]:
        return self._table("_sandbox_ledger", dict)

    def _sandbox_duplicates(self, idempotency_key: str) -> int:
        """How often the key was delivered again (0 when never delivered): for messages."""
        found = self._ledger().get(idempotency_key)
        return 0 if found is None else found.duplicates

    def sandbox_deliver_many(self, items: Sequence[SandboxItem], now: float) -> list[bool]:
        for item in items:
            _require(item[0], "idempotency_key")
        with self._lock:
            ledger = self._ledger()
            # plan and check first (a refused batch changes nothing), then apply
            out: list[bool] = []
            new: dict[str, SandboxDelivery] = {}
            again: list[str] = []
            for key, channel, to, body, provider_id in items:
                if key in ledger or key in new:
                    out.append(False)
                    again.append(key)
                    continue
                _require(channel, "channel")
                _require(provider_id, "provider_id")
                new[key] = SandboxDelivery(key, channel, to, body, provider_id, now, 0)
                out.append(True)
            ledger.update(new)
            for key in again:
                ledger[key].duplicates += 1
            return out

    def sandbox_lookup(self, idempotency_key: str) -> SandboxDelivery | None:
        return self._copy_of(self._ledger(), idempotency_key, replace)

    def sandbox_deliveries(self) -> list[SandboxDelivery]:
        with self._lock:
            return [replace(d) for d in self._ledger().values()]


__all__ = ["MemorySandbox"]
