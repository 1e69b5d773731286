"""Storage: one contract (:mod:`.contract`), several backends (memory, SQLite, PostgreSQL)."""

from leadflow.store.contract import Store
from leadflow.store.factory import open_store

__all__ = ["Store", "open_store"]
