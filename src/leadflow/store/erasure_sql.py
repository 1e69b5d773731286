"""The right to erasure on SQLite and PostgreSQL (one SQL, each database's placeholders).

One write transaction: the pseudonymous contact row is inserted first (the runs and enrollment
marks that stay keep their foreign key to it), every table is cleaned, the contact row is
deleted last, and the audit row is written. The contact is read with its tenant inside the same
transaction, so another tenant's contact is never touched (None: nothing changed).
"""

from __future__ import annotations

import json
from typing import Any

from leadflow.model.erasure import (
    ERASED,
    ERASED_TENANT,
    ERASURE_COLS,
    Erasure,
    contact_digest,
    new_pseudonym,
)
from leadflow.model.jsonvalue import dumps
from leadflow.store.contract_erasure import ErasureStore
from leadflow.store.parts import SqlPart

_LIVE_RUNS = "('active', 'waiting', 'paused')"
_QUEUED = "('pending', 'deferred')"
_RUNS_OF = "run_id IN (SELECT id FROM runs WHERE contact_id = ?)"
_EVENTS_OF = "event_id IN (SELECT id FROM events WHERE contact_id = ?)"

# (table, statement, what it binds): ``c`` the contact id, ``p`` the pseudonym, ``t`` the
# tenant, ``n`` now. Keys that may embed the contact id (a task's or an assignment's step key,
# a CRM delivery's idempotency key) have it replaced by the pseudonym. Order matters: the
# sandbox ledger and webhook deliveries are found through the messages and events before those
# are re-pointed; the contact row goes last.
_STEPS: tuple[tuple[str, str, str], ...] = (
    (
        "sandbox_deliveries",
        "DELETE FROM sandbox_deliveries WHERE idempotency_key IN "
        "(SELECT idempotency_key FROM messages WHERE contact_id = ?)",
        "c",
    ),
    (
        "webhook_deliveries",
        "UPDATE webhook_deliveries SET payload = '{}', last_error = NULL, "
        "status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END, "
        f"lease_owner = NULL, lease_until = NULL WHERE {_EVENTS_OF}",
        "c",
    ),
    (
        "steps",
        f"UPDATE steps SET data = '{{}}', error = NULL WHERE {_RUNS_OF}",
        "c",
    ),
    (
        "runs",
        "UPDATE runs SET contact_id = ?, context = '{}', error = NULL, "
        f"status = CASE WHEN status IN {_LIVE_RUNS} THEN 'cancelled' ELSE status END, "
        f"exit_reason = CASE WHEN status IN {_LIVE_RUNS} THEN '{ERASED}' ELSE exit_reason END, "
        f"ended_at = CASE WHEN status IN {_LIVE_RUNS} THEN ? ELSE ended_at END, "
        "wake_at = NULL, waiting_for = NULL, lease_owner = NULL, lease_until = NULL, "
        "seq = seq + 1, updated_at = ? WHERE contact_id = ?",
        "pnnc",
    ),
    (
        "messages",
        "UPDATE messages SET contact_id = ?, to_addr = '', subject = NULL, body = '', "
        "payload = '{}', error = NULL, "
        f"idempotency_key = 'erased:' || ? || ':' || CAST(id AS TEXT), "
        f"suppressed_reason = CASE WHEN status IN {_QUEUED} THEN '{ERASED}' "
        "ELSE suppressed_reason END, "
        f"status = CASE WHEN status IN {_QUEUED} THEN 'suppressed' ELSE status END "
        "WHERE contact_id = ?",
        "ppc",
    ),
    (
        "events",
        "UPDATE events SET contact_id = ?, data = '{}', error = NULL, "
        "dedupe_key = 'erased:' || ? || ':' || CAST(id AS TEXT), "
        f"ignored = CASE WHEN processed_at IS NULL THEN '{ERASED}' ELSE ignored END, "
        "processed_at = coalesce(processed_at, ?) WHERE contact_id = ?",
        "ppnc",
    ),
    (
        "enrollment_marks",
        "UPDATE enrollment_marks SET contact_id = ? WHERE contact_id = ?",
        "pc",
    ),
    (
        "tasks",
        "UPDATE tasks SET contact_id = ?, title = 'erased contact', body = NULL, "
        "step_key = REPLACE(step_key, ?, ?) WHERE tenant_id = ? AND contact_id = ?",
        "pcptc",
    ),
    (
        "appointments",
        "UPDATE appointments SET contact_id = ? WHERE tenant_id = ? AND contact_id = ?",
        "ptc",
    ),
    (
        "deals",
        "UPDATE deals SET contact_id = NULL WHERE tenant_id = ? AND contact_id = ?",
        "tc",
    ),
    (
        "experiment_assignments",
        "UPDATE experiment_assignments SET contact_id = ? WHERE tenant_id = ? AND contact_id = ?",
        "ptc",
    ),
    (
        "owner_assignments",
        "UPDATE owner_assignments SET contact_id = ?, reason = '', "
        "step_key = REPLACE(step_key, ?, ?) WHERE tenant_id = ? AND contact_id = ?",
        "pcptc",
    ),
    (
        "listing_matches",
        "DELETE FROM listing_matches WHERE tenant_id = ? AND contact_id = ?",
        "tc",
    ),
    (
        "compose_drafts",
        "DELETE FROM compose_drafts WHERE tenant_id = ? AND contact_id = ?",
        "tc",
    ),
    (
        "crm_deliveries",
        "UPDATE crm_deliveries SET contact_id = NULL, remote_id = NULL, error = NULL, "
        "request = '{}', calls = '[]', idempotency_key = REPLACE(idempotency_key, ?, ?), "
        "status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END "
        "WHERE tenant_id = ? AND contact_id = ?",
        "cptc",
    ),
    ("crm_links", "DELETE FROM crm_links WHERE tenant_id = ? AND contact_id = ?", "tc"),
    ("crm_sync_state", "DELETE FROM crm_sync_state WHERE tenant_id = ? AND contact_id = ?", "tc"),
    ("crm_sync_log", "DELETE FROM crm_sync_log WHERE tenant_id = ? AND contact_id = ?", "tc"),
    (
        "messenger_links",
        "DELETE FROM messenger_links WHERE tenant_id = ? AND contact_id = ?",
        "tc",
    ),
    (  # an automation rule's firing keeps its count, not what it did to the contact
        "automation_rule_firings",
        "UPDATE automation_rule_firings SET contact_id = ?, actions = '[]', error = NULL "
        "WHERE tenant_id = ? AND contact_id = ?",
        "ptc",
    ),
)


