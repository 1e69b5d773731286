"""The per-run summary the SQL backends count funnels and cohort grids from (migration 0220).

``run_facts`` holds one row per run: its tenant, workflow, entry time, whether it entered the
workflow (``root``: not a parallel node's branch run) and its **path**: everything the funnel
reads of the run -- version, node, status, exit reason, root, its steps as (node, kind,
outcome) and its messages at a node as (node, flag bits) -- as canonical JSON, interned in
``funnel_paths``. Runs that went the same way share a path, so a funnel is one ``GROUP BY
path_id`` over a narrow index, and the rules of :mod:`leadflow.store.funnel_facts` are applied
once per path.

The rows stay exact: a run is marked in ``funnel_dirty`` in the very transaction that changes
what the funnel reads of it -- by database triggers (a new run, the run's seq, status or node, a
step changed, a delete; migrations 0220 and 0250), and, for a message's status and facts, by
the outbox's two batch updates themselves (``_mark_message_runs`` in
:mod:`leadflow.store.sql_writes`: one statement per batch costs the engine a fraction of a
trigger on every message row). :meth:`SqlRunFacts.fold_run_facts`
makes the marked runs' rows again from their runs, steps and messages and deletes the marks;
every report folds first, so it counts the committed state."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from leadflow.store.funnel_facts import (
    SEND_METRICS,
    FunnelCounts,
    run_group_keys,
    step_metrics_of,
)
from leadflow.store.parts import SqlPart

FOLD_BATCH = 20_000  # marked runs made again per transaction
_FOLD_LOCK = 7_220_001  # PostgreSQL advisory lock: one fold at a time (its rows stay in order)

_FLAGS = (
    "m.sent_at IS NOT NULL OR m.status IN ('sent', 'delivered')",
    "m.delivered_at IS NOT NULL OR m.status = 'delivered'",
    "m.opened_at IS NOT NULL",
    "m.clicked_at IS NOT NULL",
    "m.replied_at IS NOT NULL",
    "m.status = 'suppressed'",
    "m.status = 'failed'",
)
assert len(_FLAGS) == len(SEND_METRICS)
BITS = " + ".join(f"CASE WHEN {flag} THEN {1 << i} ELSE 0 END" for i, flag in enumerate(_FLAGS))


def path_facts(
    version: int,
    node: str | None,
    status: str,
    reason: str | None,
    root: bool,
    steps: Sequence[tuple[str, str, str]],
    sends: Sequence[tuple[str, int]],
) -> str:
    """The canonical JSON of a run's path (steps and messages as sorted sets: the funnel puts
    a run in a set once however often a step or message says so)."""
    return json.dumps(
        [version, node, status, reason, 1 if root else 0, sorted(set(steps)), sorted(set(sends))],
        separators=(",", ":"),
    )


def add_path(out: FunnelCounts, facts: str, n: int, *, branches: bool) -> None:
    """Add ``n`` runs of the path ``facts`` to the counts (``branches``: the workflow may have
    branch runs, which count at their nodes only; otherwise every run counts as entered)."""
    version, node, status, reason, root, steps, sends = json.loads(facts)
    counts = out.counts
    v = int(version)
    out.versions.add(v)
    keys = set(run_group_keys(v, node, status, reason, root=bool(root) or not branches))
    for at, kind, outcome in steps:
        keys.update((v, at, metric) for metric in step_metrics_of(kind, outcome))
    for at, bits in sends:
        for i, metric in enumerate(SEND_METRICS):
            key = (v, at, f"msg:{metric}")
            counts.setdefault(key, 0)
            if int(bits) >> i & 1:
                keys.add(key)
    for key in keys:
        counts[key] = counts.get(key, 0) + n


class SqlRunFacts(SqlPart):
    """Keeping ``run_facts`` up to date: :meth:`fold_run_facts`."""

    def fold_run_facts(self, limit: int | None = None, batch: int = FOLD_BATCH) -> int:
        """Make the rows of the marked runs again and delete their marks; the number of runs
        made again. SQLite: batches of ``batch`` runs, each in one transaction (the engine's
        writes wait for none longer), up to as many rounds as the marks found first needed.
        PostgreSQL: one transaction taking every mark committed so far (a run marked many
        times is made once; marks of transactions still open stay for the next fold), the
        runs made in batches. ``limit``: fold that many marks at most (the periodic job,
        which must not hold a worker's pass for long after an upgrade marked every run)."""
        if not self._dialect.json_lists:
            return self._fold_all(batch, limit)
        with self._read() as conn:
            pending = int(conn.execute("SELECT count(*) FROM funnel_dirty").fetchone()[0])
        rounds = pending // max(1, batch) + 2
        if limit is not None:
            batch = max(1, min(batch, limit))
            rounds = min(rounds, -(-limit // batch))
        done = 0
        for _ in range(rounds):
            with self._write() as conn:
                taken = conn.execute(
                    "DELETE FROM funnel_dirty WHERE run_id IN "
                    f"(SELECT run_id FROM funnel_dirty LIMIT {int(batch)}) RETURNING run_id"
                ).fetchall()
                if taken:
                    self._remake(conn, sorted(int(r[0]) for r in taken))
            done += len(taken)
            if not taken:
                break
        return done

    def _fold_all(self, batch: int, limit: int | None) -> int:
        with self._write() as conn:
            conn.execute(f"SELECT pg_advisory_xact_lock({_FOLD_LOCK})")  # one fold at a time
            if limit is None:
                taken = conn.execute("DELETE FROM funnel_dirty RETURNING run_id").fetchall()
            else:
                taken = conn.execute(
                    "DELETE FROM funnel_dirty WHERE ctid IN "
                    f"(SELECT ctid FROM funnel_dirty LIMIT {int(limit)}) RETURNING run_id"
                ).fetchall()
            ids = sorted({int(r[0]) for r in taken})
            for start in range(0, len(ids), batch):
                self._remake(conn, ids[start : start + batch])
            if len(ids) > batch:
                conn.execute("ANALYZE run_facts")  # the planner's counts after a bulk change
        return len(ids)

    def _remake(self, conn: Any, ids: list[int]) -> None:
        """The rows of runs ``ids`` made from their runs, steps and messages (a run that is
        gone loses its row)."""
        d = self._dialect
        in_ids = d.in_ids.replace("%s", "?")
        ids_param = d.values(ids)
        branch = d.not_branch("r.")
        runs = conn.execute(
            d.sql(
                "SELECT r.id, c.tenant_id, r.workflow_key, r.created_at, r.version, r.node, "
                f"r.status, r.exit_reason, CASE WHEN {branch} THEN 1 ELSE 0 END "
                f"FROM runs r JOIN contacts c ON c.id = r.contact_id WHERE r.id {in_ids}"
            ),
            (ids_param,),
        ).fetchall()
        steps: dict[int, list[tuple[str, str, str]]] = {}
        for run_id, node, kind, outcome in conn.execute(
            d.sql(
                f"SELECT s.run_id, s.node, s.kind, s.outcome FROM steps s WHERE s.run_id {in_ids}"
            ),
            (ids_param,),
        ):
            steps.setdefault(int(run_id), []).append((node, kind, outcome))
        sends: dict[int, list[tuple[str, int]]] = {}
        for run_id, node, bits in conn.execute(
            d.sql(
                f"SELECT m.run_id, m.node, {BITS} FROM messages m "
                f"WHERE m.node IS NOT NULL AND m.run_id {in_ids}"
            ),
            (ids_param,),
        ):
            sends.setdefault(int(run_id), []).append((node, int(bits)))
        facts_of: dict[int, str] = {}
        rows = []
        for run_id, tenant, workflow, created, version, node, status, reason, root in runs:
            rid = int(run_id)
            facts = path_facts(
                int(version),
                node,
                status,
                reason,
                bool(root),
                steps.get(rid, []),
                sends.get(rid, []),
            )
            facts_of[rid] = facts
            rows.append([rid, tenant, workflow, float(created), int(root), facts])
        path_ids = self._intern(conn, set(facts_of.values()))
        gone = sorted(set(ids) - set(facts_of))
        if gone:
            conn.execute(d.sql(f"DELETE FROM run_facts WHERE run_id {in_ids}"), (d.values(gone),))
        if rows:
            for row in rows:
                row[5] = path_ids[row[5]]
            conn.cursor().executemany(
                d.sql(
                    "INSERT INTO run_facts (run_id, tenant_id, workflow_key, created_at, root, "
                    "path_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
                    "tenant_id = excluded.tenant_id, workflow_key = excluded.workflow_key, "
                    "created_at = excluded.created_at, root = excluded.root, "
                    "path_id = excluded.path_id"
                ),
                [tuple(r) for r in rows],
            )

    def _intern(self, conn: Any, facts: set[str]) -> dict[str, int]:
        """The ids of these paths (made for the new ones)."""
        d = self._dialect
        in_texts = d.in_texts.replace("%s", "?")
        found: dict[str, int] = {}
        wanted = sorted(facts)
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            for pid, text in conn.execute(
                d.sql(f"SELECT id, facts FROM funnel_paths WHERE facts {in_texts}"),
                (d.values(part),),
            ):
                found[text] = int(pid)
        for text in wanted:
            if text not in found:
                row = conn.execute(
                    d.sql("INSERT INTO funnel_paths (facts) VALUES (?) RETURNING id"), (text,)
                ).fetchone()
                found[text] = int(row[0])
        return found


__all__ = ["BITS", "FOLD_BATCH", "SqlRunFacts", "add_path", "path_facts"]
