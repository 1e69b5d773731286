"""The AI-call ledger in the memory backend (tenant foreign key enforced like SQL)."""

from __future__ import annotations

from leadflow.errors import StoreError
from leadflow.model.ai import AiCall
from leadflow.store.contract_ai import AiCallStore
from leadflow.store.parts import MemoryPart


class MemoryAiCalls(MemoryPart, AiCallStore):
    def _ai_calls(self) -> dict[str, AiCall]:
        return self._table("_ai_calls_data", dict)

    def record_ai_call(self, call: AiCall) -> None:
        with self._lock:
            self._need_tenant(call.tenant_id, "ai_calls.tenant_id")
            if call.id in self._ai_calls():
                raise StoreError(f"ai call {call.id!r} is already recorded")
            self._ai_calls()[call.id] = call

    def list_ai_calls(
        self, tenant_id: str, since: float | None = None, limit: int = 100
    ) -> list[AiCall]:
        with self._lock:
            found = [
                c
                for c in self._ai_calls().values()
                if c.tenant_id == tenant_id and (since is None or c.at >= since)
            ]
        found.sort(key=lambda c: (c.at, c.id), reverse=True)
        return found[: max(0, limit)]

    def ai_tokens_used(self, tenant_id: str, since: float) -> int:
        with self._lock:
            return sum(
                c.tokens_in + c.tokens_out
                for c in self._ai_calls().values()
                if c.tenant_id == tenant_id and c.at >= since
            )


__all__ = ["MemoryAiCalls"]
