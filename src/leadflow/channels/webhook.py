"""HTTP webhooks out (the ``webhook`` node), guarded against server-side request forgery.

A target whose host resolves to a private, loopback, link-local, multicast, reserved or
unspecified address is refused unless the settings allow private targets. 5xx answers and
network errors are retryable; other 4xx answers are not.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from leadflow.engine.ports import SendResult
from leadflow.errors import ProviderError
from leadflow.store.records import Message


def refused_reason(url: str, allow_private: bool) -> str | None:
    """Why ``url`` may not be called, or None when it may."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"webhook url must be http(s) with a host: {url!r}"
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        return f"cannot resolve {parts.hostname!r}: {exc.strerror}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        ):
            return (
                f"webhook target {parts.hostname!r} resolves to non-public address {address}; "
                "set LEADFLOW_WEBHOOK_ALLOW_PRIVATE=true to allow it"
            )
    return None


class HttpWebhookProvider:
    name = "http"

    def __init__(self, *, allow_private: bool = False, timeout_s: float = 10.0) -> None:
        self.allow_private = allow_private
        self.client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def send(self, message: Message, now: float) -> SendResult:
        url = message.to or ""
        reason = refused_reason(url, self.allow_private)
        if reason:
            raise ProviderError(reason, retryable=False)
        method = str(message.payload.get("method") or "POST")
        headers = {str(k): str(v) for k, v in (message.payload.get("headers") or {}).items()}
        headers.setdefault("Idempotency-Key", message.idempotency_key)
        headers.setdefault("Content-Type", "application/json")
        content = message.body.encode() if message.body is not None else None
        try:
            response = self.client.request(method, url, headers=headers, content=content)
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

    def close(self) -> None:
        self.client.close()
