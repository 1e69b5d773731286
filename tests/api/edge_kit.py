"""Helpers of the hostile-input tests (a uniquely named module, imported from the test
directory): the backends an API test runs on (SQLite, and PostgreSQL through the contract
suite's per-test databases), and every route of an app, with its method and path template."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from api_client import upgraded_db
from fastapi import FastAPI
from fastapi.routing import APIRoute

_CONTRACT = str(Path(__file__).resolve().parents[1] / "contract")
if _CONTRACT not in sys.path:
    sys.path.append(_CONTRACT)
from lf_postgres import DATABASES, ENABLED, in_ci  # noqa: E402

BACKENDS = ["sqlite", *(["postgres"] if ENABLED else [])]


def require_postgres() -> None:
    """Fail (under CI) or skip (elsewhere) the calling test when PostgreSQL is unreachable."""
    if DATABASES.available():
        return
    message = f"PostgreSQL is not reachable: {DATABASES.problem}"
    if in_ci():
        pytest.fail(f"{message} (CI is set: the PostgreSQL backend must be tested)")
    pytest.skip(message)


@contextmanager
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database at the latest schema on ``backend``, dropped afterwards."""
    if backend == "postgres":
        require_postgres()
        url = DATABASES.clone()
        try:
            yield url
        finally:
            DATABASES.drop(url)
        return
    yield upgraded_db(tmp_path / "edge.db")


@pytest.fixture(scope="session")
def _drop_postgres_databases() -> Iterator[None]:
    """Drops every PostgreSQL database the session made (the template last)."""
    yield
    if ENABLED and DATABASES.available():
        DATABASES.drop_all()


def all_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    """``(method, path template, route)`` for every API route of ``app``, those left out of the
    OpenAPI document included (routers included on the app are walked with their prefixes)."""
    found: list[tuple[str, str, APIRoute]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            original = getattr(route, "original_router", None)
            if original is not None:  # FastAPI's included router
                context = getattr(route, "include_context", None)
                walk(list(original.routes), prefix + str(getattr(context, "prefix", "") or ""))
            elif isinstance(route, APIRoute):
                path = route.path if route.path.startswith(prefix) else prefix + route.path
                found.extend((m, path, route) for m in sorted(route.methods))

    walk(list(app.routes), "")
    return found
