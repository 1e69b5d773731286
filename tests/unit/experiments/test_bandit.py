"""Top-two Thompson allocation: who gets the traffic, and the guarantees around it."""

from __future__ import annotations

import numpy as np
import pytest

from leadflow.experiments.bandit import best_arm_probabilities, top_two_thompson
from leadflow.experiments.stats import ArmStats, mean, proportion

ARMS = {
    "plain": proportion(100, 1000),
    "emoji": proportion(160, 1000),
    "short": proportion(105, 1000),
}


def rng(seed: int = 3) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_the_clearly_best_arm_is_almost_surely_best() -> None:
    p = best_arm_probabilities(ARMS, rng())
    assert p["emoji"] > 0.99
    assert sum(p.values()) == pytest.approx(1.0)


def test_the_clearly_best_arm_gets_the_most_traffic() -> None:
    weights = top_two_thompson(ARMS, rng=rng(), beta=0.7)
    assert max(weights, key=weights.__getitem__) == "emoji"
    assert weights["emoji"] == pytest.approx(0.7, abs=0.01)


def test_with_even_beta_the_leader_and_its_challenger_split_the_traffic() -> None:
    weights = top_two_thompson(ARMS, rng=rng())
    assert weights["emoji"] == pytest.approx(0.5, abs=0.01)
    assert weights["emoji"] >= max(weights["plain"], weights["short"]) - 0.01
    # the challenger share goes to the close runner-up rather than being spread evenly
    assert weights["short"] > 10 * weights["plain"]


def test_beta_one_is_plain_thompson_sampling() -> None:
    weights = top_two_thompson(ARMS, rng=rng(), beta=1.0, floor=0.0)
    assert weights["emoji"] > 0.99


@pytest.mark.parametrize("floor", [0.0, 0.01, 0.1, 0.25, 1 / 3])
def test_weights_sum_to_one_and_respect_the_floor(floor: float) -> None:
    weights = top_two_thompson(ARMS, rng=rng(), floor=floor)
    assert sum(weights.values()) == pytest.approx(1.0)
    assert min(weights.values()) >= floor - 1e-12
    assert set(weights) == set(ARMS)


def test_a_floor_lifts_a_hopeless_arm() -> None:
    arms = {"a": proportion(10, 1000), "b": proportion(300, 1000), "c": proportion(290, 1000)}
    unfloored = top_two_thompson(arms, rng=rng(), floor=0.0)
    assert unfloored["a"] < 0.001
    floored = top_two_thompson(arms, rng=rng(), floor=0.05)
    assert floored["a"] == pytest.approx(0.05)
    assert floored["b"] + floored["c"] == pytest.approx(0.95)


def test_arms_without_data_split_evenly() -> None:
    empty = {name: proportion(0, 0) for name in ("a", "b", "c", "d")}
    assert top_two_thompson(empty, rng=rng()) == pytest.approx(dict.fromkeys(empty, 0.25))
    one_each = {"a": proportion(1, 1), "b": proportion(0, 1)}
    assert top_two_thompson(one_each, rng=rng()) == pytest.approx({"a": 0.5, "b": 0.5})


def test_a_new_arm_gets_an_equal_share_while_the_others_compete() -> None:
    arms = {**ARMS, "fresh": proportion(0, 0)}
    weights = top_two_thompson(arms, rng=rng(), beta=0.7, floor=0.0)
    assert weights["fresh"] == pytest.approx(0.25)
    assert weights["emoji"] > weights["short"] > weights["plain"]
    assert sum(weights.values()) == pytest.approx(1.0)


def test_tied_arms_share_the_win() -> None:
    flat = {"a": proportion(0, 50), "b": proportion(0, 50)}
    assert best_arm_probabilities(flat, rng()) == pytest.approx({"a": 0.5, "b": 0.5})
    same = {"a": mean(100.0, 2100.0, 10), "b": mean(100.0, 2100.0, 10)}
    p = best_arm_probabilities(same, rng(), draws=20_000)
    assert p["a"] == pytest.approx(0.5, abs=0.02)


def test_a_seeded_generator_reproduces_the_allocation() -> None:
    close = {"a": proportion(100, 1000), "b": proportion(108, 1000), "c": proportion(104, 1000)}
    first = top_two_thompson(close, rng=rng(42))
    assert top_two_thompson(close, rng=rng(42)) == first
    assert top_two_thompson(close, rng=rng(43)) != first


@pytest.mark.parametrize(
    ("arms", "options", "argument"),
    [
        ({}, {}, "arms"),
        (ARMS, {"floor": 0.5}, "floor"),
        (ARMS, {"floor": -0.1}, "floor"),
        (ARMS, {"beta": 1.5}, "beta"),
        (ARMS, {"draws": 0}, "draws"),
    ],
)
def test_bad_input_names_the_argument(
    arms: dict[str, ArmStats], options: dict[str, float], argument: str
) -> None:
    with pytest.raises(ValueError, match=f"^{argument}"):
        top_two_thompson(arms, rng=rng(), **options)  # type: ignore[arg-type]


def test_best_arm_probabilities_needs_two_units_per_arm() -> None:
    with pytest.raises(ValueError, match=r"^arms\['new'\]"):
        best_arm_probabilities({"old": proportion(5, 50), "new": proportion(1, 1)}, rng())
