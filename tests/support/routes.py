"""Every route of an app, with its method and path template (the hostile-input and edge tests
walk them)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute


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
