"""Plumbing of the PostgreSQL backend: the connection pool, transactions, error wrapping, and its
hooks into the shared write paths of :mod:`.sql_writes` (ids, locks, notifications, claims).

Concurrency model (many workers, many machines, READ COMMITTED):

* every write is one transaction (``with self._connection() as conn, conn.transaction()``);
* claims pick rows with ``SELECT ... FOR NO KEY UPDATE SKIP LOCKED`` in a CTE and lease them in
  the same statement, so two claimers never get the same row;
* seq-guarded commits lock their runs (``SELECT ... FOR NO KEY UPDATE``, in id order) before
  judging the seqs, so the guard cannot be raced (a losing committer waits, then sees the new seq);
* read-modify-write of contacts and message statuses lock those rows first (``FOR NO KEY
  UPDATE``, which never blocks the foreign-key checks of new runs);
* enrollments (re-entry rules read existing runs) and workflow publishing take a transaction-scoped
  advisory lock per workflow key, so two enrollers of one key are serialized;
* new rows get their ids from the tables' identity sequences (``nextval`` reserved up front), so
  the records handed in can be given their ids without a query per row;
* writes that may create due work send ``pg_notify('leadflow_work', '')`` inside their own
  transaction (delivered only on commit, and once per transaction), and ``wait_for_work`` waits
  on a dedicated connection (outside the pool, opened on first wait) that ``LISTEN``-s on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool

from leadflow.errors import StoreError
from leadflow.model.records import (
    Message,
    NewEvent,
)
from leadflow.model.rules import (
    check_message_status,
)
from leadflow.store import sqlfiles
from leadflow.store.codec import (
    MESSAGE_INSERT_COLS,
    message_to_row,
)
from leadflow.store.sql_common import (
    HOLDS,
    INSERT_EVENT,
    INSERT_STEP,
    POSTGRES,
    QUEUED,
    UPDATE_CONTACT,
    UPDATE_FACTS,
)
from leadflow.store.sql_rows import (
    NEW_MESSAGE_STATUS,
    IdAssignments,
    event_row,
)
from leadflow.store.sql_statements import write_statements
from leadflow.store.sql_writes import SqlWrites

Conn = psycopg.Connection[tuple[Any, ...]]

TEXTS = "ANY(%s::text[])"
IDS = "ANY(%s::bigint[])"

_INSERT_STEP = POSTGRES.sql(INSERT_STEP)
_INSERT_MESSAGE = (
    f"INSERT INTO messages (id, {MESSAGE_INSERT_COLS}) VALUES ("
    + ", ".join(["%s"] * 23)
    + ") ON CONFLICT (idempotency_key) DO NOTHING"
)
_INSERT_EVENT = POSTGRES.sql(INSERT_EVENT) + " ON CONFLICT (dedupe_key) DO NOTHING"
_INSERT_RUN = (
    "INSERT INTO runs (id, workflow_key, version, contact_id, node, status, wake_at, context, "
    "step_seq, attempt, seq, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, 'active', %s, %s, 0, 0, 0, %s, %s)"
)
_UPDATE_CONTACT = POSTGRES.sql(UPDATE_CONTACT)
_UPDATE_FACTS = POSTGRES.sql(UPDATE_FACTS)

# Claims of messages take this transaction-level advisory lock first, so each claim's statement
# sees every lease the claims before it committed (one contact, one dispatching worker).
MESSAGE_CLAIM_LOCK = 0x1EAD_F10E
_CLAIM_MESSAGES = sqlfiles.query("postgres", "claim_messages", QUEUED=QUEUED, HOLDS=HOLDS)

WORK_CHANNEL = "leadflow_work"  # NOTIFY channel: new work may be due
LISTEN_RETRY_WAITS = 25  # after the LISTEN connection failed, waits (polls) before reconnecting


class _Backoff(Exception):
    """Internal: the LISTEN connection is down and not to be retried yet."""


log = logging.getLogger(__name__)


def redact_url(url: str) -> str:
    """The URL with its password (if any) replaced by ``***``: safe for messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:***@{host}"
        if parts.port is not None:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    except ValueError:
        return "postgresql://(unparsable URL)"


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def lock_key(namespace: str, key: str) -> str:
    return f"leadflow.{namespace}:{key}"


