"""Training, model selection and explanation of predictive lead scores.

Two candidates are trained: a logistic regression on standardised features and gradient-boosted
trees. The training rows are in time order; the last share of them validates, and the candidate
with the higher validation AUC is chosen and refitted on every training row. No row used to fit
a model for validation comes after a validation row.

Explanations stay simple and honest about their units:

* logistic regression: coefficient x standardised value, the factor's contribution to the
  log-odds against an average lead;
* boosting: how much the probability drops (or rises) when that one feature is set back to its
  typical training value (the median) with every other feature kept -- a local, one-at-a-time
  effect, not an additive decomposition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from leadflow.errors import InvalidInput
from leadflow.scoring.defaults import ALGORITHMS, MIN_POSITIVES
from leadflow.scoring.evaluate import Metrics, auc, measure

FloatArray = npt.NDArray[np.float64]


def make_model(algorithm: str) -> Any:
    """A fresh, unfitted estimator of ``algorithm`` (one of :data:`ALGORITHMS`)."""
    if algorithm == "logistic":
        return Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(max_iter=5000))])
    if algorithm == "boosting":
        return HistGradientBoostingClassifier(
            learning_rate=0.02,  # many small steps of shallow trees, as for sparse outcomes
            max_iter=300,
            max_depth=3,
            min_samples_leaf=20,
            early_stopping=False,
            random_state=0,
        )
    raise InvalidInput(f"algorithm: unknown {algorithm!r}; expected one of {list(ALGORITHMS)}")


# Lead histories are small: one OpenMP thread per fit is as fast on an idle machine and keeps a
# busy one (a worker, an API server) from stalling on spinning threads (20x slower when the
# cores are already taken). threadpoolctl comes with scikit-learn.
def fit(algorithm: str, x: FloatArray, y: FloatArray) -> Any:
    """``algorithm`` fitted on the rows."""
    model = make_model(algorithm)
    with threadpool_limits(limits=1, user_api="openmp"):
        model.fit(x, y.astype(np.int64))
    return model


def probabilities(model: Any, x: FloatArray) -> FloatArray:
    """The fitted model's probability of the positive class for each row."""
    with threadpool_limits(limits=1, user_api="openmp"):
        out: FloatArray = np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)
    return out


def ordered_split(rows: int, validation_share: float) -> tuple[slice, slice]:
    """Rows in time order cut into (fit, validate): the validation rows are the last ones."""
    if not 0 < validation_share < 1:
        raise InvalidInput("validation share must be between 0 and 1")
    cut = rows - max(1, math.ceil(rows * validation_share))
    return slice(0, cut), slice(cut, rows)


def check_positives(y: FloatArray, what: str, minimum: int = MIN_POSITIVES) -> None:
    """InvalidInput naming ``what`` when it has too few positives or negatives."""
    pos = int(y.sum())
    neg = int(y.size - pos)
    if pos < minimum or neg < minimum:
        raise InvalidInput(
            f"{what}: {pos} positive and {neg} negative rows; at least {minimum} of each are needed"
        )


@dataclass(frozen=True, slots=True)
class Choice:
    """Which candidate won on the validation rows, with every candidate's validation AUC."""

    algorithm: str
    validation_auc: dict[str, float]
    fit_rows: int
    validation_rows: int
    validation_probabilities: dict[str, FloatArray] = field(default_factory=dict, repr=False)


def choose_between(
    x_fit: FloatArray, y_fit: FloatArray, x_val: FloatArray, y_val: FloatArray
) -> Choice:
    """Fit each candidate on the fitting rows, measure AUC on the validation rows, keep the
    best (logistic regression on a tie: the simpler model)."""
    check_positives(y_fit, "training rows before the validation cut")
    check_positives(y_val, "validation rows", minimum=1)
    predicted = {name: probabilities(fit(name, x_fit, y_fit), x_val) for name in ALGORITHMS}
    scores = {name: auc(y_val, p) for name, p in predicted.items()}
    best = max(ALGORITHMS, key=lambda name: (scores[name], -ALGORITHMS.index(name)))
    return Choice(best, scores, len(y_fit), len(y_val), predicted)


def choose(x: FloatArray, y: FloatArray, validation_share: float = 0.2) -> Choice:
    """:func:`choose_between` with the last ``validation_share`` of the rows (in time order)
    validating."""
    fit_part, val_part = ordered_split(len(y), validation_share)
    return choose_between(x[fit_part], y[fit_part], x[val_part], y[val_part])


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both candidates trained on the training rows and measured on the hold-out rows."""

    choice: Choice
    base_rate: float
    holdout: dict[str, Metrics] = field(default_factory=dict)

    @property
    def chosen(self) -> Metrics:
        return self.holdout[self.choice.algorithm]


def compare(
    x_train: FloatArray,
    y_train: FloatArray,
    x_test: FloatArray,
    y_test: FloatArray,
    validation_share: float = 0.2,
) -> Comparison:
    """Choose on a time-ordered validation split of the training rows, then refit both
    candidates on all training rows and measure them on the hold-out rows."""
    check_positives(y_train, "training rows")
    choice = choose(x_train, y_train, validation_share)
    base_rate = float(y_train.mean())
    holdout = {
        name: measure(y_test, probabilities(fit(name, x_train, y_train), x_test), base_rate)
        for name in ALGORITHMS
    }
    return Comparison(choice, base_rate, holdout)


@dataclass(frozen=True, slots=True)
class Factor:
    """One feature's part in a score: its value and its contribution (log-odds for logistic
    regression, probability for boosting; see the module docstring)."""

    feature: str
    value: float
    contribution: float

    def as_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "value": self.value, "contribution": self.contribution}


def explain(
    model: Any,
    algorithm: str,
    row: FloatArray,
    reference: FloatArray,
    feature_names: list[str],
    top: int = 5,
) -> list[Factor]:
    """The ``top`` features with the largest absolute contribution to this row's score."""
    row = np.asarray(row, dtype=np.float64).ravel()
    if algorithm == "logistic":
        scale: StandardScaler = model.named_steps["scale"]
        coef = np.asarray(model.named_steps["model"].coef_, dtype=np.float64).ravel()
        std = np.where(scale.scale_ == 0, 1.0, scale.scale_)
        contributions = coef * (row - scale.mean_) / std
    else:
        base = probabilities(model, row.reshape(1, -1))[0]
        variants = np.repeat(row.reshape(1, -1), row.size, axis=0)
        variants[np.arange(row.size), np.arange(row.size)] = reference
        contributions = base - probabilities(model, variants)
    order = np.argsort(-np.abs(contributions), kind="stable")[:top]
    return [
        Factor(feature_names[i], float(row[i]), float(contributions[i]))
        for i in order
        if contributions[i] != 0
    ]


__all__ = [
    "ALGORITHMS",
    "Choice",
    "Comparison",
    "Factor",
    "check_positives",
    "choose",
    "choose_between",
    "compare",
    "explain",
    "fit",
    "make_model",
    "ordered_split",
    "probabilities",
]
