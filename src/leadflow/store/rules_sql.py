"""Automation rules and their firings on SQLite and PostgreSQL (one SQL).

:meth:`SqlRules.record_firing` writes the firing and its effects (contact patches, enrolments,
events) in one transaction, through the core's own in-transaction writers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from leadflow.model.automation import FiringEffects, Rule, RuleFiring, RuleSpec
from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.records import ContactPatch, EnrollOutcome, EnrollRequest, NewEvent
from leadflow.store.codec import row_reader
from leadflow.store.contract_rules import RuleStore
from leadflow.store.parts import SqlPart
from leadflow.store.rules_spec_codec import spec_from_json, spec_json

_RULE_SELECT = (
    "SELECT r.id, r.tenant_id, v.version, v.spec, r.enabled, r.created_at, r.updated_at, "
    "v.created_at, r.version FROM automation_rules r JOIN automation_rule_versions v "
    "ON v.rule_id = r.id"
)
_FIRING_COLS = (
    "id, tenant_id, rule_id, rule_version, event_id, contact_id, actions, outcome, error, "
    "source, fired_at"
)


def _rule(row: Sequence[Any]) -> Rule:
    rid, tenant, version, spec, enabled, created, updated, v_created, current = row
    return Rule(
        int(rid),
        tenant,
        int(version),
        spec_from_json(spec),
        bool(enabled),
        float(created),
        float(updated) if int(version) == int(current) else float(v_created),
    )


def _actions(text: Any) -> list[dict[str, Any]]:
    return list(loads(text))


_firing = row_reader(
    RuleFiring,
    _FIRING_COLS,
    {
        "id": int,
        "rule_id": int,
        "rule_version": int,
        "event_id": int,
        "actions": _actions,
        "fired_at": float,
    },
)


class SqlRules(SqlPart, RuleStore):
    if TYPE_CHECKING:

        def _wake(self, conn: Any) -> None: ...

        def _patch(self, conn: Any, patches: Sequence[ContactPatch], now: float) -> None: ...

        def _enroll(
            self, conn: Any, requests: Sequence[EnrollRequest], now: float
        ) -> EnrollOutcome: ...

        def _append_events(
            self, conn: Any, events: Sequence[NewEvent], now: float
        ) -> list[int | None]: ...

    def _add_version(
        self, conn: Any, rule_id: int, version: int, spec: RuleSpec, now: float
    ) -> None:
        conn.execute(
            self._dialect.sql(
                "INSERT INTO automation_rule_versions (rule_id, version, spec, created_at) "
                "VALUES (?, ?, ?, ?)"
            ),
            (rule_id, version, spec_json(spec), now),
        )

    def create_rule(self, tenant_id: str, spec: RuleSpec, enabled: bool, now: float) -> Rule:
        sql = self._dialect.sql
        with self._write() as conn:
            rid = conn.execute(
                sql(
                    "INSERT INTO automation_rules (tenant_id, version, enabled, created_at, "
                    "updated_at) VALUES (?, 1, ?, ?, ?) RETURNING id"
                ),
                (tenant_id, int(enabled), now, now),
            ).fetchone()[0]
            self._add_version(conn, int(rid), 1, spec, now)
        return Rule(int(rid), tenant_id, 1, spec, enabled, now, now)

    def update_rule(
        self, tenant_id: str, rule_id: int, spec: RuleSpec, now: float, expect_version: int
    ) -> Rule | None:
        sql = self._dialect.sql
        with self._write() as conn:
            changed = conn.execute(
                sql(
                    "UPDATE automation_rules SET version = version + 1, updated_at = ? "
                    "WHERE id = ? AND tenant_id = ? AND version = ?"
                ),
                (now, rule_id, tenant_id, expect_version),
            ).rowcount
            if not changed:
                return None
            self._add_version(conn, rule_id, expect_version + 1, spec, now)
        return self.get_rule(tenant_id, rule_id)

    def set_rule_enabled(
        self, tenant_id: str, rule_id: int, enabled: bool, now: float
    ) -> Rule | None:
        changed = self._change(
            "UPDATE automation_rules SET enabled = ?, updated_at = ? "
            "WHERE id = ? AND tenant_id = ?",
            (int(enabled), now, rule_id, tenant_id),
        )
        return self.get_rule(tenant_id, rule_id) if changed else None

    def get_rule(self, tenant_id: str, rule_id: int, version: int | None = None) -> Rule | None:
        if version is None:
            return self._fetch_one_as(
                _rule,
                f"{_RULE_SELECT} AND v.version = r.version WHERE r.id = ? AND r.tenant_id = ?",
                (rule_id, tenant_id),
            )
        return self._fetch_one_as(
            _rule,
            f"{_RULE_SELECT} AND v.version = ? WHERE r.id = ? AND r.tenant_id = ?",
            (version, rule_id, tenant_id),
        )

    def list_rules(self, tenant_id: str) -> list[Rule]:
        return self._fetch_as(
            _rule,
            f"{_RULE_SELECT} AND v.version = r.version WHERE r.tenant_id = ? ORDER BY r.id",
            (tenant_id,),
        )

    def rule_versions(self, tenant_id: str, rule_id: int) -> list[Rule]:
        return self._fetch_as(
            _rule,
            f"{_RULE_SELECT} WHERE r.id = ? AND r.tenant_id = ? ORDER BY v.version",
            (rule_id, tenant_id),
        )

    def enabled_rules(self) -> list[Rule]:
        return self._fetch_as(
            _rule, f"{_RULE_SELECT} AND v.version = r.version WHERE r.enabled = 1 ORDER BY r.id"
        )

    def enabled_rule_versions(self) -> list[tuple[int, int]]:
        rows = self._fetch("SELECT id, version FROM automation_rules WHERE enabled = 1 ORDER BY id")
        return [(int(rid), int(version)) for rid, version in rows]

    def fired(self, event_ids: Iterable[int]) -> set[tuple[int, int]]:
        wanted = sorted(set(event_ids))
        if not wanted:
            return set()
        d = self._dialect
        rows = self._fetch(
            f"SELECT event_id, rule_id FROM automation_rule_firings WHERE event_id {d.in_ids}",
            (d.values(wanted),),
        )
        return {(int(e), int(r)) for e, r in rows}

    def record_firings(
        self, firings: Sequence[tuple[RuleFiring, FiringEffects]], now: float
    ) -> list[bool]:
        if not firings:
            return []
        sql = self._dialect.sql
        insert = sql(
            f"INSERT INTO automation_rule_firings ({_FIRING_COLS.removeprefix('id, ')}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (event_id, rule_id) DO NOTHING RETURNING id"
        )
        ids: list[int | None] = []
        effects = FiringEffects()
        with self._write() as conn:
            for firing, more in firings:
                row = conn.execute(
                    insert,
                    (
                        firing.tenant_id,
                        firing.rule_id,
                        firing.rule_version,
                        firing.event_id,
                        firing.contact_id,
                        dumps(firing.actions),
                        firing.outcome,
                        firing.error,
                        firing.source,
                        firing.fired_at,
                    ),
                ).fetchone()
                ids.append(None if row is None else int(row[0]))
                if row is not None and firing.outcome == "applied":
                    effects.patches += more.patches
                    effects.enrollments += more.enrollments
                    effects.events += more.events
            self._patch(conn, effects.patches, now)
            made = self._enroll(conn, effects.enrollments, now)
            added = self._append_events(conn, effects.events, now) if effects.events else []
            if made.created or any(i is not None for i in added):
                self._wake(conn)
        for (firing, _), fid in zip(firings, ids, strict=True):
            if fid is not None:
                firing.id = fid
        return [fid is not None for fid in ids]

    def list_firings(
        self, tenant_id: str, rule_id: int | None = None, after_id: int = 0, limit: int = 100
    ) -> list[RuleFiring]:
        if rule_id is None:
            rows = self._fetch(
                f"SELECT {_FIRING_COLS} FROM automation_rule_firings "
                "WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
                (tenant_id, after_id, limit),
            )
        else:
            rows = self._fetch(
                f"SELECT {_FIRING_COLS} FROM automation_rule_firings "
                "WHERE tenant_id = ? AND rule_id = ? AND id > ? ORDER BY id LIMIT ?",
                (tenant_id, rule_id, after_id, limit),
            )
        return [_firing(r) for r in rows]


__all__ = ["SqlRules"]
