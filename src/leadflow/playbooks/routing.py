"""Lead routing: who gets a contact. The ``assign_owner`` node and the agent choice that
``notify_agent`` falls back on.

Rules: ``round_robin`` (the available agent of the team, or of the tenant, given a contact
least recently; never given one goes first; ties by member key), ``area`` (agents whose profile
lists the contact's ZIP code or city), ``source`` (agents whose profile lists the contact's
lead source). An agent is a candidate while Active and, with a profile, ``available``. Every
assignment is recorded (:class:`~leadflow.model.playbooks.Assignment`) with its rule and reason,
and an ``owner.assigned`` event names them too.
"""

from __future__ import annotations

from typing import Any

from leadflow.definitions import models as m
from leadflow.engine.context import Go, Result, StepContext
from leadflow.model.playbooks import AgentProfile, Assignment
from leadflow.model.records import ContactPatch, NewEvent
from leadflow.model.tenancy import Agent
from leadflow.store.contract import Store

ZIP_FIELDS = ("PostalCode", "postal_code", "zip", "ZIP")
CITY_FIELDS = ("City", "city")
SOURCE_FIELDS = ("LeadSource", "lead_source", "source", "Source")


def first_field(fields: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = fields.get(name)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return None


def candidates(store: Store, tenant: str, team: str | None) -> list[tuple[Agent, AgentProfile]]:
    """Active, available agents (of ``team``) with their profiles (a default one if none)."""
    profiles = {p.member_key: p for p in store.agent_profiles(tenant)}
    out = []
    for agent in store.list_agents(tenant, team):
        profile = profiles.get(agent.member_key) or AgentProfile(tenant, agent.member_key)
        if agent.status == "Active" and profile.available:
            out.append((agent, profile))
    return out


def next_in_turn(store: Store, tenant: str, members: list[str]) -> str | None:
    """The member given a contact least recently (never: first), ties by member key."""
    if not members:
        return None
    last = store.last_assigned(tenant, members)
    return min(members, key=lambda k: (last.get(k, float("-inf")), k))


def choose(
    store: Store, tenant: str, fields: dict[str, Any], rule: str, team: str | None, fallback: str
) -> tuple[str, str, str] | None:
    """(member key, rule applied, reason) or None when nobody fits."""
    pool = candidates(store, tenant, team)
    where = f"team {team}" if team else "the tenant"
    if rule in ("area", "source"):
        wanted = [first_field(fields, ZIP_FIELDS), first_field(fields, CITY_FIELDS)]
        if rule == "source":
            wanted = [first_field(fields, SOURCE_FIELDS)]
        keys = {w.lower() for w in wanted if w}
        taking = [
            a.member_key
            for a, p in pool
            if keys & {x.lower() for x in (p.areas if rule == "area" else p.sources)}
        ]
        picked = next_in_turn(store, tenant, taking)
        if picked is not None:
            what = ", ".join(sorted(keys))
            return picked, rule, f"{rule} {what}: takes it ({len(taking)} agent(s) do)"
        if fallback != "round_robin":
            return None
        why = "no value" if not keys else f"nobody takes {', '.join(sorted(keys))}"
        member = next_in_turn(store, tenant, [a.member_key for a, _ in pool])
        if member is None:
            return None
        return member, "round_robin", f"{rule}: {why}; round robin in {where}"
    member = next_in_turn(store, tenant, [a.member_key for a, _ in pool])
    if member is None:
        return None
    return member, "round_robin", f"round robin in {where}: next in turn"


def record(
    ctx: StepContext, store: Store, node_id: str, member: str, rule: str, reason: str
) -> None:
    """Record the assignment (idempotent by step) and its ``owner.assigned`` event."""
    key = ctx.idempotency_key(node_id)
    tenant = ctx.workflow.tenant_id
    contact = ctx.run.contact_id
    store.record_assignment(Assignment(tenant, contact, member, rule, reason, key, ctx.now))
    ctx.events.append(
        NewEvent(
            "owner.assigned",
            ctx.run.contact_id,
            {"owner": member, "rule": rule, "reason": reason, "run_id": ctx.run.id},
            f"owner.assigned:{key}",
            ctx.now,
            processed=True,
        )
    )


class AssignOwnerHandler:
    """Instant: chooses, records, sets the owner, moves on (``steps.<node>.owner``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def enter(self, ctx: StepContext, node: m.AssignOwner) -> Result:
        contact = ctx.run_contact("assign_owner")
        if contact.owner and not node.reassign:
            ctx.remember(node.id, owner=contact.owner, kept=True)
            return Go(node.next, outcome="kept")
        team = None if node.team in (None, "*") else node.team
        found = choose(
            self.store, contact.tenant_id, contact.fields, node.rule, team, node.fallback
        )
        if found is None:
            ctx.remember(node.id, owner=None)
            return Go(node.next, outcome="nobody")
        member, rule, reason = found
        record(ctx, self.store, node.id, member, rule, reason)
        ctx.patches.append(ContactPatch(contact.id, set={"owner": member}))
        contact.owner = member
        ctx.invalidate()
        ctx.remember(node.id, owner=member, rule=rule, reason=reason)
        return Go(node.next, outcome=f"assigned:{rule}", data={"owner": member, "reason": reason})

    def resume(self, ctx: StepContext, node: m.AssignOwner) -> Result:  # pragma: no cover
        return Go(node.next, outcome="resumed")


__all__ = ["AssignOwnerHandler", "choose", "next_in_turn", "record"]
