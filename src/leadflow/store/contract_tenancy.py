"""Tenants, their teams and agents, and API keys: the tenancy part of the store."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from leadflow.model.tenancy import Agent, ApiKey, Team, Tenant


class TenancyStore(abc.ABC):
    """The tenancy methods of the store contract."""

    @abc.abstractmethod
    def create_tenant(self, tenant: Tenant, now: float) -> None:
        """Add a tenant (``created_at`` becomes ``now``); StoreError when the id is taken."""

    @abc.abstractmethod
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    @abc.abstractmethod
    def list_tenants(self) -> list[Tenant]:
        """By id."""

    @abc.abstractmethod
    def upsert_team(self, team: Team, now: float) -> bool:
        """Insert or update a team by (tenant, team_key); True when new. StoreError when the
        tenant does not exist."""

    @abc.abstractmethod
    def list_teams(self, tenant_id: str) -> list[Team]:
        """The tenant's teams by team_key."""

    @abc.abstractmethod
    def upsert_agents(self, agents: Sequence[Agent], now: float) -> tuple[int, int]:
        """Insert or update agents by (tenant, member_key) in one transaction; (inserted,
        updated). ``created_at`` is kept for existing agents, ``updated_at`` becomes ``now``.
        StoreError (nothing written) when a tenant or team does not exist."""

    @abc.abstractmethod
    def get_agent(self, tenant_id: str, member_key: str) -> Agent | None: ...

    @abc.abstractmethod
    def list_agents(self, tenant_id: str, team_key: str | None = None) -> list[Agent]:
        """The tenant's agents (optionally of one team) by member_key."""

    @abc.abstractmethod
    def create_api_key(self, key: ApiKey, now: float) -> None:
        """Store a key (``created_at`` becomes ``now``); StoreError when the id is taken or the
        tenant / agent does not exist."""

    @abc.abstractmethod
    def get_api_key(self, key_id: str) -> ApiKey | None: ...

    @abc.abstractmethod
    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        """The tenant's keys, revoked ones included, by created_at then id."""

    @abc.abstractmethod
    def revoke_api_key(self, key_id: str, now: float) -> bool:
        """Revoke a key (``revoked_at = now``); True when this call revoked it, False when it
        was unknown or already revoked (its first revocation time is kept)."""


__all__ = ["TenancyStore"]
