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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import count
from pathlib import Path
from typing import Any

from leadflow.errors import InvalidInput, StoreError
from leadflow.store import sqlfiles
from leadflow.store.codec import (
    CONTACT_COLS,
    EVENT_COLS,
    MESSAGE_COLS,
    MESSAGE_FROM,
    MESSAGE_INSERT_COLS,
    RUN_COLS,
    SANDBOX_COLS,
    STEP_COLS,
    WORKFLOW_COLS,
    contact_from_row,
    contact_to_row,
    dumps,
    event_from_row,
    message_to_row,
    run_from_row,
    sandbox_from_row,
    step_from_row,
    workflow_from_row,
)
from leadflow.store.contract import Store, makes_work
from leadflow.store.drafts_sql import SqlDrafts
from leadflow.store.event_outcomes import SqlEventOutcomes
from leadflow.store.experiments_sql import SqlExperiments
from leadflow.store.listing_matches import SqlListingMatches
from leadflow.store.listings_sql import SqlListings
from leadflow.store.prune_sql import SqlPrune
from leadflow.store.records import (
    DEFAULT_TENANT,
    DUE_MESSAGE_STATUSES,
    Advance,
    ClaimedMessage,
    ClaimedRun,
    CommitResult,
    Contact,
    ContactPatch,
    EnrollOutcome,
    EnrollRequest,
    Event,
    Message,
    MessageFacts,
    MessageUpdate,
    NewEvent,
    Run,
    SandboxDelivery,
    Schedule,
    Step,
    WorkflowVersion,
)
from leadflow.store.rules import (
    RunStats,
    add_marks,
    apply_patches,
    check_message_status,
    check_reentry,
    check_runless,
    meta_number,
    plan_enrollments,
    plan_event_advances,
    rate_window_start,
    reentry_window_start,
)
from leadflow.store.score_models_sql import SqlScoreModels
from leadflow.store.senders_sql import SqlSenders
from leadflow.store.sql_common import (
    HOLDS,
    INSERT_EVENT,
    INSERT_STEP,
    LEASED_TABLES,
    LIVE,
    OPEN,
    QUEUED,
    SQLITE,
    UPDATE_CONTACT,
    UPDATE_FACTS,
    UPDATE_RUN,
    IdAssignments,
    WritesProducts,
    check_facts,
    check_sandbox_keys,
    claimed_messages,
    claimed_runs,
    contact_update_rows,
    due_queries,
    enroll_all_filters,
    event_row,
    fact_rows,
    fence_verdicts,
    message_update_rows,
    plan_commit,
    publish_version,
    runs_by_contact,
    step_rows,
    update_message_sql,
)
from leadflow.store.sql_reads import SqlReads
from leadflow.store.tenancy_sql import SqlTenancy
from leadflow.store.webhooks_sql import SqlWebhooks

_IN = "(SELECT value FROM json_each(?))"
_NOW_SQL = "(julianday('now') - 2440587.5) * 86400.0"
_DUE_QUERIES = due_queries(SQLITE)
_UPDATE_MESSAGE = update_message_sql("?")

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


