"""What the planner's parser understood, before it becomes a definition: a trigger, settings and a
tree of steps (simple actions, waits for an event, branches, splits)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Leaf = dict[str, Any]  # {field, op, value}


@dataclass
class Step:
    """One action: ``sms``, ``email``, ``call``, ``voicemail``, ``notify``, ``update``, ``start``,
    ``match``, ``wait``, ``wait_until`` or ``exit``; ``args`` holds what it needs."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class WaitFor:
    event: str
    timeout: int | None = None
    on_event: list[Any] = field(default_factory=list)
    on_timeout: list[Any] = field(default_factory=list)


@dataclass
class Branch:
    cases: list[tuple[Leaf, list[Any]]]
    default: list[Any] = field(default_factory=list)


@dataclass
class SplitPlan:
    arms: list[list[Any]]
    holdout: float | None = None  # weight (percent) of a holdout arm
    metric: dict[str, Any] = field(default_factory=lambda: {"event": "appointment.booked"})


@dataclass
class Plan:
    """The parse of one request. ``intents`` names every thing recognised in the words (for the
    coverage part of the confidence); ``play`` is the template the draft starts from, if any."""

    prompt: str
    trigger: dict[str, Any] = field(default_factory=lambda: {"type": "manual"})
    filters: list[Leaf] = field(default_factory=list)
    steps: list[Any] = field(default_factory=list)
    goals: list[tuple[str, list[str]]] = field(default_factory=list)
    reentry: dict[str, Any] | None = None
    send_window: dict[str, Any] | None = None
    optimal: bool = False
    play: str | None = None
    intents: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
