"""The AI-call ledger on SQLite and PostgreSQL (``?`` placeholders, adapted per dialect)."""

from __future__ import annotations

from typing import Any

from leadflow.model.ai import AiCall
from leadflow.store.codec import row_reader, row_writer
from leadflow.store.contract_ai import AiCallStore
from leadflow.store.parts import SqlPart

_COLS = (
    "id, tenant_id, at, purpose, model, tokens_in, tokens_out, latency_ms, cache_hit, outcome, mode"
)
_INSERT = f"INSERT INTO ai_calls ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


_from_row = row_reader(
    AiCall,
    _COLS,
    {"at": float, "tokens_in": int, "tokens_out": int, "latency_ms": float, "cache_hit": bool},
)
_values = row_writer(AiCall, _COLS, {"cache_hit": int})


class SqlAiCalls(SqlPart, AiCallStore):
    """The AI-call methods of the Store contract for the two SQL backends."""

    def record_ai_call(self, call: AiCall) -> None:
        self._change(_INSERT, _values(call))

    def list_ai_calls(
        self, tenant_id: str, since: float | None = None, limit: int = 100
    ) -> list[AiCall]:
        text = f"SELECT {_COLS} FROM ai_calls WHERE tenant_id = ?"
        params: tuple[Any, ...] = (tenant_id,)
        if since is not None:
            text += " AND at >= ?"
            params += (since,)
        text += " ORDER BY at DESC, id DESC LIMIT ?"
        return self._fetch_as(_from_row, text, (*params, max(0, limit)))

    def ai_tokens_used(self, tenant_id: str, since: float) -> int:
        text = (
            "SELECT coalesce(sum(tokens_in + tokens_out), 0) FROM ai_calls"
            " WHERE tenant_id = ? AND at >= ?"
        )
        found = self._fetch_one(text, (tenant_id, since))
        return int(found[0]) if found else 0


__all__ = ["SqlAiCalls"]
