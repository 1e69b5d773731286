"""Smart campaigns as one tenant sees them: segments from the audience in words (sized on the
tenant's own contacts), a channel plan and a workflow draft per segment with an experiment on
the campaign's goal, the message budget shared out, and predicted replies, appointments and
opt-outs with 95 % intervals: the messages a simulation of each draft sends per channel times
the tenant's own rates per channel when its history has enough sends, stated priors otherwise
(``ai/history.py``, ``ai/predict.py``). On request each segment's contacts are clustered by
k-means and each cluster described in words (``ai/clusters.py``), turned into a condition
over contact fields (``ai/cluster_rules.py``) and, with one, given a segment, channel plan,
draft and prediction of its own. Drafts only, never published."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from leadflow.access.scope import WRITE_ROLES, require_role
from leadflow.access.workflows import check, save_draft
from leadflow.ai import campaign as plan
from leadflow.ai import phrases
from leadflow.ai.cluster_rules import rule_of
from leadflow.ai.clusters import MAX_K, MIN_PER_CLUSTER, cluster_contacts
from leadflow.ai.history import Activity, ChannelHistory, tenant_history
from leadflow.ai.predict import predict, rates_for
from leadflow.definitions.conditions import compile_condition
from leadflow.errors import InvalidInput
from leadflow.model.records import Contact, ContactFilter, Scope
from leadflow.simulate.draft import simulate_draft
from leadflow.tenancy.accounts import Principal

MAX_SCAN = 100_000  # contacts read to size the segments
WEAK_RULE = 0.8  # a cluster rule below this precision or recall is warned about
_CHANNEL_OF = {"send_sms": "sms", "send_email": "email", "voice_call": "voice"}

if TYPE_CHECKING:
    from leadflow.runtime import Runtime


def _tenant_contacts(rt: Runtime, tenant: str) -> list[Contact]:
    """The tenant's contacts, by id, at most :data:`MAX_SCAN`."""
    found: list[Contact] = []
    after: str | None = None
    while len(found) < MAX_SCAN:
        page = rt.store.find_contacts(
            ContactFilter(scope=Scope(tenant), after_id=after, limit=1000)
        )
        if not page:
            break
        found += page
        after = page[-1].id
    return found[:MAX_SCAN]


def _members(contacts: list[Contact], segments: list[plan.Segment]) -> list[list[Contact]]:
    tests = [
        compile_condition({"all": s.conditions}) if s.conditions else (lambda scope: True)
        for s in segments
    ]
    members: list[list[Contact]] = [[] for _ in segments]
    for contact in contacts:
        scope = {"contact": contact.as_dict()}
        for i, test in enumerate(tests):
            if test(scope):
                members[i].append(contact)
    return members


def _sends(definition: dict[str, Any], reach: int, days: float) -> tuple[int, dict[str, float]]:
    """Simulated leads, and the messages per channel the draft sends to ``reach`` contacts."""
    leads = max(20, min(reach or 20, 200))
    sim = simulate_draft(definition, leads=leads, days=min(max(days, 3.0), 30.0))
    per_lead: dict[str, float] = {}
    for node in sim.nodes:
        channel = _CHANNEL_OF.get(node["kind"])
        if channel is not None:
            per_lead[channel] = per_lead.get(channel, 0.0) + node["sent"] / leads
    return leads, {c: v * reach for c, v in per_lead.items()}


def _predict(
    definition: dict[str, Any], reach: int, days: float, history: dict[str, ChannelHistory]
) -> dict[str, Any]:
    leads, sends = _sends(definition, reach, days)
    rates = rates_for(sorted(sends), history)
    out: dict[str, Any] = {"simulated_leads": leads, "sends": {}}
    out["sends"] = {c: round(v, 1) for c, v in sorted(sends.items())}
    for metric, metric_rates in rates.items():
        out[metric] = predict(sends, metric_rates)
        out[metric]["rates"] = {
            r.channel: {
                "rate": round(r.mean, 4),
                "source": r.source,
                "basis": r.basis,
            }
            for r in metric_rates
        }
    out["reply_rate"] = round(out["replies"]["expected"] / reach, 4) if reach else 0.0
    out["basis"] = "; ".join(
        f"{r.channel} {r.basis}" for metric_rates in rates.values() for r in metric_rates
    )
    return out


@dataclass(frozen=True)
class _Drafting:
    """What every segment's draft of one campaign shares."""

    rt: Runtime
    principal: Principal
    goal: str
    channels: list[str]
    start: date | None
    days: float
    activity: Activity
    simulate: bool
    save: bool
    now: float


