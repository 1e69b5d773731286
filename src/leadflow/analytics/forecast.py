"""Weekly forecasts: new leads, appointments and closed deals for the next weeks, with 80 % and
95 % prediction intervals from an exponential-smoothing state-space model (statsmodels
``ETSModel``: additive errors, damped additive trend), each beside its backtest: the same
model fitted without the last ``holdout`` weeks and scored on them (mean absolute error, and
how many held-out weeks fell inside the 80 % and 95 % intervals). Below ``MIN_WEEKS`` of
history nothing is drawn: the answer says how many weeks there are and how many it needs.

The intervals: ETS's own intervals count only the future innovations, taking the five fitted
parameters (three smoothing weights, the initial level and trend) and the error variance as
known; on 12-52 weekly points that left them narrow (95 % intervals held 85.6 % of held-out
weeks). So the model is fitted to the square roots of the counts (which steadies the variance
of Poisson-like counts, large or small, and keeps the bands above zero and wider above the line
than below), its forecast variance is scaled by ``n / (n - k)`` for the ``k`` parameters
estimated from ``n`` weeks, and the bands use Student's t quantiles with ``n - k`` degrees of
freedom: the usual small-sample allowance for estimated parameters. The bands are squared back
to counts; the point forecast is the back-transformed mean (``centre**2 + variance``).
Measured coverage, tuning and held-out: docs/benchmarks.md, "Forecast interval coverage".

statsmodels, numpy and pandas are imported inside the functions that fit, never when the CLI
starts."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from leadflow.analytics.cohorts import cohort_of
from leadflow.clock import day_start
from leadflow.errors import InvalidInput
from leadflow.model.deals import DealFilter
from leadflow.model.records import ContactFilter, Scope
from leadflow.store.contract import Store

WEEK = 7 * 86400.0
MIN_WEEKS = 16
SERIES = ("leads", "appointments", "deals")
LEAD_EVENT = "lead.created"
APPOINTMENT_EVENT = "appointment.booked"


def week_start(at: float) -> float:
    """The Monday 00:00 UTC of the week holding ``at``."""
    return day_start(dt.date.fromisoformat(cohort_of(at, "week")))


def weekly_counts(times: Iterable[float], end: float, weeks: int) -> list[int]:
    """Counts per week for the ``weeks`` whole weeks before ``end`` (a Monday), oldest first."""
    start = end - weeks * WEEK
    counts = [0] * weeks
    for t in times:
        if start <= t < end:
            counts[int((t - start) // WEEK)] += 1
    return counts


def _fit(history: Sequence[float], horizon: int) -> list[dict[str, float]]:
    """The model on the square roots of the counts; its prediction intervals widened for the
    parameters it estimated (see the module doc), then squared back to counts."""
    import numpy as np
    import pandas as pd
    from scipy.stats import t as student_t
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = pd.Series(np.sqrt([max(0.0, float(v)) for v in history]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short, flat series
        fitted = ETSModel(y, error="add", trend="add", damped_trend=True).fit(disp=False)
        pred = fitted.get_prediction(start=len(y), end=len(y) + horizon - 1)
        centre = np.asarray(pred.predicted_mean, dtype=float)
        variance = np.asarray(pred.forecast_variance, dtype=float)
    n = len(y)
    df = max(1, n - len(fitted.params) - 1)  # the smoothing and initial states, and sigma
    sd = np.sqrt(np.maximum(variance, 0.0) * n / df)
    out = []
    for i in range(horizon):
        row = {"mean": float(max(0.0, centre[i]) ** 2 + sd[i] ** 2)}
        for level, tail in (("80", 0.90), ("95", 0.975)):
            half = float(student_t.ppf(tail, df)) * sd[i]
            row[f"lo{level}"] = max(0.0, centre[i] - half) ** 2
            row[f"hi{level}"] = max(0.0, centre[i] + half) ** 2
        out.append({k: float(v) for k, v in row.items()})
    return out


def forecast_series(counts: Sequence[int], horizon: int = 8, holdout: int = 4) -> dict[str, Any]:
    """Forecast ``horizon`` weeks after ``counts`` with its backtest on the last ``holdout``."""
    if len(counts) < MIN_WEEKS:
        return {
            "status": "insufficient_history",
            "weeks": len(counts),
            "needed": MIN_WEEKS,
            "message": f"{len(counts)} weeks of history; a forecast needs {MIN_WEEKS}",
        }
    train, held = counts[:-holdout], counts[-holdout:]
    back = _fit(train, holdout)
    errors = [abs(b["mean"] - h) for b, h in zip(back, held, strict=True)]

    def rnd(row: dict[str, float]) -> dict[str, float]:
        return {k: round(v, 2) for k, v in row.items()}

    return {
        "status": "ok",
        "history": list(counts),
        "forecast": [rnd(r) for r in _fit(counts, horizon)],
        "backtest": {
            "weeks": holdout,
            "actual": list(held),
            "predicted": [rnd(b) for b in back],
            "mae": round(sum(errors) / holdout, 3),
            "coverage80": sum(b["lo80"] <= h <= b["hi80"] for b, h in zip(back, held, strict=True))
            / holdout,
            "coverage95": sum(b["lo95"] <= h <= b["hi95"] for b, h in zip(back, held, strict=True))
            / holdout,
        },
    }


def _lead_times(store: Store, scope: Scope) -> tuple[list[float], list[float]]:
    contacts, after = [], None
    while True:
        page = store.find_contacts(ContactFilter(scope=scope, after_id=after, limit=1000))
        contacts += page
        if len(page) < 1000:
            break
        after = page[-1].id
    ids = {c.id for c in contacts}
    created: dict[str, float] = {}
    booked: list[float] = []
    for e in store.contact_events(ids, (LEAD_EVENT, APPOINTMENT_EVENT), 0.0):
        if e.type == LEAD_EVENT and e.contact_id:
            created[e.contact_id] = min(e.occurred_at, created.get(e.contact_id, e.occurred_at))
        elif e.type == APPOINTMENT_EVENT:
            booked.append(e.occurred_at)
    leads = [created.get(c.id, c.created_at) for c in contacts]
    return leads, booked


def forecasts(
    store: Store,
    scope: Scope,
    now: float,
    *,
    history_weeks: int = 52,
    horizon: int = 8,
    holdout: int = 4,
) -> dict[str, Any]:
    """The three weekly series of ``scope`` (whole weeks up to the one holding ``now``), each
    forecast with its backtest, or the reason it is not."""
    if not 4 <= horizon <= 26 or not 2 <= holdout <= 12 or not 16 <= history_weeks <= 520:
        raise InvalidInput("horizon 4..26, holdout 2..12, history_weeks 16..520")
    end = week_start(now)
    leads, booked = _lead_times(store, scope)
    deals = store.list_deals(DealFilter(scope.tenant_id, agents=scope.owners, limit=1 << 62))
    times = {"leads": leads, "appointments": booked, "deals": [d.closed_at for d in deals]}
    first = min((t for ts in times.values() for t in ts if t < end), default=None)
    weeks = 0 if first is None else min(history_weeks, int((end - week_start(first)) // WEEK))
    start = end - weeks * WEEK
    out: dict[str, Any] = {
        "weeks_from": dt.datetime.fromtimestamp(start, dt.UTC).date().isoformat(),
        "horizon": horizon,
        "series": {},
    }
    for name in SERIES:
        counts = weekly_counts(times[name], end, weeks)
        out["series"][name] = forecast_series(counts, horizon, holdout)
    return out


__all__ = ["MIN_WEEKS", "SERIES", "forecast_series", "forecasts", "week_start", "weekly_counts"]
