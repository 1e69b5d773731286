"""One store builder for every tier: a store at the latest schema version on ``memory``,
``sqlite`` or ``postgres`` (PostgreSQL: a database of its own, cloned from the session's migrated
template, see :mod:`support.postgres`), and the backend lists tests parametrize over."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from leadflow.store import Store, open_store
from support.postgres import DATABASES, ENABLED, in_ci, postgres_database, require_postgres

BACKENDS = ["memory", "sqlite", *(["postgres"] if ENABLED else [])]
SQL_BACKENDS = ["sqlite", *(["postgres"] if ENABLED else [])]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"  # path is absolute, so this is sqlite:////abs/path


def usable_backends() -> list[str]:
    """BACKENDS less postgres when it cannot be reached outside CI (fails under CI)."""
    if "postgres" in BACKENDS and not DATABASES.available():
        if in_ci():
            require_postgres()
        return [b for b in BACKENDS if b != "postgres"]
    return list(BACKENDS)


def upgraded_db(path: Path) -> str:
    """A SQLite database at the latest schema, as ``leadflow init`` leaves it; its URL."""
    url = sqlite_url(path)
    store = open_store(url, check_schema=False)
    try:
        store.upgrade()
    finally:
        store.close()
    return url


def make_store(backend: str, tmp_path: Path, name: str = "leadflow.db") -> Store:
    """A store at the latest schema version (postgres: in its own database, cloned from the
    session's migrated template; drop it with :func:`drop_store`)."""
    if backend == "memory":
        return open_store("memory://")
    if backend == "postgres":
        require_postgres()
        return open_store(DATABASES.clone())
    return open_store(upgraded_db(tmp_path / name))


def drop_database(backend: str, url: str) -> None:
    """Drop a postgres test database (in the background); nothing to do for the others."""
    if backend == "postgres":
        DATABASES.drop(url)


def drop_store(backend: str, store: Store) -> None:
    """Close the store; for postgres drop its database too."""
    store.close()
    drop_database(backend, store.url)


@contextmanager
def database(backend: str, tmp_path: Path, name: str = "edge.db") -> Iterator[str]:
    """The URL of a database at the latest schema on ``backend``, dropped afterwards."""
    if backend == "postgres":
        with postgres_database() as url:
            yield url
        return
    yield upgraded_db(tmp_path / name)


def insert_rows(store: Store, table: str, cols: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Rows written straight into a SQL store's table, as given (a history in any shape, for
    tests that compare the database's counting with the rules in Python)."""
    text = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    with store._write() as conn:  # type: ignore[attr-defined]
        sql = store._dialect.sql(text)  # type: ignore[attr-defined]
        if hasattr(conn, "executemany"):
            conn.executemany(sql, rows)
        else:
            with conn.cursor() as cur:
                cur.executemany(sql, rows)