class SQLiteStore(
    WritesProducts,
    SqlReads,
    SqlEventOutcomes,
    SqlPrune,
    SqlTenancy,
    SqlSenders,
    SqlDrafts,
    SqlWebhooks,
    SqlListings,
    SqlListingMatches,
    SqlScoreModels,
    SqlExperiments,
    Store,
):
    _dialect = SQLITE

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
        """One write transaction: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite ({self.path}): cannot begin: {exc}") from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"SQLite ({self.path}): {exc}") from exc
                raise

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

    @staticmethod
    def _assign(ids: _IdAssignments) -> None:
        for obj, new_id in ids:
            obj.id = new_id

    # ------------------------------------------------------------------ lifecycle / schema
    def _migrations(self) -> list[sqlfiles.Migration]:
        return sqlfiles.migrations("sqlite")

    @staticmethod
    def _applied(conn: sqlite3.Connection) -> set[int]:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if row is None:
            return set()
        return {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}

    def upgrade(self) -> list[int]:
        applied: list[int] = []
        for migration in self._migrations():
            with self._write() as conn:
                if migration.version in self._applied(conn):
                    continue
                for statement in migration.statements():
                    conn.execute(statement)
                conn.execute(
                    f"INSERT INTO schema_migrations (version, applied_at) VALUES (?, {_NOW_SQL})",
                    (migration.version,),
                )
            applied.append(migration.version)
        return applied

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

    @staticmethod
    def _contacts(conn: sqlite3.Connection, ids: Iterable[str | None]) -> dict[str, Contact]:
        wanted = list({i for i in ids if i is not None})
        if not wanted:
            return {}
        rows = conn.execute(
            f"SELECT {CONTACT_COLS} FROM contacts WHERE id IN {_IN}", (dumps(wanted),)
        ).fetchall()
        return {r[0]: contact_from_row(r) for r in rows}

    def get_contacts(self, contact_ids: Iterable[str]) -> dict[str, Contact]:
        with self._read() as conn:
            return self._contacts(conn, contact_ids)

    def _patch(self, conn: sqlite3.Connection, patches: Sequence[ContactPatch], now: float) -> None:
        if not patches:
            return
        contacts = self._contacts(conn, (p.contact_id for p in patches))
        touched = apply_patches(contacts, patches, now)
        conn.executemany(UPDATE_CONTACT, contact_update_rows(touched, now))

    # ------------------------------------------------------------------ workflows
    def publish_workflow(
        self,
        key: str,
        name: str,
        definition: dict[str, Any],
        now: float,
        tenant_id: str = DEFAULT_TENANT,
    ) -> WorkflowVersion:
        with self._write() as conn:
            return publish_version(conn, SQLITE, key, name, definition, now, tenant_id)

    def list_workflows(self, tenant_id: str | None = None) -> list[WorkflowVersion]:
        cond, params = ("", ()) if tenant_id is None else (" AND w.tenant_id = ?", (tenant_id,))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {WORKFLOW_COLS} FROM workflows w "
                "WHERE version = (SELECT max(version) FROM workflows x "
                "WHERE x.tenant_id = w.tenant_id AND x.key = w.key)"
                f"{cond} ORDER BY key, tenant_id",
                params,
            ).fetchall()
        return [workflow_from_row(r) for r in rows]

    # ------------------------------------------------------------------ schedules
    def set_schedules(self, tenant_id: str, key: str, schedules: Sequence[Schedule]) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM schedules WHERE tenant_id = ? AND workflow_key = ?", (tenant_id, key)
            )
            conn.executemany(
                "INSERT INTO schedules (tenant_id, workflow_key, version, trigger_index, cron, "
                "timezone, next_fire_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (tenant_id, workflow_key, trigger_index) "
                "DO UPDATE SET version = excluded.version, cron = excluded.cron, "
                "timezone = excluded.timezone, next_fire_at = excluded.next_fire_at",
                [
                    (tenant_id, key, s.version, s.trigger_index, s.cron, s.timezone, s.next_fire_at)
                    for s in schedules
                ],
            )
        if schedules:
            self._signal_work()

    # ------------------------------------------------------------------ runs
    def enroll(self, requests: Sequence[EnrollRequest], now: float) -> EnrollOutcome:
        for req in requests:
            check_reentry(req.reentry, req.reentry_days)
        if not requests:
            return EnrollOutcome()
        with self._write() as conn:
            out = self._enroll(conn, requests, now)
        if out.created:
            self._signal_work()
        return out

    def _enroll(
        self, conn: sqlite3.Connection, requests: Sequence[EnrollRequest], now: float
    ) -> EnrollOutcome:
        if not requests:
            return EnrollOutcome()
        contact_ids = dumps(list({r.contact_id for r in requests}))
        keys = dumps(list({r.workflow_key for r in requests}))
        known = {
            r[0] for r in conn.execute(f"SELECT id FROM contacts WHERE id IN {_IN}", (contact_ids,))
        }
        stats = {
            (r[0], r[1]): RunStats(r[2], r[3], r[4], r[5])
            for r in conn.execute(
                f"SELECT contact_id, workflow_key, count(*), sum(status IN {OPEN}), "
                "max(created_at), sum(created_at > ?) FROM runs "
                f"WHERE contact_id IN {_IN} AND workflow_key IN {_IN} "
                "GROUP BY contact_id, workflow_key",
                (rate_window_start(now), contact_ids, keys),
            )
        }
        add_marks(
            stats,
            conn.execute(
                "SELECT contact_id, workflow_key, runs, last_created_at FROM enrollment_marks "
                f"WHERE contact_id IN {_IN} AND workflow_key IN {_IN}",
                (contact_ids, keys),
            ),
        )
        accepted, skipped = plan_enrollments(
            requests, now, known.__contains__, lambda c, k: stats.get((c, k))
        )
        if not accepted:
            return EnrollOutcome(0, skipped, [])
        first = self._next_id(conn, "runs")
        run_ids = list(range(first, first + len(accepted)))
        conn.executemany(
            _INSERT_RUN,
            [
                (
                    rid,
                    r.workflow_key,
                    r.version,
                    r.contact_id,
                    r.start_node,
                    now,
                    dumps(r.context),
                    now,
                    now,
                )
                for rid, r in zip(run_ids, accepted, strict=True)
            ],
        )
        return EnrollOutcome(len(accepted), skipped, run_ids)

    def enroll_all(
        self,
        workflow_key: str,
        version: int,
        start_node: str,
        now: float,
        reentry: str = "never",
        reentry_days: int | None = None,
        tenant_id: str | None = None,
    ) -> EnrollOutcome:
        check_reentry(reentry, reentry_days)
        blocking, marked = enroll_all_filters(reentry, ":{}")
        tenant = "" if tenant_id is None else " WHERE c.tenant_id = :tenant"
        and_tenant = tenant.replace(" WHERE", " AND")
        with self._write() as conn:
            total: int = conn.execute(
                "SELECT count(*) FROM contacts c" + tenant, {"tenant": tenant_id}
            ).fetchone()[0]
            cur = conn.execute(
                "INSERT INTO runs (workflow_key, version, contact_id, node, status, wake_at, "
                "context, step_seq, attempt, seq, created_at, updated_at) "
                "SELECT :key, :version, c.id, :node, 'active', :now, '{}', 0, 0, 0, :now, :now "
                "FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM runs r "
                f"WHERE r.contact_id = c.id AND r.workflow_key = :key{blocking}){marked}"
                f"{and_tenant} "
                "ORDER BY c.id",
                {
                    "key": workflow_key,
                    "version": version,
                    "node": start_node,
                    "now": now,
                    "since": reentry_window_start(reentry_days, now),
                    "tenant": tenant_id,
                },
            )
            created = cur.rowcount
        if created:
            self._signal_work()
        return EnrollOutcome(created, total - created, [])

    def claim_runs(self, owner: str, now: float, limit: int, lease_s: float) -> list[ClaimedRun]:
        if limit <= 0:
            return []
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE runs SET lease_owner = ?, lease_until = ? WHERE id IN ("
                f"SELECT id FROM runs WHERE {LIVE} AND wake_at <= ? "
                "AND (lease_until IS NULL OR lease_until < ?) ORDER BY wake_at, id LIMIT ?) "
                f"RETURNING {RUN_COLS}",
                (owner, now + lease_s, now, now, limit),
            ).fetchall()
            if not rows:
                return []
            contacts = self._contacts(conn, (r[3] for r in rows))
        return claimed_runs(rows, contacts)

    def commit_advances(self, owner: str, advances: Sequence[Advance], now: float) -> CommitResult:
        if not advances:
            return CommitResult()
        ids: _IdAssignments = []
        with self._write() as conn:
            result = self._commit(conn, advances, now, ids)
        self._assign(ids)
        if result.applied and makes_work(advances):
            self._signal_work()
        return result

    def _commit(
        self,
        conn: sqlite3.Connection,
        advances: Sequence[Advance],
        now: float,
        ids: _IdAssignments,
    ) -> CommitResult:
        """Apply advances inside the open transaction, each seq-guarded on its own."""
        if not advances:
            return CommitResult()
        seqs: dict[int, int] = dict(
            conn.execute(
                f"SELECT id, seq FROM runs WHERE id IN {_IN}",
                (dumps([a.run_id for a in advances]),),
            ).fetchall()
        )
        result, applied, updates = plan_commit(advances, seqs, now)
        if not applied:
            return result
        cur = conn.executemany(UPDATE_RUN, updates)
        if cur.rowcount != len(updates):
            raise StoreError("runs changed during the commit")
        self._write_products(conn, applied, now, ids)
        return result

    def _insert_steps(
        self, conn: sqlite3.Connection, steps: Sequence[tuple[int, Step]], ids: _IdAssignments
    ) -> None:
        first = self._next_id(conn, "steps")
        conn.executemany(INSERT_STEP, step_rows(steps, count(first), ids))

    def _insert_messages(
        self, conn: sqlite3.Connection, messages: Sequence[Message], ids: _IdAssignments
    ) -> None:
        taken: dict[str, int] = dict(
            conn.execute(
                f"SELECT idempotency_key, id FROM messages WHERE idempotency_key IN {_IN}",
                (dumps([m.idempotency_key for m in messages]),),
            ).fetchall()
        )
        next_id = self._next_id(conn, "messages")
        rows: list[tuple[Any, ...]] = []
        for m in messages:
            found = taken.get(m.idempotency_key)
            if found is not None:
                ids.append((m, found))
                continue
            taken[m.idempotency_key] = next_id
            ids.append((m, next_id))
            rows.append(message_to_row(m, next_id))
            next_id += 1
        for row in rows:
            check_message_status(row[13])
        conn.executemany(_INSERT_MESSAGE, rows)

    def queue_messages(self, messages: Sequence[Message], now: float) -> list[int | None]:
        check_runless(messages)
        if not messages:
            return []
        out: list[int | None] = []
        queued: list[tuple[Message, int]] = []
        with self._write() as conn:
            taken = {
                r[0]
                for r in conn.execute(
                    f"SELECT idempotency_key FROM messages WHERE idempotency_key IN {_IN}",
                    (dumps([m.idempotency_key for m in messages]),),
                ).fetchall()
            }
            next_id = self._next_id(conn, "messages")
            rows: list[tuple[Any, ...]] = []
            for m in messages:
                if m.idempotency_key in taken:
                    out.append(None)
                    continue
                taken.add(m.idempotency_key)
                rows.append(message_to_row(m, next_id))
                queued.append((m, next_id))
                out.append(next_id)
                next_id += 1
            for row in rows:
                check_message_status(row[13])
            conn.executemany(_INSERT_MESSAGE, rows)
        for m, mid in queued:
            m.id = mid
        if queued:
            self._signal_work()
        return out

    def release_runs(self, owner: str, run_ids: Sequence[int]) -> None:
        if not run_ids:
            return
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET lease_owner = NULL, lease_until = NULL "
                f"WHERE id IN {_IN} AND lease_owner = ?",
                (dumps(list(run_ids)), owner),
            )
        self._signal_work()

    def get_runs(self, run_ids: Iterable[int]) -> dict[int, Run]:
        wanted = list(set(run_ids))
        if not wanted:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {RUN_COLS} FROM runs WHERE id IN {_IN}", (dumps(wanted),)
            ).fetchall()
        return {r[0]: run_from_row(r) for r in rows}

    def runs_of_contact(self, contact_id: str, statuses: Iterable[str] | None = None) -> list[Run]:
        with self._read() as conn:
            if statuses is None:
                rows = conn.execute(
                    f"SELECT {RUN_COLS} FROM runs WHERE contact_id = ? ORDER BY id", (contact_id,)
                ).fetchall()
            else:
                rows = conn.execute(
                    f"SELECT {RUN_COLS} FROM runs WHERE contact_id = ? AND status IN {_IN} "
                    "ORDER BY id",
                    (contact_id, dumps(list(statuses))),
                ).fetchall()
        return [run_from_row(r) for r in rows]

    def runs_of_contacts(
        self, contact_ids: Iterable[str], statuses: Iterable[str] | None = None
    ) -> dict[str, list[Run]]:
        wanted = sorted(set(contact_ids))
        if not wanted:
            return {}
        # One statement whatever the number of contacts: the ids travel as one JSON parameter
        # (json_each), so SQLite's limit on bound variables never applies.
        sql = f"SELECT {RUN_COLS} FROM runs WHERE contact_id IN {_IN}"
        params: tuple[Any, ...] = (dumps(wanted),)
        if statuses is not None:
            sql += f" AND status IN {_IN}"
            params += (dumps(list(statuses)),)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY contact_id, id", params).fetchall()
        return runs_by_contact(rows)

    def all_steps(self, limit: int | None = None, since_id: int = 0) -> list[Step]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {STEP_COLS} FROM steps WHERE id > ? ORDER BY id LIMIT ?",
                (since_id, -1 if limit is None else limit),
            ).fetchall()
        return [step_from_row(r) for r in rows]

    # ------------------------------------------------------------------ events
    def append_events(self, events: Sequence[NewEvent], now: float) -> list[int | None]:
        if not events:
            return []
        with self._write() as conn:
            out = self._append_events(conn, events, now)
        if any(i is not None for i in out):
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

    def claim_events(self, owner: str, now: float, limit: int, lease_s: float) -> list[Event]:
        if limit <= 0:
            return []
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE events SET lease_owner = ?, lease_until = ? WHERE id IN ("
                "SELECT id FROM events WHERE processed_at IS NULL AND occurred_at <= ? "
                "AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?) "
                f"RETURNING {EVENT_COLS}",
                (owner, now + lease_s, now, now, limit),
            ).fetchall()
        rows.sort(key=lambda r: r[0])
        return [event_from_row(r) for r in rows]

    def complete_events(
        self,
        owner: str,
        event_ids: Sequence[int],
        advances: Sequence[Advance],
        enrollments: Sequence[EnrollRequest],
        facts: Sequence[MessageFacts],
        now: float,
    ) -> CommitResult:
        for req in enrollments:
            check_reentry(req.reentry, req.reentry_days)
        ids: _IdAssignments = []
        with self._write() as conn:
            seqs: dict[int, int] = {}
            if advances:
                seqs = dict(
                    conn.execute(
                        f"SELECT id, seq FROM runs WHERE id IN {_IN}",
                        (dumps([a.run_id for a in advances]),),
                    ).fetchall()
                )
            # the plan replays the seq guards; _commit then applies exactly the accepted advances
            plan = plan_event_advances(advances, seqs.get)
            retry = plan.retry_events
            self._commit(conn, plan.accepted, now, ids)
            result = CommitResult(
                len(plan.accepted), len(plan.rejected), [a.run_id for a in plan.rejected]
            )
            kept = [r for r in enrollments if r.event_id is None or r.event_id not in retry]
            if kept:
                self._enroll(conn, kept, now)
            if facts:
                self._facts(conn, facts)
            if event_ids:
                done = [(now, i) for i in event_ids if i not in retry]
                again = [(i,) for i in event_ids if i in retry]
                conn.executemany(
                    "UPDATE events SET processed_at = ?, lease_owner = NULL, lease_until = NULL "
                    "WHERE id = ? AND processed_at IS NULL",
                    done,
                )
                conn.executemany(
                    "UPDATE events SET lease_owner = NULL, lease_until = NULL "
                    "WHERE id = ? AND processed_at IS NULL",
                    again,
                )
        self._assign(ids)
        if retry or kept or makes_work(plan.accepted):
            self._signal_work()
        return result

    # ------------------------------------------------------------------ outbox
    def claim_messages(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[ClaimedMessage]:
        if limit <= 0:
            return []
        with self._write() as conn:
            # Pick first (the status before the claim tells what is in doubt), then lease: both
            # under the write lock, so nobody can claim in between.
            picked = conn.execute(
                f"SELECT m.id, m.status FROM messages m WHERE m.{QUEUED} AND m.due_at <= ? "
                "AND (m.status <> 'sending' OR m.lease_until IS NULL OR m.lease_until < ?) "
                "AND (m.contact_id IS NULL OR (NOT EXISTS (SELECT 1 FROM events e "
                "WHERE e.contact_id = m.contact_id AND e.processed_at IS NULL "
                f"AND e.type IN {HOLDS}) AND NOT EXISTS ({_BUSY_CONTACT}))) "
                "ORDER BY m.due_at, m.id LIMIT ?",
                (now, now, owner, now, limit),
            ).fetchall()
            if not picked:
                return []
            in_doubt = {r[0] for r in picked if r[1] == "sending"}
            ids = dumps([r[0] for r in picked])
            conn.execute(
                "UPDATE messages SET status = 'sending', lease_owner = ?, lease_until = ? "
                f"WHERE id IN {_IN}",
                (owner, now + lease_s, ids),
            )
            rows = conn.execute(
                f"SELECT {MESSAGE_COLS}, r.status, r.version FROM {MESSAGE_FROM} "
                f"LEFT JOIN runs r ON r.id = m.run_id WHERE m.id IN {_IN}",
                (ids,),
            ).fetchall()
            contacts = self._contacts(conn, (r[1] for r in rows))
        return claimed_messages(rows, contacts, in_doubt)

    def update_messages(
        self, owner: str, updates: Sequence[MessageUpdate], events: Sequence[NewEvent], now: float
    ) -> list[int]:
        for u in updates:
            check_message_status(u.status)
        if not updates and not events:
            return []
        with self._write() as conn:
            updates, events, refused = fence_verdicts(conn, SQLITE, owner, updates, events)
            conn.executemany(_UPDATE_MESSAGE, message_update_rows(updates))
            if events:
                self._append_events(conn, events, now)
        if events or any(u.status in DUE_MESSAGE_STATUSES for u in updates):
            self._signal_work()
        return refused

    # ------------------------------------------------------------------ leases
    def release_leases(self, owners: Sequence[str]) -> int:
        if not owners:
            return 0
        released = 0
        with self._write() as conn:
            for table, live in LEASED_TABLES:
                released += conn.execute(
                    f"UPDATE {table} SET lease_owner = NULL, lease_until = NULL "
                    f"WHERE lease_owner IN {_IN} AND {live}",
                    (dumps(list(owners)),),
                ).rowcount
        if released:
            self._signal_work()
        return released

    def _facts(self, conn: sqlite3.Connection, facts: Sequence[MessageFacts]) -> None:
        check_facts(facts)
        status: dict[int, str] = dict(
            conn.execute(
                f"SELECT id, status FROM messages WHERE id IN {_IN}",
                (dumps([f.message_id for f in facts]),),
            ).fetchall()
        )
        conn.executemany(UPDATE_FACTS, fact_rows(facts, status))

    # ------------------------------------------------------------------ sandbox ledger
    def sandbox_deliver_many(
        self, items: Sequence[tuple[str, str, str | None, str | None, str]], now: float
    ) -> list[bool]:
        if not items:
            return []
        check_sandbox_keys(items)
        with self._write() as conn:
            seen = {
                r[0]
                for r in conn.execute(
                    "SELECT idempotency_key FROM sandbox_deliveries "
                    f"WHERE idempotency_key IN {_IN}",
                    (dumps([item[0] for item in items]),),
                )
            }
            out: list[bool] = []
            new_rows: list[tuple[Any, ...]] = []
            again: dict[str, int] = {}
            for key, channel, to, body, provider_id in items:
                if key in seen:
                    out.append(False)
                    again[key] = again.get(key, 0) + 1
                    continue
                seen.add(key)
                out.append(True)
                new_rows.append((key, channel, to, body, provider_id, now))
            conn.executemany(
                f"INSERT INTO sandbox_deliveries ({SANDBOX_COLS}) VALUES (?, ?, ?, ?, ?, ?, 0)",
                new_rows,
            )
            conn.executemany(
                "UPDATE sandbox_deliveries SET duplicates = duplicates + ? "
                "WHERE idempotency_key = ?",
                [(n, key) for key, n in again.items()],
            )
        return out

    def sandbox_deliveries(self) -> list[SandboxDelivery]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {SANDBOX_COLS} FROM sandbox_deliveries ORDER BY rowid"
            ).fetchall()
        return [sandbox_from_row(r) for r in rows]


# A contact whose message another owner is sending right now (parameters: owner, now): its
# other messages wait, so one worker at a time dispatches to a contact.
_BUSY_CONTACT = (
    "SELECT 1 FROM messages o WHERE o.contact_id = m.contact_id AND o.status = 'sending' "
    "AND o.lease_owner IS NOT NULL AND o.lease_owner <> ? AND o.lease_until >= ?"
)

__all__ = ["SQLiteStore", "path_from_url"]
