"""AI task orchestration on SQLite and PostgreSQL (``?`` placeholders, adapted per dialect).

Claims are serialized (SQLite: every write is ``BEGIN IMMEDIATE``; PostgreSQL: a transaction
advisory lock), so the concurrency limits count the leases of every worker; the outcome of a
task and what it changes for its batch are written under the batch's lock, so two tasks
finishing at once both see each other's status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadflow.errors import StoreError
from leadflow.model.jsonvalue import dumps, dumps_opt, loads, loads_opt
from leadflow.model.orchestration import (
    ClaimLimits,
    OrchBatch,
    OrchTask,
    TaskOutcome,
    TaskStatus,
)
from leadflow.store.codec import opt_float, row_reader, row_writer
from leadflow.store.contract_orchestration import OrchestrationStore
from leadflow.store.orchestration_claims import pick, quarantine_reason
from leadflow.store.parts import SqlPart

_TASK_COLS = (
    "batch_id, task_id, tenant_id, kind, input, priority, depends_on, server, seq, created_at, "
    "status, ready, result, confidence, tokens_in, tokens_out, error, attempts, lease_owner, "
    "lease_until, started_at, finished_at"
)
_INSERT_TASK = f"INSERT INTO orch_tasks ({_TASK_COLS}) VALUES ({', '.join(['?'] * 22)})"
_INSERT_BATCH = (
    "INSERT INTO orch_batches (id, tenant_id, label, created_at, cancelled_at)"
    " VALUES (?, ?, ?, ?, ?)"
)
_BATCH_COLS = "id, tenant_id, label, created_at, cancelled_at"
_COUNTS = (
    "SELECT batch_id, status, count(*) FROM orch_tasks WHERE batch_id IN ({})"
    " GROUP BY batch_id, status"
)
_SKIP = (
    "UPDATE orch_tasks SET status = 'skipped', error = ?, finished_at = ?"
    " WHERE batch_id = ? AND task_id = ? AND status = 'pending'"
)
_READY = "UPDATE orch_tasks SET ready = 1 WHERE batch_id = ? AND task_id = ?"
_INSERT_DEP = "INSERT INTO orch_deps (batch_id, task_id, dep_id) VALUES (?, ?, ?)"
# the pending dependents of a task, in submission order
_DEPENDENTS = (
    "SELECT t.task_id, t.ready FROM orch_deps d JOIN orch_tasks t"
    " ON t.batch_id = d.batch_id AND t.task_id = d.task_id"
    " WHERE d.batch_id = ? AND d.dep_id = ? AND t.status = 'pending' ORDER BY t.seq"
)
# how many dependencies of a task are not done
_NOT_DONE = (
    "SELECT count(*) FROM orch_deps d JOIN orch_tasks t"
    " ON t.batch_id = d.batch_id AND t.task_id = d.dep_id"
    " WHERE d.batch_id = ? AND d.task_id = ? AND t.status <> 'done'"
)
_VERB = {"failed": "failed", "skipped": "was skipped", "cancelled": "was cancelled"}
_ANY_CLAIMABLE = (
    "SELECT EXISTS (SELECT 1 FROM orch_tasks WHERE status = 'pending' AND ready = 1)"
    " OR EXISTS (SELECT 1 FROM orch_tasks WHERE status = 'running' AND lease_until < ?)"
)
_LIGHT = "batch_id, task_id, tenant_id, server, attempts"


_task = row_reader(
    OrchTask,
    _TASK_COLS,
    {
        "input": loads,
        "priority": int,
        "depends_on": loads,
        "seq": int,
        "created_at": float,
        "ready": bool,
        "result": loads_opt,
        "confidence": opt_float,
        "tokens_in": int,
        "tokens_out": int,
        "attempts": int,
        "lease_until": opt_float,
        "started_at": opt_float,
        "finished_at": opt_float,
    },
)


def _dumps_list(items: Sequence[str]) -> str:
    return dumps(list(items))


_task_row = row_writer(
    OrchTask,
    _TASK_COLS,
    {"input": dumps, "depends_on": _dumps_list, "status": str, "ready": int, "result": dumps_opt},
)


@dataclass(frozen=True, slots=True)
class _Light:
    """A claim candidate: what the claim decides on, without the task's input."""

    batch_id: str
    task_id: str
    tenant_id: str
    server: str
    attempts: int


