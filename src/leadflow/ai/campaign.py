"""Smart campaigns, deterministic part: the audience in words -> segments (conditions over
contact fields), a channel plan and a workflow draft per segment with an A/B experiment judged on
the campaign's goal, a send window inside the legal hours, and the message budget shared out.
Predictions: ``ai/predict.py`` (rates: ``ai/history.py``); clusters: ``ai/clusters.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from leadflow.ai import phrases, texts
from leadflow.ai.parse_trigger import audience_of, metric_of

CHANNELS = ("sms", "email", "voice")
HOT_SCORE = 70  # the default lower bound of the "hot" score band (scoring/config.py)


@dataclass
class Segment:
    name: str
    conditions: list[dict[str, Any]]
    description: str
    channels: list[str] = field(default_factory=list)
    size: int | None = None


def _segment_of(words: str) -> Segment | None:
    text = words.strip().lower()
    leaves = audience_of(text)
    band = re.search(r"\b(hot|warm|cold)\b", text)
    if band:
        leaves.append({"field": "contact.score_band", "op": "eq", "value": band.group(1)})
    if re.search(r"\bpast clients?\b|\bsphere\b", text):
        leaves.append({"field": "contact.tags", "op": "contains", "value": "past-client"})
    kind = re.search(r"\b(buyers?|sellers?|renters?|investors?)\b", text)
    if kind and "first" not in text:
        value = kind.group(1).rstrip("s")
        leaves.append({"field": "contact.fields.lead_type", "op": "eq", "value": value})
    for source in phrases.sources(text):
        leaves.append({"field": "contact.fields.source", "op": "eq", "value": source})
    unique: list[dict[str, Any]] = []
    for leaf in leaves:
        if leaf not in unique:
            unique.append(leaf)
    if not unique:
        return None
    return Segment(phrases.slug(text)[:40], unique, words.strip())


def segments_of(audience: str) -> list[Segment]:
    """One segment per part of the audience ("hot leads in Texas and past clients" -> two);
    everyone when nothing is recognised."""
    parts = [p for p in re.split(r"\s*(?:;|,|\band\b|\bplus\b)\s*", audience) if p.strip()]
    found = [s for s in (_segment_of(p) for p in parts) if s is not None]
    if not found:
        return [Segment("everyone", [], "every contact of the tenant")]
    names: set[str] = set()
    for seg in found:
        while seg.name in names:
            seg.name += "-2"
        names.add(seg.name)
    return found


def cluster_segment(
    parent: Segment, cluster: str, condition: dict[str, Any], words: str
) -> Segment:
    """A cluster of ``parent`` as a segment of its own: the parent's conditions and the
    cluster's (its ``all`` leaves merged in, an ``any`` kept whole)."""
    extra = condition.get("all", [condition])
    return Segment(
        f"{parent.name}-{cluster}",
        [*parent.conditions, *(x for x in extra if x not in parent.conditions)],
        f"{parent.description}; {cluster}: {words}",
    )


