"""The contract suite runs every test against every backend (``store`` is parametrized)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lf_builders import BACKENDS, make_store

from leadflow.store import Store


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    s = make_store(backend, tmp_path)
    try:
        yield s
    finally:
        s.close()
