"""The write paths of both SQL backends, written once: enrolment, claims, batch commits, events,
the outbox's claims and verdicts, leases and schedules.

A backend subclass supplies its plumbing (``_write``, ``_read``) and a small set of dialect
hooks:

* ``_dialect`` -- placeholders, how a list of ids travels (:class:`~.sql_common.Dialect`);
* ``_stmts`` -- its statements (:func:`write_statements`): the claims are the named queries in
  ``store/sql/<dialect>/queries/``, the rest is shared text in the dialect's placeholders;
* ``_row_lock`` -- what ends a read of rows the transaction will update (PostgreSQL locks them,
  in id order; SQLite's write lock already covers them);
* ``_new_ids(conn, table, n)`` -- ids for new rows;
* ``_lock_keys(conn, namespace, keys)`` -- serializes writers of one key (PostgreSQL's advisory
  locks; nothing on SQLite, whose writes take turns);
* ``_wake(conn)`` -- this transaction makes work that may be due (a ``NOTIFY``, or a wake-up
  of the in-process waiters once committed);
* ``_pick_messages(conn, params)`` -- the outbox claim, which differs most;
* ``_insert_messages`` / ``_append_events`` -- inserts keyed by an idempotency or dedupe key
  (PostgreSQL resolves races with concurrent writers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from leadflow.errors import StoreError
from leadflow.model.jsonvalue import dumps
from leadflow.model.records import (
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
    MessageFacts,
    MessageUpdate,
    NewEvent,
    Run,
    Schedule,
    Step,
)
from leadflow.model.rules import (
    RunStats,
    add_marks,
    apply_patches,
    check_message_status,
    check_reentry,
    plan_enrollments,
    plan_event_advances,
    rate_window_start,
    reentry_window_start,
)
from leadflow.store.codec import contact_from_row, event_from_row, run_from_row, step_from_row
from leadflow.store.contract import makes_work
from leadflow.store.contract_work import EnrollAll, EventBatch
from leadflow.store.sql_common import (
    Dialect,
)
from leadflow.store.sql_rows import (
    MESSAGE_CONTACT,
    RUN_CONTACT,
    IdAssignments,
    WritesProducts,
    check_facts,
    claimed_messages,
    claimed_runs,
    contact_update_rows,
    enroll_all_filters,
    fact_rows,
    fence_verdicts,
    message_update_rows,
    plan_commit,
    runs_by_contact,
    step_rows,
)
from leadflow.store.sql_statements import WriteStatements, named


def _claim_params(owner: str, now: float, limit: int, lease_s: float) -> dict[str, Any]:
    """The named parameters of every claim query (``store/sql/<dialect>/queries/claim_*.sql``
    and the outbox's pick): the lease ``owner`` takes at most ``limit`` rows due at ``now``,
    held ``until`` ``now + lease_s``."""
    return {"now": now, "limit": limit, "owner": owner, "until": now + lease_s}


class SqlWrites(WritesProducts):
    """The contract's write paths on SQL; see the module docstring for the hooks."""

    _dialect: Dialect
    _stmts: WriteStatements
    _row_lock: str = ""  # ends a read of rows this transaction will update
    _no_limit: int | None = None  # the LIMIT parameter that means no limit

    # ------------------------------------------------------------------ hooks
    def _write(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _read(self, snapshot: bool = False) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _new_ids(self, conn: Any, table: str, n: int) -> Sequence[int]:
        raise NotImplementedError

    def _lock_keys(self, conn: Any, namespace: str, keys: Iterable[str]) -> None:
        """Serialize the writers of these keys until the end of the transaction."""

    def _wake(self, conn: Any) -> None:
        raise NotImplementedError

    def _many(self, conn: Any, sql: str, rows: Sequence[tuple[Any, ...]]) -> int:
        """``executemany``: the number of rows changed."""
        raise NotImplementedError

    def _pick_messages(self, conn: Any, params: dict[str, Any]) -> list[Any]:
        """Lease the due messages (``owner``, ``now``, ``limit``, ``until``): their
        ``(id, status before the claim)``."""
        raise NotImplementedError

    @staticmethod
    def _assign(ids: IdAssignments) -> None:
        for obj, new_id in ids:
            obj.id = new_id

    # ------------------------------------------------------------------ contacts
    def _contacts(
        self, conn: Any, ids: Iterable[str | None], *, lock: bool = False
    ) -> dict[str, Contact]:
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        sql = self._stmts.contacts + (self._row_lock if lock else "")
        rows = conn.execute(sql, (self._dialect.values(wanted),)).fetchall()
        return {r[0]: contact_from_row(r) for r in rows}

    def get_contacts(self, contact_ids: Iterable[str]) -> dict[str, Contact]:
        with self._read() as conn:
            return self._contacts(conn, contact_ids)

    def _patch(self, conn: Any, patches: Sequence[ContactPatch], now: float) -> None:
        if not patches:
            return
        contacts = self._contacts(conn, (p.contact_id for p in patches), lock=True)
        touched = apply_patches(contacts, patches, now)
        if touched:
            self._many(conn, self._stmts.update_contact, contact_update_rows(touched, now))

    # ------------------------------------------------------------------ schedules
    def set_schedules(self, tenant_id: str, key: str, schedules: Sequence[Schedule]) -> None:
        with self._write() as conn:
            self._lock_keys(conn, "schedules", [f"{tenant_id}/{key}"])
            conn.execute(self._stmts.delete_schedules, (tenant_id, key))
            if not schedules:
                return
            self._many(
                conn,
                self._stmts.upsert_schedule,
                [
                    (tenant_id, key, s.version, s.trigger_index, s.cron, s.timezone, s.next_fire_at)
                    for s in schedules
                ],
            )
            self._wake(conn)

    # ------------------------------------------------------------------ enrolment
    def enroll(self, requests: Sequence[EnrollRequest], now: float) -> EnrollOutcome:
        for req in requests:
            check_reentry(req.reentry, req.reentry_days)
        if not requests:
            return EnrollOutcome()
        with self._write() as conn:
            out = self._enroll(conn, requests, now)
            if out.created:
                self._wake(conn)
        return out

    def _enroll(self, conn: Any, requests: Sequence[EnrollRequest], now: float) -> EnrollOutcome:
        if not requests:
            return EnrollOutcome()
        s, values = self._stmts, self._dialect.values
        keys = sorted({r.workflow_key for r in requests})
        self._lock_keys(conn, "enroll", keys)
        contact_ids = values(sorted({r.contact_id for r in requests}))
        key_list = values(keys)
        known = {r[0] for r in conn.execute(s.known_contacts, (contact_ids,))}
        stats = {
            (r[0], r[1]): RunStats(r[2], r[3], r[4], r[5])
            for r in conn.execute(s.run_stats, (rate_window_start(now), contact_ids, key_list))
        }
        add_marks(stats, conn.execute(s.marks, (contact_ids, key_list)))
        accepted, skipped = plan_enrollments(
            requests, now, known.__contains__, lambda c, k: stats.get((c, k))
        )
        if not accepted:
            return EnrollOutcome(0, skipped, [])
        run_ids = list(self._new_ids(conn, "runs", len(accepted)))
        rows = [
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
        ]
        self._many(conn, s.insert_run, rows)
        return EnrollOutcome(len(accepted), skipped, run_ids)

    def _enroll_all(self, q: EnrollAll) -> EnrollOutcome:
        blocking, marked = enroll_all_filters(q.reentry, ":{}")
        tenant = "" if q.tenant_id is None else " WHERE c.tenant_id = :tenant"
        and_tenant = tenant.replace(" WHERE", " AND")
        d = self._dialect
        with self._write() as conn:
            self._lock_keys(conn, "enroll", [q.workflow_key])
            total: int = conn.execute(
                named(d, "SELECT count(*) FROM contacts c" + tenant), {"tenant": q.tenant_id}
            ).fetchone()[0]
            cur = conn.execute(
                named(
                    d,
                    "INSERT INTO runs (workflow_key, version, contact_id, node, status, wake_at, "
                    "context, step_seq, attempt, seq, created_at, updated_at) "
                    "SELECT :key, :version, c.id, :node, 'active', :now, '{}', 0, 0, 0, :now, "
                    ":now FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM runs r "
                    f"WHERE r.contact_id = c.id AND r.workflow_key = :key{blocking}){marked}"
                    f"{and_tenant} ORDER BY c.id",
                ),
                {
                    "key": q.workflow_key,
                    "version": q.version,
                    "node": q.start_node,
                    "now": q.now,
                    "since": reentry_window_start(q.reentry_days, q.now),
                    "tenant": q.tenant_id,
                },
            )
            created: int = cur.rowcount
            if created:
                self._wake(conn)
        return EnrollOutcome(created, total - created, [])

    # ------------------------------------------------------------------ claim / commit
    def claim_runs(self, owner: str, now: float, limit: int, lease_s: float) -> list[ClaimedRun]:
        if limit <= 0:
            return []
        params = _claim_params(owner, now, limit, lease_s)
        with self._write() as conn:
            rows = conn.execute(self._stmts.claim_runs, params).fetchall()
            if not rows:
                return []
            contacts = self._contacts(conn, (r[RUN_CONTACT] for r in rows))
        return claimed_runs(rows, contacts)

    def _run_seqs(self, conn: Any, advances: Sequence[Advance]) -> dict[int, int]:
        """The seqs of the advances' runs (locked until the commit where rows are locked)."""
        if not advances:
            return {}
        wanted = self._dialect.values(sorted({a.run_id for a in advances}))
        return dict(conn.execute(self._stmts.run_seqs + self._row_lock, (wanted,)).fetchall())

    def commit_advances(self, owner: str, advances: Sequence[Advance], now: float) -> CommitResult:
        if not advances:
            return CommitResult()
        ids: IdAssignments = []
        with self._write() as conn:
            result = self._commit(conn, advances, now, ids, self._run_seqs(conn, advances))
        self._assign(ids)
        return result

    def _commit(
        self,
        conn: Any,
        advances: Sequence[Advance],
        now: float,
        ids: IdAssignments,
        seqs: dict[int, int],
    ) -> CommitResult:
        """Apply advances inside the open transaction, each seq-guarded on its own against
        ``seqs`` (read under the transaction's lock, so they cannot move before the commit)."""
        if not advances:
            return CommitResult()
        result, applied, updates = plan_commit(advances, dict(seqs), now)
        if not applied:
            return result
        if self._many(conn, self._stmts.update_run, updates) != len(updates):
            raise StoreError("runs changed during the commit")
        self._write_products(conn, applied, now, ids)
        if makes_work(applied):
            self._wake(conn)
        return result

    def release_runs(self, owner: str, run_ids: Sequence[int]) -> None:
        if not run_ids:
            return
        with self._write() as conn:
            conn.execute(self._stmts.release_runs, (self._dialect.values(run_ids), owner))
            self._wake(conn)

    def _insert_steps(self, conn: Any, steps: Sequence[tuple[int, Step]], ids: Any) -> None:
        """Insert ``(run_id, step)`` pairs (the run id is the advance's)."""
        if not steps:
            return
        new_ids = self._new_ids(conn, "steps", len(steps))
        self._many(conn, self._stmts.insert_step, step_rows(steps, new_ids, ids))

    # ------------------------------------------------------------------ run queries
    def get_runs(self, run_ids: Iterable[int]) -> dict[int, Run]:
        wanted = list(set(run_ids))
        if not wanted:
            return {}
        with self._read() as conn:
            rows = conn.execute(self._stmts.runs_by_id, (self._dialect.values(wanted),))
            return {r[0]: run_from_row(r) for r in rows.fetchall()}

    def runs_of_contact(self, contact_id: str, statuses: Iterable[str] | None = None) -> list[Run]:
        return self.runs_of_contacts([contact_id], statuses).get(contact_id, [])

    def runs_of_contacts(
        self, contact_ids: Iterable[str], statuses: Iterable[str] | None = None
    ) -> dict[str, list[Run]]:
        wanted = sorted(set(contact_ids))
        if not wanted:
            return {}
        # One statement whatever the number of contacts: the ids travel as one parameter.
        values = self._dialect.values
        params: tuple[Any, ...]
        if statuses is None:
            sql, params = self._stmts.runs_of_contacts, (values(wanted),)
        else:
            sql, params = self._stmts.runs_of_contacts_in, (values(wanted), values(statuses))
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY contact_id, id", params).fetchall()
        return runs_by_contact(rows)

    def all_steps(self, limit: int | None = None, since_id: int = 0) -> list[Step]:
        with self._read() as conn:
            rows = conn.execute(
                self._stmts.steps, (since_id, self._no_limit if limit is None else limit)
            ).fetchall()
        return [step_from_row(r) for r in rows]

    # ------------------------------------------------------------------ events
    def append_events(self, events: Sequence[NewEvent], now: float) -> list[int | None]:
        if not events:
            return []
        with self._write() as conn:
            out: list[int | None] = self._append_events(conn, events, now)
            if any(i is not None for i in out):
                self._wake(conn)
        return out

    def claim_events(self, owner: str, now: float, limit: int, lease_s: float) -> list[Event]:
        if limit <= 0:
            return []
        params = _claim_params(owner, now, limit, lease_s)
        with self._write() as conn:
            rows = conn.execute(self._stmts.claim_events, params).fetchall()
        rows.sort(key=lambda r: r[0])
        return [event_from_row(r) for r in rows]

    def _complete_events(self, b: EventBatch) -> CommitResult:
        ids: IdAssignments = []
        values = self._dialect.values
        with self._write() as conn:
            seqs = self._run_seqs(conn, b.advances)
            # the plan replays the seq guards; _commit then applies exactly the accepted advances
            plan = plan_event_advances(b.advances, seqs.get)
            retry = plan.retry_events
            self._commit(conn, plan.accepted, b.now, ids, seqs)
            result = CommitResult(
                len(plan.accepted), len(plan.rejected), [a.run_id for a in plan.rejected]
            )
            kept = [r for r in b.enrollments if r.event_id is None or r.event_id not in retry]
            if kept:
                self._enroll(conn, kept, b.now)
            if b.facts:
                self._facts(conn, b.facts)
            done = [i for i in b.event_ids if i not in retry]
            again = [i for i in b.event_ids if i in retry]
            if done:
                conn.execute(self._stmts.events_done, (b.now, values(done)))
            if again:
                conn.execute(self._stmts.events_again, (values(again),))
            if again or kept:
                self._wake(conn)
        self._assign(ids)
        return result

    # ------------------------------------------------------------------ outbox
    def claim_messages(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[ClaimedMessage]:
        if limit <= 0:
            return []
        params = _claim_params(owner, now, limit, lease_s)
        with self._write() as conn:
            picked = self._pick_messages(conn, params)
            if not picked:
                return []
            in_doubt = {r[0] for r in picked if r[1] == "sending"}
            wanted = self._dialect.values(r[0] for r in picked)
            rows = conn.execute(self._stmts.claimed_messages, (wanted,)).fetchall()
            contacts = self._contacts(conn, (r[MESSAGE_CONTACT] for r in rows))
        return claimed_messages(rows, contacts, in_doubt)

    def update_messages(
        self, owner: str, updates: Sequence[MessageUpdate], events: Sequence[NewEvent], now: float
    ) -> list[int]:
        for u in updates:
            check_message_status(u.status)
        if not updates and not events:
            return []
        with self._write() as conn:
            lock = self._row_lock
            updates, events, refused = fence_verdicts(
                conn, self._dialect, owner, updates, events, lock
            )
            if updates:
                self._many(conn, self._stmts.update_message, message_update_rows(updates))
                self._mark_message_runs(conn, [u.message_id for u in updates])
            if events:
                self._append_events(conn, events, now)
            if events or any(u.status in DUE_MESSAGE_STATUSES for u in updates):
                self._wake(conn)
        return refused

    def _facts(self, conn: Any, facts: Sequence[MessageFacts]) -> None:
        check_facts(facts)
        wanted = self._dialect.values(sorted({f.message_id for f in facts}))
        status: dict[int, str] = dict(
            conn.execute(self._stmts.message_status + self._row_lock, (wanted,)).fetchall()
        )
        rows = fact_rows(facts, status)
        if rows:
            self._many(conn, self._stmts.update_facts, rows)
            self._mark_message_runs(conn, [r[-1] for r in rows])

    def _mark_message_runs(self, conn: Any, message_ids: Sequence[int]) -> None:
        """Mark the runs of these messages for the funnel summary's next fold (its triggers
        cover every other change; a message's status and facts are marked here, per batch)."""
        conn.execute(self._stmts.mark_message_runs, (self._dialect.values(message_ids),))

    # ------------------------------------------------------------------ leases
    def release_leases(self, owners: Sequence[str]) -> int:
        if not owners:
            return 0
        released = 0
        wanted = self._dialect.values(owners)
        with self._write() as conn:
            for _table, sql in self._stmts.release_leases:
                released += conn.execute(sql, (wanted,)).rowcount
            if released:
                self._wake(conn)
        return released


__all__ = ["SqlWrites"]
