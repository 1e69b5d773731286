"""Runs and events of the PostgreSQL backend (a part of :class:`~.postgres.PostgresStore`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from leadflow.store.codec import (
    EVENT_COLS,
    RUN_COLS,
    STEP_COLS,
    event_from_row,
    run_from_row,
    step_from_row,
)
from leadflow.store.contract import makes_work
from leadflow.store.postgres_base import (
    IDS,
    TEXTS,
    Conn,
    IdAssignments,
    PgBase,
)
from leadflow.store.records import (
    Advance,
    ClaimedRun,
    CommitResult,
    EnrollOutcome,
    EnrollRequest,
    Event,
    MessageFacts,
    NewEvent,
    Run,
    Step,
)
from leadflow.store.rules import (
    check_reentry,
    plan_event_advances,
    reentry_window_start,
)
from leadflow.store.sql_common import (
    LIVE,
    POSTGRES,
    UPDATE_RUN,
    claimed_runs,
    enroll_all_filters,
    plan_commit,
    runs_by_contact,
)

_UPDATE_RUN = POSTGRES.sql(UPDATE_RUN)


class PgRuns(PgBase):
    # ------------------------------------------------------------------ enroll
    def enroll(self, requests: Sequence[EnrollRequest], now: float) -> EnrollOutcome:
        for req in requests:
            check_reentry(req.reentry, req.reentry_days)
        if not requests:
            return EnrollOutcome()
        with self._write() as conn:
            out = self._enroll(conn, requests, now)
            if out.created:
                self._notify(conn)
        return out

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
        blocking, marked = enroll_all_filters(reentry, "%({})s")
        tenant = "" if tenant_id is None else " WHERE c.tenant_id = %(tenant)s"
        and_tenant = tenant.replace(" WHERE", " AND")
        with self._write() as conn:
            self._lock_keys(conn, "enroll", [workflow_key])
            total: int = conn.execute(
                "SELECT count(*) FROM contacts c" + tenant, {"tenant": tenant_id}
            ).fetchone()[0]  # type: ignore[index]
            cur = conn.execute(
                "INSERT INTO runs (workflow_key, version, contact_id, node, status, wake_at, "
                "context, step_seq, attempt, seq, created_at, updated_at) "
                "SELECT %(key)s, %(version)s, c.id, %(node)s, 'active', %(now)s, '{}', 0, 0, 0, "
                "%(now)s, %(now)s FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM runs r "
                f"WHERE r.contact_id = c.id AND r.workflow_key = %(key)s{blocking}){marked}"
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
                self._notify(conn)
        return EnrollOutcome(created, total - created, [])

    # ------------------------------------------------------------------ claim / commit
    def claim_runs(self, owner: str, now: float, limit: int, lease_s: float) -> list[ClaimedRun]:
        if limit <= 0:
            return []
        with self._write() as conn:
            rows = conn.execute(
                "WITH picked AS (SELECT id FROM runs "
                f"WHERE {LIVE} AND wake_at <= %(now)s "
                "AND (lease_until IS NULL OR lease_until < %(now)s) "
                "ORDER BY wake_at, id LIMIT %(limit)s FOR NO KEY UPDATE SKIP LOCKED) "
                "UPDATE runs SET lease_owner = %(owner)s, lease_until = %(until)s "
                f"WHERE id IN (SELECT id FROM picked) RETURNING {RUN_COLS}",
                {"now": now, "limit": limit, "owner": owner, "until": now + lease_s},
            ).fetchall()
            if not rows:
                return []
            contacts = self._contacts(conn, (r[3] for r in rows))
        return claimed_runs(rows, contacts)

    @staticmethod
    def _lock_seqs(conn: Conn, advances: Sequence[Advance]) -> dict[int, int]:
        """The seqs of the advances' runs, locked (FOR NO KEY UPDATE, in id order) until commit."""
        if not advances:
            return {}
        return dict(
            conn.execute(
                f"SELECT id, seq FROM runs WHERE id = {IDS} ORDER BY id FOR NO KEY UPDATE",
                (sorted({a.run_id for a in advances}),),
            ).fetchall()
        )

    def commit_advances(self, owner: str, advances: Sequence[Advance], now: float) -> CommitResult:
        if not advances:
            return CommitResult()
        ids: IdAssignments = []
        with self._write() as conn:
            result = self._commit(conn, advances, now, ids, self._lock_seqs(conn, advances))
        self._assign(ids)
        return result

    def _commit(
        self,
        conn: Conn,
        advances: Sequence[Advance],
        now: float,
        ids: IdAssignments,
        seqs: dict[int, int],
    ) -> CommitResult:
        """Apply advances inside the open transaction, each seq-guarded on its own against
        ``seqs`` (read under a row lock, so they cannot move before the commit)."""
        if not advances:
            return CommitResult()
        result, applied, updates = plan_commit(advances, dict(seqs), now)
        if not applied:
            return result
        with conn.cursor() as cur:
            cur.executemany(_UPDATE_RUN, updates)
        self._write_products(conn, applied, now, ids)
        if makes_work(applied):
            self._notify(conn)
        return result

    def release_runs(self, owner: str, run_ids: Sequence[int]) -> None:
        if not run_ids:
            return
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET lease_owner = NULL, lease_until = NULL "
                f"WHERE id = {IDS} AND lease_owner = %s",
                (list(run_ids), owner),
            )
            self._notify(conn)

    # ------------------------------------------------------------------ run queries
    def get_runs(self, run_ids: Iterable[int]) -> dict[int, Run]:
        wanted = list(set(run_ids))
        if not wanted:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {RUN_COLS} FROM runs WHERE id = {IDS}", (wanted,)
            ).fetchall()
        return {r[0]: run_from_row(r) for r in rows}

    def runs_of_contact(self, contact_id: str, statuses: Iterable[str] | None = None) -> list[Run]:
        return self.runs_of_contacts([contact_id], statuses).get(contact_id, [])

    def runs_of_contacts(
        self, contact_ids: Iterable[str], statuses: Iterable[str] | None = None
    ) -> dict[str, list[Run]]:
        wanted = sorted(set(contact_ids))
        if not wanted:
            return {}
        # One statement whatever the number of contacts: the ids travel as one array parameter.
        sql = f"SELECT {RUN_COLS} FROM runs WHERE contact_id = {TEXTS}"
        params: tuple[Any, ...] = (wanted,)
        if statuses is not None:
            sql += f" AND status = {TEXTS}"
            params += (list(statuses),)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY contact_id, id", params).fetchall()
        return runs_by_contact(rows)

    def all_steps(self, limit: int | None = None, since_id: int = 0) -> list[Step]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {STEP_COLS} FROM steps WHERE id > %s ORDER BY id LIMIT %s",
                (since_id, limit),  # LIMIT NULL is no limit
            ).fetchall()
        return [step_from_row(r) for r in rows]

    # ------------------------------------------------------------------ events
    def append_events(self, events: Sequence[NewEvent], now: float) -> list[int | None]:
        if not events:
            return []
        with self._write() as conn:
            out = self._append_events(conn, events, now)
            if any(i is not None for i in out):
                self._notify(conn)
        return out

    def claim_events(self, owner: str, now: float, limit: int, lease_s: float) -> list[Event]:
        if limit <= 0:
            return []
        with self._write() as conn:
            rows = conn.execute(
                "WITH picked AS (SELECT id FROM events WHERE processed_at IS NULL "
                "AND occurred_at <= %(now)s AND (lease_until IS NULL OR lease_until < %(now)s) "
                "ORDER BY id LIMIT %(limit)s FOR NO KEY UPDATE SKIP LOCKED) "
                "UPDATE events SET lease_owner = %(owner)s, lease_until = %(until)s "
                f"WHERE id IN (SELECT id FROM picked) RETURNING {EVENT_COLS}",
                {"now": now, "limit": limit, "owner": owner, "until": now + lease_s},
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
        ids: IdAssignments = []
        with self._write() as conn:
            seqs = self._lock_seqs(conn, advances)
            # the plan replays the seq guards; _commit then applies exactly the accepted advances
            plan = plan_event_advances(advances, seqs.get)
            retry = plan.retry_events
            self._commit(conn, plan.accepted, now, ids, seqs)
            result = CommitResult(
                len(plan.accepted), len(plan.rejected), [a.run_id for a in plan.rejected]
            )
            kept = [r for r in enrollments if r.event_id is None or r.event_id not in retry]
            if kept:
                self._enroll(conn, kept, now)
            if facts:
                self._facts(conn, facts)
            done = [i for i in event_ids if i not in retry]
            again = [i for i in event_ids if i in retry]
            if done:
                conn.execute(
                    "UPDATE events SET processed_at = %s, lease_owner = NULL, lease_until = NULL "
                    f"WHERE id = {IDS} AND processed_at IS NULL",
                    (now, done),
                )
            if again:
                conn.execute(
                    "UPDATE events SET lease_owner = NULL, lease_until = NULL "
                    f"WHERE id = {IDS} AND processed_at IS NULL",
                    (again,),
                )
            if again or kept:
                self._notify(conn)
        self._assign(ids)
        return result


__all__ = ["PgRuns"]
