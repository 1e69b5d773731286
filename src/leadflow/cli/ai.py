"""``leadflow ai workflow "..." [--save] [--json]``: a workflow drafted from a sentence (by the
configured model, or the offline planner), validated, simulated and explained; saved as a draft
with ``--save``, never published. ``leadflow ai calls``: the tenant's model calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadflow.access import automation as service
from leadflow.cli.ai_orchestrate import app as orchestrate_app
from leadflow.cli.common import console, fail, print_answer, print_dicts, record_json, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption, TenantOption
from leadflow.model.records import DEFAULT_TENANT

if TYPE_CHECKING:
    from leadflow.runtime import Runtime
    from leadflow.tenancy.accounts import Principal

app = typer.Typer(
    help="AI drafting: workflows from a sentence, never published.", no_args_is_help=True
)
app.add_typer(orchestrate_app, name="orchestrate")  # batches of AI tasks run by the workers


@app.command("workflow")
def workflow(
    prompt: Annotated[str, typer.Argument(help="What the workflow should do, in plain words.")],
    save: Annotated[
        bool, typer.Option("--save", help="Save the result as a workflow draft.")
    ] = False,
    key: Annotated[str | None, typer.Option("--key", help="Key of the draft.")] = None,
    samples: Annotated[int, typer.Option("--samples", help="1, or 3 to measure agreement.")] = 1,
    simulate: Annotated[bool, typer.Option("--simulate/--no-simulate")] = True,
    leads: Annotated[int, typer.Option(min=1, max=500)] = 50,
    days: Annotated[float, typer.Option(min=1, max=60)] = 14,
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """Draft a workflow from PROMPT: the draft (YAML), its validation, a simulation over
    synthetic leads, the confidence and its parts, a sentence per node, and warnings."""
    options = service.DraftOptions(key, save, samples, simulate, leads, days)
    out = print_answer(
        db,
        tenant,
        lambda rt, who: service.draft_workflow(rt, who, prompt, options, rt.clock.now()),
        json_out,
        _show,
    )
    if out["workflow"] is None:
        raise typer.Exit(1)


def _show(out: dict[str, Any]) -> None:
    if out["workflow"] is None:
        raise fail("no draft: " + "; ".join(out["validation"]["errors"]))
    console.print(
        f"# drafted by the {out['source']}" + (f" ({out['model']})" if out["model"] else ""),
        markup=False,
    )
    console.print(out["yaml"], markup=False, highlight=False)
    conf = out["confidence"]
    parts = ", ".join(f"{k} {v:.2f}" for k, v in conf["parts"].items())
    console.print(f"confidence {conf['value']:.2f} ({parts})", markup=False)
    for item in out["explanations"]:
        console.print(f"  {item['node']}: {item['text']}", markup=False, highlight=False)
    sim = out["simulation"]
    if sim:
        table(
            f"simulation: {sim['leads']} synthetic leads, {sim['virtual_days']:g} virtual days",
            ["node", "kind", "entered", "sent", "replied", "exited"],
            [
                [n["node"], n["kind"], n["entered"], n["sent"], n["replied"], n["exited"]]
                for n in sim["nodes"]
            ],
        )
        console.print(f"deferred for quiet hours: {sim['deferred_for_quiet_hours']}", markup=False)
    for warning in out["warnings"]:
        console.print(f"warning: {warning}", markup=False, highlight=False)
    if out["saved"]:
        console.print(
            f"saved as the draft of {out['saved']['key']!r} (not published)", markup=False
        )


@app.command("calls")
def calls(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """The tenant's model calls, newest first, and its tokens used this month."""
    print_answer(db, tenant, lambda rt, who: _calls(rt, who, limit), json_out, _show_calls)


CALL_FIELDS = "at purpose model tokens_in tokens_out latency_ms cache_hit outcome mode"


def _calls(rt: Runtime, who: Principal, limit: int) -> dict[str, Any]:
    found, used = service.list_calls(rt, who, None, limit)
    rows = [record_json(c, CALL_FIELDS) for c in found]
    return {"items": rows, "tokens_used_this_month": used}


