"""FastAPI dependencies: what a route handler may ask for."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from leadflow.access.scope import scope_of
from leadflow.api.auth_failures import AuthFailureLimiter
from leadflow.api.sessions import COOKIE, CSRF_HEADER, SAFE_METHODS, SessionTable, csrf_matches
from leadflow.errors import Forbidden, NotAuthenticated
from leadflow.model.records import Scope
from leadflow.runtime import Runtime
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal, authenticate


def get_runtime(request: Request) -> Runtime:
    """The app's Runtime (set by the lifespan)."""
    runtime = getattr(request.app.state, "runtime", None)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("the app has no runtime: was its lifespan started?")
    return runtime


def get_store(request: Request) -> Store:
    return get_runtime(request).store


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
StoreDep = Annotated[Store, Depends(get_store)]


class KeyCache:
    """Keys verified in the last ``ttl`` seconds (runtime clock): the SHA-256 of the presented
    token -> who it is and what it may see. A request with a known key then needs no store
    read and no thread hop. A revocation through this process drops the key at once
    (:func:`forget_key`); one made elsewhere (the CLI, another API process) takes effect within
    ``ttl``. The token itself is never kept."""

    def __init__(self, ttl: float = 5.0, max_keys: int = 10_000) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._found: dict[str, tuple[Principal, Scope, float]] = {}

    @staticmethod
    def _digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, token: str, now: float) -> tuple[Principal, Scope] | None:
        hit = self._found.get(self._digest(token))
        if hit is None or hit[2] <= now:
            return None
        return hit[0], hit[1]

    def put(self, token: str, principal: Principal, scope: Scope, now: float) -> None:
        if len(self._found) >= self.max_keys:
            self._found.clear()
        self._found[self._digest(token)] = (principal, scope, now + self.ttl)

    def forget(self, key_id: str) -> None:
        for digest, (principal, _, _) in list(self._found.items()):
            if principal.key_id == key_id:
                del self._found[digest]


def forget_key(app: Any, key_id: str) -> None:
    """Drop a revoked key from this process's cache and end its browser sessions."""
    cache = getattr(app.state, "key_cache", None)
    if isinstance(cache, KeyCache):
        cache.forget(key_id)
    sessions = getattr(app.state, "sessions", None)
    runtime = getattr(app.state, "runtime", None)
    if isinstance(sessions, SessionTable) and isinstance(runtime, Runtime):
        sessions.close_key(runtime.store, key_id)


class Access:
    """What a route may use: the caller, its scope, and the runtime (store, engine, clock)
    through the :mod:`leadflow.access` functions that apply the scope."""

    def __init__(self, runtime: Runtime, principal: Principal, scope: Scope) -> None:
        self.runtime = runtime
        self.principal = principal
        self.scope = scope

    def now(self) -> float:
        return self.runtime.clock.now()


def _verify(store: Store, token: str) -> tuple[Principal, Scope] | None:
    principal = authenticate(store, token)
    return None if principal is None else (principal, scope_of(store, principal))


class ApiKeyAuth(HTTPBearer):
    """The API's authentication, one dependency (the OpenAPI ``ApiKey`` bearer scheme and the
    check in one call, so a request resolves a single dependency rather than two): the caller
    behind ``Authorization: Bearer <key>`` (or, without one, a web session's cookie) and its
    scope; 401 (the same answer for a missing,
    malformed, unknown or revoked key) otherwise; 429 over the key's rate limit. An address
    with too many failed keys gets 429 (:mod:`leadflow.api.auth_failures`). The key's public
    id goes on ``request.state.key_id`` for logs; the key itself is never kept."""

    async def __call__(self, request: Request) -> Access:  # type: ignore[override]
        credentials = await super().__call__(request)
        token = "" if credentials is None else credentials.credentials.strip()
        if not token and request.cookies.get(COOKIE):
            return await _session_access(request)  # a signed-in browser (the web app)
        if not token:
            raise NotAuthenticated()
        runtime = get_runtime(request)
        now = runtime.clock.now()
        state = request.app.state
        failures = getattr(state, "auth_failures", None)
        address = request.client.host if request.client else "-"
        if isinstance(failures, AuthFailureLimiter):
            failures.check(address, now)  # an address guessing keys waits, whatever it sends
        cache = getattr(state, "key_cache", None)
        found = cache.get(token, now) if isinstance(cache, KeyCache) else None
        if found is None:
            found = await run_in_threadpool(_verify, runtime.store, token)
            if found is None:
                if isinstance(failures, AuthFailureLimiter):
                    failures.failed(address, now)
                raise NotAuthenticated()
            if isinstance(cache, KeyCache):
                cache.put(token, found[0], found[1], now)
        principal, scope = found
        request.state.key_id = principal.key_id
        limiter = getattr(state, "rate_limiter", None)
        if limiter is not None:
            limiter.check(principal.key_id, now)
        access = Access(runtime, principal, scope)
        request.state.access = access
        return access


get_access = ApiKeyAuth(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `leadflow keys create`: `Authorization: Bearer lf_...`.",
)


async def _session_access(request: Request) -> Access:
    """The caller of a signed-in browser session (see :mod:`leadflow.api.sessions`): the same
    principal and scope as its key; 401 when the session is unknown or over (or its key was
    revoked), 403 for a write without the session's CSRF token."""
    runtime = get_runtime(request)
    now = runtime.clock.now()
    sessions = getattr(request.app.state, "sessions", None)
    if not isinstance(sessions, SessionTable):
        raise NotAuthenticated()
    found = await run_in_threadpool(
        sessions.find, runtime.store, request.cookies.get(COOKIE, ""), now
    )
    if found is None:
        raise NotAuthenticated()
    if request.method not in SAFE_METHODS and not csrf_matches(
        found, request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(f"a write from a signed-in session needs its {CSRF_HEADER} header")
    principal = found.principal
    request.state.key_id = principal.key_id
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        limiter.check(principal.key_id, now)
    scope = await run_in_threadpool(scope_of, runtime.store, principal)
    access = Access(runtime, principal, scope)
    request.state.access = access
    request.state.session = found
    return access


AccessDep = Annotated[Access, Depends(get_access)]


def access_of(request: Request) -> Access:
    """The :class:`Access` that :func:`get_access` made for this request: every ``/api/v1``
    route runs it (a dependency of the routers, see :func:`leadflow.api.routers.include_v1`),
    so a hot route may read it here instead of declaring ``AccessDep`` again, which saves
    solving a second dependency tree per request."""
    access = getattr(request.state, "access", None)
    if not isinstance(access, Access):
        raise RuntimeError("no Access for this request: is the route behind get_access?")
    return access


async def get_principal(access: AccessDep) -> Principal:
    """The caller (see :func:`get_access`)."""
    return access.principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
