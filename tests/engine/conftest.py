"""Fixtures for the engine suite: every test runs against the memory and the SQLite backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_kit import BACKENDS, T0, Kit, make_store


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def make_kit(backend: str, tmp_path: Path) -> Iterator[Any]:
    """``make_kit(start=..., **settings)``: a fresh kit (own store) per call, closed at the end."""
    kits: list[Kit] = []

    def factory(*, start: float = T0, **settings: Any) -> Kit:
        store, url = make_store(backend, tmp_path, f"leadflow-{len(kits)}.db")
        kit = Kit.create(store, url, start=start, **settings)
        kits.append(kit)
        return kit

    yield factory
    for kit in kits:
        kit.close()


@pytest.fixture
def kit(make_kit: Any) -> Kit:
    made: Kit = make_kit()
    return made
