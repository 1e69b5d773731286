"""Property-based tests of the whole API from its own OpenAPI document (schemathesis): for
requests generated from the schema, no answer is a 5xx, and every answer is one the document
declares, with the declared content type and body shape. (The operations are walked by hand
with Hypothesis: schemathesis' lazy pytest fixture loader does not run on pytest 9.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection
from schemathesis.specs.openapi.checks import positive_data_acceptance

from leadflow.api.app import create_app
from leadflow.engine.workflows import publish
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from support.api_client import admin_key
from support.stores import upgraded_db

ONE_TEXT: dict[str, Any] = {
    "key": "one-text",
    "name": "One text",
    "start": "hi",
    "nodes": [{"id": "hi", "kind": "send_sms", "body": "Hi {{ contact.first_name }}"}],
}

pytestmark = pytest.mark.hypothesis_heavy


@pytest.fixture
def api_schema(tmp_path: Path) -> tuple[Any, dict[str, str]]:
    url = upgraded_db(tmp_path / "api.db")
    rt = build_runtime(Settings(db=url))
    try:  # one published workflow, so the generated requests find something too
        publish(rt.store, rt.engine.catalog, ONE_TEXT, 0.0, tenant_id="acme")
    finally:
        rt.close()
    app = create_app(Settings(db=url))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # NUL characters are refused at the edge on every route (no PostgreSQL text can hold one),
    # which JSON Schema cannot say; test_hostile_input.py sends them (and lone surrogates).
    schema.config.generation.update(allow_x00=False)
    return schema, {"Authorization": f"Bearer {admin_key(url)}"}


# Operations whose well-formed bodies may still say something impossible: a workflow definition
# is checked beyond its JSON shape (its key against the path, its graph, nodes a mapping names),
# and a contact's e-mail, phone, zone, state and owner beyond their types, so a schema-valid
# request may rightly get the declared 422 naming the field.
SEMANTIC_422 = {
    "POST /api/v1/contacts",
    "POST /api/v1/keys",
    # A URL pattern ending in `$`: the generator's regex engine lets a final newline match it,
    # the validator's does not (the 422 names body.url).
    "POST /api/v1/webhooks",
    "PATCH /api/v1/webhooks/{sub_id}",
    "PATCH /api/v1/contacts/{contact_id}",
    "POST /api/v1/contacts/import",
    "POST /api/v1/contacts/{contact_id}/merge",
    "PUT /api/v1/workflows/{key}/draft",
    "POST /api/v1/workflows/{key}/publish",
    "POST /api/v1/workflows/{key}/migrate",
    # A simulated definition is checked as a published one is; a layout names node ids.
    "POST /api/v1/workflows/simulate",
    "PUT /api/v1/workflows/{key}/draft/layout",
    "PUT /api/v1/workflows/{key}/layout",
    # A sender's address must be a possible phone number, a Messaging Service SID or an e-mail.
    "POST /api/v1/tenants/current/senders",
    "DELETE /api/v1/tenants/current/senders/{kind}/{address}",
    # A deal's ContactKey and MemberKey must exist in the tenant; a report's `until` must be
    # after its `since`; a drill-down's metric must name a number of the funnel.
    # A team's lead and an agent's team must be the tenant's own; keys have a pattern.
    "PUT /api/v1/teams/{team_key}",
    "PUT /api/v1/agents/{member_key}",
    "POST /api/v1/agents/import",
    "POST /api/v1/deals",
    "POST /api/v1/deals/import",
    "GET /api/v1/analytics/funnel",
    "GET /api/v1/analytics/funnel/contacts",
    "GET /api/v1/analytics/attribution",
    "GET /api/v1/analytics/cohorts",
    "GET /api/v1/analytics/forecast",
    "GET /api/v1/analytics/insights",
    "GET /api/v1/analytics/segments",
    "GET /api/v1/analytics/agents",
    # A draft's key may be one the API reserves (drafts): the 422 names options.key's problem.
    "POST /api/v1/automation/workflow",
    # A rule's filter is a condition of the workflow language and its actions are checked by
    # kind, beyond the JSON objects the schema says (the 422 names filter / actions[i]).
    "POST /api/v1/automation/rules",
    "PUT /api/v1/automation/rules/{rule_id}",
    "POST /api/v1/automation/execute-rules",
    # Saving a rule drafted from a sentence the planner cannot turn into a valid rule is refused
    # (the 422 names the drafted rule's fields).
    "POST /api/v1/automation/rules/draft",
    # The texts are counted and each is checked (empty, white space, too long): the 422
    # names texts or texts[i], as the other front doors (the CLI, the orchestrator) say it.
    "POST /api/v1/replies/classify",
    # A campaign's end may come before its start: the 422 names end.
    "POST /api/v1/automation/smart-campaign",
    # A template's parameters are checked against its declarations; an admin key names no
    # agent, so "my" tasks are a 422 for it; a profile's zone and hours must be real.
    "POST /api/v1/templates/{name}/install",
    "GET /api/v1/tasks",
    "PUT /api/v1/agents/{member_key}/profile",
    # A batch of AI tasks: each kind's input is checked, contacts must exist in the tenant,
    # dependencies must name tasks of the batch without a cycle (the 422 names the task).
    "POST /api/v1/automation/orchestrate",
}


def test_the_api_keeps_its_openapi_promises(api_schema: tuple[Any, dict[str, str]]) -> None:
    schema, auth = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = sorted(op.label for op in operations)
    assert "GET /api/v1/workflows/{key}" in labels and "GET /readyz" in labels
    for operation in operations:
        excluded = [positive_data_acceptance] if operation.label in SEMANTIC_422 else []

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(headers=auth, excluded_checks=excluded)  # noqa: B023

        check()


def test_requests_that_break_the_schema_are_refused_never_a_5xx(
    api_schema: tuple[Any, dict[str, str]],
) -> None:
    """Negative generation: bodies, queries and path values that violate the schema. Every
    answer is one the document declares, never a 5xx. (Not checked: that each such request is
    refused -- an unknown query parameter is ignored, as HTTP APIs do.)"""
    schema, auth = api_schema
    walked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(headers=auth, excluded_checks=[negative_data_rejection])

        try:
            check()
        except Unsatisfiable:  # nothing in it can break the schema (no parameters, no body)
            continue
        walked.append(operation.label)
    assert len(walked) >= 30, walked
