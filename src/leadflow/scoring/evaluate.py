"""Honest measures of a probability model on held-out rows.

Every measure takes the true 0/1 outcomes ``y`` and the predicted probabilities ``p`` of the
same rows. The Brier score is shown beside the Brier score of a model that knows only the base
rate (the share of positives in the training rows): a model is useful only when it beats it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from leadflow.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
_EPS = 1e-15


def _arrays(y: Any, p: Any) -> tuple[FloatArray, FloatArray]:
    ya = np.asarray(y, dtype=np.float64).ravel()
    pa = np.asarray(p, dtype=np.float64).ravel()
    if ya.shape != pa.shape:
        raise InvalidInput(f"outcomes ({ya.size}) and probabilities ({pa.size}) differ in length")
    if ya.size == 0:
        raise InvalidInput("no rows to measure")
    return ya, pa


def auc(y: Any, p: Any) -> float:
    """Area under the ROC curve: the chance that a random positive is ranked above a random
    negative (ties count half). NaN when only one class is present."""
    ya, pa = _arrays(y, p)
    if ya.min() == ya.max():
        return math.nan
    return float(roc_auc_score(ya, pa))


def brier(y: Any, p: Any) -> float:
    """Mean squared difference between probability and outcome (0 is perfect)."""
    ya, pa = _arrays(y, p)
    return float(np.mean((pa - ya) ** 2))


def base_rate_brier(y: Any, base_rate: float) -> float:
    """The Brier score of predicting ``base_rate`` for every row."""
    ya = np.asarray(y, dtype=np.float64).ravel()
    return brier(ya, np.full(ya.shape, base_rate))


def log_loss(y: Any, p: Any) -> float:
    """Mean negative log-likelihood (natural log), probabilities clipped to [1e-15, 1 - 1e-15]."""
    ya, pa = _arrays(y, p)
    pc = np.clip(pa, _EPS, 1 - _EPS)
    return float(-np.mean(ya * np.log(pc) + (1 - ya) * np.log(1 - pc)))


def calibration_error(y: Any, p: Any, bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-width probability bins: the row-weighted
    mean of |observed rate - mean predicted probability| per non-empty bin. A probability of
    exactly 1 falls in the last bin."""
    ya, pa = _arrays(y, p)
    index = np.minimum((pa * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        if count:
            total += count * abs(float(ya[mask].mean()) - float(pa[mask].mean()))
    return total / ya.size


def top_capture(y: Any, p: Any, share: float) -> float:
    """Share of all positives found among the ``share`` highest-scored rows (rounded up to whole
    rows; equal scores keep their row order). NaN when there are no positives."""
    ya, pa = _arrays(y, p)
    positives = float(ya.sum())
    if positives == 0:
        return math.nan
    k = max(1, math.ceil(share * ya.size - 1e-9))
    order = np.argsort(-pa, kind="stable")[:k]
    return float(ya[order].sum()) / positives


@dataclass(frozen=True, slots=True)
class Metrics:
    """The measures of one model on one set of rows."""

    rows: int
    positives: int
    auc: float
    brier: float
    base_rate_brier: float
    log_loss: float
    calibration_error: float
    top10_capture: float
    top20_capture: float

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values (NaN becomes None)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            out[key] = None if isinstance(value, float) and math.isnan(value) else value
        return out


def measure(y: Any, p: Any, base_rate: float) -> Metrics:
    """All measures of ``p`` against ``y``; ``base_rate`` is the training share of positives."""
    ya, pa = _arrays(y, p)
    return Metrics(
        rows=int(ya.size),
        positives=int(ya.sum()),
        auc=auc(ya, pa),
        brier=brier(ya, pa),
        base_rate_brier=base_rate_brier(ya, base_rate),
        log_loss=log_loss(ya, pa),
        calibration_error=calibration_error(ya, pa),
        top10_capture=top_capture(ya, pa, 0.10),
        top20_capture=top_capture(ya, pa, 0.20),
    )


__all__ = [
    "Metrics",
    "auc",
    "base_rate_brier",
    "brier",
    "calibration_error",
    "log_loss",
    "measure",
    "top_capture",
]
