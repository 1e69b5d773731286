"""What a workflow's funnel counts, per run: the rules written once in Python.

Every number of a funnel is the size of a set of runs keyed (version, node, metric); the
workflow-wide sets use version 0 and node ``""``. A step, a message or the run itself puts its
run in some of those sets; the functions here name which. The memory backend and the analytics
"load everything" path apply them to records; the SQL backends say the same in SQL
(:mod:`leadflow.store.funnel_sql`), and a test holds the two equal on a random history.

:class:`RunSelection` is which runs a report counts; :class:`FunnelCounts` the sizes."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from leadflow.model.records import Message, Run, Scope, Step

DECISION_KINDS = ("branch", "split", "wait_for_event", "parallel")
SEND_METRICS = ("sent", "delivered", "opened", "clicked", "replied", "suppressed", "send_failed")
NOT_DONE = ("waiting", "deferred", "goal:", "exit:", "forked")
FAILED = ("failed", "on_error", "error")
OUTCOME_PREFIXES = ("case:", "arm:", "joined")
OUTCOME_NAMES = ("default", "event", "timeout")
LIVE = ("active", "waiting", "paused")

Key = tuple[int, str, str]


@dataclass(frozen=True, slots=True)
class RunSelection:
    """The runs of ``workflow_key`` whose contact is in ``scope``, that entered in
    [``since``, ``until``), whose contact's owner is one of ``agents`` (None: anyone's) and,
    when ``run_ids`` is set, that are among them (filters a backend cannot say in SQL)."""

    scope: Scope
    workflow_key: str
    since: float | None = None
    until: float | None = None
    agents: frozenset[str] | None = None
    run_ids: tuple[int, ...] | None = None
    # The workflow has a ``parallel`` node, so some of its runs may be branch runs: they count
    # at the nodes they enter, but not as runs of the workflow (entered, status, exit, goal,
    # cohorts count the runs that entered it). False spares the SQL backends the check.
    branches: bool = False


@dataclass(slots=True)
class FunnelCounts:
    """The size of every non-empty set (and of the send metrics' sets of a node that has
    messages, empty or not); ``hours_to_goal``: per converted run, the hours from its entry to
    its first goal event, in no particular order."""

    counts: dict[Key, int] = field(default_factory=dict)
    hours_to_goal: list[float] = field(default_factory=list)
    versions: set[int] = field(default_factory=set)  # of the runs counted

    def add(self, other: FunnelCounts) -> None:
        """Add the counts of a disjoint set of runs."""
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
        self.hours_to_goal += other.hours_to_goal
        self.versions |= other.versions


def step_metrics(step: Step) -> list[str]:
    """The node metrics a step puts its run in (none for a goal step)."""
    return step_metrics_of(step.kind, step.outcome)


def step_metrics_of(kind: str, outcome: str) -> list[str]:
    """:func:`step_metrics` of a step of this kind and outcome."""
    if kind == "goal":
        return []
    out = ["entered"]
    if outcome in FAILED:
        out.append("failed")
    elif not outcome.startswith(NOT_DONE):
        out.append("completed")
    if kind in DECISION_KINDS and (
        outcome.startswith(OUTCOME_PREFIXES) or outcome in OUTCOME_NAMES
    ):
        out.append(f"outcome:{outcome}")
    return out


def message_flags(m: Message) -> dict[str, bool]:
    """Which send metrics a message puts its run in (``msg:<metric>``)."""
    return {
        "sent": m.sent_at is not None or m.status in ("sent", "delivered"),
        "delivered": m.delivered_at is not None or m.status == "delivered",
        "opened": m.opened_at is not None,
        "clicked": m.clicked_at is not None,
        "replied": m.replied_at is not None,
        "suppressed": m.status == "suppressed",
        "send_failed": m.status == "failed",
    }


def run_keys(run: Run) -> list[Key]:
    """The sets the run itself is in: entered, its status, its exit, where it failed or is."""
    return run_group_keys(
        run.version, run.node, run.status, run.exit_reason, root=run.parent_run_id is None
    )


def run_group_keys(
    version: int, node: str | None, status: str, reason: str | None, *, root: bool = True
) -> list[Key]:
    """:func:`run_keys` of every run with this version, node, status and exit reason; a
    branch run of a parallel node (not ``root``) is in the node sets only."""
    out: list[Key] = [(0, "", "entered"), (0, "", f"status:{status}")] if root else []
    if status == "exited":
        if root:
            out.append((0, "", f"exited:{reason or ''}"))
        if node:
            out.append((version, node, f"exited:{reason or ''}"))
    if status == "failed" and node:
        out.append((version, node, "failed"))
    if status in LIVE and node:
        out.append((version, node, "current"))
    return out


def add_runs(sets: dict[Key, set[int]], runs: Iterable[Run]) -> None:
    """Put each run in the sets it is in itself (``sets`` makes a missing set)."""
    for run in runs:
        for key in run_keys(run):
            sets[key].add(run.id)


def add_steps(sets: dict[Key, set[int]], steps: Iterable[Step], version_of: dict[int, int]) -> None:
    """Put the steps' runs in the node sets they count in (the run's version)."""
    for step in steps:
        v = version_of[step.run_id]
        for metric in step_metrics(step):
            sets[(v, step.node, metric)].add(step.run_id)


def add_messages(
    sets: dict[Key, set[int]], messages: Iterable[Message], version_of: dict[int, int]
) -> None:
    """Put the runs of the messages (of runs in ``version_of``, at a node) in their send
    metrics' sets; a node with messages has all seven, empty or not."""
    for m in messages:
        if m.run_id is None or m.node is None or m.run_id not in version_of:
            continue
        key = (version_of[m.run_id], m.node)
        for metric, on in message_flags(m).items():
            target = sets[(*key, f"msg:{metric}")]
            if on:
                target.add(m.run_id)


