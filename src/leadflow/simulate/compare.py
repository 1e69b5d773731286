"""Goal rates of a simulated workflow and the comparison of two (``simulate --compare``).

A goal rate is the share of the workflow's runs that exited on that goal (a ``goals:`` entry or
a ``goal`` node). Two workflows simulated with the same synthetic leads and seed are compared
goal by goal: the difference of the rates (B - A) and its 95% interval, Newcombe's hybrid
score interval for two independent proportions (statsmodels), which stays sensible for rates
near 0 or 1 and for small counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from leadflow.model.records import RunFilter, RunStatus
from leadflow.store.contract import Store

PAGE = 5000


def goal_names(definition: dict[str, Any]) -> list[str]:
    names = [str(g["name"]) for g in (definition.get("settings") or {}).get("goals") or []]
    names += [str(n["goal"]) for n in definition.get("nodes") or [] if n.get("kind") == "goal"]
    return sorted(set(names))


def goal_counts(store: Store, key: str, goals: list[str]) -> tuple[int, dict[str, int]]:
    """(runs of ``key``, runs that exited on each goal); branch runs of a ``parallel`` node
    are part of their parent's run, not runs of their own."""
    total = 0
    reasons: Counter[str] = Counter()
    after = 0
    while page := store.list_runs(RunFilter(workflow_key=key, limit=PAGE, after_id=after)):
        after = page[-1].id
        whole = [r for r in page if r.parent_run_id is None]  # a parallel's branches: no runs
        total += len(whole)
        reasons.update(r.exit_reason or "" for r in whole if r.status == RunStatus.EXITED)
    return total, {g: reasons.get(g, 0) for g in goals}


@dataclass(frozen=True, slots=True)
class GoalDiff:
    goal: str
    runs_a: int
    hits_a: int
    runs_b: int
    hits_b: int
    low: float | None
    high: float | None

    @property
    def rate_a(self) -> float:
        return self.hits_a / self.runs_a if self.runs_a else 0.0

    @property
    def rate_b(self) -> float:
        return self.hits_b / self.runs_b if self.runs_b else 0.0

    @property
    def diff(self) -> float:
        return self.rate_b - self.rate_a

    def as_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "a": {"runs": self.runs_a, "reached": self.hits_a, "rate": round(self.rate_a, 4)},
            "b": {"runs": self.runs_b, "reached": self.hits_b, "rate": round(self.rate_b, 4)},
            "difference": round(self.diff, 4),
            "interval_95": None
            if self.low is None
            else [round(self.low, 4), round(self.high or 0, 4)],
        }


def compare_goal(goal: str, a: tuple[int, int], b: tuple[int, int]) -> GoalDiff:
    """``a`` and ``b`` are (runs, runs reaching the goal)."""
    (n_a, k_a), (n_b, k_b) = a, b
    if not n_a or not n_b:
        return GoalDiff(goal, n_a, k_a, n_b, k_b, None, None)
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(
        k_b, n_b, k_a, n_a, method="newcomb", compare="diff", alpha=0.05
    )
    return GoalDiff(goal, n_a, k_a, n_b, k_b, float(low), float(high))


def compare(a: tuple[int, dict[str, int]], b: tuple[int, dict[str, int]]) -> list[GoalDiff]:
    """Goal by goal over the goals either workflow has."""
    goals = sorted(set(a[1]) | set(b[1]))
    return [compare_goal(g, (a[0], a[1].get(g, 0)), (b[0], b[1].get(g, 0))) for g in goals]


__all__ = ["GoalDiff", "compare", "compare_goal", "goal_counts", "goal_names"]
