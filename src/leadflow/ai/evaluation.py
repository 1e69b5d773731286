"""Checks a drafted definition against the structural expectations of an evaluation case
(see ``tests/ai/eval_requests.yaml`` for the vocabulary); each failed check is named."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterator
from typing import Any

from leadflow.definitions.durations import parse_duration


def _leaves(cond: Any) -> Iterator[dict[str, Any]]:
    if isinstance(cond, dict):
        if "field" in cond:
            yield cond
        for key in ("all", "any"):
            for item in cond.get(key) or []:
                yield from _leaves(item)
        if "not" in cond:
            yield from _leaves(cond["not"])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return str(a).lower() == str(b).lower() if a is not None and b is not None else a == b


def _leaf_found(want: list[Any], leaves: list[dict[str, Any]]) -> bool:
    for leaf in leaves:
        if not fnmatch.fnmatch(str(leaf.get("field")), str(want[0])):
            continue
        if len(want) > 1 and leaf.get("op") != want[1]:
            continue
        if len(want) > 2 and not _same(leaf.get("value"), want[2]):
            continue
        return True
    return False


def _subsequence(want: list[str], have: list[str]) -> bool:
    it = iter(have)
    return all(kind in it for kind in want)


def _seconds(value: Any) -> float | None:
    try:
        return parse_duration(str(value))
    except Exception:
        return None


def check(definition: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """The expectations ``definition`` misses (empty when it meets them all)."""
    failed: list[str] = []
    nodes = definition.get("nodes") or []
    kinds = [n.get("kind") for n in nodes]
    triggers = definition.get("triggers") or [{}]
    settings = definition.get("settings") or {}
    if "trigger" in expect:
        want = expect["trigger"]
        trig = triggers[0]
        for key in ("type", "event", "cron"):
            if key in want and trig.get(key) != want[key]:
                failed.append(f"trigger.{key}: {trig.get(key)!r} != {want[key]!r}")
        tleaves = list(_leaves(trig.get("filter")))
        for leaf in want.get("filter", []):
            if not _leaf_found(leaf, tleaves):
                failed.append(f"trigger.filter: no {leaf}")
    if "order" in expect and not _subsequence(expect["order"], kinds):
        failed.append(f"order: {expect['order']} not in {kinds}")
    if "has" in expect:
        missing = Counter(expect["has"]) - Counter(kinds)
        if missing:
            failed.append(f"has: missing {dict(missing)}")
    waits = [_seconds(n.get("duration")) for n in nodes if n.get("kind") == "wait"]
    waits += [_seconds(n.get("timeout")) for n in nodes if n.get("kind") == "wait_for_event"]
    for dur in expect.get("durations", []):
        if _seconds(dur) not in waits:
            failed.append(f"durations: no {dur}")
    untils = [n for n in nodes if n.get("kind") == "wait_until"]
    for want in expect.get("wait_until", []):
        ok = any(
            n.get("time") == want["time"]
            and (
                "weekdays" not in want
                or sorted(n.get("weekdays") or []) == sorted(want["weekdays"])
            )
            and ("offset_days" not in want or (n.get("offset_days") or 0) == want["offset_days"])
            for n in untils
        )
        if not ok:
            failed.append(f"wait_until: no {want}")
    if "wait_for" in expect:
        want = expect["wait_for"]
        ok = any(
            n.get("kind") == "wait_for_event"
            and n.get("event") == want["event"]
            and ("timeout" not in want or _seconds(n.get("timeout")) == _seconds(want["timeout"]))
            for n in nodes
        )
        if not ok:
            failed.append(f"wait_for: no {want}")
    bleaves = [
        leaf
        for n in nodes
        if n.get("kind") == "branch"
        for c in n.get("cases") or []
        for leaf in _leaves(c.get("when"))
    ]
    for leaf in expect.get("conditions", []):
        if not _leaf_found(leaf, bleaves):
            failed.append(f"conditions: no {leaf}")
    if "voice_mode" in expect:
        modes = {n.get("mode", "voicemail_drop") for n in nodes if n.get("kind") == "voice_call"}
        if modes != {expect["voice_mode"]}:
            failed.append(f"voice_mode: {sorted(modes)}")
    if "split" in expect:
        failed += _split(nodes, expect["split"])
    events = {g.get("event") for g in settings.get("goals") or []}
    for goal in expect.get("goals", []):
        if goal not in events:
            failed.append(f"goals: no {goal}")
    if "reentry" in expect:
        have = {"policy": "never", **(settings.get("reentry") or {})}
        if any(have.get(k) != v for k, v in expect["reentry"].items()):
            failed.append(f"reentry: {have}")
    updates = [n for n in nodes if n.get("kind") == "update_contact"]
    if "stage" in expect and not any(n.get("stage") == expect["stage"] for n in updates):
        failed.append(f"stage: no {expect['stage']}")
    for tag in expect.get("tags", []):
        if not any(tag in (n.get("add_tags") or []) for n in updates):
            failed.append(f"tags: no {tag}")
    if "start_workflow" in expect:
        keys = [n.get("workflow", "") for n in nodes if n.get("kind") == "start_workflow"]
        if not any(expect["start_workflow"] in k for k in keys):
            failed.append(f"start_workflow: {keys}")
    if expect.get("optimal") and not any(n.get("timing") == "optimal" for n in nodes):
        failed.append("optimal: no send with timing optimal")
    if "send_window" in expect:
        have = settings.get("send_window") or {}
        if any(have.get(k) != v for k, v in expect["send_window"].items()):
            failed.append(f"send_window: {have}")
    return failed


def _split(nodes: list[dict[str, Any]], want: dict[str, Any]) -> list[str]:
    for node in nodes:
        if node.get("kind") != "split":
            continue
        arms = node.get("arms") or []
        live = [a for a in arms if not a.get("holdout")]
        metric = (node.get("experiment") or {}).get("metric") or {}
        judged = metric.get("event") or metric.get("outcome")
        judged = judged if isinstance(judged, list) else [judged]
        if "arms" in want and len(live) != want["arms"]:
            continue
        if "holdout" in want and any(a.get("holdout") for a in arms) != want["holdout"]:
            continue
        if "metric" in want and want["metric"] not in judged:
            continue
        return []
    return [f"split: none like {want}"]
