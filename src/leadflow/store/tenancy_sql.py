"""Tenancy on SQLite and PostgreSQL: the same SQL, written with ``?`` placeholders and turned
into each database's style by its :class:`~leadflow.store.sql_common.Dialect`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, replace
from typing import Any

from leadflow.model.tenancy import (
    AGENT_COLS,
    KEY_COLS,
    TEAM_COLS,
    TENANT_COLS,
    Agent,
    ApiKey,
    Team,
    Tenant,
)
from leadflow.store.contract_tenancy import TenancyStore
from leadflow.store.parts import SqlPart, from_row

_AGENT_UPDATE = ", ".join(
    f"{c} = excluded.{c}"
    for c in AGENT_COLS.replace(" ", "").split(",")
    if c not in ("tenant_id", "member_key", "created_at")
)


def _agent_row(a: Agent, created: float, now: float) -> tuple[Any, ...]:
    """The agent as the row written (columns in AGENT_COLS order: the record's field order)."""
    return astuple(replace(a, created_at=created, updated_at=now))


class SqlTenancy(SqlPart, TenancyStore):
    """The tenancy methods of the Store contract for the two SQL backends."""

    # ------------------------------------------------------------------ tenants
    def create_tenant(self, tenant: Tenant, now: float) -> None:
        with self._write() as conn:
            conn.execute(
                self._dialect.sql(f"INSERT INTO tenants ({TENANT_COLS}) VALUES (?, ?, ?)"),
                (tenant.id, tenant.name, now),
            )

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self._fetch_one_as(
            from_row(Tenant), f"SELECT {TENANT_COLS} FROM tenants WHERE id = ?", (tenant_id,)
        )

    def list_tenants(self) -> list[Tenant]:
        return self._fetch_as(from_row(Tenant), f"SELECT {TENANT_COLS} FROM tenants ORDER BY id")

    # ------------------------------------------------------------------ teams
    def upsert_team(self, team: Team, now: float) -> bool:
        inserted, _ = self._upsert_each(
            [team],
            "SELECT 1 FROM teams WHERE tenant_id = ? AND team_key = ?",
            lambda t: (t.tenant_id, t.team_key),
            f"INSERT INTO teams ({TEAM_COLS}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (tenant_id, team_key) DO UPDATE SET name = excluded.name, "
            "lead_key = excluded.lead_key",
            lambda t, _found: (t.tenant_id, t.team_key, t.name, t.lead_key, now),
        )
        return inserted == 1

    def list_teams(self, tenant_id: str) -> list[Team]:
        return self._fetch_as(
            from_row(Team),
            f"SELECT {TEAM_COLS} FROM teams WHERE tenant_id = ? ORDER BY team_key",
            (tenant_id,),
        )

    # ------------------------------------------------------------------ agents
    def upsert_agents(self, agents: Sequence[Agent], now: float) -> tuple[int, int]:
        if not agents:
            return 0, 0
        marks = ", ".join("?" * len(AGENT_COLS.split(",")))
        return self._upsert_each(
            agents,
            "SELECT 1 FROM agents WHERE tenant_id = ? AND member_key = ?",
            lambda a: (a.tenant_id, a.member_key),
            f"INSERT INTO agents ({AGENT_COLS}) VALUES ({marks}) "
            f"ON CONFLICT (tenant_id, member_key) DO UPDATE SET {_AGENT_UPDATE}",
            lambda a, _found: _agent_row(a, now, now),
        )

    def get_agent(self, tenant_id: str, member_key: str) -> Agent | None:
        return self._fetch_one_as(
            from_row(Agent),
            f"SELECT {AGENT_COLS} FROM agents WHERE tenant_id = ? AND member_key = ?",
            (tenant_id, member_key),
        )

    def list_agents(self, tenant_id: str, team_key: str | None = None) -> list[Agent]:
        if team_key is None:
            return self._fetch_as(
                from_row(Agent),
                f"SELECT {AGENT_COLS} FROM agents WHERE tenant_id = ? ORDER BY member_key",
                (tenant_id,),
            )
        return self._fetch_as(
            from_row(Agent),
            f"SELECT {AGENT_COLS} FROM agents WHERE tenant_id = ? AND team_key = ? "
            "ORDER BY member_key",
            (tenant_id, team_key),
        )

    # ------------------------------------------------------------------ API keys
    def create_api_key(self, key: ApiKey, now: float) -> None:
        with self._write() as conn:
            conn.execute(
                self._dialect.sql(
                    f"INSERT INTO api_keys ({KEY_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"
                ),
                (key.id, key.tenant_id, key.role, key.digest, key.member_key, key.name, now),
            )

    def get_api_key(self, key_id: str) -> ApiKey | None:
        return self._fetch_one_as(
            from_row(ApiKey), f"SELECT {KEY_COLS} FROM api_keys WHERE id = ?", (key_id,)
        )

    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        return self._fetch_as(
            from_row(ApiKey),
            f"SELECT {KEY_COLS} FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id",
            (tenant_id,),
        )

    def revoke_api_key(self, key_id: str, now: float) -> bool:
        changed = self._change(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, key_id)
        )
        return changed == 1


__all__ = ["SqlTenancy"]
