"""HTTP webhooks out (the ``webhook`` node), guarded against server-side request forgery.

A target whose host resolves to any address that is not globally routable (private, loopback,
link-local, shared 100.64/10, reserved, unspecified, or an IPv6 form carrying such an IPv4
address) or is multicast is refused unless the settings allow private targets; the name is
resolved once and the connection made to the checked address (:mod:`leadflow.channels.ssrf`).
5xx answers and network errors are retryable; other 4xx answers are not.
"""

from __future__ import annotations

import httpx

from leadflow.channels.ssrf import GuardedClient, TargetRefused, refused_reason
from leadflow.engine.ports import SendResult
from leadflow.errors import ProviderError
from leadflow.model.records import Message

__all__ = ["HttpWebhookProvider", "refused_reason"]


class HttpWebhookProvider(GuardedClient):
    name = "http"

    def send(self, message: Message, now: float) -> SendResult:
        url = message.to or ""
        method = str(message.payload.get("method") or "POST")
        headers = {str(k): str(v) for k, v in (message.payload.get("headers") or {}).items()}
        headers.setdefault("Idempotency-Key", message.idempotency_key)
        headers.setdefault("Content-Type", "application/json")
        content = message.body.encode() if message.body is not None else None
        try:
            response = self.request(method, url, headers, content)
        except TargetRefused as exc:
            raise ProviderError(exc.reason, retryable=False) from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"webhook {method} failed: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise ProviderError(
                f"webhook {method} answered HTTP {response.status_code}",
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        return SendResult(provider_id=f"HTTP{response.status_code}", status="delivered")

    def lookup(self, idempotency_key: str) -> SendResult | None:
        return None
