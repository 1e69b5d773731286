"""The ledger of language-model calls (AI drafting): recorded per tenant, summed for budgets."""

from __future__ import annotations

import abc

from leadflow.model.ai import AiCall


class AiCallStore(abc.ABC):
    """The AI-call methods of the store contract."""

    @abc.abstractmethod
    def record_ai_call(self, call: AiCall) -> None:
        """Keep ``call`` (its id is the caller's, unique). StoreError when the tenant does not
        exist."""

    @abc.abstractmethod
    def list_ai_calls(
        self, tenant_id: str, since: float | None = None, limit: int = 100
    ) -> list[AiCall]:
        """The tenant's calls at or after ``since``, newest first, at most ``limit``."""

    @abc.abstractmethod
    def ai_tokens_used(self, tenant_id: str, since: float) -> int:
        """Tokens in + out of the tenant's calls at or after ``since``."""


__all__ = ["AiCallStore"]
