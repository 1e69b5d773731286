"""Counts, the empirical-Bayes prior and the posterior over the 168 hour-of-week buckets."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from leadflow.sendtime.model import (
    BUCKETS,
    MIN_EVENTS,
    Counts,
    Prior,
    bucket_of,
    circular_smooth,
    fit_prior,
    pool_evidence,
    posterior_mean,
)

NY = ZoneInfo("America/New_York")


def test_bucket_is_the_local_hour_of_the_week() -> None:
    monday_9 = datetime(2024, 6, 10, 9, 30, tzinfo=NY).timestamp()
    sunday_23 = datetime(2024, 6, 16, 23, 5, tzinfo=NY).timestamp()
    assert bucket_of(monday_9, NY) == 9
    assert bucket_of(sunday_23, NY) == 167
    # The same instant is Monday 06:30 in Los Angeles.
    assert bucket_of(monday_9, ZoneInfo("America/Los_Angeles")) == 6


def test_counts_reject_a_bucket_outside_the_week() -> None:
    with pytest.raises(ValueError, match=r"bucket: must be in 0\.\.167, got 168"):
        Counts().add(168, True)


def test_circular_smoothing_wraps_sunday_night_into_monday_morning() -> None:
    values = np.zeros(BUCKETS)
    values[167] = 1.0
    smooth = circular_smooth(values, 1)
    assert smooth[0] > 0 and smooth[166] > 0 and smooth[167] > smooth[0]
    assert smooth.sum() == pytest.approx(1.0)
    assert smooth[1] == 0


def test_pooled_evidence_reaches_the_same_hour_on_other_days() -> None:
    counts = Counts.of([(24 + 19, True)])  # Tuesday 19:00
    pooled = pool_evidence(counts, width=0, same_hour=0.5)
    assert pooled.engaged[3 * 24 + 19] == pytest.approx(0.5)  # Thursday 19:00
    assert pooled.engaged[24 + 19] == pytest.approx(1.0)
    assert pooled.engaged[3 * 24 + 10] == 0
    with pytest.raises(ValueError, match="same_hour"):
        pool_evidence(counts, same_hour=1.5)


def _population(rng: np.random.Generator, evening: float, other: float) -> list[Counts]:
    population = []
    for _ in range(300):
        counts = Counts()
        for bucket in rng.integers(0, BUCKETS, 80):
            rate = evening if 18 <= bucket % 24 <= 20 else other
            counts.add(int(bucket), bool(rng.random() < rate))
        population.append(counts)
    return population


def test_prior_follows_the_population_pattern() -> None:
    prior = fit_prior(_population(np.random.default_rng(3), evening=0.3, other=0.05))
    mean = prior.mean
    assert mean[19] > 2 * mean[10]  # evenings beat mornings for everyone
    assert mean[19] == pytest.approx(0.3, abs=0.08)
    assert mean[24 + 10] == pytest.approx(0.05, abs=0.03)


def test_prior_strength_is_weak_when_contacts_differ_and_strong_when_alike() -> None:
    rng = np.random.default_rng(5)
    alike = fit_prior(_population(rng, evening=0.1, other=0.1))
    different: list[Counts] = []
    for i in range(300):
        rate = 0.02 if i % 2 else 0.4  # two kinds of contact: the pooled rate fits neither
        counts = Counts()
        for bucket in rng.integers(0, BUCKETS, 80):
            counts.add(int(bucket), bool(rng.random() < rate))
        different.append(counts)
    weak = fit_prior(different)
    assert (weak.alpha + weak.beta)[0] < (alike.alpha + alike.beta)[0] / 5


def test_no_population_gives_a_flat_prior() -> None:
    prior = fit_prior([])
    assert np.allclose(prior.mean, prior.mean[0])
    assert np.allclose(prior.mean, Prior.flat().mean)


def test_few_engagements_fall_back_to_the_prior_many_move_the_posterior() -> None:
    prior = Prior.flat(rate=0.05, strength=20)
    few = Counts.of([(19, True)] * (MIN_EVENTS - 1) + [(10, False)] * 10)
    assert np.array_equal(posterior_mean(few, prior), prior.mean)
    assert np.array_equal(posterior_mean(None, prior), prior.mean)
    many = Counts.of([(19, True)] * MIN_EVENTS + [(10, False)] * 10)
    post = posterior_mean(many, prior)
    assert int(np.argmax(post)) % 24 == 19
    assert post[19] > prior.mean[19] > post[10]
