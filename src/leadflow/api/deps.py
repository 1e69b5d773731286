"""FastAPI dependencies: what a route handler may ask for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from leadflow.access.scope import scope_of
from leadflow.errors import NotAuthenticated
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


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `leadflow keys create`: `Authorization: Bearer lf_...`.",
)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller behind ``Authorization: Bearer <key>``; 401 (the same answer for a missing,
    malformed, unknown or revoked key) otherwise. The key's public id goes on
    ``request.state.key_id`` for logs; the key itself is never kept."""
    token = "" if credentials is None else credentials.credentials.strip()
    if not token:
        raise NotAuthenticated()
    store = get_store(request)
    principal = await run_in_threadpool(authenticate, store, token)
    if principal is None:
        raise NotAuthenticated()
    request.state.key_id = principal.key_id
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        limiter.check(principal.key_id, get_runtime(request).clock.now())
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class Access:
    """What a route may use: the caller, its scope, and the runtime (store, engine, clock)
    through the :mod:`leadflow.access` functions that apply the scope."""

    def __init__(self, runtime: Runtime, principal: Principal) -> None:
        self.runtime = runtime
        self.principal = principal
        self.scope = scope_of(runtime.store, principal)

    def now(self) -> float:
        return self.runtime.clock.now()


async def get_access(
    request: Request, principal: Annotated[Principal, Depends(get_principal)]
) -> Access:
    runtime = get_runtime(request)
    return await run_in_threadpool(Access, runtime, principal)


AccessDep = Annotated[Access, Depends(get_access)]
