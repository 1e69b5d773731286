"""ASGI middleware: request ids, the access log, HTTP metrics, the catch-all for unexpected
errors, and the request body limit. Pure ASGI (no BaseHTTPMiddleware), so a body is never
buffered here and the matched route is visible once the app has answered."""

from __future__ import annotations

import itertools
import logging
import secrets
import time

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow.api.logsafe import loggable_target, sane_request_id
from leadflow.api.metrics import UNMATCHED, HttpMetrics
from leadflow.api.problems import problem, unexpected

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RAW = REQUEST_ID_HEADER.lower().encode("latin-1")
access_log = logging.getLogger("leadflow.api.access")
# Fresh request ids: 20 random hex digits per process, then a count (unique, cheap; not secret).
_ID_PREFIX = secrets.token_hex(10)
_id_count = itertools.count(1)


def fresh_request_id() -> str:
    """A new request id: 32 hex digits, unique across processes (their random prefixes)."""
    return f"{_ID_PREFIX}{next(_id_count) & 0xFFFFFFFFFFFF:012x}"


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of request header ``name`` (lower case), as Starlette would read it."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def request_id_from_scope(scope: Scope) -> str:
    state = scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else ""


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/api/v1/workflows/{key}``), or ``unmatched``.

    The matched route's own ``path`` may lack the prefixes of the routers it was included
    through (FastAPI versions differ), and those prefixes are literal: the template is the
    request path's leading segments followed by the route's path, segment for segment."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str) or not template:
        return UNMATCHED
    if ":path}" in template:  # a parameter spanning segments: the route's own path will do
        return template
    actual = str(scope.get("path", "")).split("/")  # "/api/v1/workflows/x": "", "api", ...
    own = len(template.split("/")) - 1  # segments of "/workflows/{key}": 2
    if own >= len(actual) - 1:
        return template
    return "/".join(actual[: len(actual) - own]) + template


class RequestContextMiddleware:
    """Outermost: gives every request an id (kept from ``X-Request-ID`` when sane), returns it
    on every response, logs one access line (no headers; secret query values redacted), counts
    the request in the metrics, and turns any exception nothing handled into a 500 problem."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = sane_request_id(header(scope, _REQUEST_ID_RAW)) or fresh_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        begin = time.perf_counter()  # measurement only, not product logic
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started:
                raise
            response = unexpected(exc, path=scope["path"], request_id=request_id)
            await response(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - begin
            method = scope["method"]
            self.metrics.observe(method, route_template(scope), status, seconds)
            access_log.info(
                '%s "%s %s" %d %.1fms id=%s',
                _client(scope),
                method,
                loggable_target(scope["path"], scope.get("query_string", b"")),
                status,
                seconds * 1000,
                request_id,
            )


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


class BodyLimitMiddleware:
    """Refuses bodies over ``max_bytes`` with 413: at once when ``Content-Length`` says so, and
    as soon as the streamed bytes pass the limit otherwise (the rest is never read)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _detail(self) -> str:
        return f"the request body is larger than the limit of {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            response = problem(
                413,
                self._detail(),
                instance=scope["path"],
                request_id=request_id_from_scope(scope),
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, self._detail(), headers={"Connection": "close"})
            return message

        await self.app(scope, counted, send)
