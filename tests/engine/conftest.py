"""Fixtures for the engine suite: every test runs against the memory, SQLite and PostgreSQL
backends (PostgreSQL: a database per kit, cloned from a migrated template; see the contract
suite's ``lf_postgres``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_kit import BACKENDS, T0, Kit, drop_store, make_store
from lf_postgres import DATABASES, ENABLED, in_ci  # on sys.path via engine_kit


@pytest.fixture(scope="session", autouse=True)
def _postgres_databases() -> Iterator[None]:
    """Drops every PostgreSQL database the session made (the template last)."""
    yield
    if DATABASES.available():
        DATABASES.drop_all()


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
        drop_store(backend, kit.url)


@pytest.fixture
def kit(make_kit: Any) -> Kit:
    made: Kit = make_kit()
    return made


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # When the contract suite runs too, its conftest already says so in one line.
    plugins = terminalreporter.config.pluginmanager.get_plugins()
    contract = any(
        str(getattr(p, "__file__", "")).endswith(("contract/conftest.py", "contract\\conftest.py"))
        for p in plugins
    )
    if ENABLED and DATABASES.problem is not None and not in_ci() and not contract:
        terminalreporter.write_line(
            f"PostgreSQL engine tests did not run: PostgreSQL is not reachable "
            f"({DATABASES.problem})"
        )
