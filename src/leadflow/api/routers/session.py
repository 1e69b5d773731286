"""``/api/v1/session``: the web app's sign-in (an API key for a session cookie), who is signed
in, and sign-out. See :mod:`leadflow.api.sessions`.

Not behind the key dependency of the other resources: signing in is how a browser gets one.
The key travels only in the JSON body of the sign-in request (never a URL), is checked like a
key header (the same failure limiter per address), and is not kept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from leadflow.api.auth_failures import AuthFailureLimiter
from leadflow.api.data.shape import Record
from leadflow.api.deps import AccessDep, get_runtime
from leadflow.api.routes import delete_route, routed
from leadflow.api.sessions import COOKIE, CSRF_HEADER, MAX_AGE_S, Session, SessionTable
from leadflow.errors import NotAuthenticated
from leadflow.tenancy.accounts import authenticate

router = APIRouter(prefix="/session", tags=["session"])


class SignIn(BaseModel):
    api_key: Annotated[
        str, Field(min_length=1, max_length=512, description="An API key (`lf_...`).")
    ]


class SessionOut(Record):
    tenant_id: str
    role: str = Field(description="admin, manager or agent: what the app shows follows it.")
    member_key: str | None = Field(description="The agent of a manager or agent key.")
    csrf_token: str = Field(description=f"Send it in `{CSRF_HEADER}` with every write.")
    expires_at: float = Field(description="When the session ends unless used (epoch seconds).")


def _out(session: Session) -> SessionOut:
    return SessionOut.of(
        session.principal, csrf_token=session.csrf, expires_at=session.expires_at()
    )


def _table(request: Request) -> SessionTable:
    table = getattr(request.app.state, "sessions", None)
    if not isinstance(table, SessionTable):
        raise RuntimeError("the app has no session table")
    return table


@routed(
    router.post,
    "",
    "Sign in: exchange an API key for a session cookie (HttpOnly, SameSite=Strict)",
    401,
    422,
    429,
)
async def sign_in(request: Request, response: Response, body: SignIn) -> SessionOut:
    runtime = get_runtime(request)
    now = runtime.clock.now()
    failures = getattr(request.app.state, "auth_failures", None)
    address = request.client.host if request.client else "-"
    if isinstance(failures, AuthFailureLimiter):
        failures.check(address, now)
    principal = await run_in_threadpool(authenticate, runtime.store, body.api_key.strip())
    if principal is None:
        if isinstance(failures, AuthFailureLimiter):
            failures.failed(address, now)
        raise NotAuthenticated()
    request.state.key_id = principal.key_id
    session_id, session = await run_in_threadpool(
        _table(request).open, runtime.store, principal, now
    )
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(MAX_AGE_S),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    return _out(session)


@routed(
    router.get,
    "",
    "Who is signed in (the session cookie's caller) and the session's CSRF token",
    401,
)
async def whoami(request: Request, response: Response, access: AccessDep) -> SessionOut:
    session = getattr(request.state, "session", None)
    if not isinstance(session, Session):  # signed in with a key header: no session to describe
        raise NotAuthenticated()
    response.headers["Cache-Control"] = "no-store"
    return _out(session)


@delete_route(router, "", "Sign out: end the session and clear its cookie", 401, 403)
async def sign_out(request: Request, access: AccessDep) -> Response:
    if isinstance(getattr(request.state, "session", None), Session):
        await run_in_threadpool(
            _table(request).close, access.runtime.store, request.cookies.get(COOKIE, "")
        )
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
