"""Experiments on SQLite and PostgreSQL (``?`` placeholders, adapted per dialect).

Every conditional write is one statement whose WHERE names the revision read (or ON CONFLICT
DO NOTHING for a create), so its row count says whether it happened: two reviewers, or two
workers assigning the same contact, never both win."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from leadflow.errors import StoreError
from leadflow.model.experiments import Assignment, Experiment, ExperimentDecision
from leadflow.model.jsonvalue import dumps, loads, loads_dict
from leadflow.model.records import Event
from leadflow.store.codec import EVENT_COLS, event_from_row, opt_float, row_reader
from leadflow.store.contract_experiments import ExperimentStore
from leadflow.store.parts import SqlPart

_CHUNK = 500  # contact ids per contact_events query

_EXP_COLS = (
    "tenant_id, key, workflow_key, node_id, config, weights, status, winner, revision, "
    "created_at, updated_at, next_review_at"
)
_CREATE = (
    f"INSERT INTO experiments ({_EXP_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant_id, key) DO NOTHING"
)
_REPLACE = (
    "UPDATE experiments SET workflow_key = ?, node_id = ?, config = ?, weights = ?, status = ?, "
    "winner = ?, revision = ?, created_at = ?, updated_at = ?, next_review_at = ? "
    "WHERE tenant_id = ? AND key = ? AND revision = ?"
)
_TENANT = "SELECT 1 FROM tenants WHERE id = ?"
_ASSIGN_COLS = "tenant_id, experiment_key, contact_id, arm, assigned_at, run_id"
_ASSIGN = (
    f"INSERT INTO experiment_assignments ({_ASSIGN_COLS}) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant_id, experiment_key, contact_id) DO NOTHING"
)
_ONE_ASSIGNMENT = (
    f"SELECT {_ASSIGN_COLS} FROM experiment_assignments "
    "WHERE tenant_id = ? AND experiment_key = ? AND contact_id = ?"
)
_DECISION_COLS = (
    "tenant_id, experiment_key, decided_at, action, reason, weights_before, weights_after, "
    "winner, numbers"
)
_DECIDE = (
    f"INSERT INTO experiment_decisions ({_DECISION_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "RETURNING id"
)


def _weights(text: Any) -> dict[str, float]:
    return {str(k): float(v) for k, v in loads_dict(text).items()}


_experiment = row_reader(
    Experiment,
    _EXP_COLS,
    {
        "config": loads_dict,
        "weights": _weights,
        "revision": int,
        "created_at": float,
        "updated_at": float,
        "next_review_at": opt_float,
    },
)


def _assignment(row: Sequence[Any]) -> Assignment:
    run_id = None if row[5] is None else int(row[5])
    return Assignment(row[0], row[1], row[2], row[3], float(row[4]), run_id)


_decision = row_reader(
    ExperimentDecision,
    f"id, {_DECISION_COLS}",
    {
        "id": int,
        "decided_at": float,
        "weights_before": loads_dict,
        "weights_after": loads_dict,
        "numbers": loads_dict,
    },
)


class SqlExperiments(SqlPart, ExperimentStore):
    """The experiment methods of the Store contract for the two SQL backends."""

    def _put_experiment(
        self, conn: Any, experiment: Experiment, expected_revision: int | None
    ) -> bool:
        """Create or conditionally replace, in the caller's transaction: True when written."""
        e = experiment
        config, weights = dumps(e.config), dumps(e.weights)
        # the columns both statements set, in _EXP_COLS order after the key (revision aside)
        values = (e.workflow_key, e.node_id, config, weights, e.status, e.winner)
        times = (e.created_at, e.updated_at, e.next_review_at)
        if expected_revision is None:
            params: tuple[Any, ...] = (e.tenant_id, e.key, *values, 0, *times)
            cursor = conn.execute(self._dialect.sql(_CREATE), params)
        else:
            params = (*values, expected_revision + 1, *times, e.tenant_id, e.key, expected_revision)
            cursor = conn.execute(self._dialect.sql(_REPLACE), params)
        if int(cursor.rowcount) == 1:
            return True
        # The create raised already for an unknown tenant (foreign key); a replace finds no row.
        if conn.execute(self._dialect.sql(_TENANT), (e.tenant_id,)).fetchone() is None:
            raise StoreError(f"FOREIGN KEY constraint failed: experiments.tenant_id {e.tenant_id}")
        return False

    def save_experiment(self, experiment: Experiment, expected_revision: int | None) -> bool:
        with self._write() as conn:
            return self._put_experiment(conn, experiment, expected_revision)

    def get_experiment(self, tenant_id: str, key: str) -> Experiment | None:
        text = f"SELECT {_EXP_COLS} FROM experiments WHERE tenant_id = ? AND key = ?"
        return self._fetch_one_as(_experiment, text, (tenant_id, key))

    def list_experiments(self, tenant_id: str | None = None) -> list[Experiment]:
        text = f"SELECT {_EXP_COLS} FROM experiments"
        params: tuple[Any, ...] = ()
        if tenant_id is not None:
            text += " WHERE tenant_id = ?"
            params = (tenant_id,)
        return self._fetch_as(_experiment, text + " ORDER BY tenant_id, key", params)

    def due_experiments(self, now: float) -> list[Experiment]:
        text = (
            f"SELECT {_EXP_COLS} FROM experiments "
            "WHERE status = 'running' AND next_review_at IS NOT NULL AND next_review_at <= ? "
            "ORDER BY next_review_at, tenant_id, key"
        )
        return self._fetch_as(_experiment, text, (now,))

    def assign_arm(self, assignment: Assignment) -> Assignment:
        a = assignment
        row = self._write_then_read(
            _ASSIGN,
            (a.tenant_id, a.experiment_key, a.contact_id, a.arm, a.assigned_at, a.run_id),
            _ONE_ASSIGNMENT,
            (a.tenant_id, a.experiment_key, a.contact_id),
        )
        return _assignment(row)

    def get_assignment(self, tenant_id: str, key: str, contact_id: str) -> Assignment | None:
        return self._fetch_one_as(_assignment, _ONE_ASSIGNMENT, (tenant_id, key, contact_id))

    def experiment_assignments(self, tenant_id: str, key: str) -> list[Assignment]:
        text = (
            f"SELECT {_ASSIGN_COLS} FROM experiment_assignments "
            "WHERE tenant_id = ? AND experiment_key = ?"
        )
        found = self._fetch_as(_assignment, text, (tenant_id, key))
        found.sort(key=lambda a: (a.assigned_at, a.contact_id))  # code point order everywhere
        return found

    def record_decision(
        self, decision: ExperimentDecision, experiment: Experiment, expected_revision: int
    ) -> ExperimentDecision | None:
        d = decision
        with self._write() as conn:
            if not self._put_experiment(conn, experiment, expected_revision):
                return None
            params = (
                d.tenant_id,
                d.experiment_key,
                d.decided_at,
                d.action,
                d.reason,
                dumps(d.weights_before),
                dumps(d.weights_after),
                d.winner,
                dumps(d.numbers),
            )
            new_id = int(conn.execute(self._dialect.sql(_DECIDE), params).fetchone()[0])
        return dataclasses.replace(
            d,
            weights_before=loads(params[5]),
            weights_after=loads(params[6]),
            numbers=loads(params[8]),
            id=new_id,
        )

    def experiment_decisions(self, tenant_id: str, key: str) -> list[ExperimentDecision]:
        text = (
            f"SELECT id, {_DECISION_COLS} FROM experiment_decisions "
            "WHERE tenant_id = ? AND experiment_key = ? ORDER BY id"
        )
        with self._read() as conn:
            return [_decision(r) for r in conn.execute(self._dialect.sql(text), (tenant_id, key))]

    def contact_events(
        self, contact_ids: Iterable[str], types: Iterable[str], since: float = 0.0
    ) -> list[Event]:
        ids, kinds = sorted(set(contact_ids)), sorted(set(types))
        if not ids or not kinds:
            return []
        d = self._dialect
        text = d.sql(
            f"SELECT {EVENT_COLS} FROM events WHERE contact_id {d.in_texts} "
            f"AND type {d.in_texts} AND occurred_at >= ?"
        )
        rows: list[Event] = []
        with self._read() as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                params = (d.values(chunk), d.values(kinds), since)
                rows.extend(event_from_row(r) for r in conn.execute(text, params))
        rows.sort(key=lambda e: (e.contact_id or "", e.occurred_at, e.id))
        return rows


__all__ = ["SqlExperiments"]
