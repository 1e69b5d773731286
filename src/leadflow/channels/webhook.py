"""HTTP webhooks out (the ``webhook`` node), guarded against server-side request forgery.

A target whose host resolves to any address that is not globally routable (private, loopback,
link-local, shared 100.64/10, reserved, unspecified) or is multicast is refused unless the
settings allow private targets. (The check resolves the name before the request; a name that
changes its answer between the check and the connection is not caught.) 5xx answers and
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
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        return f"webhook url is malformed: {exc}"
    if parts.scheme not in ("http", "https") or not host:
        return f"webhook url must be http(s) with a host: {url!r}"
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError) as exc:
        return f"cannot resolve {host!r}: {getattr(exc, 'strerror', None) or exc}"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            return (
                f"webhook target {host!r} resolves to non-public address {address}; "
                "set LEADFLOW_WEBHOOK_ALLOW_PRIVATE=true to allow it"
            )
    return None


class HttpWebhookProvider:
    name = "http"

    def __init__(self, *, allow_private: bool = False, timeout_s: float = 10.0) -> None:
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:  # built on first use: most processes never call a webhook
            self._client = httpx.Client(timeout=self.timeout_s, follow_redirects=False)
        return self._client

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
        if self._client is not None:
            self._client.close()
