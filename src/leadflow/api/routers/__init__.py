"""One router module per resource; :func:`include_v1` puts the resources under ``/api/v1``."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from leadflow.api.deps import get_access
from leadflow.api.problems import problem_responses
from leadflow.api.routers import (
    agent_profiles,
    analytics,
    automation,
    automation_orchestrate,
    automation_rules,
    contact_summary,
    contacts,
    deals,
    erasure,
    events,
    experiments,
    inbound_email,
    integrations,
    keys,
    lead_insight,
    listings,
    meta_pages,
    replies,
    run_rewind,
    runs,
    schema,
    scores,
    senders,
    tasks,
    templates,
    tenancy,
    webhooks,
    workflows,
)

API_V1 = "/api/v1"


# Routes are matched in this order, so the busiest (event ingest) comes first; no two
# resources share a path, so the order changes nothing else (the OpenAPI paths' order only).
RESOURCES = (
    events,
    contacts,
    scores,
    lead_insight,
    run_rewind,  # before runs: its path would match /runs/{run_id}/{action}
    runs,
    workflows,
    webhooks,
    listings,
    keys,
    experiments,
    senders,
    deals,
    analytics,
    automation,
    templates,
    tasks,
    agent_profiles,
    replies,
    inbound_email,
    contact_summary,
    meta_pages,
    tenancy,
    automation_orchestrate,
    integrations,
    automation_rules,
    erasure,
    schema,
)


def include_v1(app: FastAPI) -> None:
    """Every resource router under ``/api/v1``, each included on the app itself (one level of
    routing per request rather than nested routers), all behind the API key and with their
    errors documented as problem+json."""
    for module in RESOURCES:
        app.include_router(
            module.router,
            prefix=API_V1,
            responses=problem_responses(400, 401, 422, 429, 500),
            dependencies=[Depends(get_access)],
        )