class PgBase(SqlWrites):
    """The pool, transactions and the dialect hooks of :class:`.SqlWrites`; :class:`PostgresStore`
    adds the contract methods that differ."""

    url: str
    _dialect = POSTGRES
    _stmts = write_statements(POSTGRES, "postgres", "%s::text")
    _row_lock = " ORDER BY id FOR NO KEY UPDATE"  # never blocks the foreign-key checks of runs
    _no_limit = None  # LIMIT NULL

    def __init__(self, url: str, *, max_size: int = 8, timeout: float = 30.0) -> None:
        self.url = redact_url(url)
        self._secret = _password(url)
        self._dsn = url  # the real URL (with its password): for the LISTEN connection only
        self._lock = threading.Lock()
        self._listen_lock = threading.Lock()  # one waiter at a time on the LISTEN connection
        self._listener: Conn | None = None
        self._listen_failed = False  # the LISTEN connection failed and is not back yet
        self._listen_skips = 0  # waits left before reconnecting after a failure
        try:
            # One probe connection first: a wrong host or password fails now, with the server's
            # own message, instead of as a pool timeout at the first query.
            with psycopg.connect(url, connect_timeout=10):
                pass
            pool: ConnectionPool[Conn] = ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                timeout=timeout,
                kwargs={"autocommit": True},
                name="leadflow",
                open=True,
            )
        except psycopg.Error as exc:
            reason = self._clean(exc)
            raise StoreError(f"cannot open PostgreSQL database {self.url}: {reason}") from exc
        self._pool: ConnectionPool[Conn] | None = pool

    # ------------------------------------------------------------------ plumbing
    def _clean(self, exc: BaseException) -> str:
        text = str(exc).strip()
        if self._secret:
            text = text.replace(self._secret, "***")
        return text

    def _error(self, exc: BaseException) -> StoreError:
        return StoreError(f"PostgreSQL ({self.url}): {self._clean(exc)}")

    def _the_pool(self) -> ConnectionPool[Conn]:
        pool = self._pool
        if pool is None:
            raise StoreError(f"store {self.url} is closed")
        return pool

    @contextmanager
    def _connection(self) -> Iterator[Conn]:
        """A live connection from the pool, given back at the end.

        Each one is checked on checkout (an empty statement, one round trip). A connection the
        server closed while it sat in the pool (a restart, a failover, ``pg_terminate_backend``)
        fails the check: it is discarded, and so is every other dead idle connection at once
        (``pool.check()``: when one died, the server usually dropped them all), and a fresh
        one is taken. A restart of the database so costs clients a short wait, not one error
        per pooled connection."""
        pool = self._the_pool()
        conn = pool.getconn()
        try:
            ConnectionPool.check_connection(conn)
        except psycopg.Error:
            pool.putconn(conn)  # broken: closed and replaced by the pool
            pool.check()
            conn = pool.getconn()
        try:
            yield conn
        finally:
            pool.putconn(conn)

    @contextmanager
    def _write(self) -> Iterator[Conn]:
        """One write transaction: COMMIT at the end, ROLLBACK on any error."""
        try:
            with self._connection() as conn, conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    @contextmanager
    def _read(self, snapshot: bool = False) -> Iterator[Conn]:
        """Reads (autocommit); ``snapshot`` wraps several statements in one read-only
        REPEATABLE READ transaction, so they all see the same moment."""
        try:
            with self._connection() as conn:
                if snapshot:
                    with conn.transaction():
                        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                        yield conn
                else:
                    yield conn
        except psycopg.Error as exc:
            raise self._error(exc) from exc

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        with self._listen_lock:  # a waiter holds it for at most its timeout
            self._drop_listener()
        if pool is not None:
            try:
                pool.close()
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    # ------------------------------------------------------------------ wake-ups
    @staticmethod
    def _notify(conn: Conn) -> None:
        """Tell waiting workers (``wait_for_work``) that new work may be due. Sent inside the
        writing transaction, so it is delivered on COMMIT and dropped on ROLLBACK."""
        conn.execute("SELECT pg_notify(%s, '')", (WORK_CHANNEL,))

    def _drop_listener(self) -> None:
        """Close the LISTEN connection (the caller holds ``_listen_lock``)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(psycopg.Error):
                listener.close()

    def wait_for_work(self, timeout: float) -> bool:
        """Wait on the LISTEN connection for a ``leadflow_work`` notification (any writer, any
        process), up to ``timeout`` seconds; queued notifications are drained so one burst of
        writes wakes the caller once. If the LISTEN connection fails (e.g. the server restarted)
        this degrades to sleeping out the timeout, and reconnects after a few waits.

        Reads no clock (the engine and store never do): the waits are bounded by their timeouts
        alone, so a wait may overrun a little (the lock, a reconnect)."""
        timeout = max(0.0, timeout)
        self._the_pool()  # a closed store raises
        if not self._listen_lock.acquire(timeout=timeout):
            return False  # another thread is waiting on this store
        try:
            try:
                conn = self._listener
                if conn is None:
                    if self._listen_skips > 0:
                        self._listen_skips -= 1
                        raise _Backoff
                    # libpq's shortest connect timeout is 2 s
                    conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=2)
                    self._listener = conn
                    conn.execute(f"LISTEN {WORK_CHANNEL}")
                    if self._listen_failed:
                        log.info("PostgreSQL LISTEN (%s) works again", self.url)
                        self._listen_failed = False
                woken = False
                for _ in conn.notifies(timeout=timeout, stop_after=1):
                    woken = True
                if woken:
                    for _ in conn.notifies(timeout=0):
                        pass
                return woken
            except _Backoff:
                pass
            except psycopg.Error as exc:
                if not self._listen_failed:  # once per outage, not once per wait
                    reason = self._clean(exc)
                    log.warning("PostgreSQL LISTEN (%s) failed, polling: %s", self.url, reason)
                self._listen_failed = True
                self._listen_skips = LISTEN_RETRY_WAITS
                self._drop_listener()
        finally:
            self._listen_lock.release()
        time.sleep(timeout)
        return False

    def _wake(self, conn: Conn) -> None:
        self._notify(conn)

    def _many(self, conn: Conn, sql: str, rows: Sequence[tuple[Any, ...]]) -> int:
        with conn.cursor() as cur:
            cur.executemany(sql, rows)
            return cur.rowcount

    def _pick_messages(self, conn: Conn, params: dict[str, Any]) -> list[Any]:
        # Claims take turns (the lock is held to COMMIT), so the statement sees every lease
        # committed before it: a contact another owner is sending to is skipped.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MESSAGE_CLAIM_LOCK,))
        return conn.execute(_CLAIM_MESSAGES, params).fetchall()

    def _new_ids(self, conn: Conn, table: str, n: int) -> list[int]:
        return self._reserve(conn, table, n)

    @staticmethod
    def _reserve(conn: Conn, table: str, n: int) -> list[int]:
        """``n`` new ids from the table's identity sequence, ascending."""
        rows = conn.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)",
            (n,),
        ).fetchall()
        return sorted(r[0] for r in rows)

    @staticmethod
    def _lock_keys(conn: Conn, namespace: str, keys: Iterable[str]) -> None:
        """Transaction-scoped advisory locks, taken in a fixed order (no deadlock between two
        callers locking overlapping key sets)."""
        for key in sorted(set(keys)):
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (lock_key(namespace, key),),
            )

    # ------------------------------------------------------------------ messages / events
    def _insert_messages(self, conn: Conn, messages: Sequence[Message], ids: IdAssignments) -> None:
        keys = [m.idempotency_key for m in messages]
        taken: dict[str, int] = dict(
            conn.execute(
                f"SELECT idempotency_key, id FROM messages WHERE idempotency_key = {TEXTS}",
                (keys,),
            ).fetchall()
        )
        fresh: list[Message] = []
        seen: set[str] = set()
        for m in messages:
            if m.idempotency_key not in taken and m.idempotency_key not in seen:
                seen.add(m.idempotency_key)
                fresh.append(m)
        if fresh:
            new_ids = self._reserve(conn, "messages", len(fresh))
            rows = [message_to_row(m, i) for m, i in zip(fresh, new_ids, strict=True)]
            for row in rows:
                check_message_status(row[NEW_MESSAGE_STATUS])
            with conn.cursor() as cur:
                cur.executemany(_INSERT_MESSAGE, rows)
            # A concurrent writer may have taken a key first (ON CONFLICT DO NOTHING): read back
            # who owns each new key, so every record carries the id of the message that has it.
            taken.update(
                conn.execute(
                    f"SELECT idempotency_key, id FROM messages WHERE idempotency_key = {TEXTS}",
                    ([m.idempotency_key for m in fresh],),
                ).fetchall()
            )
        for m in messages:
            ids.append((m, taken[m.idempotency_key]))

    def _append_events(
        self, conn: Conn, events: Sequence[NewEvent], now: float
    ) -> list[int | None]:
        taken = {
            r[0]
            for r in conn.execute(
                f"SELECT dedupe_key FROM events WHERE dedupe_key = {TEXTS}",
                ([e.dedupe_key for e in events],),
            )
        }
        fresh: list[NewEvent] = []
        for e in events:
            if e.dedupe_key not in taken:
                taken.add(e.dedupe_key)
                fresh.append(e)
        if not fresh:
            return [None] * len(events)
        new_ids = self._reserve(conn, "events", len(fresh))
        rows = [event_row(i, e, now) for e, i in zip(fresh, new_ids, strict=True)]
        with conn.cursor() as cur:
            cur.executemany(_INSERT_EVENT, rows)
        # Keys a concurrent writer took first were not inserted by us: they get None.
        owners: dict[str, int] = dict(
            conn.execute(
                f"SELECT dedupe_key, id FROM events WHERE dedupe_key = {TEXTS}",
                ([e.dedupe_key for e in fresh],),
            ).fetchall()
        )
        mine = {e.dedupe_key: i for e, i in zip(fresh, new_ids, strict=True)}
        out: list[int | None] = []
        for e in events:
            new_id = mine.pop(e.dedupe_key, None)
            ours = new_id is not None and owners.get(e.dedupe_key) == new_id
            out.append(new_id if ours else None)
        return out


__all__ = ["Conn", "IdAssignments", "PgBase", "redact_url"]
