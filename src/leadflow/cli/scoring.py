"""``leadflow scoring show|config``: a lead's transparent score, and a tenant's scoring setup."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.access import scores
from leadflow.cli import scoring_eval
from leadflow.cli.common import console, contact_runtime, print_json, runtime, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.scoring.config import (
    load_config,
    make_config,
    parse_bands,
    parse_weights,
    save_config,
)

scoring_app = typer.Typer(
    help="Lead scoring: scores with their factors, and configuration.", no_args_is_help=True
)


@scoring_app.command("show")
def show(
    contact_id: Annotated[str, typer.Argument(help="The contact's id.")],
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """A contact's score now (0-100), its band, and each factor's contribution in points."""
    with contact_runtime(db, contact_id) as (rt, scope):
        contact, score, _ = scores.score(rt.store, scope, contact_id, rt.clock.now())
    data = {"contact_id": contact.id, **score.as_dict()}
    if json_out:
        print_json(data)
        return
    console.print(f"{contact.id}: score {data['score']} ({score.band})", highlight=False)
    rows = [(f["factor"], f["component"], f["value"], f["points"]) for f in data["factors"]]
    table(None, ["factor", "component", "value", "points"], rows)


@scoring_app.command("config")
def config(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's id (slug).")],
    weights: Annotated[
        str | None,
        typer.Option(help="behavioural,demographic,engagement weights, e.g. 0.5,0.25,0.25."),
    ] = None,
    half_life_days: Annotated[
        float | None, typer.Option(help="Days after which an event counts half.")
    ] = None,
    bands: Annotated[
        str | None, typer.Option(help="Lower bounds of the bands above cold, e.g. warm=40,hot=70.")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Go back to the defaults.")] = False,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Show a tenant's scoring configuration; with options, change it (what is not given is
    kept). Weights are normalised to sum to 1."""
    with runtime(db) as rt:
        current = make_config() if reset else load_config(rt.store, tenant)
        changed = reset or weights is not None or half_life_days is not None or bands is not None
        if changed:
            current = make_config(
                parse_weights(weights) if weights is not None else current.weights,
                half_life_days if half_life_days is not None else current.half_life_days,
                parse_bands(bands) if bands is not None else dict(current.bands),
            )
            save_config(rt.store, tenant, current)
    data = {"tenant": tenant, **current.as_dict()}
    if json_out:
        print_json(data)
        return
    weights_text = ", ".join(f"{k} {v:.3g}" for k, v in current.weights.items())
    bands_text = ", ".join(f"{name} >= {lower:g}" for name, lower in current.bands)
    console.print(f"tenant {tenant}", highlight=False)
    console.print(f"weights: {weights_text}", highlight=False)
    console.print(f"half-life: {current.half_life_days:g} days", highlight=False)
    console.print(f"bands: {bands_text}", highlight=False)


# Predictive scoring (:mod:`leadflow.cli.scoring_eval`) shares the group.
scoring_app.command("evaluate")(scoring_eval.evaluate)
scoring_app.command("retrain")(scoring_eval.retrain)
scoring_app.command("predict")(scoring_eval.predict)
