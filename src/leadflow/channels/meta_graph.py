"""A small client of Meta's Graph API: the Send API (``POST /{version}/{page-id}/messages``) and
a Lead Ads lead (``GET /{version}/{leadgen-id}``), both with a page access token.

The token goes in an ``Authorization: Bearer`` header (the Graph API takes it there as well as
in ``access_token``), so it never appears in a URL an HTTP library logs. Graph errors
(``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``) become
:class:`GraphError`; :func:`send_error` says which of them a retry may cure.
"""

from __future__ import annotations

from typing import Any

import httpx

from leadflow.errors import ProviderError

# Codes a retry may cure: temporary errors, throttling (app, user, page, custom-rate).
RETRYABLE_CODES = frozenset({1, 2, 4, 17, 32, 341, 368, 613, 80006})
OUTSIDE_WINDOW = (10, 2018278)  # (code, subcode): "sent outside of allowed window"
UNAVAILABLE = 551  # "This person isn't available right now"


class GraphError(Exception):
    def __init__(self, status: int, code: int | None, subcode: int | None, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.subcode, self.message = status, code, subcode, message

    def __str__(self) -> str:
        sub = f"/{self.subcode}" if self.subcode is not None else ""
        return f"graph error {self.code}{sub} (HTTP {self.status}): {self.message}"

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.code in RETRYABLE_CODES


class GraphClient:
    def __init__(
        self,
        base: str,
        version: str,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base = base.rstrip("/")
        self.version = version
        self._http = httpx.Client(timeout=timeout_s, transport=transport)

    def _url(self, *parts: str) -> str:
        return "/".join([self.base, self.version, *parts])

    def _call(self, method: str, url: str, token: str, **kw: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        response = self._http.request(method, url, headers=headers, **kw)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400 or not isinstance(data, dict) or "error" in data:
            error = data.get("error") if isinstance(data, dict) else None
            error = error if isinstance(error, dict) else {}
            code, sub = error.get("code"), error.get("error_subcode")
            raise GraphError(
                response.status_code if response.status_code >= 400 else 502,
                code if isinstance(code, int) else None,
                sub if isinstance(sub, int) else None,
                str(error.get("message") or f"unexpected answer ({response.status_code})")[:300],
            )
        return data

    def send_message(self, page_id: str, token: str, request: dict[str, Any]) -> dict[str, Any]:
        """POST the Send API request; Meta's answer (``recipient_id``, ``message_id``)."""
        return self._call("POST", self._url(page_id, "messages"), token, json=request)

    def lead(self, leadgen_id: str, token: str) -> dict[str, Any]:
        """The Lead Ads lead: ``id``, ``created_time``, ``form_id``, ``field_data``..."""
        fields = "id,created_time,ad_id,form_id,field_data,platform,is_organic"
        return self._call("GET", self._url(leadgen_id), token, params={"fields": fields})

    def close(self) -> None:
        self._http.close()


def send_error(exc: GraphError | httpx.HTTPError) -> ProviderError:
    """A failed Send API request as a ProviderError (network trouble and throttling retry;
    the window, an unavailable person, a bad token or request do not)."""
    if isinstance(exc, httpx.HTTPError):
        return ProviderError(f"messenger send failed: {type(exc).__name__}")
    if (exc.code, exc.subcode) == OUTSIDE_WINDOW or exc.code == 10:
        return ProviderError(
            f"messenger: outside the 24-hour messaging window ({exc})", retryable=False
        )
    if exc.code == UNAVAILABLE:
        return ProviderError(f"messenger: the person is not available ({exc})", retryable=False)
    return ProviderError(f"messenger: {exc}", retryable=exc.retryable)
