"""Suite-wide fixtures and hooks, loaded as a pytest plugin by the root ``conftest.py``:
``backend`` (parametrized over memory, SQLite and PostgreSQL) and ``store`` (a store at the
latest schema on it), ``sql_store`` (the same on the SQL backends only), the PostgreSQL
databases the session made dropped at its end, and one summary line when the PostgreSQL tests
did not run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow.store import Store
from support.postgres import DATABASES, ENABLED, in_ci
from support.stores import BACKENDS, SQL_BACKENDS, drop_store, make_store


@pytest.fixture(scope="session", autouse=True)
def _postgres_databases() -> Iterator[None]:
    """Drops every PostgreSQL database the session made (the template last)."""
    yield
    if DATABASES.made_any():
        DATABASES.drop_all()


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
        drop_store(backend, s)


@pytest.fixture(params=SQL_BACKENDS)
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = make_store(request.param, tmp_path)
    try:
        yield s
    finally:
        drop_store(request.param, s)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ENABLED:
        terminalreporter.write_line(
            "PostgreSQL tests did not run: turned off by LEADFLOW_TEST_POSTGRES=0"
        )
    elif DATABASES.problem is not None and not in_ci():
        terminalreporter.write_line(
            f"PostgreSQL tests did not run: PostgreSQL is not reachable ({DATABASES.problem})"
        )
