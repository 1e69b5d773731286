"""The SQLite backend: one file, WAL, one connection per store, every write one
``BEGIN IMMEDIATE`` transaction.

Hot paths are set-based: a batch commit is one seq read, one ``executemany`` per table and one
commit; claims are single ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING``. Id lists are
passed as one JSON parameter (``IN (SELECT value FROM json_each(?))``) so no statement grows with
the batch. New rows get explicit ids (``max(id) + 1``, safe under the write lock, and above any
id a prune deleted) so the records passed in can be given their ids without a query per row.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from leadflow.errors import InvalidInput, StoreError
from leadflow.model.jsonvalue import dumps
from leadflow.model.records import (
    Contact,
    Message,
    NewEvent,
)
from leadflow.model.rules import (
    check_message_status,
    check_runless,
    meta_number,
)
from leadflow.store import sqlfiles
from leadflow.store.codec import (
    CONTACT_COLS,
    MESSAGE_INSERT_COLS,
    contact_to_row,
    message_to_row,
)
from leadflow.store.erasure_sql import SqlErasure
from leadflow.store.prune_sql import SqlPrune
from leadflow.store.sandbox_sql import SqliteSandbox
from leadflow.store.sql_common import (
    HOLDS,
    INSERT_EVENT,
    QUEUED,
    SQLITE,
    due_queries,
)
from leadflow.store.sql_rows import (
    NEW_MESSAGE_STATUS,
    IdAssignments,
    event_row,
)
from leadflow.store.sql_statements import write_statements
from leadflow.store.sql_store import SqlStore

_IN = "(SELECT value FROM json_each(?))"
_DUE_QUERIES = due_queries(SQLITE)  # the next_due_at queries (their plans are tested)
_PICK_MESSAGES = sqlfiles.query("sqlite", "pick_messages", QUEUED=QUEUED, HOLDS=HOLDS)
_LEASE_MESSAGES = sqlfiles.query("sqlite", "lease_messages")

_INSERT_MESSAGE = (
    f"INSERT INTO messages (id, {MESSAGE_INSERT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_RUN = (
    "INSERT INTO runs (id, workflow_key, version, contact_id, node, status, wake_at, context, "
    "step_seq, attempt, seq, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, 'active', ?, ?, 0, 0, 0, ?, ?)"
)

# Objects handed in that get their new ids once the transaction has committed.
_IdAssignments = IdAssignments


def path_from_url(url: str) -> str:
    """``sqlite:///relative.db`` -> ``relative.db``; ``sqlite:////abs/x.db`` -> ``/abs/x.db``."""
    if not url.startswith("sqlite:///"):
        raise InvalidInput(
            f"--db: a SQLite URL looks like sqlite:///relative.db or sqlite:////abs/path.db, "
            f"not {url!r}"
        )
    path = url[len("sqlite:///") :].split("?", 1)[0]
    if not path:
        raise InvalidInput(f"--db: no file name in {url!r}")
    return path


