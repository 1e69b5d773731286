"""``create_app(settings)``: the FastAPI app, its middleware, routers and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from leadflow import __version__
from leadflow.api import docs, openapi_bodies, problems, webapp
from leadflow.api.auth_failures import AuthFailureLimiter
from leadflow.api.deps import KeyCache
from leadflow.api.group_commit import EventCommits
from leadflow.api.input_guard import InputGuardMiddleware
from leadflow.api.metrics import HttpMetrics, InboundMetrics, StoreCollector
from leadflow.api.middleware import REQUEST_ID_HEADER, BodyLimitMiddleware, RequestContextMiddleware
from leadflow.api.problems import problem_responses
from leadflow.api.ratelimit import RateLimiter
from leadflow.api.routers import (
    API_V1,
    booking,
    health,
    hooks_crm,
    hooks_in,
    include_v1,
    provider_meta,
    provider_sendgrid,
    provider_sendgrid_inbound,
    provider_twilio,
    session,
    unsubscribe,
)
from leadflow.api.sessions import SessionTable
from leadflow.api.workers import InProcessWorkers
from leadflow.api.yaml_body import YamlBodyMiddleware
from leadflow.engine.worker import WorkerStats
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.store.contract import Store


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    workers_in_process: int = 0,
) -> FastAPI:
    """The API on ``settings`` (or ``runtime.settings``).

    Without ``runtime`` the lifespan builds one (``build_runtime``, schema not checked so that
    ``/readyz`` can report an out-of-date database) and closes it at shutdown; a runtime passed
    in is left open. ``workers_in_process`` worker threads (see :mod:`leadflow.api.workers`) are
    started with the app, after the schema is checked, and stopped at shutdown.
    """
    settings = settings or (runtime.settings if runtime is not None else Settings())
    registry = CollectorRegistry()
    http_metrics = HttpMetrics(registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = runtime
        if rt is None:
            rt = await run_in_threadpool(build_runtime, settings, check_schema=False)
        workers = InProcessWorkers(rt, workers_in_process)
        app.state.runtime = rt
        app.state.event_commits = EventCommits(rt.store)
        app.state.workers = workers
        try:
            if workers_in_process:
                await run_in_threadpool(rt.store.check_schema)
                await run_in_threadpool(workers.start)
            yield
        finally:
            await run_in_threadpool(workers.shutdown)
            if runtime is None:
                rt.close()

    app = FastAPI(
        title="leadflow",
        version=__version__,
        summary="Durable lead-nurture workflows for real-estate teams.",
        docs_url=None,  # served by api/docs.py from the package, not a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        # leadflow exports Prometheus metrics and its own access log; FastAPI's OpenTelemetry
        # bridge (live only when a process-wide OpenTelemetry provider is set up, which leadflow
        # never does) would still look the providers up in the environment on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.auth_failures = AuthFailureLimiter(settings.auth_failures_per_minute, registry)
    app.state.key_cache = KeyCache(settings.key_cache_s) if settings.key_cache_s > 0 else None
    app.state.sessions = SessionTable(recheck_s=settings.key_cache_s)
    app.state.metrics_registry = registry
    app.state.inbound_metrics = InboundMetrics(registry)

    def current_store() -> Store | None:
        rt = getattr(app.state, "runtime", None)
        return rt.store if isinstance(rt, Runtime) else None

    def worker_stats() -> list[tuple[str, WorkerStats]]:
        workers = getattr(app.state, "workers", None)
        return workers.stats() if isinstance(workers, InProcessWorkers) else []

    registry.register(StoreCollector(current_store, worker_stats))

    problems.install(app)
    docs.install(app)
    app.include_router(health.router)
    app.include_router(  # sign-in: before any key or cookie
        session.router,
        prefix=API_V1,
        responses=problem_responses(400, 401, 403, 422, 429, 500),
    )
    include_v1(app)
    app.include_router(hooks_in.router)  # signed by the sender, not by an API key
    app.include_router(hooks_crm.router)  # signed by the CRM (GoHighLevel, Follow Up Boss)
    app.include_router(provider_twilio.router)  # signed by Twilio (X-Twilio-Signature)
    # E-mail: unsubscribe links (the token is the credential) and SendGrid's signed events.
    app.include_router(unsubscribe.router)
    app.include_router(booking.router)  # agents' booking pages and calendar feeds
    app.include_router(provider_sendgrid.router)
    app.include_router(provider_sendgrid_inbound.router)  # secret path (+ basic auth)
    app.include_router(provider_meta.router)  # signed by Meta (X-Hub-Signature-256)
    webapp.install(app)  # the web app at / (its assets under /assets)
    openapi_bodies.install(app)  # request bodies from the product's schemas (workflows)
    hot_path_first(app, "POST", f"{API_V1}/events")  # event ingest: the busiest request

    def path_templates() -> list[str]:
        return list(app.openapi().get("paths", {}))

    # Added innermost first: the request context wraps everything (even CORS and 413 answers
    # get a request id and are counted), CORS wraps the body limit (a browser can read a 413),
    # the body limit wraps the YAML reader, which wraps the input guard (both read the body
    # whole).
    app.add_middleware(InputGuardMiddleware, templates=path_templates)
    app.add_middleware(YamlBodyMiddleware)  # YAML in, JSON on: the guard checks it as JSON
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER],
        )
    app.add_middleware(RequestContextMiddleware, metrics=http_metrics)
    return app


class HotPath(BaseRoute):
    """The route that answers ``method path``, tried before every other route for that one
    request. The app's routes are tried in order and the first that matches wins; this one
    matches exactly when ``target`` (the first route that matched such a request when the app
    was made) does, so the same route answers, without first trying the routes before it
    (the health checks and sign-in: about 50 us of FastAPI's matching per request). For any
    other request it matches nothing. It is no API route: not in the OpenAPI document."""

    def __init__(self, method: str, path: str, target: BaseRoute) -> None:
        self.method = method
        self.path = path
        self.target = target

    def matches(self, scope: AsgiScope) -> tuple[Match, AsgiScope]:
        if (
            scope["type"] == "http"
            and scope["path"] == self.path
            and scope["method"] == self.method
        ):
            match, child_scope = self.target.matches(scope)
            if match == Match.FULL:
                return match, child_scope
        return Match.NONE, {}

    async def handle(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        await self.target.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: object) -> Any:
        raise NoMatchFound(name, path_params)  # the target is named in its own place


def hot_path_first(app: FastAPI, method: str, path: str) -> None:
    """Put a :class:`HotPath` for ``method path`` first among ``app``'s routes (the route that
    answers it now); nothing when no route answers it."""
    probe: AsgiScope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }
    for route in app.router.routes:
        if route.matches(dict(probe))[0] == Match.FULL:
            app.router.routes.insert(0, HotPath(method, path, route))
            return


def app_from_environment() -> FastAPI:
    """The app of one process of ``leadflow serve --processes N``: settings from the
    environment (``LEADFLOW_*``), in-process workers from ``LEADFLOW_SERVE_WORKERS_IN_PROCESS``."""
    import logging
    import os

    logging.getLogger("leadflow.api").setLevel(logging.INFO)
    workers = int(os.environ.get("LEADFLOW_SERVE_WORKERS_IN_PROCESS", "0") or 0)
    return create_app(Settings(), workers_in_process=workers)
