"""Experiments end to end: a published split with an experiment block, leads entering every day
on a real SQLite file, the worker on a virtual clock reviewing the experiment each day.

Arm "b" books appointments five times as often as arm "a". With ``decide: auto_apply`` the
worker applies "b" once both arms have the minimum sample and the difference is significant;
later leads then all get "b" while earlier ones keep their arm. With ``decide: bandit`` the
weights move towards "b" review after review. Leads have e-mail addresses only, so no quiet
hours hold anything back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from leadflow.clock import VirtualClock
from leadflow.engine.worker import Worker
from leadflow.engine.workflows import publish
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.store import Store, open_store
from leadflow.store.experiments_records import Experiment, ExperimentDecision
from leadflow.store.records import DEFAULT_TENANT, Contact, NewEvent, RunFilter

KEY = "booking-test"
EXPERIMENT = f"{KEY}.pick"
GOAL = "appointment.booked"
T0 = 1_718_208_000.0  # Wednesday 12 June 2024, 16:00 UTC
HOUR = 3600.0
DAY = 86_400.0
BOOKS_EVERY = {"a": 10, "b": 2}  # one lead in ten books in arm a, one in two in arm b


def workflow(**experiment: Any) -> dict[str, Any]:
    block = {"metric": {"event": GOAL, "within": "14d"}, "review_every": "1d", **experiment}
    arms = [
        {"name": "a", "weight": 1, "next": "mail_a"},
        {"name": "b", "weight": 1, "next": "mail_b"},
    ]
    return {
        "key": KEY,
        "name": "Booking test",
        "triggers": [{"type": "event", "event": "lead.created"}],
        "settings": {"reentry": {"policy": "always"}},
        "start": "pick",
        "nodes": [
            {"id": "pick", "kind": "split", "arms": arms, "experiment": block},
            {"id": "mail_a", "kind": "send_email", "subject": "New listings", "body": "Hi"},
            {"id": "mail_b", "kind": "send_email", "subject": "Book a showing", "body": "Hi"},
        ],
    }


@dataclass
class Trial:
    runtime: Runtime
    clock: VirtualClock
    worker: Worker
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
            if seen[arm] % BOOKS_EVERY[arm] == 1 or BOOKS_EVERY[arm] == 1:
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


def start(trial: Trial, **experiment: Any) -> None:
    engine = trial.runtime.engine
    publish(trial.store, engine.catalog, workflow(**experiment), T0 - HOUR, engine.registry)


def test_auto_apply_rolls_the_better_arm_out_to_later_leads(trial: Trial) -> None:
    start(trial, decide="auto_apply", min_sample=60)
    early: list[str] = []
    for day in range(4):
        early += trial.day_of_leads(day, 50)
    assert trial.experiment().status == "running"  # the day-4 review has not happened yet

    later: list[str] = []
    for day in range(4, 7):
        later += trial.day_of_leads(day, 30)

    experiment = trial.experiment()
    assert (experiment.status, experiment.winner) == ("applied", "b")
    assert experiment.weights == {"a": 0.0, "b": 1.0}
    decisions = trial.decisions()
    actions = [d.action for d in decisions]
    assert actions[-1] == "apply_winner" and set(actions[:-1]) <= {"keep"}
    assert "minimum sample not met" in decisions[0].reason
    applied = decisions[-1]
    numbers = {arm["name"]: arm for arm in applied.numbers["arms"]}
    assert numbers["a"]["n"] + numbers["b"]["n"] == 200
    assert min(numbers["a"]["n"], numbers["b"]["n"]) >= 60
    assert numbers["b"]["analysis"]["significant"] is True
    assert numbers["b"]["analysis"]["effect"] > 2
    assert numbers["b"]["conversions"] > 3 * numbers["a"]["conversions"]
    assert trial.worker.stats.reviews == len(decisions)

    # Every lead after the decision got "b"; the earlier ones kept the arm they had.
    after = [cid for cid in later if trial.arm_of(cid) != "b"]
    assert after == []
    early_arms = Counter(trial.arm_of(cid) for cid in early)
    assert early_arms["a"] == numbers["a"]["n"]
    old_a = next(cid for cid in early if trial.arm_of(cid) == "a")
    trial.clock.set(T0 + 7 * DAY)
    trial.emit("lead.created", [old_a])  # re-entry: the same lead comes back
    trial.settle(T0 + 7 * DAY)
    assert trial.outcomes(old_a) == ["arm:a", "arm:a"]


def test_the_bandit_moves_the_weights_to_the_better_arm(trial: Trial) -> None:
    start(trial, decide="bandit", min_sample=20, weight_floor=0.05)
    first_day = trial.day_of_leads(0, 60)
    for day in range(1, 6):
        trial.day_of_leads(day, 60)
    last_day = trial.day_of_leads(6, 100)

    weights = trial.experiment().weights
    assert weights["b"] > 0.8 and weights["a"] >= 0.05 - 1e-9
    assert sum(weights.values()) == pytest.approx(1.0)
    actions = [d.action for d in trial.decisions()]
    assert actions[0] == "keep" and actions.count("reallocate") >= 4
    b_share_first = Counter(trial.arm_of(c) for c in first_day)["b"] / len(first_day)
    b_share_last = Counter(trial.arm_of(c) for c in last_day)["b"] / len(last_day)
    assert b_share_first < 0.7 and b_share_last > 0.75
