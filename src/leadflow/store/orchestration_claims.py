"""What every backend's claim of orchestration tasks computes the same way: which candidates to
take under the concurrency limits, and the reason a poisoned task is quarantined with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

LOCAL = "local"  # the server of a task that calls no model server (no per-server limit)


class _Claimable(Protocol):
    @property
    def tenant_id(self) -> str: ...

    @property
    def server(self) -> str: ...


C = TypeVar("C", bound=_Claimable)


def pick(
    running: Iterable[tuple[str, str]],
    candidates: Sequence[C],
    limit: int,
    per_tenant: int,
    per_server: int,
) -> list[C]:
    """The candidates (in their order) to claim: at most ``limit``, so that no tenant has more
    than ``per_tenant`` tasks running and no model server (but ``local``) more than
    ``per_server``, counting the ``running`` (tenant, server) pairs already leased."""
    tenants: dict[str, int] = {}
    servers: dict[str, int] = {}
    for tenant, server in running:
        tenants[tenant] = tenants.get(tenant, 0) + 1
        servers[server] = servers.get(server, 0) + 1
    chosen: list[C] = []
    for c in candidates:
        if len(chosen) >= limit:
            break
        if tenants.get(c.tenant_id, 0) >= per_tenant:
            continue
        if c.server != LOCAL and servers.get(c.server, 0) >= per_server:
            continue
        tenants[c.tenant_id] = tenants.get(c.tenant_id, 0) + 1
        servers[c.server] = servers.get(c.server, 0) + 1
        chosen.append(c)
    return chosen


def quarantine_reason(attempts: int) -> str:
    return (
        f"quarantined: its worker stopped {attempts} times while running it "
        "(the task may crash the worker); not retried"
    )


__all__ = ["LOCAL", "pick", "quarantine_reason"]
