"""``/healthz`` (the process answers), ``/readyz`` (the database is reachable and its schema up
to date) and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from leadflow.api.deps import StoreDep
from leadflow.api.problems import problem, request_id_of
from leadflow.api.routes import routed
from leadflow.errors import SchemaOutOfDate, StoreError

router = APIRouter(tags=["health"])
log = logging.getLogger("leadflow.api")


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@routed(router.get, "/readyz", "The database is reachable and its schema is up to date", 503)
def readyz(request: Request, store: StoreDep) -> Any:
    try:
        store.check_schema()
        version = store.schema_version()
    except SchemaOutOfDate:
        raise  # 503 naming the fixing command (problems.py); store.url carries no password
    except StoreError as exc:
        log.warning("readyz: the database cannot be reached: %s", exc.message)
        return problem(
            503,
            "the database cannot be reached",
            instance=request.url.path,
            request_id=request_id_of(request),
            kind="store-unavailable",
            title="Database not ready",
        )
    return {"status": "ready", "schema_version": version}


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
