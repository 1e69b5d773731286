"""``leadflow replies classify TEXT...``: the intent of reply texts, as inbound replies get it."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.cli.common import print_json, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption

app = typer.Typer(
    help="Reply intent: read reply texts as inbound replies are read.", no_args_is_help=True
)
TenantOpt = Annotated[
    str, typer.Option("--tenant", envvar="LEADFLOW_TENANT", help="The tenant whose model calls.")
]


@app.callback()
def replies() -> None:
    """Reply intent: read reply texts as inbound replies are read."""


@app.command("classify")
def classify_cmd(
    texts: Annotated[list[str], typer.Argument(help="The reply texts (each one argument).")],
    tenant: TenantOpt = "default",
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Each text's intent, confidence and source (rules, llm or model). With a model server
    configured (LEADFLOW_LLM_BASE_URL) it is asked first and its calls are recorded in the
    database; without one, no database is needed."""
    from leadflow.access import replies as service
    from leadflow.access.scope import operator
    from leadflow.settings import Settings

    settings = Settings(db=db)
    if settings.llm_base_url:
        from leadflow.cli.common import runtime

        with runtime(db) as rt:
            found = service.classify(rt, operator(tenant), texts)
    else:
        from leadflow.replies.intent import IntentReader

        found = IntentReader().read(service.check_texts(texts), tenant)
    rows = [r.as_dict() for r in found]
    if json_out:
        print_json(rows)
        return
    table(
        "reply intent",
        ["text", "intent", "confidence", "source"],
        [[r["text"], r["intent"], f"{r['confidence']:.2f}", r["source"]] for r in rows],
    )
