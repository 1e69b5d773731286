"""``leadflow experiments list|report|review|apply|stop``: a tenant's experiments (split nodes
with an ``experiment`` block), the numbers behind each decision, and deciding by hand."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any, TypeVar

import typer

from leadflow.access import experiments as service
from leadflow.access.experiments import mode_of
from leadflow.access.scope import operator
from leadflow.cli.common import console, missing_as, print_json, runtime, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption, TenantOption
from leadflow.clock import to_iso
from leadflow.errors import InvalidInput
from leadflow.experiments.report import ExperimentReport, GuardrailReport, decision_dict
from leadflow.experiments.stats import Analysis
from leadflow.model.experiments import Experiment, ExperimentDecision
from leadflow.model.records import DEFAULT_TENANT
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

app = typer.Typer(
    help="Experiments: the numbers behind each split's decisions; review, apply, stop.",
    no_args_is_help=True,
)
KeyArg = Annotated[str, typer.Argument(help="The experiment's key (see `experiments list`).")]
T = TypeVar("T")
SRM_ALARM = 0.001  # below this the split itself is broken and nothing is decided


def _missing(tenant: str, key: str) -> AbstractContextManager[None]:
    return missing_as(f"KEY: tenant {tenant!r} has no experiment {key!r}")


def _keyed(
    name: str, act: Callable[[Store, Principal, str, float], T]
) -> Callable[[Callable[[T, bool], None]], Callable[[T, bool], None]]:
    """Register the decorated ``show(found, json_out)`` as ``experiments NAME KEY [--db]
    [--tenant] [--json]`` (its docstring the help): ``found`` is what ``act`` gives for the
    tenant's experiment KEY now; a KEY the tenant does not have is said to be missing."""

    def register(show: Callable[[T, bool], None]) -> Callable[[T, bool], None]:
        def command(
            key: KeyArg,
            db: DbOption = DEFAULT,
            tenant: TenantOption = DEFAULT_TENANT,
            json_out: JsonOption = False,
        ) -> None:
            with runtime(db) as rt, _missing(tenant, key):
                found = act(rt.store, operator(tenant), key, rt.clock.now())
            show(found, json_out)

        command.__name__ = command.__qualname__ = show.__name__
        command.__doc__ = show.__doc__
        app.command(name)(command)
        return show

    return register


# ------------------------------------------------------------------ formatting


