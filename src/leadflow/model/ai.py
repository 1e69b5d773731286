"""Records of AI drafting: one row per call to a language model (or answer from the cache)."""

from __future__ import annotations

from dataclasses import dataclass

OUTCOMES = (
    "ok",
    "invalid",
    "timeout",
    "rate_limited",
    "server_error",
    "down",
    "over_budget",
    "busy",
    "refused",
)


@dataclass(frozen=True, slots=True)
class AiCall:
    """A model call as the ledger keeps it: who asked (tenant), what for (``purpose``, e.g.
    ``workflow``), which model, the tokens in and out the server reported (0 for a cache hit or
    a refused call), latency, whether the cache answered, and the outcome (one of
    :data:`OUTCOMES`). ``mode`` is the structured-output mode used (json_schema, tool,
    json_object). No prompt, answer or key is kept."""

    id: str
    tenant_id: str
    at: float
    purpose: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cache_hit: bool
    outcome: str
    mode: str = ""
