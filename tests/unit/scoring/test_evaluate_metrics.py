"""The evaluation measures against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from leadflow.errors import InvalidInput
from leadflow.scoring.evaluate import (
    auc,
    base_rate_brier,
    brier,
    calibration_error,
    log_loss,
    measure,
    top_capture,
)


def test_auc_counts_the_pairs_ranked_right() -> None:
    # positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs in the right order
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)  # a tie counts half
    assert auc([1, 0], [0.9, 0.1]) == pytest.approx(1.0)
    assert math.isnan(auc([1, 1], [0.2, 0.3]))


def test_brier_and_the_base_rate_brier() -> None:
    assert brier([1, 0], [0.8, 0.3]) == pytest.approx((0.2**2 + 0.3**2) / 2)  # 0.065
    # predicting 0.25 for one positive and three negatives: (0.75^2 + 3 * 0.25^2) / 4
    assert base_rate_brier([1, 0, 0, 0], 0.25) == pytest.approx(0.1875)


def test_log_loss_is_the_mean_negative_log_likelihood() -> None:
    assert log_loss([1, 0], [0.8, 0.3]) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2)
    assert log_loss([1], [0.0]) == pytest.approx(-math.log(1e-15))  # clipped, not infinite


def test_calibration_error_over_ten_equal_width_bins() -> None:
    # bin 0: p 0.05, y 0 -> 0.05; bin 1: p 0.15, y 1 -> 0.85; bin 9 (1.0 included):
    # p 0.95 and 1.0, y 1 and 0 -> |0.5 - 0.975| over 2 rows. Weighted: (0.05 + 0.85 + 0.95) / 4
    assert calibration_error([0, 1, 1, 0], [0.05, 0.15, 0.95, 1.0]) == pytest.approx(0.4625)
    assert calibration_error([0, 1], [0.0, 1.0]) == pytest.approx(0.0)


def test_top_capture_is_the_share_of_positives_in_the_highest_scores() -> None:
    scores = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
    y = [1, 0, 1, 0, 0, 0, 0, 1, 0, 0]  # positives ranked 1st, 3rd and 8th
    assert top_capture(y, scores, 0.10) == pytest.approx(1 / 3)
    assert top_capture(y, scores, 0.20) == pytest.approx(1 / 3)
    assert top_capture(y, scores, 0.30) == pytest.approx(2 / 3)
    assert top_capture(y, scores, 1.0) == pytest.approx(1.0)
    assert top_capture(y, scores, 0.15) == pytest.approx(1 / 3)  # 1.5 rows round up to 2


def test_measure_gathers_every_measure_and_reports_missing_ones_as_null() -> None:
    m = measure([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], base_rate=0.5)
    assert (m.rows, m.positives) == (4, 2)
    assert m.auc == pytest.approx(0.75)
    assert m.base_rate_brier == pytest.approx(0.25)
    assert m.brier < m.base_rate_brier
    none = measure([0, 0], [0.1, 0.2], base_rate=0.1).as_dict()
    assert none["auc"] is None and none["top10_capture"] is None and none["positives"] == 0


def test_lengths_must_match() -> None:
    with pytest.raises(InvalidInput, match="differ in length"):
        brier([1, 0], [0.5])
    with pytest.raises(InvalidInput, match="no rows"):
        auc([], [])
