"""The PostgreSQL backend: psycopg 3 with a connection pool, every write one transaction.

Same semantics as the SQLite backend: the write paths are :mod:`.sql_writes`, written once, and
this module holds what differs (upserts that race with other writers, the sandbox ledger); the
rest is concurrency, since many workers on many machines share one database: see
:mod:`.postgres_base` for the locking model and the dialect hooks.
URLs: ``postgresql://user[:password]@host[:port]/dbname`` (``postgres://`` too); the password
never appears in ``store.url`` nor in an error message.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.model.records import (
    Contact,
    Message,
    NewEvent,
)
from leadflow.model.rules import check_message_status, check_runless
from leadflow.store.codec import (
    CONTACT_COLS,
    contact_to_row,
    message_to_row,
)
from leadflow.store.erasure_sql import PgErasure
from leadflow.store.postgres_base import _INSERT_MESSAGE, TEXTS, Conn, redact_url
from leadflow.store.postgres_leases import PgLeases
from leadflow.store.prune_sql import PgPrune
from leadflow.store.sandbox_sql import PgSandbox
from leadflow.store.sql_rows import NEW_MESSAGE_STATUS
from leadflow.store.sql_store import SqlStore


class PostgresStore(PgErasure, PgLeases, PgPrune, PgSandbox, SqlStore):
    """:class:`Store` on PostgreSQL (``postgresql://`` / ``postgres://`` URLs)."""

    _dialect_name = "postgres"
    _now_sql = "extract(epoch FROM clock_timestamp())::double precision"

    # ------------------------------------------------------------------ lifecycle / schema
    @staticmethod
    def _applied(conn: Conn) -> set[int]:
        row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        if row is None or not row[0]:
            return set()
        return {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}

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

    # ------------------------------------------------------------------ outbox
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
                    check_message_status(row[NEW_MESSAGE_STATUS])
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


__all__ = ["PostgresStore", "redact_url"]
