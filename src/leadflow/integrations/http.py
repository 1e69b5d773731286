"""One CRM call with the CRM's rules: the tenant's token bucket before each try, a 429 answered
by waiting its ``Retry-After`` (seconds or an HTTP date), a 5xx or a network error retried with
exponential backoff (1 s, 2 s, 4 s ... capped at 60 s) when the request is safe to repeat (a
create is not: the operation looks for it first, see ``operations``), other 4xx final.
Waiting goes through the injected ``sleep`` (tests pass one that moves a virtual clock);
every try is written to ``calls`` for the delivery log (method, path, status, at, error --
never a header or secret)."""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Callable
from typing import Any

import httpx

from leadflow.clock import Clock
from leadflow.integrations.ratelimit import Buckets
from leadflow.model.crm import CrmOutcome

log = logging.getLogger("leadflow.integrations")
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0
TIMEOUT_S = 15.0
Sleep = Callable[[float], None]


class CrmError(Exception):
    """A CRM call failed: ``retryable`` when a later try may succeed (5xx, network, 429
    after the last attempt)."""

    def __init__(self, message: str, status: int | None = None, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def backoff(attempt: int) -> float:
    return float(min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))


class CrmHttp:
    """Calls to one CRM for one tenant."""

    def __init__(
        self,
        *,
        crm: str,
        tenant_id: str,
        base_url: str,
        headers: dict[str, str],
        auth: httpx.Auth | tuple[str, str] | None,
        rate_per_10s: int,
        max_attempts: int,
        buckets: Buckets,
        clock: Clock,
        sleep: Sleep,
        client: httpx.Client | None = None,
    ) -> None:
        self.crm, self.tenant_id = crm, tenant_id
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.auth = auth
        self.rate = rate_per_10s
        self.max_attempts = max_attempts
        self.buckets, self.clock, self.sleep = buckets, clock, sleep
        self.client = client or httpx.Client(timeout=TIMEOUT_S)
        self.calls: list[dict[str, Any]] = []
        self.last_status: int | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        repeatable: bool = True,
    ) -> Any:
        """The answer's JSON (None for an empty body); CrmError when it failed for good.

        ``repeatable=False`` (a create the CRM has no idempotency key for): a 5xx or a network
        error is not retried here -- the CRM may have made it -- but raised (retryable), so the
        operation looks for it before making it again. A 429 is retried either way (the CRM
        refused the request before doing anything)."""
        attempt = 0
        while True:
            attempt += 1
            wait = self.buckets.wait_for(self.tenant_id, self.crm, self.rate, self.clock.now())
            if wait > 0:
                self.sleep(wait)
            now = self.clock.now()
            call: dict[str, Any] = {"method": method, "path": path, "at": now}
            self.calls.append(call)
            try:
                answer = self.client.request(
                    method,
                    self.base_url + path,
                    json=json,
                    params=params,
                    headers=self.headers,
                    auth=self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.HTTPError as exc:
                call["error"] = type(exc).__name__
                if attempt >= self.max_attempts or not repeatable:
                    text = f"{method} {path}: {type(exc).__name__}"
                    raise CrmError(text, retryable=True) from None
                self.sleep(backoff(attempt))
                continue
            status = call["status"] = self.last_status = answer.status_code
            if status == 429:
                delay = retry_after(answer.headers.get("Retry-After"), self.clock.now())
                delay = backoff(attempt) if delay is None else delay
                self.buckets.back_off(self.tenant_id, self.crm, self.rate, delay, self.clock.now())
                if attempt >= self.max_attempts:
                    raise CrmError(f"{method} {path}: 429 rate limited", 429, retryable=True)
                log.info("%s 429 for tenant %r: waiting %.1f s", self.crm, self.tenant_id, delay)
                continue  # the drained bucket makes the next try wait ``delay``
            if status >= 500:
                if attempt >= self.max_attempts or not repeatable:
                    raise CrmError(f"{method} {path}: HTTP {status}", status, retryable=True)
                self.sleep(backoff(attempt))
                continue
            if status >= 400:
                raise CrmError(
                    f"{method} {path}: HTTP {status} {_problem(answer)}", status, retryable=False
                )
            if not answer.content:
                return None
            try:
                return answer.json()
            except ValueError:
                raise CrmError(
                    f"{method} {path}: the answer is not JSON", status, retryable=False
                ) from None

    def outcome(
        self, before: int = 0, remote_id: str | None = None, failure: CrmError | None = None
    ) -> CrmOutcome:
        """A delivery's outcome after the calls made here (``before``: its calls of earlier
        rounds): done with ``remote_id``, or, after ``failure``, pending again when a later try
        may succeed, else failed."""
        attempts = before + len(self.calls)
        if failure is None:
            return CrmOutcome("done", attempts, self.last_status, remote_id, None, self.calls)
        status = "pending" if failure.retryable else "failed"
        return CrmOutcome(status, attempts, failure.status, None, failure.message[:500], self.calls)


def items(answer: Any, key: str) -> list[dict[str, Any]]:
    """The objects in the list ``answer[key]`` of a CRM's JSON answer (none without one)."""
    found = answer.get(key) if isinstance(answer, dict) else None
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def marked(answer: Any, key: str, tag: str) -> str | None:
    """The id of the first object of ``answer[key]`` whose ``body`` carries ``tag`` (a note or
    task made before for the same change), None when there is none."""
    for item in items(answer, key):
        if tag in str(item.get("body") or ""):
            return str(item.get("id"))
    return None


def renamed(values: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The values of ``values`` that are set, under the CRM's ``names`` for them."""
    return {remote: values[name] for name, remote in names.items() if values.get(name) is not None}


def _problem(answer: httpx.Response) -> str:
    """A short text of an error answer (its message field, else its first 200 characters)."""
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    if isinstance(body, dict):
        for key in ("message", "errorMessage", "error"):
            if isinstance(body.get(key), str | list):
                return str(body[key])[:200]
    return str(body)[:200]


__all__ = ["CrmError", "CrmHttp", "backoff", "items", "marked", "renamed", "retry_after"]
