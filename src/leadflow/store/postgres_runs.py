"""Runs and events of the PostgreSQL backend (a part of :class:`~.postgres.PostgresStore`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from leadflow.errors import StoreError
from leadflow.store.codec import (
    EVENT_COLS,
    RUN_COLS,
    STEP_COLS,
    dumps,
    event_from_row,
    run_from_row,
    step_from_row,
)
from leadflow.store.contract import makes_work
from leadflow.store.postgres_base import (
    ENDED,
    IDS,
    OPEN,
    TEXTS,
    Conn,
    IdAssignments,
    PgBase,
    where,
)
from leadflow.store.records import (
    ENDED_STATUSES,
    RUN_STATUSES,
    Advance,
    ClaimedRun,
    CommitResult,
    ContactPatch,
    EnrollOutcome,
    EnrollRequest,
    Event,
    Message,
    MessageFacts,
    NewEvent,
    NodeCount,
    Run,
    RunFilter,
    Step,
)
from leadflow.store.rules import (
    check_reentry,
    plan_event_advances,
    reentry_window_start,
)

LIVE = "status IN ('active', 'waiting')"  # exactly the runs_due index's WHERE
# ``enroll_all``: no enrollment mark of the contact blocks (a primary-key lookup; the "after"
# policy adds its window before the closing parenthesis).
_MARKED = (
    " AND NOT EXISTS (SELECT 1 FROM enrollment_marks k "
    "WHERE k.contact_id = c.id AND k.workflow_key = %(key)s"
)

_UPDATE_RUN = (
    "UPDATE runs SET node = %s, status = %s, wake_at = %s, context = %s, step_seq = %s, "
    "attempt = %s, waiting_for = %s, ended_at = %s, exit_reason = %s, error = %s, "
    "updated_at = %s, seq = seq + 1, version = coalesce(%s, version), lease_owner = NULL, "
    "lease_until = NULL WHERE id = %s AND seq = %s"
)


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
    ) -> EnrollOutcome:
        check_reentry(reentry, reentry_days)
        blocking = {
            "never": "",
            "always": f" AND r.status IN {OPEN}",
            "after": f" AND (r.status IN {OPEN} OR r.created_at > %(since)s)",
        }[reentry]
        marked = {  # pruned runs (enrollment marks) are finished: they never block `always`
            "never": _MARKED + ")",
            "always": "",
            "after": _MARKED + " AND k.last_created_at > %(since)s)",
        }[reentry]
        with self._write() as conn:
            self._lock_keys(conn, "enroll", [workflow_key])
            total: int = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]  # type: ignore[index]
            cur = conn.execute(
                "INSERT INTO runs (workflow_key, version, contact_id, node, status, wake_at, "
                "context, step_seq, attempt, seq, created_at, updated_at) "
                "SELECT %(key)s, %(version)s, c.id, %(node)s, 'active', %(now)s, '{}', 0, 0, 0, "
                "%(now)s, %(now)s FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM runs r "
                f"WHERE r.contact_id = c.id AND r.workflow_key = %(key)s{blocking}){marked} "
                "ORDER BY c.id",
                {
                    "key": workflow_key,
                    "version": version,
                    "node": start_node,
                    "now": now,
                    "since": reentry_window_start(reentry_days, now),
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
        rows.sort(key=lambda r: (r[6], r[0]))
        return [ClaimedRun(run_from_row(r), contacts.get(r[3])) for r in rows]

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
        result = CommitResult()
        if not advances:
            return result
        seqs = dict(seqs)
        applied: list[Advance] = []
        updates: list[tuple[Any, ...]] = []
        wake_at: float | None
        ended_at: float | None
        for a in advances:
            if seqs.get(a.run_id) != a.seq:
                result.conflicts += 1
                result.conflicted_run_ids.append(a.run_id)
                continue
            seqs[a.run_id] = a.seq + 1
            applied.append(a)
            if a.status in ENDED_STATUSES:
                wake_at, ended_at = None, (now if a.ended_at is None else a.ended_at)
            else:
                wake_at, ended_at = a.wake_at, a.ended_at
            updates.append(
                (
                    a.node,
                    a.status,
                    wake_at,
                    dumps(a.context),
                    a.step_seq,
                    a.attempt,
                    a.waiting_for,
                    ended_at,
                    a.exit_reason,
                    a.error,
                    now,
                    a.version,
                    a.run_id,
                    a.seq,
                )
            )
        result.applied = len(applied)
        if not applied:
            return result
        for a in applied:
            if a.status not in RUN_STATUSES:
                raise StoreError(f"run {a.run_id}: unknown status {a.status!r}")
        with conn.cursor() as cur:
            cur.executemany(_UPDATE_RUN, updates)

        steps: list[tuple[int, Step]] = []
        messages: list[Message] = []
        patches: list[ContactPatch] = []
        enrollments: list[EnrollRequest] = []
        events: list[NewEvent] = []
        for a in applied:
            if a.steps:
                steps += [(a.run_id, s) for s in a.steps]
            if a.messages:
                messages += a.messages
            if a.contact_patches:
                patches += a.contact_patches
            if a.enrollments:
                enrollments += a.enrollments
            if a.events:
                events += a.events
        if steps:
            self._insert_steps(conn, steps, ids)
        if messages:
            self._insert_messages(conn, messages, ids)
        if patches:
            self._patch(conn, patches, now)
        if enrollments:
            for req in enrollments:
                check_reentry(req.reentry, req.reentry_days)
            self._enroll(conn, enrollments, now)
        if events:
            self._append_events(conn, events, now)
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
    def get_run(self, run_id: int) -> Run | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {RUN_COLS} FROM runs WHERE id = %s", (run_id,)).fetchone()
        return None if row is None else run_from_row(row)

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
        out: dict[str, list[Run]] = {}
        for r in rows:
            found = out.get(r[3])
            if found is None:
                found = out[r[3]] = []
            found.append(run_from_row(r))
        return out

    def list_runs(self, flt: RunFilter) -> list[Run]:
        cond, params = where(
            ("workflow_key", flt.workflow_key),
            ("contact_id", flt.contact_id),
            ("status", flt.status),
        )
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {RUN_COLS} FROM runs{cond} ORDER BY id LIMIT %s OFFSET %s",
                (*params, flt.limit, flt.offset),
            ).fetchall()
        return [run_from_row(r) for r in rows]

    def count_runs(self, workflow_key: str | None = None) -> dict[str, int]:
        cond, params = where(("workflow_key", workflow_key))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT status, count(*) FROM runs{cond} GROUP BY status ORDER BY status", params
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def run_steps(self, run_id: int) -> list[Step]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {STEP_COLS} FROM steps WHERE run_id = %s ORDER BY id", (run_id,)
            ).fetchall()
        return [step_from_row(r) for r in rows]

    def all_steps(self, limit: int | None = None, since_id: int = 0) -> list[Step]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {STEP_COLS} FROM steps WHERE id > %s ORDER BY id LIMIT %s",
                (since_id, limit),  # LIMIT NULL is no limit
            ).fetchall()
        return [step_from_row(r) for r in rows]

    def node_counts(self, workflow_key: str) -> list[NodeCount]:
        counts: dict[tuple[int, str], NodeCount] = {}

        def at(version: int, node: str) -> NodeCount:
            found = counts.get((version, node))
            if found is None:
                found = counts[(version, node)] = NodeCount(workflow_key, version, node)
            return found

        with self._read(snapshot=True) as conn:
            for version, node, entered in conn.execute(
                "SELECT r.version, s.node, count(DISTINCT s.run_id) FROM runs r "
                "JOIN steps s ON s.run_id = r.id WHERE r.workflow_key = %s "
                "GROUP BY r.version, s.node",
                (workflow_key,),
            ):
                at(version, node).entered = entered
            for version, node, sent, delivered, replied in conn.execute(
                "SELECT r.version, m.node, "
                "count(DISTINCT CASE WHEN m.status IN ('sent', 'delivered') THEN m.run_id END), "
                "count(DISTINCT CASE WHEN m.status = 'delivered' THEN m.run_id END), "
                "count(DISTINCT CASE WHEN m.replied_at IS NOT NULL THEN m.run_id END) "
                "FROM runs r JOIN messages m ON m.run_id = r.id "
                "WHERE r.workflow_key = %s AND m.node IS NOT NULL GROUP BY r.version, m.node",
                (workflow_key,),
            ):
                nc = at(version, node)
                nc.sent, nc.delivered, nc.replied = sent, delivered, replied
            for version, node, exited, current in conn.execute(
                f"SELECT version, node, count(*) FILTER (WHERE status IN {ENDED}), "
                f"count(*) FILTER (WHERE status IN {OPEN}) "
                "FROM runs WHERE workflow_key = %s AND node IS NOT NULL GROUP BY version, node",
                (workflow_key,),
            ):
                nc = at(version, node)
                nc.exited, nc.current = exited, current
        return [counts[k] for k in sorted(counts)]

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

    def list_events(
        self, contact_id: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[Event]:
        cond, params = where(("contact_id", contact_id))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {EVENT_COLS} FROM events{cond} ORDER BY id LIMIT %s OFFSET %s",
                (*params, limit, offset),
            ).fetchall()
        return [event_from_row(r) for r in rows]

    def pending_events_count(self) -> int:
        with self._read() as conn:
            row = conn.execute("SELECT count(*) FROM events WHERE processed_at IS NULL").fetchone()
        return 0 if row is None else int(row[0])


__all__ = ["PgRuns"]
