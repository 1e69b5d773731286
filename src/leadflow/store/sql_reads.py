"""Contract methods whose SQL is the same on SQLite and PostgreSQL but for its placeholder: one
statement (or one snapshot of them) each, mostly reads. A mixin of both SQL backends, which
give it ``_dialect``, ``_read``, ``_write``, ``_version``, ``_migrations``, ``_patch`` and
``_facts``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from leadflow.model.records import (
    Contact,
    ContactFilter,
    ContactPatch,
    Event,
    HeldLease,
    Message,
    MessageFacts,
    MessageFilter,
    NodeCount,
    Run,
    RunFilter,
    Schedule,
    Scope,
    Step,
    WorkflowVersion,
)
from leadflow.store import sqlfiles
from leadflow.store.codec import (
    CONTACT_COLS,
    EVENT_COLS,
    MESSAGE_COLS,
    MESSAGE_FROM,
    RUN_COLS,
    STEP_COLS,
    WORKFLOW_COLS,
    contact_from_row,
    event_from_row,
    message_from_row,
    run_from_row,
    step_from_row,
    workflow_from_row,
)
from leadflow.store.contract_work import EventQuery
from leadflow.store.sql_common import (
    HOLDS,
    REPLIES,
    Dialect,
    Where,
    contact_filter_sql,
    due_queries,
    held_leases,
    next_due,
    node_count_queries,
    node_counts,
)

_EVENT_STATUS = {
    "pending": "processed_at IS NULL",
    "processed": "processed_at IS NOT NULL AND error IS NULL",
    "failed": "error IS NOT NULL",
}


class SqlReads:
    _dialect: Dialect

    def _read(self, snapshot: bool = False) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _migrations(self) -> list[sqlfiles.Migration]:
        raise NotImplementedError

    @staticmethod
    def _applied(conn: Any) -> set[int]:
        """The versions in schema_migrations (empty for an empty database)."""
        raise NotImplementedError

    def _version(self, conn: Any) -> int:
        known = [m.version for m in self._migrations()]
        return sqlfiles.effective_version(self._applied(conn), known)

    def _patch(self, conn: Any, patches: Sequence[ContactPatch], now: float) -> None:
        raise NotImplementedError

    def _facts(self, conn: Any, facts: Sequence[MessageFacts]) -> None:
        raise NotImplementedError

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first row of one read (``?`` placeholders), or None."""
        with self._read() as conn:
            return conn.execute(self._dialect.sql(sql), params).fetchone()

    def _count(self, sql: str) -> int:
        """The number a ``SELECT count(*)`` reads."""
        row = self._one(sql)
        return 0 if row is None else int(row[0])

    def _page(self, select: str, w: Where, order: str, limit: int, offset: int) -> list[Any]:
        """One page of the rows of ``select`` that meet ``w``, in ``order``."""
        p = self._dialect.placeholder
        with self._read() as conn:
            rows: list[Any] = conn.execute(
                f"{select}{w.sql()} ORDER BY {order} LIMIT {p} OFFSET {p}",
                (*w.params, limit, offset),
            ).fetchall()
            return rows

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """The rows of one read (``?`` placeholders)."""
        with self._read() as conn:
            rows: list[Any] = conn.execute(self._dialect.sql(sql), params).fetchall()
            return rows

    def event_ids_by_dedupe(self, dedupe_keys: Sequence[str]) -> dict[str, int]:
        if not dedupe_keys:
            return {}
        rows = self._all(
            f"SELECT dedupe_key, id FROM events WHERE dedupe_key {self._dialect.in_texts}",
            (self._dialect.values(dedupe_keys),),
        )
        return {str(key): int(eid) for key, eid in rows}

    # ------------------------------------------------------------------ schema / meta
    def schema_version(self) -> int:
        with self._read() as conn:
            return self._version(conn)

    def latest_schema_version(self) -> int:
        found = self._migrations()
        return found[-1].version if found else 0

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                self._dialect.sql(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ),
                (key, value),
            )

    # ------------------------------------------------------------------ contacts / workflows
    def get_contact(self, contact_id: str) -> Contact | None:
        row = self._one(f"SELECT {CONTACT_COLS} FROM contacts WHERE id = ?", (contact_id,))
        return None if row is None else contact_from_row(row)

    def list_contacts(self, limit: int = 1000, offset: int = 0) -> list[Contact]:
        rows = self._all(
            f"SELECT {CONTACT_COLS} FROM contacts ORDER BY id LIMIT ? OFFSET ?", (limit, offset)
        )
        return [contact_from_row(r) for r in rows]

    def find_contacts(self, flt: ContactFilter) -> list[Contact]:
        sql, params = contact_filter_sql(self._dialect, flt)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [contact_from_row(r) for r in rows]

    def contacts_in_scope(self, scope: Scope, contact_ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(contact_ids))
        if not wanted:
            return set()
        # By primary key, the scope applied to the few rows found: a condition on tenant_id
        # would lead the planner to the (tenant, owner) index and a scan of the whole tenant.
        d = self._dialect
        if len(wanted) == 1:
            rows = self._all("SELECT id, tenant_id, owner FROM contacts WHERE id = ?", (wanted[0],))
        else:
            among = d.in_texts.replace("%s", "?")
            rows = self._all(
                f"SELECT id, tenant_id, owner FROM contacts WHERE id {among}", (d.values(wanted),)
            )
        owners = scope.owners
        return {
            r[0]
            for r in rows
            if r[1] == scope.tenant_id and (owners is None or (r[2] is not None and r[2] in owners))
        }

    def count_contacts(self) -> int:
        return self._count("SELECT count(*) FROM contacts")

    def apply_contact_patches(self, patches: Sequence[ContactPatch], now: float) -> None:
        if not patches:
            return
        with self._write() as conn:
            self._patch(conn, patches, now)

    def get_workflow(
        self, tenant_id: str, key: str, version: int | None = None
    ) -> WorkflowVersion | None:
        if version is None:
            row = self._one(
                f"SELECT {WORKFLOW_COLS} FROM workflows WHERE tenant_id = ? AND key = ? "
                "ORDER BY version DESC LIMIT 1",
                (tenant_id, key),
            )
        else:
            row = self._one(
                f"SELECT {WORKFLOW_COLS} FROM workflows "
                "WHERE tenant_id = ? AND key = ? AND version = ?",
                (tenant_id, key, version),
            )
        return None if row is None else workflow_from_row(row)

    # ------------------------------------------------------------------ schedules
    def due_schedules(self, now: float) -> list[Schedule]:
        rows = self._all(
            "SELECT workflow_key, version, trigger_index, cron, timezone, next_fire_at, "
            "tenant_id FROM schedules WHERE next_fire_at <= ? "
            "ORDER BY next_fire_at, workflow_key, tenant_id, trigger_index",
            (now,),
        )
        return [Schedule(*r) for r in rows]

    def advance_schedule(self, schedule: Schedule, next_fire_at: float) -> bool:
        with self._write() as conn:
            cur = conn.execute(
                self._dialect.sql(
                    "UPDATE schedules SET next_fire_at = ? WHERE tenant_id = ? "
                    "AND workflow_key = ? AND trigger_index = ? AND version = ? "
                    "AND next_fire_at = ?"
                ),
                (
                    next_fire_at,
                    schedule.tenant_id,
                    schedule.workflow_key,
                    schedule.trigger_index,
                    schedule.version,
                    schedule.next_fire_at,
                ),
            )
            return bool(cur.rowcount == 1)

    # ------------------------------------------------------------------ runs / events
    def get_run(self, run_id: int) -> Run | None:
        row = self._one(f"SELECT {RUN_COLS} FROM runs WHERE id = ?", (run_id,))
        return None if row is None else run_from_row(row)

    def list_runs(self, flt: RunFilter) -> list[Run]:
        w = Where(self._dialect).eq("workflow_key", flt.workflow_key)
        w.eq("contact_id", flt.contact_id).eq("status", flt.status)
        if flt.after_id:
            w.add("id > ?", flt.after_id)
        w.contact_of(flt.scope, "contact_id")
        rows = self._page(f"SELECT {RUN_COLS} FROM runs", w, "id", flt.limit, flt.offset)
        return [run_from_row(r) for r in rows]

    def count_runs_since(self, contact_id: str, workflow_key: str, since: float) -> int:
        row = self._one(
            "SELECT count(*) FROM runs WHERE contact_id = ? AND workflow_key = ? "
            f"AND created_at > ? AND {self._dialect.not_branch()}",
            (contact_id, workflow_key, since),
        )
        return int(row[0])

    def count_runs(
        self, workflow_key: str | None = None, scope: Scope | None = None
    ) -> dict[str, int]:
        w = Where(self._dialect).eq("workflow_key", workflow_key).contact_of(scope, "contact_id")
        w.add(self._dialect.not_branch())  # a branch run is part of its parent's run
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT status, count(*) FROM runs{w.sql()} GROUP BY status ORDER BY status",
                tuple(w.params),
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def run_steps(self, run_id: int) -> list[Step]:
        rows = self._all(f"SELECT {STEP_COLS} FROM steps WHERE run_id = ? ORDER BY id", (run_id,))
        return [step_from_row(r) for r in rows]

    def node_counts(self, workflow_key: str, scope: Scope | None = None) -> list[NodeCount]:
        w = Where(self._dialect).contact_of(scope, "r.contact_id")
        with self._read(snapshot=True) as conn:
            return node_counts(
                conn, node_count_queries(self._dialect, tuple(w.conditions)), workflow_key, w.params
            )

    def _find_events(self, q: EventQuery) -> list[Event]:
        w = Where(self._dialect).eq("contact_id", q.contact_id).eq("type", q.type)
        if q.after_id:
            w.add("id > ?", q.after_id)
        if q.status is not None:
            w.add(_EVENT_STATUS[q.status])
        w.contact_of(q.scope, "contact_id")
        rows = self._page(f"SELECT {EVENT_COLS} FROM events", w, "id", q.limit, q.offset)
        return [event_from_row(r) for r in rows]

    def pending_events_count(self) -> int:
        return self._count("SELECT count(*) FROM events WHERE processed_at IS NULL")

    # ------------------------------------------------------------------ messages
    def apply_message_facts(self, facts: Sequence[MessageFacts], now: float) -> None:
        if not facts:
            return
        with self._write() as conn:
            self._facts(conn, facts)

    def _one_message(self, cond: str, params: tuple[Any, ...]) -> Message | None:
        row = self._one(f"SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} {cond}", params)
        return None if row is None else message_from_row(row)

    def get_message(self, message_id: int) -> Message | None:
        return self._one_message("WHERE m.id = ?", (message_id,))

    def find_message(self, idempotency_key: str) -> Message | None:
        return self._one_message("WHERE m.idempotency_key = ?", (idempotency_key,))

    def find_message_by_provider(self, provider_id: str) -> Message | None:
        return self._one_message(
            "WHERE m.provider_id = ? ORDER BY m.id DESC LIMIT 1", (provider_id,)
        )

    def latest_message_to(self, contact_id: str, channel: str) -> Message | None:
        return self._one_message(
            "WHERE m.contact_id = ? AND m.channel = ? AND m.status IN ('sent', 'delivered') "
            "ORDER BY coalesce(m.sent_at, m.created_at) DESC, m.id DESC LIMIT 1",
            (contact_id, channel),
        )

    def list_messages(self, flt: MessageFilter) -> list[Message]:
        w = Where(self._dialect).eq("m.run_id", flt.run_id).eq("m.contact_id", flt.contact_id)
        w.eq("m.status", flt.status).eq("m.channel", flt.channel)
        if flt.after_id:
            w.add("m.id > ?", flt.after_id)
        w.contact_of(flt.scope, "m.contact_id")
        select = f"SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM}"
        rows = self._page(select, w, "m.id", flt.limit, flt.offset)
        return [message_from_row(r) for r in rows]

    def messages_of_run(self, run_id: int) -> list[Message]:
        rows = self._all(
            f"SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} WHERE m.run_id = ? ORDER BY m.id",
            (run_id,),
        )
        return [message_from_row(r) for r in rows]

    # ------------------------------------------------------------------ due times / leases
    def next_due_at(self, include_leases: bool = True) -> float | None:
        with self._read(snapshot=True) as conn:
            return next_due(conn, due_queries(self._dialect), include_leases)

    def held_leases(self) -> list[HeldLease]:
        with self._read(snapshot=True) as conn:
            return held_leases(conn)

    def renew_messages(
        self, owner: str, message_ids: Sequence[int], now: float, lease_s: float
    ) -> set[int]:
        if not message_ids:
            return set()
        d = self._dialect
        with self._write() as conn:
            rows = conn.execute(
                d.sql(
                    f"UPDATE messages SET lease_until = ? WHERE id {d.in_ids} "
                    "AND status = 'sending' AND lease_owner = ? AND (contact_id IS NULL OR "
                    "NOT EXISTS (SELECT 1 FROM events e WHERE e.contact_id = messages.contact_id "
                    f"AND e.processed_at IS NULL AND e.type IN {HOLDS})) RETURNING id"
                ),
                (now + lease_s, d.values(message_ids), owner),
            ).fetchall()
        return {r[0] for r in rows}

    def sent_counts_since(
        self, contact_ids: Iterable[str], since: float, channels: Iterable[str] | None = None
    ) -> dict[str, int]:
        wanted = sorted(set(contact_ids))
        out = dict.fromkeys(wanted, 0)
        if not wanted:
            return out
        d = self._dialect
        sql = (
            "SELECT contact_id, count(*) FROM messages "
            f"WHERE contact_id {d.in_texts} AND status IN ('sent', 'delivered') AND sent_at >= ? "
            "AND run_id IS NOT NULL"
        )
        params: tuple[Any, ...] = (d.values(wanted), since)
        if channels is not None:
            sql += f" AND channel {d.in_texts}"
            params += (d.values(channels),)
        for contact_id, count in self._all(sql + " GROUP BY contact_id", params):
            out[contact_id] = count
        return out

    def last_reply_at(self, contact_ids: Iterable[str]) -> dict[str, float]:
        wanted = sorted(set(contact_ids))
        if not wanted:
            return {}
        d = self._dialect
        rows = self._all(
            "SELECT contact_id, max(occurred_at) FROM events "
            f"WHERE contact_id {d.in_texts} AND type IN {REPLIES} GROUP BY contact_id",
            (d.values(wanted),),
        )
        return {r[0]: r[1] for r in sorted(rows)}


__all__ = ["SqlReads"]
