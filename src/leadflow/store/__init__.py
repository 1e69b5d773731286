"""Storage: a core contract and narrow feature stores (:mod:`.contract`), several backends
(memory, SQLite, PostgreSQL)."""

from leadflow.store.contract import CoreStore, Store
from leadflow.store.factory import open_store

__all__ = ["CoreStore", "Store", "open_store"]
