"""Model choice, the time-ordered validation split and the explanations."""

from __future__ import annotations

import numpy as np
import pytest

from leadflow.errors import InvalidInput
from leadflow.scoring.predictive import (
    choose,
    compare,
    explain,
    fit,
    ordered_split,
    probabilities,
)


def _signal(rows: int, seed: int, strength: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4))
    logit = -2.0 + strength * x[:, 0] - strength * 0.5 * x[:, 1]
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float64)
    return x, y


def test_validation_rows_are_the_last_rows() -> None:
    fit_part, val_part = ordered_split(100, 0.2)
    assert (fit_part.start, fit_part.stop) == (0, 80)
    assert (val_part.start, val_part.stop) == (80, 100)
    fit_part, val_part = ordered_split(7, 0.2)  # at least one row validates, rounded up
    assert (fit_part.stop, val_part.start, val_part.stop) == (5, 5, 7)
    with pytest.raises(InvalidInput, match="validation share"):
        ordered_split(10, 1.0)


def test_choice_never_fits_on_rows_after_the_validation_rows() -> None:
    """Feature 3 means the opposite before and after the cut: a model fitted only on the earlier
    rows ranks the later ones backwards (AUC near 0); one that had seen the later rows would
    rank them almost perfectly."""
    x, y = _signal(1000, seed=1, strength=0.0)
    x[:800, 3] = (1 - y[:800]) * 10
    x[800:, 3] = y[800:] * 10
    choice = choose(x, y, validation_share=0.2)
    assert (choice.fit_rows, choice.validation_rows) == (800, 200)
    assert max(choice.validation_auc.values()) < 0.2


def test_compare_finds_a_known_signal_and_measures_both_models() -> None:
    x, y = _signal(2000, seed=2)
    out = compare(x[:1500], y[:1500], x[1500:], y[1500:])
    assert set(out.holdout) == {"logistic", "boosting"}
    assert out.choice.algorithm in out.holdout
    for metrics in out.holdout.values():
        assert metrics.rows == 500
        assert metrics.auc > 0.8
        assert metrics.brier < metrics.base_rate_brier
        assert metrics.top20_capture > 0.4
    assert out.base_rate == pytest.approx(float(y[:1500].mean()))


def test_compare_on_noise_finds_nothing() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 5))
    y = (rng.random(3000) < 0.2).astype(np.float64)
    out = compare(x[:2000], y[:2000], x[2000:], y[2000:])
    for metrics in out.holdout.values():
        assert 0.4 < metrics.auc < 0.6
        assert metrics.brier >= metrics.base_rate_brier - 0.005


def test_too_few_positives_are_refused() -> None:
    x = np.zeros((100, 2))
    y = np.zeros(100)
    y[:3] = 1
    with pytest.raises(InvalidInput, match="3 positive"):
        compare(x, y, x, y)


def test_logistic_factors_are_coefficient_times_standardised_value() -> None:
    x, y = _signal(1500, seed=4)
    model = fit("logistic", x, y)
    row = np.array([2.0, -1.0, 0.0, 0.5])
    names = ["a", "b", "c", "d"]
    factors = explain(model, "logistic", row, np.median(x, axis=0), names, top=2)
    scale = model.named_steps["scale"]
    coef = model.named_steps["model"].coef_.ravel()
    expected = coef * (row - scale.mean_) / scale.scale_
    assert [f.feature for f in factors] == ["a", "b"]  # the two features that drive the outcome
    assert factors[0].contribution == pytest.approx(expected[0])
    assert factors[0].contribution > 0 and factors[1].contribution > 0  # high a, low b: both up
    assert factors[0].value == 2.0


def test_boosting_factors_are_the_change_when_a_feature_is_typical() -> None:
    x, y = _signal(1500, seed=5)
    model = fit("boosting", x, y)
    reference = np.median(x, axis=0)
    row = np.array([2.5, 0.0, 0.0, 0.0])
    factors = explain(model, "boosting", row, reference, ["a", "b", "c", "d"], top=4)
    assert factors[0].feature == "a"
    typical = row.copy()
    typical[0] = reference[0]
    drop = (
        probabilities(model, row.reshape(1, -1))[0]
        - probabilities(model, typical.reshape(1, -1))[0]
    )
    assert factors[0].contribution == pytest.approx(drop)
    assert factors[0].contribution > 0.2
