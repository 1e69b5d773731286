"""The transparent lead score: factors, their points, and the weighted sum.

Each component (behavioural, demographic, engagement) scores 0-100 from its factors. A factor
earns ``per_unit`` component points for each unit of its value, up to its ``cap``; the caps of a
component sum to 100. Event counts are decayed: an event ``age`` days old counts
``0.5 ** (age / half_life_days)``, so a site visit a half-life ago counts as half a visit.

The score is ``sum(weight[component] * component points)``; each factor's contribution in score
points is ``weight * its component points``, so the contributions sum to the score exactly.

Replies count once, in engagement (``responses``): a reply is the lead answering outreach.
Machine opens (``email.machine_opened``, or an open flagged ``sg_machine_open``: Apple Mail
Privacy Protection, link scanners) never count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from leadflow.model.amounts import amount
from leadflow.model.records import Contact, Event
from leadflow.scoring.config import COMPONENTS, ScoringConfig

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    component: str
    per_unit: float
    cap: float
    events: frozenset[str] = frozenset()  # event types counted (decayed), for event factors


BEHAVIOURAL: tuple[Factor, ...] = (
    Factor("site_visits", "behavioural", 4.0, 20.0, frozenset({"site.visited"})),
    Factor(
        "listings_viewed",
        "behavioural",
        5.0,
        30.0,
        frozenset({"listing.viewed"}),
    ),
    Factor(
        "listings_saved",
        "behavioural",
        8.0,
        40.0,
        frozenset({"listing.saved"}),
    ),
    Factor(
        "inquiries",
        "behavioural",
        10.0,
        10.0,
        frozenset({"lead.inquiry", "lead.property_inquiry", "lead.seller_inquiry"}),
    ),
)
ENGAGEMENT: tuple[Factor, ...] = (
    Factor("email_opens", "engagement", 5.0, 25.0, frozenset({"email.opened"})),
    Factor("clicks", "engagement", 10.0, 40.0, frozenset({"email.clicked", "sms.clicked"})),
    Factor(
        "responses",
        "engagement",
        12.0,
        35.0,
        frozenset({"sms.received", "email.received", "voice.received"}),
    ),
)
DEMOGRAPHIC: tuple[Factor, ...] = (
    Factor("budget", "demographic", 25.0, 25.0),
    Factor("timeline", "demographic", 30.0, 30.0),
    Factor("pre_approved", "demographic", 25.0, 25.0),
    Factor("location_fit", "demographic", 20.0, 20.0),
)
FACTORS: tuple[Factor, ...] = BEHAVIOURAL + DEMOGRAPHIC + ENGAGEMENT
SCORED_EVENTS: frozenset[str] = frozenset().union(*(f.events for f in FACTORS))

# Timeline answers (lower-cased, spaces removed) -> share of the timeline factor.
_TIMELINES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("asap", "now", "immediately", "0-3months", "0-1months", "1-3months", "<3months"), 1.0),
    (("3-6months", "0-6months"), 0.7),
    (("6-12months", "6-9months", "9-12months"), 0.4),
    (("12+months", ">12months", "1year+", "over12months", "12-24months"), 0.15),
)
_TRUE = frozenset({"true", "yes", "y", "1", "pre-approved", "preapproved", "approved"})


@dataclass(frozen=True, slots=True)
class FactorScore:
    factor: str
    component: str
    value: Any  # decayed count for event factors; the field's value for demographic ones
    points: float  # contribution to the 0-100 score

    def as_dict(self) -> dict[str, Any]:
        value = round(self.value, 3) if isinstance(self.value, float) else self.value
        return {
            "factor": self.factor,
            "component": self.component,
            "value": value,
            "points": round(self.points, 2),
        }


@dataclass(frozen=True, slots=True)
class Score:
    score: float
    band: str
    components: dict[str, float]  # 0-100 each, before weighting
    factors: tuple[FactorScore, ...]
    computed_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 2),
            "band": self.band,
            "components": {k: round(v, 2) for k, v in self.components.items()},
            "factors": [f.as_dict() for f in self.factors],
            "computed_at": self.computed_at,
        }


def decayed_counts(events: Iterable[Event], now: float, half_life_days: float) -> dict[str, float]:
    """Per event type, the sum of ``0.5 ** (age / half-life)`` over the scored events that are
    not in the future and not machine opens."""
    half_life = half_life_days * DAY
    out: dict[str, float] = {}
    for event in events:
        if event.type not in SCORED_EVENTS or event.occurred_at > now:
            continue
        if event.data.get("sg_machine_open") is True:  # a machine open sent as a plain open
            continue
        weight = math.pow(0.5, (now - event.occurred_at) / half_life)
        out[event.type] = out.get(event.type, 0.0) + weight
    return out


def compute_score(
    contact: Contact, events: Iterable[Event], config: ScoringConfig, now: float
) -> Score:
    counts = decayed_counts(events, now, config.half_life_days)
    raw: list[tuple[Factor, Any, float]] = []  # (factor, value, component points)
    for factor in BEHAVIOURAL + ENGAGEMENT:
        value = sum(counts.get(t, 0.0) for t in factor.events)
        raw.append((factor, value, min(factor.cap, factor.per_unit * value)))
    for factor in DEMOGRAPHIC:
        value, share = _demographic(factor.name, contact)
        raw.append((factor, value, factor.cap * share))
    components = {c: 0.0 for c in COMPONENTS}
    factors: list[FactorScore] = []
    for factor, value, points in raw:
        components[factor.component] += points
        weighted = config.weights[factor.component] * points
        factors.append(FactorScore(factor.name, factor.component, value, weighted))
    total = min(100.0, max(0.0, sum(f.points for f in factors)))
    return Score(total, config.band_of(total), components, tuple(factors), now)


def _demographic(name: str, contact: Contact) -> tuple[Any, float]:
    """(the value shown, share of the factor's points earned, 0-1)."""
    fields: Mapping[str, Any] = contact.fields
    if name == "budget":
        budget = amount(fields.get("budget") or fields.get("max_price"))
        # A stated budget is worth most of the factor; a realistic one (>= 100k) all of it.
        if budget is None or budget <= 0:
            return None, 0.0
        return budget, 1.0 if budget >= 100_000 else 0.6
    if name == "timeline":
        raw = fields.get("timeline") or fields.get("time_frame")
        if raw is None:
            return None, 0.0
        key = str(raw).lower().replace(" ", "")
        for spellings, share in _TIMELINES:
            if key in spellings:
                return raw, share
        return raw, 0.0
    if name == "pre_approved":
        raw = fields.get("pre_approved")
        if raw is None:
            return None, 0.0
        return raw, 1.0 if str(raw).strip().lower() in _TRUE else 0.0
    return _location_fit(contact)


def _location_fit(contact: Contact) -> tuple[Any, float]:
    """``fields.location_fit`` (0-1, or true/false) when given; else 1 when the city the lead
    wants (``fields.target_city``) is one of the cities served (``fields.service_cities``)."""
    fields = contact.fields
    fit = fields.get("location_fit")
    if isinstance(fit, bool):
        return fit, 1.0 if fit else 0.0
    number = amount(fit)
    if number is not None:
        share = min(1.0, max(0.0, number))
        return number, share
    target = fields.get("target_city") or fields.get("city")
    served = fields.get("service_cities")
    if isinstance(target, str) and isinstance(served, list):
        wanted = target.strip().lower()
        match = any(isinstance(c, str) and c.strip().lower() == wanted for c in served)
        return target, 1.0 if match else 0.0
    return None, 0.0