def _leaves(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for x in conditions:
        if "all" in x:
            found += _leaves(x["all"])
        elif "field" in x:
            found.append(x)
    return found


def _hot(conditions: list[dict[str, Any]]) -> bool:
    """The conditions ask for hot leads: band hot, or a score of at least :data:`HOT_SCORE`."""
    for x in _leaves(conditions):
        if x["field"] == "contact.score_band" and str(x["value"]).lower() == "hot":
            return True
        value = x["value"]
        at_least = x["op"] in ("gte", "gt") and isinstance(value, int | float)
        if x["field"] == "contact.score" and at_least and value >= HOT_SCORE:
            return True
    return False


def channel_plan(segment: Segment, allowed: list[str], *, hot: bool = False) -> list[str]:
    """Channels in order for a segment: hot leads (asked for by band or a score of at least
    :data:`HOT_SCORE`, or ``hot``: a cluster whose contacts' median score is) by text then a
    call, past clients by e-mail, others by the allowed channels (text first when allowed)."""
    allowed = [c for c in allowed if c in CHANNELS] or ["sms", "email"]
    leaves = {(x["field"], str(x["value"])) for x in _leaves(segment.conditions)}
    if hot or _hot(segment.conditions):
        wanted = ["sms", "voice"]
    elif ("contact.tags", "past-client") in leaves:
        wanted = ["email", "sms"]
    else:
        wanted = ["sms", "email", "voice"]
    plan = [c for c in wanted if c in allowed][:2]
    return plan or allowed[:2]


def _message(channel: str, node_id: str, variant: int) -> dict[str, Any]:
    if channel == "sms":
        body = texts.sms_body("listings" if variant == 1 else "questions")
        return {"id": node_id, "kind": "send_sms", "body": body}
    if channel == "email":
        subject, body = texts.email_parts("listings" if variant == 1 else "checkin")
        return {"id": node_id, "kind": "send_email", "subject": subject, "body": body}
    return {"id": node_id, "kind": "voice_call", "mode": "voicemail_drop", "say": texts.VOICEMAIL}


def campaign_workflow(
    key: str, name: str, segment: Segment, channels: list[str], goal: str, start: date | None
) -> dict[str, Any]:
    """The segment's draft: an A/B split of the first message judged on the goal, a wait, the
    second channel; sends only 09:00-20:00 on weekdays; enrolled by a schedule on the start day
    (or by hand without one), the goal ending each run."""
    metric = metric_of(goal)
    first, second = channels[0], channels[1] if len(channels) > 1 else None
    nodes: list[dict[str, Any]] = [
        {
            "id": "split_1",
            "kind": "split",
            "arms": [
                {"name": "a", "weight": 50, "next": "first_a"},
                {"name": "b", "weight": 50, "next": "first_b"},
            ],
            "experiment": {"metric": {**metric, "within": "14d"}, "decide": "manual"},
        },
        {**_message(first, "first_a", 1), "next": "wait_1"},
        {**_message(first, "first_b", 2), "next": "wait_1"},
        {"id": "wait_1", "kind": "wait", "duration": "2d"},
    ]
    if second:
        nodes[-1]["next"] = "second_1"
        nodes.append(_message(second, "second_1", 1))
    trigger: dict[str, Any] = {"type": "manual"}
    if start is not None:
        trigger = {"type": "schedule", "cron": f"0 10 {start.day} {start.month} *"}
    if segment.conditions:
        cond = segment.conditions
        trigger["filter"] = cond[0] if len(cond) == 1 else {"all": cond}
    goals = [{"name": "goal", "event": e} for e in (metric.get("event"),) if e]
    if metric.get("outcome") == "replied":
        goals = [
            {"name": "replied", "event": "sms.received"},
            {"name": "replied", "event": "email.received"},
        ]
    return {
        "key": key,
        "name": name,
        "description": f"Campaign segment: {segment.description}",
        "triggers": [trigger],
        "settings": {
            "goals": goals,
            "send_window": {
                "start": "09:00",
                "end": "20:00",
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            },
        },
        "start": "split_1",
        "nodes": nodes,
    }


def messages_per_contact(definition: dict[str, Any]) -> int:
    kinds = [n["kind"] for n in definition["nodes"]]
    return sum(k in ("send_sms", "send_email", "voice_call") for k in kinds) - 1  # one arm each


def share_budget(sizes: list[int], per_contact: list[int], budget: int | None) -> list[int]:
    """Contacts to reach per segment so that the messages stay within ``budget`` (shared in
    proportion to the segments' sizes); everyone when there is no budget."""
    if budget is None:
        return list(sizes)
    need = sum(s * m for s, m in zip(sizes, per_contact, strict=True))
    if need <= budget:
        return list(sizes)
    scale = budget / need if need else 0.0
    return [int(s * scale) for s in sizes]
