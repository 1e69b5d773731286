"""Confidence from evidence (formula in docs/ai.md):

    confidence = sum(w_i * part_i) / sum(w_i)
    model path: validity 0.30, agreement 0.20, coverage 0.30, clarity 0.05, sanity 0.15
    planner:    validity 0.10, agreement 0,    coverage 0.60, clarity 0.15, sanity 0.15

* validity: 1 when the draft validated at the first try, 0.7 after the validator's errors went
  back to the model, 0.5 after a deterministic repair, 0 when invalid (a planner draft is valid
  or refused, so the part says little about it: weight 0.10);
* agreement: the mean structural similarity of k = 3 model drafts; with one draft (or the
  planner, which always agrees with itself) the part says nothing and its weight goes to
  coverage;
* coverage: the share of the request's recognised intents that the draft implements (each
  intent as often as it was asked: two texts need two ``send_sms``), times the share of the
  request the parser understood (``ai/understood.py``: a clause it recognises nothing in was
  asked for and is not in the draft; halved when the only action is the planner's filler);
  a request with no recognised intent has coverage 0;
* clarity: 1 less 0.25 per hedge or open alternative in the words ("maybe", "text or email");
* sanity: the simulation's evidence: no failing run, no unreachable node, no send deferred out of
  its window (1 when all hold; each failure takes a third); 0.5 when not simulated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadflow.ai.understood import clarity, understood

if TYPE_CHECKING:
    from leadflow.ai.planner import PlannerDraft

WEIGHTS = {
    "validity": 0.30,
    "agreement": 0.20,
    "coverage": 0.30,
    "clarity": 0.05,
    "sanity": 0.15,
}
PLANNER_WEIGHTS = {
    "validity": 0.10,
    "agreement": 0.0,
    "coverage": 0.60,
    "clarity": 0.15,
    "sanity": 0.15,
}
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
    """The share of ``intents`` that ``definition`` implements; an action asked for n times
    needs n nodes of its kinds."""
    if not intents:
        return 0.0
    if definition is None:
        return 0.0
    kinds = {n.get("kind") for n in definition.get("nodes") or []}
    counts = Counter(str(n.get("kind")) for n in definition.get("nodes") or [])
    asked = Counter(i for i in intents if i.startswith("action:"))
    triggers = definition.get("triggers") or [{}]
    settings = definition.get("settings") or {}
    met = 0.0
    for intent in dict.fromkeys(intents):
        if intent in asked and intent in _KIND_OF_INTENT:
            have = sum(counts[k] for k in _KIND_OF_INTENT[intent])
            met += min(1.0, have / asked[intent])
        elif intent in _KIND_OF_INTENT:
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
    weights = {k: w for k, w in (weights or WEIGHTS).items() if k in parts}
    value = sum(weights[k] * parts[k] for k in weights) / sum(weights.values())
    return Confidence(round(value, 3), {k: round(v, 3) for k, v in parts.items()}, weights)


def request_coverage(
    prompt: str, intents: list[str], definition: dict[str, Any] | None, notes: list[str]
) -> float:
    """The coverage part: implemented share of the recognised intents x share understood."""
    return coverage(intents, definition) * understood(prompt, notes)


def draft_confidence(
    prompt: str,
    intents: list[str],
    definition: dict[str, Any] | None,
    *,
    validity: float,
    agreement: float | None = None,
    sanity: float = 0.5,
    notes: list[str] | None = None,
    planner: bool = False,
) -> Confidence:
    """The confidence of a draft (see the module docstring)."""
    parts = {
        "validity": validity,
        "coverage": request_coverage(prompt, intents, definition, notes or []),
        "clarity": clarity(prompt),
        "sanity": sanity,
    }
    weights = dict(PLANNER_WEIGHTS if planner else WEIGHTS)
    if agreement is None or planner:  # one draft: agreement says nothing
        weights["coverage"] += weights.pop("agreement")
    else:
        parts["agreement"] = agreement
    return combine(parts, weights)


def planner_confidence(draft: PlannerDraft, sanity: float = 0.5) -> Confidence:
    """The planner's confidence (its own weights: see the module docstring)."""
    ok = draft.report.ok
    return draft_confidence(
        draft.plan.prompt,
        draft.plan.intents,
        draft.definition if ok else None,
        validity=1.0 if ok else 0.0,
        sanity=sanity,
        notes=draft.plan.notes,
        planner=True,
    )
