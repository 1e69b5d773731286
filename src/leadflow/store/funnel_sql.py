"""The funnel and cohort counts on SQLite and PostgreSQL, computed in the database: the rules of
:mod:`leadflow.store.funnel_facts` said as aggregate SQL (``COUNT(DISTINCT run_id)`` per
version, node and metric), over the runs a :class:`RunSelection` picks. Only counts come back,
never the rows; the indexes of migration 0170 keep the reads on covering indexes."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any

from leadflow.store.funnel_facts import (
    DECISION_KINDS,
    FAILED,
    LIVE,
    NOT_DONE,
    OUTCOME_NAMES,
    OUTCOME_PREFIXES,
    SEND_METRICS,
    FunnelCounts,
    Key,
    RunSelection,
)
from leadflow.store.funnel_summary import SqlRunFacts, add_path
from leadflow.store.sql_common import Dialect

_CHUNK = 10_000  # run ids per chunk of an explicit selection
DAY = 86400.0
_CUTS = 400  # entry-time ranges counted per statement
_MAX_DAYS = 20_000  # days of entries counted by cuts at most (more: grouped)


def _texts(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)  # constants of this module only


def _starts(column: str, prefixes: Sequence[str]) -> str:
    return " OR ".join(f"substr({column}, 1, {len(p)}) = '{p}'" for p in prefixes)


_IS_FAILED = f"s.outcome IN ({_texts(FAILED)})"
_IS_COMPLETED = f"NOT ({_IS_FAILED}) AND NOT ({_starts('s.outcome', NOT_DONE)})"
_IS_OUTCOME = (
    f"s.kind IN ({_texts(DECISION_KINDS)}) AND ({_starts('s.outcome', OUTCOME_PREFIXES)} "
    f"OR s.outcome IN ({_texts(OUTCOME_NAMES)}))"
)
_FLAGS = {
    "sent": "m.sent_at IS NOT NULL OR m.status IN ('sent', 'delivered')",
    "delivered": "m.delivered_at IS NOT NULL OR m.status = 'delivered'",
    "opened": "m.opened_at IS NOT NULL",
    "clicked": "m.clicked_at IS NOT NULL",
    "replied": "m.replied_at IS NOT NULL",
    "suppressed": "m.status = 'suppressed'",
    "send_failed": "m.status = 'failed'",
}
assert tuple(_FLAGS) == SEND_METRICS
_RUNS = "runs r JOIN contacts c ON c.id = r.contact_id"
_JOIN_RUNS = "runs r ON r.id = {}.run_id JOIN contacts c ON c.id = r.contact_id"
_NOT_GOAL = "s.kind <> 'goal'"
_STEP = "EXISTS (SELECT 1 FROM steps s WHERE s.run_id = r.id AND s.node = ? AND {})"


def rank(x: str, cuts: Sequence[float]) -> tuple[str, list[float]]:
    """SQL for how many of the ascending ``cuts`` are less than ``x`` (a binary search of
    nested CASEs, so a row makes log2(len(cuts)) comparisons), with its parameters."""

    def tree(lo: int, hi: int) -> tuple[str, list[float]]:
        if lo == hi:
            return str(lo), []
        mid = (lo + hi + 1) // 2
        above, p1 = tree(mid, hi)
        below, p2 = tree(lo, mid - 1)
        return f"CASE WHEN {x} > ? THEN {above} ELSE {below} END", [cuts[mid - 1], *p1, *p2]

    return tree(0, len(cuts))


class SqlFunnel(SqlRunFacts):
    """The funnel's and the cohort grid's counts for the two SQL backends."""

    def _where(self, sel: RunSelection, chunk: Sequence[int] | None) -> tuple[str, list[Any]]:
        """The selection's conditions on ``runs r`` joined to ``contacts c``."""
        conds = ["r.workflow_key = ?", "c.tenant_id = ?"]
        params: list[Any] = [sel.workflow_key, sel.scope.tenant_id]
        self._narrow(sel, chunk, "r.created_at", "r.id", conds, params)
        return " AND ".join(conds), params

    def _narrow(
        self,
        sel: RunSelection,
        chunk: Sequence[int] | None,
        entry: str,
        run_id: str,
        conds: list[str],
        params: list[Any],
    ) -> bool:
        """Add the selection's owner, entry range and run id conditions (on ``c.owner``,
        ``entry`` and ``run_id``); whether an owner condition was added."""
        d = self._dialect
        owned = False
        for owners in (sel.scope.owners, sel.agents):
            if owners is not None:
                owned = True
                conds.append(f"c.owner {d.in_texts.replace('%s', '?')}")
                params.append(d.values(sorted(owners)))
        for text, value in ((f"{entry} >= ?", sel.since), (f"{entry} < ?", sel.until)):
            if value is not None:
                conds.append(text)
                params.append(value)
        if chunk is not None:
            conds.append(f"{run_id} {d.in_ids.replace('%s', '?')}")
            params.append(d.values(chunk))
        return owned

    def _whole(self, sel: RunSelection, where: str) -> str:
        """``where``, and (when the workflow has branch runs) the run entered the workflow:
        not a parallel node's branch run, whose context links it to its parent."""
        if not sel.branches:
            return where
        return f"{where} AND {self._root_sql()}"

    def _root_sql(self) -> str:
        return self._dialect.not_branch("r.")

    def _chunks(self, sel: RunSelection) -> Iterator[Sequence[int] | None]:
        if sel.run_ids is None:
            yield None
            return
        ids = sorted(set(sel.run_ids))
        for start in range(0, len(ids), _CHUNK):
            yield ids[start : start + _CHUNK]

    def funnel_counts(
        self, sel: RunSelection, goals: Sequence[str], window_s: float
    ) -> FunnelCounts:
        out = FunnelCounts()
        self.fold_run_facts()
        with self._read(snapshot=True) as conn:
            for chunk in self._chunks(sel):
                out.add(self._counts(conn, sel, chunk, goals, window_s))
        return out

    def _counts(
        self,
        conn: Any,
        sel: RunSelection,
        chunk: Sequence[int] | None,
        goals: Sequence[str],
        window_s: float,
    ) -> FunnelCounts:
        d = self._dialect
        where, params = self._where(sel, chunk)
        out = FunnelCounts()
        counts = out.counts

        def rows(text: str, extra: Sequence[Any] = ()) -> list[Any]:
            return list(conn.execute(d.sql(text), (*params, *extra)).fetchall())

        text, args = self._facts_where(sel, chunk)
        paths = conn.execute(
            d.sql(f"SELECT f.path_id, count(*) FROM {text} GROUP BY f.path_id"), args
        ).fetchall()
        facts = self._path_texts(conn, [int(p) for p, _ in paths])
        for path_id, n in paths:
            add_path(out, facts[int(path_id)], int(n), branches=sel.branches)
        if goals:
            text, extra = self._goal_delays(self._whole(sel, where), goals, window_s)
            delays = [float(r[1]) for r in rows(text, extra)]
            if delays:
                counts[(0, "", "goal")] = len(delays)
                out.hours_to_goal = [s / 3600.0 for s in delays]
        return out

    def _facts_where(
        self, sel: RunSelection, chunk: Sequence[int] | None, *, roots: bool = False
    ) -> tuple[str, tuple[Any, ...]]:
        """``run_facts f`` (joined to the runs' contacts when an owner is asked for) and the
        conditions picking the selected runs (``roots``: only those that entered the
        workflow), with their parameters."""
        conds = ["f.tenant_id = ?", "f.workflow_key = ?"]
        params: list[Any] = [sel.scope.tenant_id, sel.workflow_key]
        owned = self._narrow(sel, chunk, "f.created_at", "f.run_id", conds, params)
        source = f"run_facts f JOIN {_JOIN_RUNS.format('f')}" if owned else "run_facts f"
        if roots and sel.branches:
            conds.append("f.root = 1")
        return f"{source} WHERE {' AND '.join(conds)}", tuple(params)

    def _path_texts(self, conn: Any, ids: Sequence[int]) -> dict[int, str]:
        d = self._dialect
        out: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            for pid, facts in conn.execute(
                d.sql(f"SELECT id, facts FROM funnel_paths WHERE id {d.in_ids.replace('%s', '?')}"),
                (d.values(part),),
            ):
                out[int(pid)] = facts
        return out

    def _goal_delays(
        self, where: str, goals: Sequence[str], window_s: float | None
    ) -> tuple[str, list[Any]]:
        """Per run with a goal event at or after its entry (within ``window_s`` of it when
        given): (run id, seconds to the first, entry time). Parameters: the selection's, then
        these."""
        d = self._dialect
        window = " AND e.occurred_at - r.created_at <= ?" if window_s is not None else ""
        text = (
            "SELECT r.id AS id, min(e.occurred_at) - r.created_at AS d, r.created_at AS t0 "
            "FROM events e CROSS JOIN runs r CROSS JOIN contacts c "
            f"WHERE r.contact_id = e.contact_id AND c.id = r.contact_id AND {where} "
            f"AND e.type {d.in_texts.replace('%s', '?')} "
            f"AND e.occurred_at - r.created_at >= 0{window} GROUP BY r.id, r.created_at"
        )
        extra: list[Any] = [d.values(sorted(set(goals)))]
        if window_s is not None:
            extra.append(window_s)
        return text, extra

    def funnel_contacts(
        self,
        sel: RunSelection,
        key: Key,
        goals: Sequence[str],
        window_s: float,
        after: str | None,
        limit: int,
    ) -> list[str]:
        cond = self._key_condition(sel, key, goals, window_s)
        if cond is None or limit <= 0:
            return []
        d = self._dialect
        text, extra = cond
        collate = "" if d.json_lists else ' COLLATE "C"'
        found: set[str] = set()
        with self._read(snapshot=True) as conn:
            for chunk in self._chunks(sel):
                where, params = self._where(sel, chunk)
                if after is not None:
                    where += f" AND r.contact_id{collate} > ?"
                sql = (
                    f"SELECT DISTINCT r.contact_id{collate} FROM {_RUNS} WHERE {where} AND {text} "
                    f"ORDER BY 1 LIMIT {int(limit)}"
                )
                args = (*params, *([after] if after is not None else []), *extra)
                found.update(r[0] for r in conn.execute(d.sql(sql), args))
        return sorted(found)[:limit]

    def _key_condition(
        self, sel: RunSelection, key: Key, goals: Sequence[str], window_s: float
    ) -> tuple[str, list[Any]] | None:
        """A condition on ``r`` true exactly for the runs in the set ``key`` (None: empty)."""
        version, node, metric = key
        if version == 0 and node == "":
            found = self._whole_condition(metric, goals, window_s)
            if found is None or not sel.branches:
                return found
            return f"{self._root_sql()} AND ({found[0]})", found[1]
        return self._node_condition(version, node, metric)

    def _whole_condition(
        self, metric: str, goals: Sequence[str], window_s: float
    ) -> tuple[str, list[Any]] | None:
        """The condition of a workflow-wide set (version 0, node "")."""
        d = self._dialect
        if metric == "entered":
            return "1 = 1", []
        if metric.startswith("status:"):
            return "r.status = ?", [metric.removeprefix("status:")]
        if metric.startswith("exited:"):
            return "r.status = 'exited' AND coalesce(r.exit_reason, '') = ?", [metric[7:]]
        if metric == "goal" and goals:
            return (
                "EXISTS (SELECT 1 FROM events e WHERE e.contact_id = r.contact_id "
                f"AND e.type {d.in_texts.replace('%s', '?')} "
                "AND e.occurred_at - r.created_at >= 0 "
                "AND e.occurred_at - r.created_at <= ?)",
                [d.values(sorted(set(goals))), window_s],
            )
        return None

    def _node_condition(self, version: int, node: str, metric: str) -> tuple[str, list[Any]] | None:
        """The condition of a node's set."""
        if not node:
            return None
        at = "r.version = ? AND r.node = ?"
        here = [version, node]
        if metric in ("entered", "completed", "failed"):
            cond = {"entered": _NOT_GOAL, "completed": _IS_COMPLETED, "failed": _IS_FAILED}[metric]
            stepped = f"r.version = ? AND {_STEP.format(f'{_NOT_GOAL} AND {cond}')}"
            if metric != "failed":
                return stepped, here
            return f"({stepped} OR {at} AND r.status = 'failed')", [*here, *here]
        if metric == "current":
            return f"{at} AND r.status IN ({_texts(LIVE)})", here
        if metric.startswith("exited:"):
            return f"{at} AND r.status = 'exited' AND coalesce(r.exit_reason, '') = ?", [
                *here,
                metric[7:],
            ]
        if metric.startswith("outcome:"):
            cond = f"{_IS_OUTCOME} AND s.outcome = ?"
            return f"r.version = ? AND {_STEP.format(cond)}", [*here, metric[8:]]
        name = metric.removeprefix("msg:")
        if metric.startswith("msg:") and name in _FLAGS:
            sent = (
                "EXISTS (SELECT 1 FROM messages m WHERE m.run_id = r.id AND m.node = ? "
                f"AND ({_FLAGS[name]}))"
            )
            return f"r.version = ? AND {sent}", here
        return None

    def cohort_counts(
        self,
        sel: RunSelection,
        goals: Sequence[str],
        limits: Sequence[float],
        spans: Sequence[float],
    ) -> list[tuple[int, int, int, int]]:
        """Two reads: the few runs with a goal event by (day, lived, reached), and every
        selected run by (day, lived); the runs without one are the difference (reached: none).
        The second counts the runs between consecutive cuts of their entry time (each day's
        first instant, and just after each of ``limits``), so no run is ranked or sorted; a
        selection of chunks of run ids, or one naming owners, groups its runs instead."""
        d = self._dialect
        lived_g, p_lived = rank("g.t0", sorted(limits))
        within, p_reached = rank("g.d", list(spans))
        k, n = len(limits), len(spans)
        totals: dict[tuple[int, int, int], int] = {}
        self.fold_run_facts()
        with self._read(snapshot=True) as conn:
            for chunk in self._chunks(sel):
                goal, params = self._first_goals(sel, chunk, goals)
                reached: dict[tuple[int, int], int] = {}
                text = (
                    f"SELECT {_day(d, 'g.t0')}, {k} - ({lived_g}), {within}, count(*) "
                    f"FROM ({goal}) g GROUP BY 1, 2, 3"
                )
                for a, b, c, count in conn.execute(d.sql(text), (*p_lived, *p_reached, *params)):
                    key = (int(a), int(b), int(c))
                    totals[key] = totals.get(key, 0) + int(count)
                    reached[key[:2]] = reached.get(key[:2], 0) + int(count)
                entered = self._entries(conn, sel, chunk, limits)
                for key2, count in entered.items():
                    rest = count - reached.get(key2, 0)
                    if rest:
                        key = (*key2, n)
                        totals[key] = totals.get(key, 0) + rest
        return [(*key, count) for key, count in sorted(totals.items())]

    def _first_goals(
        self, sel: RunSelection, chunk: Sequence[int] | None, goals: Sequence[str]
    ) -> tuple[str, list[Any]]:
        """Per selected run (of ``chunk``) that entered the workflow and has a goal event at or
        after its entry: (run id, seconds to the first, entry time), with the parameters. The
        entry, tenant and root come from ``run_facts`` (a narrow row by key), the run only
        through its contact index."""
        d = self._dialect
        conds = [
            f"e.type {d.in_texts.replace('%s', '?')}",
            "r.contact_id = e.contact_id",
            "r.workflow_key = ?",
            "f.run_id = r.id",
            "f.tenant_id = ?",
            "f.workflow_key = ?",
        ]
        params: list[Any] = [
            d.values(sorted(set(goals))),
            sel.workflow_key,
            sel.scope.tenant_id,
            sel.workflow_key,
        ]
        owned = self._narrow(sel, chunk, "f.created_at", "f.run_id", conds, params)
        source = "events e CROSS JOIN runs r CROSS JOIN run_facts f"
        if owned:
            source += " CROSS JOIN contacts c"
            conds.append("c.id = r.contact_id")
        if sel.branches:
            conds.append("f.root = 1")
        text = (
            "SELECT f.run_id AS id, min(e.occurred_at) - f.created_at AS d, f.created_at AS t0 "
            f"FROM {source} WHERE {' AND '.join(conds)} "
            "AND e.occurred_at - f.created_at >= 0 GROUP BY f.run_id, f.created_at"
        )
        return text, params

    def _entries(
        self, conn: Any, sel: RunSelection, chunk: Sequence[int] | None, limits: Sequence[float]
    ) -> dict[tuple[int, int], int]:
        """The selected runs (of ``chunk``) that entered the workflow, counted by (UTC day of
        entry, how many of ``limits`` the entry is at or before)."""
        d = self._dialect
        facts, args = self._facts_where(sel, chunk, roots=True)
        owned = sel.scope.owners is not None or sel.agents is not None
        if chunk is None and not owned:
            found = self._entries_by_cuts(conn, facts, args, limits)
            if found is not None:
                return found
        lived_f, p_lived = rank("f.created_at", sorted(limits))
        text = (
            f"SELECT day, lived, count(*) FROM (SELECT {_day(d, 'f.created_at')} AS day, "
            f"{len(limits)} - ({lived_f}) AS lived FROM {facts}) x GROUP BY day, lived"
        )
        out: dict[tuple[int, int], int] = {}
        for a, b, count in conn.execute(d.sql(text), (*p_lived, *args)):
            out[(int(a), int(b))] = out.get((int(a), int(b)), 0) + int(count)
        return out

    def _entries_by_cuts(
        self, conn: Any, facts: str, args: tuple[Any, ...], limits: Sequence[float]
    ) -> dict[tuple[int, int], int] | None:
        """:meth:`_entries` as counts of the runs between consecutive cuts of the entry time
        (None: the entries span more days than that pays for). SQLite: one ``count(*)`` over
        a range of the ``run_facts_entry`` index per cut; PostgreSQL: one pass bucketing each
        run by ``width_bucket`` over the cuts."""
        d = self._dialect
        first, last = conn.execute(
            d.sql(
                f"SELECT (SELECT min(f.created_at) FROM {facts}), "
                f"(SELECT max(f.created_at) FROM {facts})"
            ),
            (*args, *args),
        ).fetchone()
        if first is None or last is None:
            return {}
        lo, hi = float(first), float(last)
        day_lo, day_hi = math.floor(lo / DAY), math.floor(hi / DAY)
        if lo < 0 or day_hi - day_lo > _MAX_DAYS:
            return None  # (SQLite's day of a time before 1970 is not its floor)
        cuts = {lo, math.nextafter(hi, math.inf)}
        cuts.update(day_start(day) for day in range(day_lo + 1, day_hi + 1))
        cuts.update(math.nextafter(t, math.inf) for t in limits if lo <= t < hi)
        bounds = sorted(cuts)
        out: dict[tuple[int, int], int] = {}

        def add(t: float, count: int) -> None:
            key = (math.floor(t / DAY), sum(1 for limit in limits if t <= limit))
            out[key] = out.get(key, 0) + count

        if not d.json_lists:
            # PostgreSQL: one pass, each run's range found by width_bucket's binary search
            # (an index range per cut reads the table for every row not yet all-visible).
            text = (
                f"SELECT width_bucket(f.created_at, ?::float8[]), count(*) FROM {facts} GROUP BY 1"
            )
            for bucket, count in conn.execute(d.sql(text), (bounds, *args)):
                add(bounds[int(bucket) - 1], int(count))
            return out
        ranges = list(itertools.pairwise(bounds))
        for start in range(0, len(ranges), _CUTS):
            part = ranges[start : start + _CUTS]
            rows = ", ".join("(?, ?)" for _ in part)
            text = (
                f"SELECT v.column1, (SELECT count(*) FROM {facts} AND f.created_at >= v.column1 "
                f"AND f.created_at < v.column2) FROM (VALUES {rows}) v"
            )
            for at, count in conn.execute(d.sql(text), (*args, *(t for p in part for t in p))):
                if count:
                    add(float(at), int(count))
        return out


def _day(d: Dialect, t: str) -> str:
    """SQL for the UTC day (days since 1970) of the epoch seconds ``t``: ``floor(t / DAY)``."""
    if d.json_lists:
        return f"CAST({t} / {DAY} AS INTEGER)"
    return f"CAST(floor({t} / {DAY}) AS BIGINT)"


def day_start(day: int) -> float:
    """The first epoch second (a float, exactly) whose ``floor(t / DAY)`` is ``day``."""
    t = day * DAY
    while math.floor(t / DAY) >= day:
        t = math.nextafter(t, -math.inf)
    while math.floor(t / DAY) < day:
        t = math.nextafter(t, math.inf)
    return t


__all__ = ["SqlFunnel", "day_start", "rank"]