class SqlErasure(SqlPart, ErasureStore):
    def erase_contact(
        self, tenant_id: str, contact_id: str, erased_by: str, now: float
    ) -> Erasure | None:
        sql = self._dialect.sql
        pseudonym = new_pseudonym()
        values = {"c": contact_id, "p": pseudonym, "t": tenant_id, "n": now}
        counts: dict[str, int] = {}
        with self._write() as conn:
            found = conn.execute(
                sql(f"SELECT id FROM contacts WHERE id = ? AND tenant_id = ?{self._erase_lock}"),
                (contact_id, tenant_id),
            ).fetchone()
            if found is None:
                return None
            # The pseudonymous parent of the runs and enrollment marks that stay (no tenant's).
            conn.execute(
                sql(
                    "INSERT INTO contacts (id, tenant_id, stage, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)"
                ),
                (pseudonym, ERASED_TENANT, ERASED, now, now),
            )
            counts["orch_tasks"] = self._erase_task_inputs(conn, tenant_id, contact_id, pseudonym)
            for table, statement, binds in _STEPS:
                params = tuple(values[b] for b in binds)
                counts[table] = max(conn.execute(sql(statement), params).rowcount, 0)
            counts["contacts"] = conn.execute(
                sql("DELETE FROM contacts WHERE id = ? AND tenant_id = ?"),
                (contact_id, tenant_id),
            ).rowcount
            kept = {k: v for k, v in sorted(counts.items()) if v}
            digest = contact_digest(contact_id)
            row = conn.execute(
                sql(
                    "INSERT INTO erasures (tenant_id, contact_digest, erased_by, erased_at, "
                    "counts) VALUES (?, ?, ?, ?, ?) RETURNING id"
                ),
                (tenant_id, digest, erased_by, now, dumps(kept)),
            ).fetchone()
        return Erasure(int(row[0]), tenant_id, digest, erased_by, now, kept)

    _erase_lock = ""  # PostgreSQL locks the contact row (SQLite's write lock is the database's)

    def _erase_task_inputs(self, conn: Any, tenant_id: str, contact_id: str, pseudonym: str) -> int:
        """AI tasks naming the contact: its id in their input becomes the pseudonym, and their
        result (which may quote the contact) is dropped."""
        sql = self._dialect.sql
        quoted = json.dumps(contact_id)
        rows = conn.execute(
            sql("SELECT batch_id, task_id, input FROM orch_tasks WHERE tenant_id = ?"),
            (tenant_id,),
        ).fetchall()
        changed = 0
        for batch_id, task_id, text in rows:
            if quoted not in text:
                continue
            conn.execute(
                sql(
                    "UPDATE orch_tasks SET input = ?, result = NULL, error = NULL "
                    "WHERE batch_id = ? AND task_id = ?"
                ),
                (text.replace(quoted, json.dumps(pseudonym)), batch_id, task_id),
            )
            changed += 1
        return changed

    def list_erasures(self, tenant_id: str, limit: int = 100) -> list[Erasure]:
        rows = self._fetch(
            f"SELECT {ERASURE_COLS} FROM erasures WHERE tenant_id = ? "
            "ORDER BY erased_at DESC, id DESC LIMIT ?",
            (tenant_id, max(limit, 0)),
        )
        return [
            Erasure(int(r[0]), r[1], r[2], r[3], float(r[4]), dict(json.loads(r[5]))) for r in rows
        ]


class PgErasure(SqlErasure):
    _erase_lock = " FOR UPDATE"


__all__ = ["PgErasure", "SqlErasure"]
