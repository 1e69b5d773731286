"""Pick the backend from the database URL.

Each backend class provides the core contract and every feature store (see
:mod:`leadflow.store.contract`), assembled once from its parts: ``MemoryStore`` from the memory
core parts (``memory*.py``) and one ``Memory<Feature>`` part per feature store; ``SQLiteStore``
and ``PostgresStore`` from the SQL base (``SqlStore``: the shared write paths and reads plus
one ``Sql<Feature>`` part per feature store) and their dialect's parts (transactions, prune
statements, the sandbox ledger's writes)."""

from __future__ import annotations

from leadflow.errors import InvalidInput
from leadflow.store.contract import Store


def open_store(url: str, *, check_schema: bool = True) -> Store:
    """``memory://``, ``sqlite:///relative.db``, ``sqlite:////abs/path.db``,
    ``postgresql://user@host:5432/dbname`` (or ``postgres://``).

    With ``check_schema`` an out-of-date database is refused with the command that upgrades it.
    """
    if url.startswith("memory:"):
        from leadflow.store.memory import MemoryStore

        store: Store = MemoryStore()
        store.upgrade()
    elif url.startswith("sqlite:"):
        from leadflow.store.sqlite import SQLiteStore

        store = SQLiteStore(url)
    elif url.startswith(("postgresql://", "postgres://")):
        # imported here: SQLite users need no psycopg
        from leadflow.store.postgres import PostgresStore

        store = PostgresStore(url)
    else:
        raise InvalidInput(
            f"--db: unsupported database URL scheme in {url!r}; "
            "use sqlite:///PATH, postgresql://USER@HOST/DB or memory://"
        )
    if check_schema:
        try:
            store.check_schema()
        except Exception:
            store.close()
            raise
    return store
