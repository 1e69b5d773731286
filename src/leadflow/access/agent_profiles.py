"""Agents' routing profiles: working hours (for task notices), whether urgent tasks may reach
them after hours, availability for new leads, the ZIP codes / areas and lead sources they take.
An admin sets any agent's, a manager its team's, an agent its own; another tenant's agent, or
one outside the key's reach, is NotFound."""

from __future__ import annotations

import re
from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadflow.errors import InvalidInput, NotFound
from leadflow.model.playbooks import AgentProfile
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _reachable(store: Store, principal: Principal, member_key: str) -> None:
    agent = store.get_agent(principal.tenant_id, member_key)
    if agent is None:
        raise NotFound(f"no agent {member_key!r}")
    if principal.role == "admin" or principal.member_key == member_key:
        return
    if principal.role == "manager" and principal.team_key and agent.team_key == principal.team_key:
        return
    raise NotFound(f"no agent {member_key!r}")


def get_profile(store: Store, principal: Principal, member_key: str) -> AgentProfile:
    _reachable(store, principal, member_key)
    for p in store.agent_profiles(principal.tenant_id):
        if p.member_key == member_key:
            return p
    return AgentProfile(principal.tenant_id, member_key)


def check(profile: AgentProfile) -> None:
    """InvalidInput naming every bad field."""
    errors = []
    for name in ("hours_start", "hours_end"):
        if not _TIME.match(getattr(profile, name)):
            errors.append(f"{name}: {getattr(profile, name)!r} is not a time HH:MM")
    if not errors and profile.hours_start >= profile.hours_end:
        errors.append("hours_end: must be after hours_start")
    try:
        ZoneInfo(profile.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"time_zone: {profile.time_zone!r} is not an IANA zone")
    bad = [d for d in profile.weekdays if d not in WEEKDAYS]
    if bad:
        errors.append(f"weekdays: {', '.join(bad)} not among {', '.join(WEEKDAYS)}")
    for name in ("areas", "sources"):
        values = getattr(profile, name)
        if len(values) > 200 or any(not v.strip() or len(v) > 64 for v in values):
            errors.append(f"{name}: at most 200 values of 1 to 64 characters")
    if errors:
        raise InvalidInput("; ".join(errors))


def set_profile(
    store: Store, principal: Principal, profile: AgentProfile, now: float
) -> AgentProfile:
    _reachable(store, principal, profile.member_key)
    stored = replace(
        profile,
        tenant_id=principal.tenant_id,
        areas=[a.strip() for a in profile.areas],
        sources=[s.strip() for s in profile.sources],
        updated_at=now,
    )
    check(stored)
    store.save_agent_profile(stored)
    return stored


__all__ = ["get_profile", "set_profile"]