def roots(runs: Iterable[Run]) -> list[Run]:
    """The runs that entered the workflow (not a parallel node's branch runs)."""
    return [r for r in runs if r.parent_run_id is None]


def goal_delay(run: Run, times: Sequence[float], window_s: float) -> float | None:
    """Seconds from the run's entry to the first of ``times`` within ``window_s`` of it."""
    inside = [t for t in times if 0 <= t - run.created_at <= window_s]
    return min(inside) - run.created_at if inside else None


def lived_limits(now: float, spans: Sequence[float]) -> list[float]:
    """Per span, the latest entry time ``t`` with ``t + span <= now`` in floating point: a run
    has lived through the span exactly when it entered at or before its limit."""
    out = []
    for span in spans:
        t = now - span
        while t + span > now:
            t = math.nextafter(t, -math.inf)
        while math.nextafter(t, math.inf) + span <= now:
            t = math.nextafter(t, math.inf)
        out.append(t)
    return out


def cohort_cell(
    created_at: float, first: float | None, limits: Sequence[float], spans: Sequence[float]
) -> tuple[int, int]:
    """(lived, reached): how many of the spans the run has lived through (``limits`` fall), and
    the index of the first span its goal came within (``len(spans)``: none)."""
    lived = sum(1 for t in limits if created_at <= t)
    reached = next((k for k, s in enumerate(spans) if first is not None and first <= s), len(spans))
    return lived, reached


__all__ = [
    "DECISION_KINDS",
    "FAILED",
    "LIVE",
    "NOT_DONE",
    "OUTCOME_NAMES",
    "OUTCOME_PREFIXES",
    "SEND_METRICS",
    "FunnelCounts",
    "Key",
    "RunSelection",
    "add_messages",
    "add_runs",
    "add_steps",
    "cohort_cell",
    "goal_delay",
    "lived_limits",
    "message_flags",
    "roots",
    "run_group_keys",
    "run_keys",
    "step_metrics",
    "step_metrics_of",
]
