"""Confidence from evidence (formula in docs/ai.md):

    confidence = 0.30 * validity + 0.25 * agreement + 0.30 * coverage + 0.15 * sanity

* validity: 1 when the draft validated at the first try, 0.7 after the validator's errors went
  back to the model, 0.5 after a deterministic repair, 0 when invalid;
* agreement: the mean structural similarity of k = 3 model drafts (1 for the deterministic
  planner, which always agrees with itself; so for the planner the part carries no
  information, and its weight is moved to coverage);
* coverage: the share of the request's recognised intents that the draft implements, from the
  planner's parser (a request with no recognised intent has coverage 0);
* sanity: the simulation's evidence: no failing run, no unreachable node, no send deferred out of
  its window (1 when all hold; each failure takes a third); 0.5 when not simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadflow.ai.planner import PlannerDraft

WEIGHTS = {"validity": 0.30, "agreement": 0.25, "coverage": 0.30, "sanity": 0.15}
_KIND_OF_INTENT = {
    "action:sms": ("send_sms",),
    "action:email": ("send_email",),
    "action:call": ("voice_call",),
    "action:voicemail": ("voice_call",),
    "action:notify": ("notify_agent",),
    "action:update": ("update_contact",),
    "action:start": ("start_workflow",),
    "action:match": ("match_properties",),
    "wait": ("wait",),
    "wait_until": ("wait_until",),
    "wait_for_reply": ("wait_for_event",),
    "wait_for_open": ("wait_for_event",),
    "branch:opened": ("branch",),
    "branch:clicked": ("branch",),
    "branch:field": ("branch",),
    "split": ("split",),
    "series": ("send_email", "send_sms"),
}


@dataclass
class Confidence:
    value: float
    parts: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "parts": self.parts, "weights": self.weights}


def coverage(intents: list[str], definition: dict[str, Any] | None) -> float:
    """The share of ``intents`` that ``definition`` implements."""
    if not intents:
        return 0.0
    if definition is None:
        return 0.0
    kinds = {n.get("kind") for n in definition.get("nodes") or []}
    triggers = definition.get("triggers") or [{}]
    settings = definition.get("settings") or {}
    met = 0
    for intent in dict.fromkeys(intents):
        if intent in _KIND_OF_INTENT:
            met += any(k in kinds for k in _KIND_OF_INTENT[intent])
        elif intent.startswith("trigger:schedule"):
            met += triggers[0].get("type") == "schedule"
        elif intent.startswith("trigger:"):
            met += triggers[0].get("type") == "event"
        elif intent.startswith("filter:"):
            met += bool(triggers[0].get("filter"))
        elif intent.startswith("goal:"):
            met += bool(settings.get("goals"))
        elif intent in ("reentry", "send_window"):
            met += bool(settings.get(intent))
        elif intent == "timing:optimal":
            met += any(n.get("timing") == "optimal" for n in definition.get("nodes") or [])
        else:  # play:<key>
            met += 1
    return met / len(dict.fromkeys(intents))


def combine(parts: dict[str, float], weights: dict[str, float] | None = None) -> Confidence:
    weights = dict(weights or WEIGHTS)
    value = sum(weights[k] * parts[k] for k in weights) / sum(weights.values())
    return Confidence(round(value, 3), {k: round(v, 3) for k, v in parts.items()}, weights)


def planner_confidence(draft: PlannerDraft, sanity: float = 0.5) -> Confidence:
    """The planner's confidence: agreement carries no information, its weight goes to coverage."""
    valid = 1.0 if draft.report.ok else 0.0
    cov = coverage(draft.plan.intents, draft.definition if draft.report.ok else None)
    weights = {"validity": 0.30, "agreement": 0.0, "coverage": 0.55, "sanity": 0.15}
    return combine(
        {"validity": valid, "agreement": 1.0, "coverage": cov, "sanity": sanity}, weights
    )
