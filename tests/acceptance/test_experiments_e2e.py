"""Experiments end to end: a published split with an experiment block, leads entering every day
on a real SQLite file, the worker on a virtual clock reviewing the experiment each day.

With ``decide: auto_apply``, arm "b" books appointments five times as often as arm "a": the
worker applies "b" once both arms have the minimum sample and the difference is significant;
later leads then all get "b" while earlier ones keep their arm. With ``decide: bandit`` over
three arms of which "c" is the best, the weights move towards "c" review after review. Leads
have e-mail addresses only, so no quiet hours hold anything back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from leadflow.clock import VirtualClock
from leadflow.engine.worker import Worker
from leadflow.engine.workflows import publish
from leadflow.model.experiments import Experiment, ExperimentDecision
from leadflow.model.records import DEFAULT_TENANT, Contact, NewEvent, RunFilter
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.store import Store, open_store

KEY = "booking-test"
EXPERIMENT = f"{KEY}.pick"
GOAL = "appointment.booked"
T0 = 1_718_208_000.0  # Wednesday 12 June 2024, 16:00 UTC
HOUR = 3600.0
DAY = 86_400.0


def workflow(books_every: dict[str, int], **experiment: Any) -> dict[str, Any]:
    """A split over one arm per key of ``books_every``, each arm sending its own e-mail."""
    block = {"metric": {"event": GOAL, "within": "14d"}, "review_every": "1d", **experiment}
    arms = [{"name": arm, "weight": 1, "next": f"mail_{arm}"} for arm in books_every]
    mails = [
        {"id": f"mail_{arm}", "kind": "send_email", "subject": f"Listings ({arm})", "body": "Hi"}
        for arm in books_every
    ]
    return {
        "key": KEY,
        "name": "Booking test",
        "triggers": [{"type": "event", "event": "lead.created"}],
        "settings": {"reentry": {"policy": "always"}},
        "start": "pick",
        "nodes": [{"id": "pick", "kind": "split", "arms": arms, "experiment": block}, *mails],
    }


@dataclass
class Trial:
    runtime: Runtime
    clock: VirtualClock
    worker: Worker
    books_every: dict[str, int] = field(default_factory=dict)  # one lead in N books, per arm
    seq: int = 0
    leads: int = 0

    @property
    def store(self) -> Store:
        return self.runtime.store

    def settle(self, moment: float) -> None:
        """Move the clock to ``moment`` and let the worker do everything due then."""
        self.clock.set(moment)
        for _ in range(100):
            if not self.worker.tick(moment):
                return
        raise AssertionError("the worker never settled")

    def emit(self, type_: str, contact_ids: list[str]) -> None:
        now = self.clock.now()
        batch = []
        for cid in contact_ids:
            self.seq += 1
            batch.append(NewEvent(type_, cid, {}, f"e2e-{self.seq}", now))
        self.store.append_events(batch, now)

    def day_of_leads(self, day: int, count: int) -> list[str]:
        """``count`` new leads enter at midday of ``day``; those their arm makes book do so
        three hours later. Returns the new contact ids."""
        start = T0 + day * DAY
        self.clock.set(start)
        ids = [f"lead-{self.leads + i:05d}" for i in range(count)]
        self.leads += count
        contacts = [Contact(cid, first_name="Lee", email=f"{cid}@example.com") for cid in ids]
        self.store.upsert_contacts(contacts, start)
        self.emit("lead.created", ids)
        self.settle(start)
        seen: Counter[str] = Counter()
        booked = []
        for cid in ids:
            arm = self.arm_of(cid)
            seen[arm] += 1
            if seen[arm] % self.books_every[arm] == 1:
                booked.append(cid)
        self.clock.set(start + 3 * HOUR)
        self.emit(GOAL, booked)
        self.settle(start + 3 * HOUR)
        return ids

    def arm_of(self, contact_id: str) -> str:
        found = self.store.get_assignment(DEFAULT_TENANT, EXPERIMENT, contact_id)
        assert found is not None, f"{contact_id} was never assigned"
        return found.arm

    def experiment(self) -> Experiment:
        found = self.store.get_experiment(DEFAULT_TENANT, EXPERIMENT)
        assert found is not None
        return found

    def decisions(self) -> list[ExperimentDecision]:
        return self.store.experiment_decisions(DEFAULT_TENANT, EXPERIMENT)

    def outcomes(self, contact_id: str) -> list[str]:
        runs = self.store.list_runs(RunFilter(workflow_key=KEY, contact_id=contact_id))
        return [
            step.outcome
            for run in sorted(runs, key=lambda r: r.id)
            for step in self.store.run_steps(run.id)
            if step.node == "pick"
        ]


@pytest.fixture
def trial(tmp_path: Path) -> Iterator[Trial]:
    url = f"sqlite:///{tmp_path / 'leadflow.db'}"
    store = open_store(url, check_schema=False)
    store.upgrade()
    clock = VirtualClock(T0)
    runtime = build_runtime(Settings(db=url), store=store, clock=clock, seed=1)
    yield Trial(runtime, clock, runtime.worker("e2e"))
    runtime.close()


def start(trial: Trial, books_every: dict[str, int], **experiment: Any) -> None:
    trial.books_every = books_every
    engine = trial.runtime.engine
    data = workflow(books_every, **experiment)
    publish(trial.store, engine.catalog, data, T0 - HOUR, engine.registry)


def test_auto_apply_rolls_the_better_arm_out_to_later_leads(trial: Trial) -> None:
    # The confidence sequence is tuned to the few hundred leads this test has (tuning = M), and
    # so is the number of conversions every arm needs before a winner (30 by default).
    start(
        trial,
        {"a": 10, "b": 2},
        decide="auto_apply",
        min_sample=100,
        tuning=500,
        min_conversions=10,
    )
    for day in range(7):
        trial.day_of_leads(day, 100 if day < 4 else 30)

    experiment = trial.experiment()
    assert (experiment.status, experiment.winner) == ("applied", "b")
    assert experiment.weights == {"a": 0.0, "b": 1.0}
    decisions = trial.decisions()
    assert [d.action for d in decisions] == ["keep", "keep", "apply_winner"]
    assert "minimum sample not met" in decisions[0].reason
    assert "no arm differs significantly" in decisions[1].reason
    assert trial.worker.stats.jobs == 3
    applied = decisions[-1]
    assert applied.decided_at == T0 + 3 * DAY and "arm b beats a" in applied.reason
    numbers = {arm["name"]: arm for arm in applied.numbers["arms"]}
    assert numbers["a"]["n"] + numbers["b"]["n"] == 400  # every lead of days 0-3
    assert numbers["b"]["analysis"]["significant"] is True
    assert numbers["b"]["analysis"]["ci_low"] > 0
    assert numbers["b"]["conversions"] > 3 * numbers["a"]["conversions"]
    assert applied.numbers["srm"]["p_value"] > 0.001

    # Every lead after the decision got "b"; the earlier ones kept the arm they had.
    assignments = trial.store.experiment_assignments(DEFAULT_TENANT, EXPERIMENT)
    before = Counter(a.arm for a in assignments if a.assigned_at <= applied.decided_at)
    after = Counter(a.arm for a in assignments if a.assigned_at > applied.decided_at)
    assert after == {"b": 90}
    assert before == {"a": numbers["a"]["n"], "b": numbers["b"]["n"]}
    old_a = next(a.contact_id for a in assignments if a.arm == "a")
    trial.clock.set(T0 + 7 * DAY)
    trial.emit("lead.created", [old_a])  # the same lead comes back after the roll-out
    trial.settle(T0 + 7 * DAY)
    assert trial.outcomes(old_a) == ["arm:a", "arm:a"]


def test_the_bandit_moves_the_weights_to_the_better_arm(trial: Trial) -> None:
    # Top-two Thompson sampling: the sure leader gets bandit_beta (0.8), its challengers the rest.
    start(trial, {"a": 10, "b": 10, "c": 2}, decide="bandit", min_sample=40, weight_floor=0.05)
    first_day = trial.day_of_leads(0, 45)  # about 15 an arm: below the minimum sample
    for day in range(1, 6):
        trial.day_of_leads(day, 60)
    last_day = trial.day_of_leads(6, 120)

    weights = trial.experiment().weights
    assert weights["c"] == pytest.approx(0.8, abs=0.02)
    assert weights["a"] + weights["b"] == pytest.approx(0.2, abs=0.02)
    assert min(weights.values()) >= 0.05 - 1e-9
    assert sum(weights.values()) == pytest.approx(1.0)
    decisions = trial.decisions()
    assert decisions[0].action == "keep"
    assert [d.action for d in decisions].count("reallocate") >= 4
    assert all(d.numbers["arms"] for d in decisions)
    share_first = Counter(trial.arm_of(c) for c in first_day)["c"] / len(first_day)
    share_last = Counter(trial.arm_of(c) for c in last_day)["c"] / len(last_day)
    assert share_first < 0.4 and share_last > 0.65
