"""A submitted batch, checked before anything is stored: task ids unique, kinds known, each
kind's input well-formed, dependencies inside the batch and without a cycle. Every refusal names
the task (``tasks[3] ('sum-1')``) and the field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadflow.errors import InvalidInput
from leadflow.model.orchestration import KINDS

MAX_TASKS = 1000
MAX_DEPS = 20
TASK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


@dataclass(frozen=True, slots=True)
class TaskSpec:
    id: str
    kind: str
    input: dict[str, Any]
    priority: int = 0
    depends_on: tuple[str, ...] = field(default_factory=tuple)


def _strings(value: Any, what: str, lo: int, hi: int, each_max: int) -> list[str]:
    if not isinstance(value, list) or not lo <= len(value) <= hi:
        raise ValueError(f"{what}: a list of {lo} to {hi} strings is needed")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or len(item) > each_max:
            raise ValueError(f"{what}[{i}]: a non-empty text of at most {each_max} characters")
    return list(value)


def _text(data: Mapping[str, Any], name: str, hi: int, required: bool = True) -> None:
    value = data.get(name)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name}: a non-empty text is needed")
    if len(value) > hi:
        raise ValueError(f"{name}: at most {hi} characters, got {len(value)}")


def _compose(data: Mapping[str, Any]) -> None:
    _text(data, "brief", 2000)
    _strings(data.get("contact_ids"), "contact_ids", 1, 50, 200)
    if data.get("channel", "sms") not in ("sms", "email"):
        raise ValueError("channel: must be sms or email")


def _classify(data: Mapping[str, Any]) -> None:
    _strings(data.get("texts"), "texts", 1, 100, 2000)


def _summarise(data: Mapping[str, Any]) -> None:
    _text(data, "contact_id", 200)


def _draft_workflow(data: Mapping[str, Any]) -> None:
    _text(data, "prompt", 4000)
    _text(data, "key", 64, required=False)


def _draft_campaign(data: Mapping[str, Any]) -> None:
    _text(data, "goal", 500)
    _text(data, "audience", 1000, required=False)
    channels = data.get("channels", ["sms", "email"])
    if not isinstance(channels, list) or not all(c in ("sms", "email", "voice") for c in channels):
        raise ValueError("channels: a list of sms, email, voice")


CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "compose": _compose,
    "classify": _classify,
    "summarise": _summarise,
    "draft_workflow": _draft_workflow,
    "draft_campaign": _draft_campaign,
}
assert set(CHECKS) == set(KINDS)


def _one(i: int, raw: Any, problems: list[tuple[str, str]]) -> TaskSpec | None:
    where = f"tasks[{i}]"
    if not isinstance(raw, Mapping):
        problems.append((where, "a task object {id, kind, input, priority, depends_on}"))
        return None
    tid = raw.get("id")
    if not isinstance(tid, str) or not TASK_ID.match(tid):
        problems.append((f"{where}.id", "1-64 letters, digits, '_', '.', ':' or '-'"))
        return None
    where = f"tasks[{i}] ({tid!r})"
    kind = raw.get("kind")
    if kind not in CHECKS:
        problems.append((f"{where}.kind", f"must be one of {', '.join(KINDS)}; got {kind!r}"))
        return None
    data = raw.get("input")
    if not isinstance(data, dict):
        problems.append((f"{where}.input", "an object is needed"))
        return None
    try:
        CHECKS[kind](data)
    except ValueError as exc:
        problems.append((f"{where}.input.{exc}".split(": ", 1)[0], str(exc).split(": ", 1)[-1]))
        return None
    priority = raw.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int) or not -100 <= priority <= 100:
        problems.append((f"{where}.priority", "an integer from -100 to 100"))
        return None
    deps = raw.get("depends_on", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        problems.append((f"{where}.depends_on", "a list of task ids"))
        return None
    if len(deps) > MAX_DEPS:
        problems.append((f"{where}.depends_on", f"at most {MAX_DEPS} dependencies"))
        return None
    unknown = sorted(set(raw) - {"id", "kind", "input", "priority", "depends_on"})
    if unknown:
        problems.append((where, f"unknown field(s): {', '.join(unknown)}"))
        return None
    return TaskSpec(tid, kind, dict(data), priority, tuple(dict.fromkeys(deps)))


def _cycle(specs: list[TaskSpec]) -> list[str] | None:
    """A dependency cycle (its task ids, the first repeated at the end), or None."""
    deps = {s.id: s.depends_on for s in specs}
    state: dict[str, int] = {}  # 1 on the path, 2 finished
    for start in deps:
        if state.get(start):
            continue
        path: list[str] = [start]
        stack = [iter(deps[start])]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(deps[nxt]))
    return None


def check_batch(raw: Any) -> list[TaskSpec]:
    """The batch's tasks, checked; InvalidInput listing every problem found otherwise."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TASKS:
        raise InvalidInput(f"tasks: a list of 1 to {MAX_TASKS} tasks is needed")
    problems: list[tuple[str, str]] = []
    specs = [s for i, r in enumerate(raw) if (s := _one(i, r, problems)) is not None]
    seen: dict[str, int] = {}
    for i, s in enumerate(specs):
        if s.id in seen:
            problems.append((f"tasks[{i}] ({s.id!r}).id", "another task of the batch has this id"))
        seen.setdefault(s.id, i)
    if not problems:
        for i, s in enumerate(specs):
            for dep in s.depends_on:
                if dep == s.id:
                    problems.append((f"tasks[{i}] ({s.id!r}).depends_on", "depends on itself"))
                elif dep not in seen:
                    problems.append(
                        (
                            f"tasks[{i}] ({s.id!r}).depends_on",
                            f"{dep!r} is not a task of this batch",
                        )
                    )
    if not problems:
        cycle = _cycle(specs)
        if cycle is not None:
            first = cycle[0]
            problems.append(
                (
                    f"tasks[{seen[first]}] ({first!r}).depends_on",
                    "dependency cycle: " + " -> ".join(cycle),
                )
            )
    if problems:
        raise InvalidInput("; ".join(f"{w}: {p}" for w, p in problems), problems)
    return specs


__all__ = ["CHECKS", "MAX_TASKS", "TaskSpec", "check_batch"]