def _draft_item(
    job: _Drafting, segment: plan.Segment, definition: dict[str, Any], reached: int
) -> dict[str, Any]:
    """A segment's answer: its conditions, size, reach, channel plan, draft (validated,
    simulated, saved on request) and predicted performance."""
    checked = check(job.rt, job.principal.tenant_id, definition)
    item: dict[str, Any] = {
        "name": segment.name,
        "description": segment.description,
        "conditions": segment.conditions,
        "contacts": segment.size,
        "reach": reached,
        "channels": segment.channels,
        "messages": reached * plan.messages_per_contact(definition),
        "workflow": definition,
        "validation": {
            "valid": checked.ok,
            "errors": checked.errors,
            "warnings": checked.warnings,
        },
        "prediction": _predict(definition, reached, job.days, job.activity.channels)
        if job.simulate and checked.ok
        else None,
        "saved": None,
    }
    if job.save and checked.ok:
        draft, _ = save_draft(job.rt, job.principal, definition["key"], definition, job.now)
        item["saved"] = {"key": draft.key, "as": "draft"}
    return item


def _median_score(contacts: list[Contact]) -> float | None:
    scores = [
        float(v)
        for c in contacts
        if isinstance(v := c.fields.get("score"), int | float) and not isinstance(v, bool)
    ]
    return statistics.median(scores) if scores else None


def _cluster_segment(
    job: _Drafting,
    parent: plan.Segment,
    parent_key: str,
    parent_reach: tuple[int, int],
    cluster: dict[str, Any],
    people: list[Contact],
) -> list[str]:
    """Give a cluster whose rule was found its own segment (the parent's conditions and the
    rule's), channel plan and draft, as ``cluster["segment"]``; its reach is its share of the
    parent's (``parent_reach``: reached, size). Warnings for a rule that selects the cluster
    loosely or is missing."""
    where = f"{parent.name} / {cluster['name']}"
    rule = cluster["rule"]
    if rule["condition"] is None:
        cluster["segment"] = None
        return [f"{where}: no draft of its own ({rule['reason']})"]
    if cluster["contacts"] < MIN_PER_CLUSTER:
        cluster["segment"] = None
        return [
            f"{where}: no draft of its own ({cluster['contacts']} contacts; "
            f"a cluster's draft needs at least {MIN_PER_CLUSTER})"
        ]
    sub = plan.cluster_segment(parent, cluster["name"], rule["condition"], cluster["description"])
    sub.size = rule["matched"]
    test = compile_condition({"all": sub.conditions})
    score = _median_score([c for c in people if test({"contact": c.as_dict()})])
    hot = score is not None and score >= plan.HOT_SCORE
    sub.channels = plan.channel_plan(sub, job.channels, hot=hot)
    key = f"{parent_key[:54].rstrip('-')}-{cluster['name']}"
    name = f"{job.goal.strip()[:60]}: {parent.description[:40]}, {cluster['name']}"
    definition = plan.campaign_workflow(key, name, sub, sub.channels, job.goal, job.start)
    reached_parent, size_parent = parent_reach
    reached = round(sub.size * reached_parent / size_parent) if size_parent else 0
    cluster["segment"] = _draft_item(job, sub, definition, reached)
    if min(rule["precision"], rule["recall"]) < WEAK_RULE:
        return [
            f"{where}: its condition selects it loosely (precision {rule['precision']:.0%}, "
            f"recall {rule['recall']:.0%})"
        ]
    return []


def _clusters_wanted(clusters: bool | int) -> tuple[bool, int | None]:
    """(whether to cluster, k: None to choose it by silhouette)."""
    if isinstance(clusters, bool):
        return clusters, None
    if not 2 <= clusters <= MAX_K:
        raise InvalidInput(f"clusters: true, false or a number of clusters 2..{MAX_K}")
    return True, int(clusters)


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
    clusters: bool | int = False,
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
    cluster_on, k = _clusters_wanted(clusters)
    tenant = principal.tenant_id
    segments = plan.segments_of(audience)
    contacts = _tenant_contacts(rt, tenant)
    members = _members(contacts, segments)
    sizes = [len(m) for m in members]
    activity = tenant_history(rt.store, tenant, contacts)
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
    job = _Drafting(rt, principal, goal, channels, start, days, activity, simulate, save, now)
    for segment, definition, size, reached, people in zip(
        segments, drafts, sizes, reach, members, strict=True
    ):
        item = _draft_item(job, segment, definition, reached)
        if cluster_on:
            item["clusters"] = cluster_contacts(
                people, activity.engagement, now, k, more=rule_of(people)
            )
            for cluster in item["clusters"]["clusters"]:
                warnings += _cluster_segment(
                    job, segment, definition["key"], (reached, size), cluster, people
                )
        if reached < size:
            warnings.append(f"{segment.name}: the budget reaches {reached} of {size} contacts")
        if size == 0:
            warnings.append(
                f"{segment.name}: no contact of the tenant matches {segment.conditions}"
            )
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
    }
