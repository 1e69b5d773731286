"""Helpers shared by the API tests: a synchronous in-process client, API keys, and the problem
checks."""

from __future__ import annotations

import functools
from contextlib import AbstractAsyncContextManager, ExitStack
from types import TracebackType
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from leadflow.model.tenancy import Agent
from leadflow.store.factory import open_store
from leadflow.tenancy import accounts

PROBLEM_JSON = "application/problem+json"


def admin_key(url: str, tenant: str = "acme") -> str:
    """A tenant and an admin API key for it (the token, shown once)."""
    store = open_store(url)
    try:
        if store.get_tenant(tenant) is None:
            accounts.create_tenant(store, tenant, f"{tenant.title()} Realty", 0.0)
        _, token = accounts.create_key(store, tenant, "admin", 0.0, name="tests")
    finally:
        store.close()
    return token


def member_key(
    url: str, role: str, member: str, *, tenant: str = "acme", team: str | None = "north"
) -> str:
    """An API key of ``role`` (agent or manager) for agent ``member`` of ``tenant``, in
    ``team`` (tenant, team and agent made when missing)."""
    store = open_store(url)
    try:
        if store.get_tenant(tenant) is None:
            accounts.create_tenant(store, tenant, f"{tenant.title()} Realty", 0.0)
        if team is not None:
            accounts.add_team(store, tenant, team, team.title(), 0.0)
        agent = Agent(tenant, member, team, first_name=member.title())
        accounts.add_agents(store, tenant, [agent], 0.0)
        _, token = accounts.create_key(store, tenant, role, 0.0, member_key=member)
    finally:
        store.close()
    return token


class ApiClient:
    """A synchronous client of an app in this process: the lifespan runs on entry and exit, and
    requests go through the whole ASGI stack (middleware included) on an event loop in a
    helper thread, as they would under uvicorn."""

    def __init__(
        self,
        app: FastAPI,
        headers: dict[str, str] | None = None,
        client: tuple[str, int] = ("127.0.0.1", 40000),
    ) -> None:
        self.app = app
        self.headers = dict(headers or {})
        self.client_address = client
        self._stack = ExitStack()
        self._portal: BlockingPortal | None = None
        self._client: httpx.AsyncClient | None = None
        self._lifespan: AbstractAsyncContextManager[Any] | None = None

    def __enter__(self) -> ApiClient:
        portal = self._stack.enter_context(start_blocking_portal())
        self._portal = portal
        self._lifespan = self.app.router.lifespan_context(self.app)
        portal.call(self._lifespan.__aenter__)
        transport = httpx.ASGITransport(app=self.app, client=self.client_address)
        self._client = httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=self.headers
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._portal is not None and self._client is not None and self._lifespan
        try:
            self._portal.call(self._client.aclose)
            self._portal.call(self._lifespan.__aexit__, None, None, None)
        finally:
            self._stack.close()

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        assert self._portal is not None and self._client is not None, "use `with ApiClient(app)`"
        return self._portal.call(functools.partial(self._client.request, method, url, **kw))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    """An RFC 9457 problem with this status, its members in place."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["type"], str) and body["type"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body