class SqlOrchestration(SqlPart, OrchestrationStore):
    """The orchestration methods of the Store contract for the two SQL backends."""

    if TYPE_CHECKING:

        def _lock_keys(self, conn: Any, namespace: str, keys: Iterable[str]) -> None: ...

    def _q(self, conn: Any, text: str, params: tuple[Any, ...] = ()) -> Any:
        return conn.execute(self._dialect.sql(text), params)

    def create_orch_batch(self, batch: OrchBatch, tasks: Sequence[OrchTask]) -> None:
        try:
            with self._write() as conn:
                self._q(
                    conn,
                    _INSERT_BATCH,
                    (batch.id, batch.tenant_id, batch.label, batch.created_at, batch.cancelled_at),
                )
                for t in tasks:
                    self._q(conn, _INSERT_TASK, _task_row(t))
                for t in tasks:
                    for dep in dict.fromkeys(t.depends_on):
                        self._q(conn, _INSERT_DEP, (t.batch_id, t.task_id, dep))
        except StoreError:
            raise
        except Exception as exc:  # an integrity error of either driver
            raise StoreError(f"orchestration batch {batch.id!r} not stored: {exc}") from None

    def _with_counts(self, conn: Any, batches: list[OrchBatch]) -> list[OrchBatch]:
        if not batches:
            return batches
        by_id = {b.id: b for b in batches}
        marks = ", ".join("?" for _ in batches)
        for batch_id, status, n in self._q(conn, _COUNTS.format(marks), tuple(by_id)).fetchall():
            by_id[batch_id].counts[status] = int(n)
        return batches

    @staticmethod
    def _batch(row: Sequence[Any]) -> OrchBatch:
        return OrchBatch(row[0], row[1], float(row[3]), row[2], opt_float(row[4]))

    def get_orch_batch(self, tenant_id: str, batch_id: str) -> OrchBatch | None:
        with self._read() as conn:
            row = self._q(
                conn,
                f"SELECT {_BATCH_COLS} FROM orch_batches WHERE id = ? AND tenant_id = ?",
                (batch_id, tenant_id),
            ).fetchone()
            return None if row is None else self._with_counts(conn, [self._batch(row)])[0]

    def list_orch_batches(self, tenant_id: str, limit: int = 50) -> list[OrchBatch]:
        with self._read() as conn:
            rows = self._q(
                conn,
                f"SELECT {_BATCH_COLS} FROM orch_batches WHERE tenant_id = ?"
                " ORDER BY created_at DESC, id DESC LIMIT ?",
                (tenant_id, max(0, limit)),
            ).fetchall()
            return self._with_counts(conn, [self._batch(r) for r in rows])

    def orch_tasks(
        self, tenant_id: str, batch_id: str, task_ids: Sequence[str] | None = None
    ) -> list[OrchTask]:
        text = f"SELECT {_TASK_COLS} FROM orch_tasks WHERE batch_id = ? AND tenant_id = ?"
        params: tuple[Any, ...] = (batch_id, tenant_id)
        if task_ids is not None:
            if not task_ids:
                return []
            text += f" AND task_id IN ({', '.join('?' for _ in task_ids)})"
            params += tuple(task_ids)
        return [_task(r) for r in self._fetch(text + " ORDER BY seq", params)]

    def cancel_orch_batch(self, tenant_id: str, batch_id: str, now: float) -> int | None:
        with self._write() as conn:
            self._lock_keys(conn, "orch_batch", [batch_id])
            found = self._q(
                conn,
                "SELECT id FROM orch_batches WHERE id = ? AND tenant_id = ?",
                (batch_id, tenant_id),
            ).fetchone()
            if found is None:
                return None
            self._q(
                conn,
                "UPDATE orch_batches SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
                (now, batch_id),
            )
            count: int = self._q(
                conn,
                "UPDATE orch_tasks SET status = 'cancelled', error = 'batch cancelled',"
                " finished_at = ? WHERE batch_id = ? AND status = 'pending'",
                (now, batch_id),
            ).rowcount
            return count

    def _apply(self, conn: Any, batch_id: str, task_id: str, status: str, now: float) -> None:
        """What the end of ``task_id`` with ``status`` changes for its batch (as
        :func:`~leadflow.model.orchestration.consequences` says, read through the edges)."""
        if status == TaskStatus.DONE:
            for other, ready in self._q(conn, _DEPENDENTS, (batch_id, task_id)).fetchall():
                if ready:
                    continue
                (left,) = self._q(conn, _NOT_DONE, (batch_id, other)).fetchone()
                if int(left) == 0:
                    self._q(conn, _READY, (batch_id, other))
            return
        todo = [(task_id, status)]
        skipped: set[str] = set()
        while todo:
            cause, how = todo.pop()
            for other, _ in self._q(conn, _DEPENDENTS, (batch_id, cause)).fetchall():
                if other in skipped:
                    continue
                skipped.add(other)
                reason = f"dependency {cause!r} {_VERB.get(how, how)}"
                self._q(conn, _SKIP, (reason, now, batch_id, other))
                todo.append((other, TaskStatus.SKIPPED))

    def claim_orch_tasks(
        self, owner: str, now: float, lease_s: float, limit: int, limits: ClaimLimits
    ) -> list[OrchTask]:
        scan = max(limit * 8, 64)
        found = self._fetch_one(_ANY_CLAIMABLE, (now,))
        if found is None or not found[0]:
            return []  # the common idle case: a read, no write lock taken
        with self._write() as conn:
            self._lock_keys(conn, "orch_claim", ["claim"])
            running = self._q(
                conn,
                "SELECT tenant_id, server FROM orch_tasks"
                " WHERE status = 'running' AND lease_until >= ?",
                (now,),
            ).fetchall()
            expired = [
                _Light(*r)
                for r in self._q(
                    conn,
                    f"SELECT {_LIGHT} FROM orch_tasks WHERE status = 'running'"
                    " AND lease_until < ? ORDER BY lease_until, batch_id, seq LIMIT ?",
                    (now, scan),
                ).fetchall()
            ]
            live: list[_Light] = []
            for t in expired:
                if t.attempts < limits.max_attempts:
                    live.append(t)
                    continue
                self._lock_keys(conn, "orch_batch", [t.batch_id])
                self._q(
                    conn,
                    "UPDATE orch_tasks SET status = 'failed', error = ?, finished_at = ?,"
                    " lease_owner = NULL, lease_until = NULL WHERE batch_id = ? AND task_id = ?",
                    (quarantine_reason(t.attempts), now, t.batch_id, t.task_id),
                )
                self._apply(conn, t.batch_id, t.task_id, TaskStatus.FAILED, now)
            pending = [
                _Light(*r)
                for r in self._q(
                    conn,
                    f"SELECT {_LIGHT} FROM orch_tasks WHERE status = 'pending' AND ready = 1"
                    " ORDER BY priority DESC, created_at, batch_id, seq LIMIT ?",
                    (scan,),
                ).fetchall()
            ]
            chosen = pick(
                [(r[0], r[1]) for r in running],
                [*live, *pending],
                limit,
                limits.per_tenant,
                limits.per_server,
            )
            claimed: list[OrchTask] = []
            for t in chosen:
                self._q(
                    conn,
                    "UPDATE orch_tasks SET status = 'running', lease_owner = ?, lease_until = ?,"
                    " attempts = attempts + 1, started_at = coalesce(started_at, ?)"
                    " WHERE batch_id = ? AND task_id = ?",
                    (owner, now + lease_s, now, t.batch_id, t.task_id),
                )
                row = self._q(
                    conn,
                    f"SELECT {_TASK_COLS} FROM orch_tasks WHERE batch_id = ? AND task_id = ?",
                    (t.batch_id, t.task_id),
                ).fetchone()
                claimed.append(_task(row))
            return claimed

    def finish_orch_task(
        self, owner: str, batch_id: str, task_id: str, outcome: TaskOutcome, now: float
    ) -> bool:
        with self._write() as conn:
            self._lock_keys(conn, "orch_batch", [batch_id])
            changed = self._q(
                conn,
                "UPDATE orch_tasks SET status = ?, result = ?, confidence = ?, tokens_in = ?,"
                " tokens_out = ?, error = ?, finished_at = ?, lease_owner = NULL,"
                " lease_until = NULL"
                " WHERE batch_id = ? AND task_id = ? AND status = 'running' AND lease_owner = ?",
                (
                    str(outcome.status),
                    None if outcome.result is None else dumps(outcome.result),
                    outcome.confidence,
                    outcome.tokens_in,
                    outcome.tokens_out,
                    outcome.error,
                    now,
                    batch_id,
                    task_id,
                    owner,
                ),
            ).rowcount
            if not changed:
                return False
            self._apply(conn, batch_id, task_id, outcome.status, now)
            return True

    def orch_lease_owners(self) -> list[str]:
        rows = self._fetch(
            "SELECT DISTINCT lease_owner FROM orch_tasks"
            " WHERE status = 'running' AND lease_owner IS NOT NULL"
        )
        return sorted(r[0] for r in rows)

    def release_orch_leases(self, owners: Sequence[str]) -> int:
        if not owners:
            return 0
        marks = ", ".join("?" for _ in owners)
        return self._change(
            "UPDATE orch_tasks SET status = 'pending', lease_owner = NULL, lease_until = NULL"
            f" WHERE status = 'running' AND lease_owner IN ({marks})",
            tuple(owners),
        )


__all__ = ["SqlOrchestration"]
