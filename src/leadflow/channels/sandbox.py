"""The sandbox provider: the default channel, for trying things safely.

It delivers nothing to anyone. It records each delivery in a ledger by idempotency key, in its
own transaction as an outside system would, counts an attempt to deliver the same key again as a
duplicate instead of recording it twice, and reports every send as delivered at once. It never
invents engagement: opens, clicks and replies come only from a simulation's engagement model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from leadflow.engine.ports import SendResult
from leadflow.model.records import Message
from leadflow.store.contract import Store


class SandboxProvider:
    name = "sandbox"

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def provider_id(idempotency_key: str) -> str:
        return "SB" + hashlib.blake2b(idempotency_key.encode(), digest_size=12).hexdigest()

    def send(self, message: Message, now: float) -> SendResult:
        pid = self.provider_id(message.idempotency_key)
        new = self.store.sandbox_deliver(
            message.idempotency_key, message.channel, message.to, message.body, pid, now
        )
        return SendResult(provider_id=pid, status="delivered", duplicate=not new)

    def send_many(self, messages: Sequence[Message], now: float) -> list[SendResult]:
        """A batch in one ledger transaction (the dispatcher uses it when it can)."""
        items = [
            (m.idempotency_key, m.channel, m.to, m.body, self.provider_id(m.idempotency_key))
            for m in messages
        ]
        fresh = self.store.sandbox_deliver_many(items, now)
        return [
            SendResult(provider_id=item[4], status="delivered", duplicate=not new)
            for item, new in zip(items, fresh, strict=True)
        ]

    def lookup(self, idempotency_key: str) -> SendResult | None:
        found = self.store.sandbox_lookup(idempotency_key)
        if found is None:
            return None
        return SendResult(provider_id=found.provider_id, status="delivered")
