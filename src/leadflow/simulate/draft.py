"""Simulating a drafted workflow before anyone publishes it: a throwaway memory store, synthetic
leads over virtual days, the same engine, compliance and engagement model as ``leadflow
simulate``. The tenant's own data is never touched; nothing is published outside the scratch
store."""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.clock import VirtualClock
from leadflow.engine.workflows import publish
from leadflow.errors import WorkflowInvalid
from leadflow.model.records import DEFAULT_TENANT, Draft
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.simulate.draft_funnel import edge_counts, failure_list, node_funnel
from leadflow.simulate.engagement import EngagementModel
from leadflow.simulate.leads import synthetic_contacts
from leadflow.simulate.simulation import Simulation
from leadflow.store.memory import MemoryStore

SIM_START = 1767571200.0  # Monday 2026-01-05 00:00 UTC: a seed reproduces the same numbers


@dataclass
class DraftSimulation:
    leads: int
    days: float
    nodes: list[dict[str, Any]]
    runs: dict[str, int]
    messages: dict[str, int]
    deferred_for_quiet_hours: int
    failures: dict[str, int]
    unreached: list[str]
    wall_seconds: float
    notes: list[str] = field(default_factory=list)
    seed: int = 7
    # per edge: source, port (as validation names it: next, cases[0].next...), target, runs
    edges: list[dict[str, Any]] = field(default_factory=list)
    suppressed: dict[str, int] = field(default_factory=dict)  # reason -> messages held back

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> dict[str, Any]:
        """What a person reads of it (the AI drafts' simulation and the designer's funnel)."""
        return {
            "leads": self.leads,
            "virtual_days": self.days,
            "seed": self.seed,
            "nodes": self.nodes,
            "edges": self.edges,
            "runs": self.runs,
            "messages": self.messages,
            "deferred_for_quiet_hours": self.deferred_for_quiet_hours,
            "suppressed": self.suppressed,
            "failures": self.failures,
            "failure_list": failure_list(self.failures),
            "not_reached": self.unreached,
            "notes": self.notes,
        }


def _without_event_data_filter(definition: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """Synthetic leads carry no source: a filter on the event's data would keep them all out."""
    data = copy.deepcopy(definition)
    for trigger in data.get("triggers") or []:
        if "event.data." in str(trigger.get("filter")) and trigger.get("event") == "lead.created":
            trigger.pop("filter", None)
            notes.append("the trigger's filter on the event's data is not simulated")
    return data


def _add_companions(rt: Any, companions: Sequence[dict[str, Any]], notes: list[str]) -> None:
    """The workflows the draft starts (start_workflow), published in the scratch store without
    their triggers: the simulated leads enter them only from the draft's runs."""
    for other in companions:
        quiet = {**copy.deepcopy(other), "triggers": []}
        rt.store.save_draft(Draft(DEFAULT_TENANT, str(other["key"]), quiet, rt.clock.now()))
    for other in companions:
        quiet = {**copy.deepcopy(other), "triggers": []}
        try:
            publish(rt.store, rt.engine.catalog, quiet, rt.clock.now(), rt.engine.registry)
        except WorkflowInvalid as exc:
            notes.append(f"workflow {other['key']!r} it starts is not simulated: {exc.errors[0]}")
    if companions:
        keys = ", ".join(sorted(str(c["key"]) for c in companions))
        notes.append(f"the workflows it starts ({keys}) run without their own triggers")


def simulate_draft(
    definition: dict[str, Any],
    *,
    leads: int = 50,
    days: float = 14,
    seed: int = 7,
    companions: Sequence[dict[str, Any]] = (),
) -> DraftSimulation:
    """Run ``definition`` for ``leads`` synthetic leads over ``days`` virtual days;
    ``companions`` are the definitions of the workflows it starts (resolved by the caller in
    its tenant)."""
    notes: list[str] = []
    data = _without_event_data_filter(definition, notes)
    store = MemoryStore()
    store.upgrade()
    clock = VirtualClock(SIM_START)
    # no model: an ai_compose node sends its template (a scratch store has no token budget)
    settings = Settings(db="memory://", llm_base_url=None)
    rt = build_runtime(settings, store=store, clock=clock, seed=seed)
    started = time.monotonic()
    try:
        _add_companions(rt, [c for c in companions if c.get("key") != data.get("key")], notes)
        version = publish(rt.store, rt.engine.catalog, data, clock.now(), rt.engine.registry)
        wf = rt.engine.catalog.get(version.tenant_id, version.key, version.version)
        events = [t.event for t in wf.definition.triggers if t.type == "event" and t.event]
        sim = Simulation(rt, EngagementModel(seed))
        sim.add_leads(
            synthetic_contacts(leads, seed=seed, now=clock.now()),
            arrive_over_days=max(1.0, min(days * 0.6, 20.0)),
            seed=seed,
            event_type=events[0] if events else "lead.created",
            enroll_in=None if events else version.key,
        )
        sim.advance(days)
        report = sim.report()
        funnel = node_funnel(rt.store, version.tenant_id, version.key)
        edges = edge_counts(rt.store, version.definition)
    finally:
        rt.close()
    counts = {c.node: c for c in report.node_counts if c.workflow_key == version.key}
    nodes = []
    for node in data["nodes"]:
        c = counts.get(node["id"])
        row = funnel.get(node["id"], {})
        nodes.append(
            {
                "node": node["id"],
                "kind": node["kind"],
                "entered": c.entered if c else 0,
                "completed": row.get("completed", 0),
                "failed": row.get("failed", 0),
                "current": c.current if c else 0,
                "sent": c.sent if c else 0,
                "delivered": c.delivered if c else 0,
                "replied": c.replied if c else 0,
                "exited": c.exited if c else 0,
                "exit_reasons": row.get("exit_reasons", {}),
                "outcomes": row.get("outcomes", {}),
            }
        )
    unreached = [n["node"] for n in nodes if n["entered"] == 0]
    return DraftSimulation(
        leads=leads,
        days=days,
        nodes=nodes,
        runs=dict(report.runs_by_status),
        messages=dict(report.messages_by_status),
        deferred_for_quiet_hours=report.deferred,
        failures=dict(report.failures),
        unreached=unreached,
        wall_seconds=round(time.monotonic() - started, 3),
        notes=notes,
        seed=seed,
        edges=edges,
        suppressed=dict(report.suppressed),
    )
