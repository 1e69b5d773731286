"""What a feature part of a backend needs from the backend it is assembled into, declared once.

A backend class is assembled from its core and one part per feature store (see
:mod:`leadflow.store.contract`). A SQL part (:class:`SqlPart`) needs the store's transactions
and dialect; a memory part (:class:`MemoryPart`) needs the store's lock and keeps its own
tables, made on first use, plus read access to the tenants (the foreign keys the SQL schema
enforces)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from leadflow.errors import StoreError
from leadflow.model.tenancy import Agent, ApiKey, Team, Tenant
from leadflow.store.sql_common import Dialect

T = TypeVar("T")
K = TypeVar("K")

_PART_LOCK = threading.Lock()


def from_row(make: Callable[..., T]) -> Callable[[Sequence[Any]], T]:
    """``make`` called with a row's columns in order (a record whose fields are the columns)."""
    return lambda row: make(*row)


class SqlPart:
    """A feature part of the SQL stores: the transactions and dialect it is given."""

    _dialect: Dialect

    if TYPE_CHECKING:

        def _read(self, snapshot: bool = False) -> AbstractContextManager[Any]: ...

        def _write(self) -> AbstractContextManager[Any]: ...

    def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """The rows of one read (``sql`` with ``?`` placeholders)."""
        with self._read() as conn:
            rows: list[Any] = conn.execute(self._dialect.sql(sql), params).fetchall()
        return rows

    def _fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> Any | None:
        """The first row of one read, or None."""
        with self._read() as conn:
            return conn.execute(self._dialect.sql(sql), params).fetchone()

    def _fetch_as(
        self, make: Callable[[Any], T], sql: str, params: tuple[Any, ...] = ()
    ) -> list[T]:
        """The records ``make`` builds from the rows of one read."""
        return [make(r) for r in self._fetch(sql, params)]

    def _fetch_one_as(
        self, make: Callable[[Any], T], sql: str, params: tuple[Any, ...] = ()
    ) -> T | None:
        """The record ``make`` builds from the first row of one read, or None."""
        row = self._fetch_one(sql, params)
        return None if row is None else make(row)

    def _write_then_read(
        self, write: str, params: tuple[Any, ...], read: str, read_params: tuple[Any, ...]
    ) -> Any:
        """Run ``write`` and then ``read`` in one transaction (both with ``?`` placeholders):
        the read's first row, e.g. the row an insert that yields on a conflict left in place."""
        sql = self._dialect.sql
        with self._write() as conn:
            conn.execute(sql(write), params)
            return conn.execute(sql(read), read_params).fetchone()

    def _upsert_each(
        self,
        items: Sequence[T],
        find: str,
        key_of: Callable[[T], tuple[Any, ...]],
        upsert: str,
        row_of: Callable[[T, Any | None], tuple[Any, ...]],
    ) -> tuple[int, int]:
        """Insert or replace ``items`` in one transaction, in order: for each, ``find`` (with
        ``key_of(item)``) reads the row stored before, if any, and ``upsert`` writes
        ``row_of(item, that row or None)`` (both with ``?`` placeholders). Returns
        (inserted, updated)."""
        sql = self._dialect.sql
        find, upsert = sql(find), sql(upsert)
        inserted = 0
        with self._write() as conn:
            for item in items:
                found = conn.execute(find, key_of(item)).fetchone()
                conn.execute(upsert, row_of(item, found))
                inserted += found is None
        return inserted, len(items) - inserted

    def _change(self, sql: str, params: tuple[Any, ...]) -> int:
        """Run one write statement in its own transaction; the rows it changed."""
        with self._write() as conn:
            count: int = conn.execute(self._dialect.sql(sql), params).rowcount
        return count


@dataclass(slots=True)
class TenancyTables:
    """The memory backend's tenancy tables (the parents of every tenant-owned record)."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    teams: dict[tuple[str, str], Team] = field(default_factory=dict)
    agents: dict[tuple[str, str], Agent] = field(default_factory=dict)
    keys: dict[str, ApiKey] = field(default_factory=dict)


class MemoryPart:
    """A feature part of the memory store: the store's lock, its own tables (made on first
    use), and the tenants."""

    if TYPE_CHECKING:
        _lock: threading.Lock

    def _table(self, name: str, make: Callable[[], T]) -> T:
        """The part's state ``name`` (made by ``make`` on first use)."""
        found = self.__dict__.get(name)
        if found is None:
            with _PART_LOCK:
                found = self.__dict__.setdefault(name, make())
        return cast(T, found)

    def _copy_of(self, table: Mapping[K, T], key: K, copy: Callable[[T], T]) -> T | None:
        """A copy (made by ``copy``) of the record at ``key`` of one of the part's tables, read
        under the store's lock; None when there is none."""
        with self._lock:
            found = table.get(key)
            return None if found is None else copy(found)

    def _tenancy(self) -> TenancyTables:
        return self._table("_tenancy_tables", TenancyTables)

    def _need_tenant(self, tenant_id: str, what: str) -> None:
        """Mirror of a tenant foreign key: ``what`` names the column."""
        if tenant_id not in self._tenancy().tenants:
            raise StoreError(f"FOREIGN KEY constraint failed: {what}")


__all__ = ["MemoryPart", "SqlPart", "TenancyTables", "from_row"]
