"""Fixtures for the engine suite: every test runs against the memory, SQLite and PostgreSQL
backends (the ``backend`` fixture of :mod:`support.fixtures`; PostgreSQL: a database per kit,
cloned from a migrated template, see :mod:`support.postgres`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.engine_kit import T0, Kit
from support.stores import drop_database, make_store


@pytest.fixture
def make_kit(backend: str, tmp_path: Path) -> Iterator[Any]:
    """``make_kit(start=..., **settings)``: a fresh kit (own store) per call, closed at the end."""
    kits: list[Kit] = []

    def factory(*, start: float = T0, **settings: Any) -> Kit:
        store = make_store(backend, tmp_path, f"leadflow-{len(kits)}.db")
        kit = Kit.create(store, store.url, start=start, **settings)
        kits.append(kit)
        return kit

    yield factory
    for kit in kits:
        kit.close()
        drop_database(backend, kit.url)


@pytest.fixture
def kit(make_kit: Any) -> Kit:
    made: Kit = make_kit()
    return made
