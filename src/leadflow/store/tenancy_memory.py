"""Tenancy in the memory backend (the same rules as the SQL backends, foreign keys included)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from leadflow.errors import StoreError
from leadflow.model.tenancy import ROLES, Agent, ApiKey, Team, Tenant
from leadflow.store.contract_tenancy import TenancyStore
from leadflow.store.parts import MemoryPart


class MemoryTenancy(MemoryPart, TenancyStore):
    def create_tenant(self, tenant: Tenant, now: float) -> None:
        with self._lock:
            tenants = self._tenancy().tenants
            if tenant.id in tenants:
                raise StoreError(f"UNIQUE constraint failed: tenants.id ({tenant.id})")
            tenants[tenant.id] = replace(tenant, created_at=now)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self._copy_of(self._tenancy().tenants, tenant_id, replace)

    def list_tenants(self) -> list[Tenant]:
        with self._lock:
            return [replace(t) for _, t in sorted(self._tenancy().tenants.items())]

    def upsert_team(self, team: Team, now: float) -> bool:
        with self._lock:
            tables = self._tenancy()
            teams = tables.teams
            self._need_tenant(team.tenant_id, "teams.tenant_id")
            key = (team.tenant_id, team.team_key)
            old = teams.get(key)
            created = now if old is None else old.created_at
            teams[key] = replace(team, created_at=created)
            return old is None

    def list_teams(self, tenant_id: str) -> list[Team]:
        with self._lock:
            teams = self._tenancy().teams
            return [replace(t) for k, t in sorted(teams.items()) if k[0] == tenant_id]

    def upsert_agents(self, agents: Sequence[Agent], now: float) -> tuple[int, int]:
        with self._lock:
            tables = self._tenancy()
            teams, stored = tables.teams, tables.agents
            for a in agents:  # check everything first: all or nothing
                self._need_tenant(a.tenant_id, "agents.tenant_id")
                if a.team_key is not None and (a.tenant_id, a.team_key) not in teams:
                    raise StoreError("FOREIGN KEY constraint failed: agents.team_key")
            inserted = 0
            for a in agents:
                key = (a.tenant_id, a.member_key)
                old = stored.get(key)
                inserted += old is None
                created = now if old is None else old.created_at
                stored[key] = replace(a, created_at=created, updated_at=now)
            return inserted, len(agents) - inserted

    def get_agent(self, tenant_id: str, member_key: str) -> Agent | None:
        return self._copy_of(self._tenancy().agents, (tenant_id, member_key), replace)

    def list_agents(self, tenant_id: str, team_key: str | None = None) -> list[Agent]:
        with self._lock:
            return [
                replace(a)
                for k, a in sorted(self._tenancy().agents.items())
                if k[0] == tenant_id and (team_key is None or a.team_key == team_key)
            ]

    def create_api_key(self, key: ApiKey, now: float) -> None:
        with self._lock:
            tables = self._tenancy()
            agents, keys = tables.agents, tables.keys
            if key.id in keys:
                raise StoreError("UNIQUE constraint failed: api_keys.id")
            self._need_tenant(key.tenant_id, "api_keys.tenant_id")
            if key.role not in ROLES:
                raise StoreError("CHECK constraint failed: api_keys.role")
            if key.member_key is not None and (key.tenant_id, key.member_key) not in agents:
                raise StoreError("FOREIGN KEY constraint failed: api_keys.member_key")
            keys[key.id] = replace(key, created_at=now, revoked_at=None)

    def get_api_key(self, key_id: str) -> ApiKey | None:
        return self._copy_of(self._tenancy().keys, key_id, replace)

    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        with self._lock:
            keys = [replace(k) for k in self._tenancy().keys.values() if k.tenant_id == tenant_id]
        return sorted(keys, key=lambda k: (k.created_at, k.id))

    def revoke_api_key(self, key_id: str, now: float) -> bool:
        with self._lock:
            found = self._tenancy().keys.get(key_id)
            if found is None or found.revoked_at is not None:
                return False
            found.revoked_at = now
            return True


__all__ = ["MemoryTenancy"]
