"""FastAPI dependencies: what a route handler may ask for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from leadflow.runtime import Runtime
from leadflow.store.contract import Store


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
