"""The PostgreSQL backend: psycopg 3 with a connection pool, every write one transaction.

Same semantics as the SQLite backend (same codec, same rules, a port of its SQL); what differs
is concurrency, since many workers on many machines share one database: see
:mod:`.postgres_base` for the locking model. Runs and events live in :mod:`.postgres_runs`.
URLs: ``postgresql://user[:password]@host[:port]/dbname`` (``postgres://`` too); the password
never appears in ``store.url`` nor in an error message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from leadflow.store import sqlfiles
from leadflow.store.codec import (
    CONTACT_COLS,
    MESSAGE_COLS,
    MESSAGE_FROM,
    SANDBOX_COLS,
    WORKFLOW_COLS,
    contact_to_row,
    message_to_row,
    sandbox_from_row,
    workflow_from_row,
)
from leadflow.store.contract import Store
from leadflow.store.drafts_sql import SqlDrafts
from leadflow.store.event_outcomes import SqlEventOutcomes
from leadflow.store.experiments_sql import SqlExperiments
from leadflow.store.listing_matches import SqlListingMatches
from leadflow.store.listings_sql import SqlListings
from leadflow.store.postgres_base import _INSERT_MESSAGE, IDS, TEXTS, Conn, redact_url
from leadflow.store.postgres_leases import MESSAGE_CLAIM_LOCK, PgLeases
from leadflow.store.postgres_runs import PgRuns
from leadflow.store.prune_sql import PgPrune
from leadflow.store.records import (
    DEFAULT_TENANT,
    DUE_MESSAGE_STATUSES,
    ClaimedMessage,
    Contact,
    Message,
    MessageUpdate,
    NewEvent,
    SandboxDelivery,
    Schedule,
    WorkflowVersion,
)
from leadflow.store.rules import check_message_status, check_runless
from leadflow.store.score_models_sql import SqlScoreModels
from leadflow.store.senders_sql import SqlSenders
from leadflow.store.sql_common import (
    HOLDS,
    POSTGRES,
    QUEUED,
    check_sandbox_keys,
    claimed_messages,
    due_queries,
    fence_verdicts,
    message_update_rows,
    publish_version,
    update_message_sql,
)
from leadflow.store.sql_reads import SqlReads
from leadflow.store.tenancy_sql import SqlTenancy
from leadflow.store.webhooks_sql import SqlWebhooks

_NOW_SQL = "extract(epoch FROM clock_timestamp())::double precision"
_DUE_QUERIES = due_queries(POSTGRES)
_UPDATE_MESSAGE = POSTGRES.sql(update_message_sql("%s::text"))
_MIGRATION_LOCK = "leadflow.migrations"


class PostgresStore(
    PgRuns,
    PgLeases,
    PgPrune,
    SqlReads,
    SqlEventOutcomes,
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
    """:class:`Store` on PostgreSQL (``postgresql://`` / ``postgres://`` URLs)."""

    _dialect = POSTGRES

    # ------------------------------------------------------------------ lifecycle / schema
    def _migrations(self) -> list[sqlfiles.Migration]:
        return sqlfiles.migrations("postgres")

    @staticmethod
    def _applied(conn: Conn) -> set[int]:
        row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        if row is None or not row[0]:
            return set()
        return {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}

    def upgrade(self) -> list[int]:
        applied: list[int] = []
        for migration in self._migrations():
            with self._write() as conn:
                # two upgraders at once: the second waits, then sees the version applied
                self._lock_keys(conn, "migrations", [_MIGRATION_LOCK])
                if migration.version in self._applied(conn):
                    continue
                for statement in migration.statements():
                    conn.execute(statement)  # no parameters, so a % is literal
                conn.execute(
                    f"INSERT INTO schema_migrations (version, applied_at) VALUES (%s, {_NOW_SQL})",
                    (migration.version,),
                )
            applied.append(migration.version)
        return applied

    # ------------------------------------------------------------------ contacts
    def save_contacts(
        self, contacts: Sequence[Contact], events: Sequence[NewEvent], now: float
    ) -> tuple[int, int, list[int | None]]:
        if not contacts and not events:
            return 0, 0, []
        # In id order (a stable sort keeps repeats of one id in the order given): two upserts of
        # overlapping contacts lock rows in the same order.
        ordered = sorted(contacts, key=lambda c: c.id)
        rows = [contact_to_row(c, c.created_at or now, now) for c in ordered]
        inserted = updated = 0
        with self._write() as conn:
            if rows:
                with conn.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO contacts ({CONTACT_COLS}) VALUES ("
                        + ", ".join(["%s"] * 15)
                        + ") ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, "
                        "last_name = excluded.last_name, email = excluded.email, "
                        "phone = excluded.phone, time_zone = excluded.time_zone, "
                        "state = excluded.state, owner = excluded.owner, stage = excluded.stage, "
                        "tags = excluded.tags, fields = excluded.fields, "
                        "consent = excluded.consent, updated_at = excluded.updated_at "
                        "RETURNING (xmax = 0)",  # true when the row was inserted
                        rows,
                        returning=True,
                    )
                    while True:
                        row = cur.fetchone()
                        if row is not None and row[0]:
                            inserted += 1
                        else:
                            updated += 1
                        if not cur.nextset():
                            break
            ids = self._append_events(conn, events, now) if events else []
            if any(i is not None for i in ids):
                self._notify(conn)
        return inserted, updated, ids

    def get_contacts(self, contact_ids: Iterable[str]) -> dict[str, Contact]:
        with self._read() as conn:
            return self._contacts(conn, contact_ids)

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
            self._lock_keys(conn, "workflow", [f"{tenant_id}/{key}"])
            return publish_version(conn, POSTGRES, key, name, definition, now, tenant_id)

    def list_workflows(self, tenant_id: str | None = None) -> list[WorkflowVersion]:
        cond, params = ("", ()) if tenant_id is None else ("WHERE tenant_id = %s ", (tenant_id,))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT ON (key, tenant_id) {WORKFLOW_COLS} FROM workflows "
                f"{cond}ORDER BY key, tenant_id, version DESC",
                params,
            ).fetchall()
        return [workflow_from_row(r) for r in rows]

    # ------------------------------------------------------------------ schedules
    def set_schedules(self, tenant_id: str, key: str, schedules: Sequence[Schedule]) -> None:
        with self._write() as conn:
            self._lock_keys(conn, "schedules", [f"{tenant_id}/{key}"])
            conn.execute(
                "DELETE FROM schedules WHERE tenant_id = %s AND workflow_key = %s",
                (tenant_id, key),
            )
            if not schedules:
                return
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO schedules (tenant_id, workflow_key, version, trigger_index, "
                    "cron, timezone, next_fire_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (tenant_id, workflow_key, trigger_index) DO UPDATE SET "
                    "version = excluded.version, cron = excluded.cron, "
                    "timezone = excluded.timezone, next_fire_at = excluded.next_fire_at",
                    [
                        (
                            tenant_id,
                            key,
                            s.version,
                            s.trigger_index,
                            s.cron,
                            s.timezone,
                            s.next_fire_at,
                        )
                        for s in schedules
                    ],
                )
            self._notify(conn)

    # ------------------------------------------------------------------ outbox
    def claim_messages(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[ClaimedMessage]:
        if limit <= 0:
            return []
        with self._write() as conn:
            # Claims take turns (the lock is held to COMMIT), so the statement below sees every
            # lease committed before it: a contact another owner is sending to is skipped.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MESSAGE_CLAIM_LOCK,))
            # Pick (keeping each message's status before the claim: that tells what is in doubt)
            # and lease in one statement; SKIP LOCKED leaves rows another writer holds.
            picked = conn.execute(
                "WITH picked AS (SELECT m.id, m.status FROM messages m "
                f"WHERE m.{QUEUED} AND m.due_at <= %(now)s "
                "AND (m.status <> 'sending' OR m.lease_until IS NULL OR m.lease_until < %(now)s) "
                "AND (m.contact_id IS NULL OR (NOT EXISTS (SELECT 1 FROM events e "
                "WHERE e.contact_id = m.contact_id AND e.processed_at IS NULL "
                f"AND e.type IN {HOLDS}) AND NOT EXISTS (SELECT 1 FROM messages o "
                "WHERE o.contact_id = m.contact_id AND o.status = 'sending' "
                "AND o.lease_owner IS NOT NULL AND o.lease_owner <> %(owner)s "
                "AND o.lease_until >= %(now)s))) ORDER BY m.due_at, m.id LIMIT %(limit)s "
                "FOR NO KEY UPDATE OF m SKIP LOCKED), "
                "leased AS (UPDATE messages SET status = 'sending', lease_owner = %(owner)s, "
                "lease_until = %(until)s WHERE id IN (SELECT id FROM picked) RETURNING id) "
                "SELECT picked.id, picked.status FROM picked JOIN leased ON leased.id = picked.id",
                {"now": now, "limit": limit, "owner": owner, "until": now + lease_s},
            ).fetchall()
            if not picked:
                return []
            in_doubt = {r[0] for r in picked if r[1] == "sending"}
            rows = conn.execute(
                f"SELECT {MESSAGE_COLS}, r.status, r.version FROM {MESSAGE_FROM} "
                f"LEFT JOIN runs r ON r.id = m.run_id WHERE m.id = {IDS}",
                ([r[0] for r in picked],),
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
            lock = " ORDER BY id FOR NO KEY UPDATE"
            updates, events, refused = fence_verdicts(conn, POSTGRES, owner, updates, events, lock)
            if updates:
                with conn.cursor() as cur:
                    cur.executemany(_UPDATE_MESSAGE, message_update_rows(updates))
            if events:
                self._append_events(conn, events, now)
            if events or any(u.status in DUE_MESSAGE_STATUSES for u in updates):
                self._notify(conn)
        return refused

    def queue_messages(self, messages: Sequence[Message], now: float) -> list[int | None]:
        check_runless(messages)
        if not messages:
            return []
        keys = [m.idempotency_key for m in messages]
        with self._write() as conn:
            taken = {
                r[0]
                for r in conn.execute(
                    f"SELECT idempotency_key FROM messages WHERE idempotency_key = {TEXTS}",
                    (keys,),
                ).fetchall()
            }
            fresh: dict[str, Message] = {}
            for m in messages:
                if m.idempotency_key not in taken and m.idempotency_key not in fresh:
                    fresh[m.idempotency_key] = m
            mine: dict[str, int] = {}
            if fresh:
                new_ids = self._reserve(conn, "messages", len(fresh))
                wanted = dict(zip(fresh, new_ids, strict=True))
                rows = [message_to_row(m, wanted[k]) for k, m in fresh.items()]
                for row in rows:
                    check_message_status(row[13])
                with conn.cursor() as cur:
                    cur.executemany(_INSERT_MESSAGE, rows)
                # A concurrent writer may have taken a key first (ON CONFLICT DO NOTHING):
                # only the rows that carry the id reserved here were queued by this call.
                owners = conn.execute(
                    f"SELECT idempotency_key, id FROM messages WHERE idempotency_key = {TEXTS}",
                    (list(fresh),),
                ).fetchall()
                mine = {k: i for k, i in owners if wanted.get(k) == i}
                if mine:
                    self._notify(conn)
        out: list[int | None] = []
        for m in messages:
            mid = mine.pop(m.idempotency_key, None)
            if mid is not None and fresh.get(m.idempotency_key) is m:
                m.id = mid
                out.append(mid)
            else:
                out.append(None)
        return out

    # ------------------------------------------------------------------ sandbox ledger
    def sandbox_deliver_many(
        self, items: Sequence[tuple[str, str, str | None, str | None, str]], now: float
    ) -> list[bool]:
        if not items:
            return []
        check_sandbox_keys(items)
        out: list[bool] = []
        with self._write() as conn:
            seen = {
                r[0]
                for r in conn.execute(
                    "SELECT idempotency_key FROM sandbox_deliveries "
                    f"WHERE idempotency_key = {TEXTS}",
                    ([item[0] for item in items],),
                )
            }
            for key, channel, to, body, provider_id in items:
                if key in seen:
                    conn.execute(
                        "UPDATE sandbox_deliveries SET duplicates = duplicates + 1 "
                        "WHERE idempotency_key = %s",
                        (key,),
                    )
                    out.append(False)
                    continue
                # a concurrent delivery of the same key may land first: then this is a duplicate
                row = conn.execute(
                    f"INSERT INTO sandbox_deliveries ({SANDBOX_COLS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, 0) ON CONFLICT (idempotency_key) "
                    "DO UPDATE SET duplicates = sandbox_deliveries.duplicates + 1 "
                    "RETURNING (xmax = 0)",
                    (key, channel, to, body, provider_id, now),
                ).fetchone()
                seen.add(key)
                out.append(bool(row is not None and row[0]))
        return out

    def sandbox_deliveries(self) -> list[SandboxDelivery]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {SANDBOX_COLS} FROM sandbox_deliveries ORDER BY seq"
            ).fetchall()
        return [sandbox_from_row(r) for r in rows]


__all__ = ["PostgresStore", "redact_url"]
