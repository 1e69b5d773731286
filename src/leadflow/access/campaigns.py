"""Smart campaigns as one tenant sees them: segments from the audience in words (sized on the
tenant's own contacts), a channel plan and a workflow draft per segment with an experiment on
the campaign's goal, the message budget shared out, and predicted replies, appointments and
opt-outs with 95 % intervals from a simulation of each draft. Drafts only, never published."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from leadflow.access.scope import WRITE_ROLES, require_role
from leadflow.access.workflows import check, save_draft
from leadflow.ai import campaign as plan
from leadflow.ai import phrases
from leadflow.definitions.conditions import compile_condition
from leadflow.errors import InvalidInput
from leadflow.model.records import ContactFilter, Scope
from leadflow.simulate.draft import simulate_draft
from leadflow.tenancy.accounts import Principal

MAX_SCAN = 100_000  # contacts read to size the segments

if TYPE_CHECKING:
    from leadflow.runtime import Runtime


def _sizes(rt: Runtime, tenant: str, segments: list[plan.Segment]) -> list[int]:
    tests = [
        compile_condition({"all": s.conditions}) if s.conditions else (lambda scope: True)
        for s in segments
    ]
    sizes = [0] * len(segments)
    after: str | None = None
    seen = 0
    while seen < MAX_SCAN:
        page = rt.store.find_contacts(
            ContactFilter(scope=Scope(tenant), after_id=after, limit=1000)
        )
        if not page:
            break
        for contact in page:
            scope = {"contact": contact.as_dict()}
            for i, test in enumerate(tests):
                sizes[i] += bool(test(scope))
        seen += len(page)
        after = page[-1].id
    return sizes


def _predict(definition: dict[str, Any], reach: int, days: float) -> dict[str, Any]:
    leads = max(20, min(reach or 20, 200))
    sim = simulate_draft(definition, leads=leads, days=min(max(days, 3.0), 30.0))
    replied = sum(n["replied"] for n in sim.nodes)
    texts = sum(n["sent"] for n in sim.nodes if n["kind"] == "send_sms")
    rate_low, rate_high = plan.wilson(min(replied, leads), leads)
    rate = min(replied, leads) / leads
    booked = plan.APPOINTMENT_PER_REPLY
    opt_rate = plan.OPT_OUT_PER_TEXT * texts / leads
    return {
        "simulated_leads": leads,
        "reply_rate": round(rate, 4),
        "replies": {
            "expected": round(rate * reach, 1),
            "interval_95": [round(rate_low * reach, 1), round(rate_high * reach, 1)],
        },
        "appointments": {
            "expected": round(rate * booked * reach, 1),
            "interval_95": [
                round(rate_low * booked * reach, 1),
                round(rate_high * booked * reach, 1),
            ],
        },
        "opt_outs": {"expected": round(opt_rate * reach, 1)},
        "deferred_for_quiet_hours": sim.deferred_for_quiet_hours,
        "failures": sim.failures,
        "basis": (
            "replies: the simulation's engagement model; appointments: stated prior of "
            f"{booked:.0%} of replies; opt-outs: stated prior of "
            f"{plan.OPT_OUT_PER_TEXT:.1%} per text"
        ),
    }


def smart_campaign(
    rt: Runtime,
    principal: Principal,
    goal: str,
    audience: str,
    channels: list[str],
    start: date | None,
    end: date | None,
    budget: int | None,
    *,
    save: bool = False,
    simulate: bool = True,
    now: float,
) -> dict[str, Any]:
    require_role(principal, WRITE_ROLES, "drafting a campaign")
    if not goal.strip():
        raise InvalidInput("goal: must not be empty")
    if start and end and end < start:
        raise InvalidInput("end: must not be before start")
    bad = [c for c in channels if c not in plan.CHANNELS]
    if bad:
        raise InvalidInput(f"channels: unknown {bad}; use sms, email or voice")
    tenant = principal.tenant_id
    segments = plan.segments_of(audience)
    sizes = _sizes(rt, tenant, segments)
    days = float((end - start).days + 1) if start and end else 14.0
    slug = phrases.slug(goal)[:24]
    drafts: list[dict[str, Any]] = []
    for segment, size in zip(segments, sizes, strict=True):
        segment.size = size
        segment.channels = plan.channel_plan(segment, channels)
        key = f"campaign-{slug}-{segment.name}"[:64].rstrip("-")
        name = f"{goal.strip()[:60]}: {segment.description[:60]}"
        definition = plan.campaign_workflow(key, name, segment, segment.channels, goal, start)
        drafts.append(definition)
    per_contact = [plan.messages_per_contact(d) for d in drafts]
    reach = plan.share_budget(sizes, per_contact, budget)
    out_segments: list[dict[str, Any]] = []
    warnings: list[str] = []
    for segment, definition, size, reached, msgs in zip(
        segments, drafts, sizes, reach, per_contact, strict=True
    ):
        checked = check(rt, tenant, definition)
        item: dict[str, Any] = {
            "name": segment.name,
            "description": segment.description,
            "conditions": segment.conditions,
            "contacts": size,
            "reach": reached,
            "channels": segment.channels,
            "messages": reached * msgs,
            "workflow": definition,
            "validation": {
                "valid": checked.ok,
                "errors": checked.errors,
                "warnings": checked.warnings,
            },
            "prediction": _predict(definition, reached, days) if simulate and checked.ok else None,
            "saved": None,
        }
        if reached < size:
            warnings.append(f"{segment.name}: the budget reaches {reached} of {size} contacts")
        if size == 0:
            warnings.append(
                f"{segment.name}: no contact of the tenant matches {segment.conditions}"
            )
        if save and checked.ok:
            draft, _ = save_draft(rt, principal, definition["key"], definition, now)
            item["saved"] = {"key": draft.key, "as": "draft"}
        out_segments.append(item)
    return {
        "goal": goal,
        "audience": audience,
        "schedule": {
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "send_window": "09:00-20:00 on weekdays, each contact's time zone, legal hours only",
        },
        "budget": {"messages": budget, "planned": sum(s["messages"] for s in out_segments)},
        "segments": out_segments,
        "warnings": warnings,
        "published": False,
        "not_done": ["k-means refinement of segments", "the tenant's own historical rates"],
    }