def pct(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def effect_text(analysis: Analysis | None) -> str:
    """``+12.0% [+1.5%, +23.9%]`` (a relative lift), ``+0.4 pp [-1.4, +2.1]`` (a difference of
    rates, as guardrails are judged); ``-`` for the control."""
    if analysis is None:
        return "-"
    if analysis.error is not None or analysis.effect is None:
        return f"n/a ({(analysis.error or 'no answer').split(':')[0]})"
    if analysis.difference == "absolute":  # a difference of rates: percentage points
        low, high = analysis.ci_low or 0.0, analysis.ci_high or 0.0
        return f"{analysis.effect * 100:+.1f} pp [{low * 100:+.1f}, {high * 100:+.1f}]"
    interval = f"[{pct(analysis.ci_low, signed=True)}, {pct(analysis.ci_high, signed=True)}]"
    return f"{pct(analysis.effect, signed=True)} {interval}"


def evidence_text(analysis: Analysis | None) -> str:
    """The p-value, or (Bayesian) the chance to beat the control and the risk."""
    if analysis is None or analysis.error is not None:
        return "-"
    if analysis.chance_to_win is not None:
        risk = "-" if analysis.risk is None else f"{analysis.risk:.2%}"
        return f"P(win) {analysis.chance_to_win:.1%}, risk {risk}"
    return "-" if analysis.p_value is None else f"p = {analysis.p_value:.4g}"


def guard_evidence(guard: GuardrailReport) -> str:
    """A guardrail's p-value, or the exact test's when the analysis has no answer."""
    if guard.exact_p_value is not None:
        return f"exact p = {guard.exact_p_value:.4g}"
    return evidence_text(guard.analysis)


def weights_text(weights: dict[str, float]) -> str:
    return ", ".join(f"{arm} {w:.2f}" for arm, w in weights.items())


def _decision_dict(decision: ExperimentDecision) -> dict[str, Any]:
    return decision_dict(decision) | {"decided_at": to_iso(decision.decided_at)}


def report_json(report: ExperimentReport) -> dict[str, Any]:
    """The whole report (each decision with its numbers), times in ISO 8601 like every other
    command's JSON."""
    data = report.as_dict()
    data["next_review_at"] = to_iso(data["next_review_at"])
    data["computed_at"] = to_iso(data["computed_at"])
    data["srm"]["since"] = to_iso(data["srm"]["since"])
    data["decisions"] = [_decision_dict(d) for d in report.decisions]
    return data


def print_decision(decision: ExperimentDecision) -> None:
    console.print(
        f"{to_iso(decision.decided_at)} {decision.action}: {decision.reason}", highlight=False
    )
    console.print(
        f"weights {weights_text(decision.weights_before)} -> "
        f"{weights_text(decision.weights_after)}",
        highlight=False,
    )
    if decision.winner:
        console.print(f"winner: {decision.winner}", highlight=False)


def print_report(report: ExperimentReport) -> None:
    exp, spec = report.experiment, report.spec
    console.print(
        f"experiment {exp.key} (workflow {exp.workflow_key}, node {exp.node_id}): {exp.status}"
        + (f", winner {exp.winner}" if exp.winner else ""),
        highlight=False,
    )
    rule = {
        "auto_apply": f", min conversions {spec.min_conversions}",
        "bandit": f", leader's share {spec.bandit_beta:g}, floor {spec.weight_floor:g}",
    }.get(spec.decide, "")
    console.print(
        f"metric {spec.metric.label()} within {spec.metric.within}; method {spec.method}, "
        f"alpha {spec.alpha:g}; decide {spec.decide}, min sample {spec.min_sample}{rule}; "
        f"control {report.control}",
        highlight=False,
    )
    rows = [
        (
            arm.name + (" (holdout)" if arm.holdout else ""),
            f"{arm.weight:.2f} / {arm.planned_weight:.2f}",
            arm.n,
            arm.conversions,
            pct(arm.rate),
            effect_text(arm.analysis),
            evidence_text(arm.analysis),
            "*" if arm.analysis is not None and arm.analysis.significant else "",
        )
        for arm in report.arms
    ]
    columns = ["arm", "weight now / planned", "contacts", "conversions", "rate"]
    columns += ["effect vs control (interval)", "evidence", "significant"]
    table("arms", columns, rows)
    guards = [
        (
            arm.name,
            g.name,
            g.conversions,
            pct(g.rate),
            effect_text(g.analysis),
            guard_evidence(g),
            "FAILED" if g.failed else "",
        )
        for arm in report.arms
        for g in arm.guardrails
    ]
    if guards:
        columns = ["arm", "guardrail", "count", "rate", "difference", "evidence", "failed"]
        table("guardrails", columns, guards)
    _print_checks(report)
    history = [
        (
            to_iso(d.decided_at),
            d.action,
            d.reason,
            f"{weights_text(d.weights_before)} -> {weights_text(d.weights_after)}",
            d.winner,
        )
        for d in report.decisions
    ]
    if history:
        table(
            "decisions", ["when", "action", "reason", "weights before -> after", "winner"], history
        )
    else:
        console.print("no decisions yet", highlight=False)


def _print_checks(report: ExperimentReport) -> None:
    if report.srm_p_value is None:
        console.print("sample ratio: not checked (applied, stopped or one arm)", highlight=False)
    elif report.srm_p_value < SRM_ALARM:
        console.print(
            f"[red]sample ratio mismatch[/red]: p = {report.srm_p_value:.3g} < {SRM_ALARM} "
            "(the split does not follow its weights; decisions are blocked)",
            highlight=False,
        )
    else:
        console.print(f"sample ratio: p = {report.srm_p_value:.3g} (ok)", highlight=False)
    holdout = report.holdout
    if holdout is not None:
        console.print(
            f"holdout ({holdout.arm}): treated {pct(holdout.treated_rate)} "
            f"({holdout.treated_conversions}/{holdout.treated_n}) vs holdout "
            f"{pct(holdout.holdout_rate)} ({holdout.holdout_conversions}/{holdout.holdout_n}): "
            f"{effect_text(holdout.analysis)}, {evidence_text(holdout.analysis)}",
            highlight=False,
        )


# ------------------------------------------------------------------ commands


@app.command("list")
def list_(
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """The tenant's experiments: mode, status, winner, contacts so far, next review."""
    with runtime(db) as rt:
        found = service.listed(rt.store, operator(tenant))
    rows = [
        summary | {"next_review_at": to_iso(summary["next_review_at"])}
        for summary in (service.summary_of(e, contacts) for e, contacts in found)
    ]
    if json_out:
        print_json(rows)
        return
    columns = ["key", "workflow", "node", "mode", "method", "status", "winner", "contacts"]
    table(
        None,
        [*columns, "next review"],
        [
            (
                r["key"],
                r["workflow_key"],
                r["node_id"],
                r["decide"],
                r["method"],
                r["status"],
                r["winner"],
                r["contacts"],
                r["next_review_at"],
            )
            for r in rows
        ],
    )


@_keyed("report", service.report)
def report(built: ExperimentReport, json_out: bool) -> None:
    """Per arm: weight, contacts, conversions, rate, effect vs control with its interval,
    p-value (or chance to win and risk); guardrails; the sample-ratio check; the holdout;
    and every decision taken (with --json, each with the numbers it was taken on)."""
    if json_out:
        print_json(report_json(built))
        return
    print_report(built)


@_keyed("review", service.review)
def review(found: tuple[Experiment, ExperimentDecision | None], json_out: bool) -> None:
    """Review now, whatever the next review time says, and print the decision."""
    experiment, decision = found
    if json_out:
        print_json({"decision": None if decision is None else _decision_dict(decision)})
    elif decision is None:
        if mode_of(experiment)[0] == "manual":
            why = "it decides manually (use `experiments apply` or `stop`)"
        elif experiment.status != "running":
            why = f"it is {experiment.status}"
        else:
            why = "another reviewer decided first"
        console.print(f"no decision: {why}", highlight=False)
    else:
        print_decision(decision)


def _show_decision(decision: ExperimentDecision, json_out: bool) -> None:
    if json_out:
        print_json(_decision_dict(decision))
    else:
        print_decision(decision)


@app.command("apply")
def apply(
    key: KeyArg,
    arm: Annotated[str, typer.Argument(help="The arm every new entrant gets from now on.")],
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """Roll an arm out by hand: every new entrant gets it (assigned contacts keep theirs)."""
    with runtime(db) as rt, _missing(tenant, key):
        try:
            decision = service.apply(rt.store, operator(tenant), key, arm, rt.clock.now())
        except ValueError as exc:
            raise InvalidInput(f"ARM: {str(exc).removeprefix('arm: ')}") from exc
    _show_decision(decision, json_out)


def _stop(store: Store, principal: Principal, key: str, now: float) -> ExperimentDecision:
    try:
        return service.stop(store, principal, key, now)
    except ValueError as exc:
        raise InvalidInput(f"KEY: {exc}") from exc


@_keyed("stop", _stop)
def stop(decision: ExperimentDecision, json_out: bool) -> None:
    """Stop deciding: the weights stay as they are and no review changes them."""
    _show_decision(decision, json_out)
