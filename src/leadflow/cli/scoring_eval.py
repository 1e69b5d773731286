"""``leadflow scoring evaluate`` (a labelled CSV), ``leadflow scoring retrain`` (a tenant's own
history) and ``leadflow scoring predict`` (one contact, explained): the predictive score
measured honestly, kept up to date and shown."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadflow.cli.common import console, print_json, runtime, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.errors import InvalidInput
from leadflow.scoring.defaults import (
    ALGORITHMS,
    DEFAULT_GOAL,
    DEFAULT_HORIZON_DAYS,
    MIN_POSITIVES,
)

if TYPE_CHECKING:
    from leadflow.scoring.evaluate import Metrics

scoring_eval_app = typer.Typer(
    help="Predictive lead scores: evaluate on a CSV, retrain on a tenant's history, predict.",
    no_args_is_help=True,
)

_ROWS = (
    ("AUC", "auc"),
    ("Brier", "brier"),
    ("Brier (base rate)", "base_rate_brier"),
    ("Log-loss", "log_loss"),
    ("Calibration error (10 bins)", "calibration_error"),
    ("Positives in top 10%", "top10_capture"),
    ("Positives in top 20%", "top20_capture"),
)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def evaluate(
    csv_path: Annotated[Path, typer.Option("--csv", help="Labelled rows, in time order.")],
    target: Annotated[str, typer.Option("--target", help="The 0/1 (yes/no) outcome column.")],
    holdout_first: Annotated[
        int | None,
        typer.Option("--holdout-first", help="Hold out the FIRST N rows; train on the rest."),
    ] = None,
    holdout_frac: Annotated[
        float | None,
        typer.Option(
            "--holdout-frac",
            help="Hold out the LAST share F of rows (default 0.2); train on the rest.",
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Train logistic regression and gradient boosting on the training rows, choose by AUC on
    the later 20% of them, and measure on the hold-out rows."""
    from leadflow.scoring.dataset import holdout_rows, load_csv  # numpy, scikit-learn: here only
    from leadflow.scoring.predictive import compare

    data = load_csv(csv_path, target)
    held = holdout_rows(len(data.y), holdout_first, holdout_frac)
    train_y = data.y[~held]
    positives = int(train_y.sum())
    if min(positives, train_y.size - positives) < MIN_POSITIVES * 2:
        raise InvalidInput(
            f"--target: column {target!r} has {positives} positive and "
            f"{train_y.size - positives} negative values among the {train_y.size} training rows; "
            f"at least {MIN_POSITIVES * 2} of each are needed to train and validate"
        )
    comparison = compare(data.x[~held], data.y[~held], data.x[held], data.y[held])
    choice = comparison.choice
    if json_out:
        print_json(
            {
                "rows": {"training": int((~held).sum()), "holdout": int(held.sum())},
                "features": len(data.feature_names),
                "base_rate": comparison.base_rate,
                "chosen": choice.algorithm,
                "validation_auc": {k: _json_float(v) for k, v in choice.validation_auc.items()},
                "models": {name: comparison.holdout[name].as_dict() for name in ALGORITHMS},
            }
        )
        return
    chosen: Metrics = comparison.chosen
    console.print(
        f"trained on {int((~held).sum())} rows, held out {int(held.sum())} "
        f"({chosen.positives} positive); {len(data.feature_names)} features"
    )
    console.print(
        "validation AUC: "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in choice.validation_auc.items())
        + f" -> chosen: {choice.algorithm}"
    )
    table(
        f"Hold-out ({choice.algorithm})",
        ["measure", "value"],
        [(label, _fmt(getattr(chosen, key))) for label, key in _ROWS],
    )


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


def retrain(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant whose history trains.")],
    goal: Annotated[
        str, typer.Option("--goal", help="The event type that counts as success.")
    ] = DEFAULT_GOAL,
    horizon_days: Annotated[
        int,
        typer.Option("--horizon-days", help="Days after a cutoff within which the goal counts."),
    ] = DEFAULT_HORIZON_DAYS,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Train on the tenant's contacts and events (split by time) and store a new model version."""
    with runtime(db) as rt:
        from leadflow.scoring.training import retrain_tenant

        stored = retrain_tenant(
            rt.store, tenant, rt.clock.now(), goal=goal, horizon_days=horizon_days
        )
    if json_out:
        print_json(stored.summary())
        return
    console.print(
        f"tenant {tenant}: model version {stored.version} ({stored.algorithm}) stored; "
        f"validation AUC {_fmt(_nan(stored.metrics['validation']['auc']))}"
    )


def predict(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant whose model scores.")],
    contact: Annotated[str, typer.Option("--contact", help="The contact id to score.")],
    top: Annotated[int, typer.Option("--top", help="How many factors to show.", min=1)] = 5,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """The contact's probability of the goal within the horizon, by the tenant's latest model,
    with the factors that moved it most."""
    with runtime(db) as rt:
        from leadflow.scoring.training import score_contact

        scored = score_contact(rt.store, tenant, contact, rt.clock.now(), top=top)
    if json_out:
        print_json(scored.as_dict())
        return
    console.print(
        f"{contact}: {scored.probability:.1%} chance of {scored.goal} within "
        f"{scored.horizon_days} days (model version {scored.version}, {scored.algorithm})"
    )
    unit = "log-odds" if scored.algorithm == "logistic" else "probability"
    table(
        f"Top factors ({unit})",
        ["feature", "value", "contribution"],
        [(f.feature, _fmt(f.value), f"{f.contribution:+.4f}") for f in scored.factors],
    )


scoring_eval_app.command("evaluate")(evaluate)
scoring_eval_app.command("retrain")(retrain)
scoring_eval_app.command("predict")(predict)

__all__ = ["evaluate", "predict", "retrain", "scoring_eval_app"]