class SQLiteStore(SqlErasure, SqlPrune, SqliteSandbox, SqlStore):
    _dialect = SQLITE
    _dialect_name = "sqlite"
    _now_sql = "(julianday('now') - 2440587.5) * 86400.0"
    _stmts = write_statements(SQLITE, "sqlite", "?")
    _no_limit = -1  # LIMIT -1
    _woken = False  # the open write transaction made work (see _wake)

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = path_from_url(url)
        self._lock = threading.Lock()
        conn: sqlite3.Connection | None = None
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=256
            )
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA cache_size = -65536")  # 64 MiB
            conn.execute("PRAGMA temp_store = MEMORY")
        except (sqlite3.Error, OSError) as exc:
            if conn is not None:
                conn.close()
            raise StoreError(f"cannot open SQLite database {self.path!r}: {exc}") from exc
        self._conn: sqlite3.Connection | None = conn

    # ------------------------------------------------------------------ plumbing
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"store {self.url} is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error; the
        waiters are woken once it committed if it made work (:meth:`_wake`)."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite ({self.path}): cannot begin: {exc}") from exc
            self._woken = False
            try:
                yield conn
                conn.execute("COMMIT")
                woken, self._woken = self._woken, False
            except BaseException as exc:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"SQLite ({self.path}): {exc}") from exc
                raise
        if woken:
            self._signal_work()

    def _wake(self, conn: sqlite3.Connection) -> None:
        self._woken = True  # read by _write once the transaction committed

    def _many(self, conn: sqlite3.Connection, sql: str, rows: Sequence[tuple[Any, ...]]) -> int:
        return conn.executemany(sql, rows).rowcount

    def _pick_messages(self, conn: sqlite3.Connection, params: dict[str, Any]) -> list[Any]:
        # Pick first (the status before the claim tells what is in doubt), then lease: both
        # under the write lock, so nobody can claim in between.
        picked = conn.execute(_PICK_MESSAGES, params).fetchall()
        if picked:
            conn.execute(_LEASE_MESSAGES, {**params, "ids": dumps([r[0] for r in picked])})
        return picked

    def _new_ids(self, conn: sqlite3.Connection, table: str, n: int) -> range:
        first = self._next_id(conn, table)
        return range(first, first + n)

    @contextmanager
    def _read(self, snapshot: bool = False) -> Iterator[sqlite3.Connection]:
        """Reads; ``snapshot`` wraps several statements in one read transaction."""
        with self._lock:
            conn = self._connection()
            try:
                if snapshot:
                    conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    if snapshot and conn.in_transaction:
                        conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite ({self.path}): {exc}") from exc

    @staticmethod
    def _next_id(conn: sqlite3.Connection, table: str) -> int:
        # Never reuse an id, even of a deleted row: runs are AUTOINCREMENT (sqlite_sequence);
        # for the other tables a prune records the highest id before it deletes (id_high_water).
        if table == "runs":
            kept = "SELECT seq FROM sqlite_sequence WHERE name = 'runs'"
        else:
            kept = f"SELECT id FROM id_high_water WHERE name = '{table}'"
        sql = f"SELECT max(coalesce(({kept}), 0), coalesce((SELECT max(id) FROM {table}), 0)) + 1"
        value: int = conn.execute(sql).fetchone()[0]
        return value

    # ------------------------------------------------------------------ lifecycle / schema
    @staticmethod
    def _applied(conn: sqlite3.Connection) -> set[int]:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if row is None:
            return set()
        return {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                except sqlite3.Error as exc:
                    raise StoreError(f"SQLite ({self.path}): {exc}") from exc
                finally:
                    self._conn = None

    def journal_mode(self) -> str:
        """The journal mode in force (``wal``)."""
        with self._read() as conn:
            value: str = conn.execute("PRAGMA journal_mode").fetchone()[0]
            return value

    # ------------------------------------------------------------------ meta
    def raise_meta(self, key: str, value: float) -> float:
        with self._write() as conn:  # BEGIN IMMEDIATE: read and write under the write lock
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            current = meta_number(None if row is None else str(row[0]))
            if current is not None and current >= value:
                return current
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, repr(float(value))),
            )
        return float(value)

    # ------------------------------------------------------------------ contacts
    def save_contacts(
        self, contacts: Sequence[Contact], events: Sequence[NewEvent], now: float
    ) -> tuple[int, int, list[int | None]]:
        if not contacts and not events:
            return 0, 0, []
        rows = [contact_to_row(c, c.created_at or now, now) for c in contacts]
        inserted = updated = 0
        with self._write() as conn:
            seen = {
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM contacts WHERE id IN {_IN}", (dumps([c.id for c in contacts]),)
                )
            }
            for c in contacts:
                if c.id in seen:
                    updated += 1
                else:
                    inserted += 1
                    seen.add(c.id)
            conn.executemany(
                f"INSERT INTO contacts ({CONTACT_COLS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, "
                "last_name = excluded.last_name, email = excluded.email, phone = excluded.phone, "
                "time_zone = excluded.time_zone, state = excluded.state, owner = excluded.owner, "
                "stage = excluded.stage, tags = excluded.tags, fields = excluded.fields, "
                "consent = excluded.consent, updated_at = excluded.updated_at",
                rows,
            )
            ids = self._append_events(conn, events, now) if events else []
        if any(i is not None for i in ids):
            self._signal_work()
        return inserted, updated, ids

    # ------------------------------------------------------------------ workflows
    # ------------------------------------------------------------------ messages / events
    def _insert_messages(
        self, conn: sqlite3.Connection, messages: Sequence[Message], ids: _IdAssignments
    ) -> None:
        stored, _ = self._insert_new_messages(conn, messages)
        ids.extend((m, stored[m.idempotency_key]) for m in messages)

    def _insert_new_messages(
        self, conn: sqlite3.Connection, messages: Sequence[Message]
    ) -> tuple[dict[str, int], list[bool]]:
        """Inserts each message whose idempotency key is not stored yet (the first of
        ``messages`` with it): the ids of all their keys, and which messages were inserted."""
        stored: dict[str, int] = dict(
            conn.execute(
                f"SELECT idempotency_key, id FROM messages WHERE idempotency_key IN {_IN}",
                (dumps([m.idempotency_key for m in messages]),),
            ).fetchall()
        )
        next_id = self._next_id(conn, "messages")
        rows: list[tuple[Any, ...]] = []
        inserted: list[bool] = []
        for m in messages:
            fresh = m.idempotency_key not in stored
            inserted.append(fresh)
            if fresh:
                stored[m.idempotency_key] = next_id
                rows.append(message_to_row(m, next_id))
                next_id += 1
        for row in rows:
            check_message_status(row[NEW_MESSAGE_STATUS])
        conn.executemany(_INSERT_MESSAGE, rows)
        return stored, inserted

    def queue_messages(self, messages: Sequence[Message], now: float) -> list[int | None]:
        check_runless(messages)
        if not messages:
            return []
        with self._write() as conn:
            stored, inserted = self._insert_new_messages(conn, messages)
        out: list[int | None] = []
        for m, new in zip(messages, inserted, strict=True):
            out.append(stored[m.idempotency_key] if new else None)
            if new:
                m.id = stored[m.idempotency_key]
        if any(inserted):
            self._signal_work()
        return out

    def _append_events(
        self, conn: sqlite3.Connection, events: Sequence[NewEvent], now: float
    ) -> list[int | None]:
        taken = {
            r[0]
            for r in conn.execute(
                f"SELECT dedupe_key FROM events WHERE dedupe_key IN {_IN}",
                (dumps([e.dedupe_key for e in events]),),
            )
        }
        next_id = self._next_id(conn, "events")
        out: list[int | None] = []
        rows: list[tuple[Any, ...]] = []
        for e in events:
            if e.dedupe_key in taken:
                out.append(None)
                continue
            taken.add(e.dedupe_key)
            out.append(next_id)
            rows.append(event_row(next_id, e, now))
            next_id += 1
        conn.executemany(INSERT_EVENT, rows)
        return out


__all__ = ["SQLiteStore", "path_from_url"]