def _show_calls(out: dict[str, Any]) -> None:
    rows = out["items"]
    print_dicts(rows, False, "model calls", empty="at")
    console.print(f"tokens used this month: {out['tokens_used_this_month']}", markup=False)


@app.command("campaign")
def campaign(
    goal: Annotated[str, typer.Argument(help="The campaign's goal, e.g. 'book more showings'.")],
    audience: Annotated[str, typer.Option(help="Who, in words: 'hot leads in Texas'.")] = "",
    channels: Annotated[str, typer.Option(help="Comma-separated: sms,email,voice.")] = "sms,email",
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    budget: Annotated[int | None, typer.Option(min=0, help="Messages at most.")] = None,
    save: Annotated[bool, typer.Option("--save", help="Save each segment's draft.")] = False,
    simulate: Annotated[bool, typer.Option("--simulate/--no-simulate")] = True,
    clusters: Annotated[
        str,
        typer.Option(
            help="k-means clusters of each segment (each with its condition and draft): "
            "off, auto (k by silhouette) or k."
        ),
    ] = "off",
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """Draft a campaign: segments, a channel plan and a workflow draft (with an experiment on
    the goal) per segment, the budget shared out, predicted replies / appointments / opt-outs."""
    from datetime import date

    from leadflow.access.campaigns import smart_campaign
    from leadflow.errors import InvalidInput

    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise InvalidInput(f"--start/--end: {exc}") from None
    wanted = [c.strip() for c in channels.split(",") if c.strip()]
    how: bool | int = {"off": False, "auto": True}.get(clusters.strip().lower(), False)
    if clusters.strip().lower() not in ("off", "auto"):
        if not clusters.strip().isdigit():
            raise InvalidInput(f"--clusters: off, auto or a number of clusters, got {clusters!r}")
        how = int(clusters)
    print_answer(
        db,
        tenant,
        lambda rt, who: smart_campaign(
            rt,
            who,
            goal,
            audience,
            wanted,
            first,
            last,
            budget,
            save=save,
            simulate=simulate,
            clusters=how,
            now=rt.clock.now(),
        ),
        json_out,
        _show_campaign,
    )


def _campaign_row(name: str, seg: dict[str, Any]) -> list[Any]:
    pred = seg["prediction"] or {}
    replies = pred.get("replies", {})
    appts = pred.get("appointments", {})
    return [
        name,
        seg["contacts"],
        seg["reach"],
        "+".join(seg["channels"]),
        seg["messages"],
        f"{replies.get('expected', '-')} {replies.get('interval_95', '')}",
        f"{appts.get('expected', '-')} {appts.get('interval_95', '')}",
        (seg["saved"] or {}).get("key", ""),
    ]


def _show_campaign(out: dict[str, Any]) -> None:
    rows = []
    for seg in out["segments"]:
        rows.append(_campaign_row(seg["name"], seg))
        for cl in (seg.get("clusters") or {}).get("clusters", []):
            if cl.get("segment"):
                rows.append(_campaign_row(f"  {cl['name']}", cl["segment"]))
    table(
        f"campaign: {out['goal']}",
        [
            "segment",
            "contacts",
            "reach",
            "channels",
            "messages",
            "replies",
            "appointments",
            "draft",
        ],
        rows,
    )
    for seg in out["segments"]:
        found = seg.get("clusters")
        if found is None:
            continue
        if found.get("skipped"):
            console.print(f"{seg['name']}: no clusters ({found['skipped']})", markup=False)
        for cl in found["clusters"]:
            console.print(
                f"{seg['name']} / {cl['name']} ({cl['contacts']} contacts): {cl['description']}",
                markup=False,
                highlight=False,
            )
            rule = cl.get("rule") or {}
            if rule.get("condition"):
                console.print(
                    f"  when {rule['said']} (precision {rule['precision']:.0%}, "
                    f"recall {rule['recall']:.0%})",
                    markup=False,
                    highlight=False,
                )
    for warning in out["warnings"]:
        console.print(f"warning: {warning}", markup=False, highlight=False)
