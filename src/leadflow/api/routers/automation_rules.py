"""``/api/v1/automation/rules``: automation rules ("when an event [with a filter] then
actions") and ``/api/v1/automation/execute-rules``: their impact as a dry run, or a real run
that does what the dry run said. Another tenant's rule or event is a 404. See docs/rules.md."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from leadflow.access import automation_rules as service
from leadflow.api.data.shape import IsoText, Record
from leadflow.api.deps import AccessDep
from leadflow.api.params import RowId
from leadflow.api.problems import problem_responses
from leadflow.api.routes import routed
from leadflow.model.automation import Rule, RuleFiring
from leadflow.rules.spec import RuleBody

router = APIRouter(prefix="/automation", tags=["automation rules"])


class RuleOut(Record):
    id: int
    version: int
    enabled: bool
    name: str
    event: str
    filter: dict[str, Any] | None
    actions: list[dict[str, Any]]
    priority: int
    stop: bool
    created_at: IsoText
    updated_at: IsoText


class RuleList(BaseModel):
    items: list[RuleOut]


class FiringOut(Record):
    id: int
    rule_id: int
    rule_version: int
    event_id: int
    contact_id: str | None
    actions: list[dict[str, Any]]
    outcome: str
    error: str | None
    source: str
    fired_at: IsoText


class FiringList(BaseModel):
    items: list[FiringOut]


class RuleUpdate(RuleBody):
    expect_version: int | None = Field(
        default=None, ge=1, description="Refused (409) when the rule is no longer at it."
    )


class ExecuteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[RuleBody] | None = Field(default=None, max_length=50, description="Inline rules.")
    rule_ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        default=None, max_length=200
    )
    events: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        default=None, max_length=10_000, description="Event ids of the tenant."
    )
    since: datetime | None = Field(default=None, description="A window of occurred_at: from.")
    until: datetime | None = Field(default=None, description="... up to (not included).")
    dry_run: bool = True
    expect: str | None = Field(
        default=None, max_length=64, description="A real run: the dry run's digest (else 409)."
    )


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)
    save: bool = False


def _rule(r: Rule) -> RuleOut:
    return RuleOut.of(r, **dataclasses.asdict(r.spec))


def _firing(f: RuleFiring) -> FiringOut:
    return FiringOut.of(f, id=f.id or 0)


@router.post("/rules", status_code=201, summary="Create a rule", responses=problem_responses(403))
def create_rule(access: AccessDep, body: RuleBody) -> RuleOut:
    return _rule(service.create_rule(access.runtime, access.principal, body))


@routed(router.get, "/rules", "The tenant's rules", 403)
def list_rules(access: AccessDep) -> RuleList:
    return RuleList(items=[_rule(r) for r in service.list_rules(access.runtime, access.principal)])


@routed(
    router.post, "/rules/draft", "A rule from a sentence (checked; saved disabled on request)", 403
)
def draft_rule(access: AccessDep, body: DraftIn) -> dict[str, Any]:
    from leadflow.access import rule_drafts

    return rule_drafts.draft_rule(access.runtime, access.principal, body.text, save=body.save)


@routed(router.get, "/rules/{rule_id}", "One rule", 403, 404)
def get_rule(access: AccessDep, rule_id: RowId) -> RuleOut:
    return _rule(service.get_rule(access.runtime, access.principal, rule_id))


@routed(router.get, "/rules/{rule_id}/versions", "Every version of a rule", 403, 404)
def rule_versions(access: AccessDep, rule_id: RowId) -> RuleList:
    found = service.rule_versions(access.runtime, access.principal, rule_id)
    return RuleList(items=[_rule(r) for r in found])


@routed(router.put, "/rules/{rule_id}", "Change a rule (a new version)", 403, 404, 409)
def update_rule(access: AccessDep, rule_id: RowId, body: RuleUpdate) -> RuleOut:
    rule_body = RuleBody.model_validate(body.model_dump(exclude={"expect_version"}))
    return _rule(
        service.update_rule(
            access.runtime, access.principal, rule_id, rule_body, body.expect_version
        )
    )


@routed(router.post, "/rules/{rule_id}/enable", "Enable a rule", 403, 404)
def enable_rule(access: AccessDep, rule_id: RowId) -> RuleOut:
    return _rule(service.set_enabled(access.runtime, access.principal, rule_id, True))


@routed(router.post, "/rules/{rule_id}/disable", "Disable a rule", 403, 404)
def disable_rule(access: AccessDep, rule_id: RowId) -> RuleOut:
    return _rule(service.set_enabled(access.runtime, access.principal, rule_id, False))


@routed(router.get, "/rules/{rule_id}/firings", "A rule's firings (its audit)", 403, 404)
def list_firings(
    access: AccessDep,
    rule_id: RowId,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FiringList:
    found = service.list_firings(access.runtime, access.principal, rule_id, after_id, limit)
    return FiringList(items=[_firing(f) for f in found])


@routed(
    router.post,
    "/execute-rules",
    "Rules over events: the impact (dry run) or the real run",
    403,
    404,
    409,
)
def execute_rules(access: AccessDep, body: ExecuteIn) -> dict[str, Any]:
    req = service.ExecuteRequest(
        rules=body.rules or (),
        rule_ids=body.rule_ids or (),
        event_ids=body.events or (),
        since=body.since.timestamp() if body.since else None,
        until=body.until.timestamp() if body.until else None,
        dry_run=body.dry_run,
        expect=body.expect,
    )
    return service.execute_rules(access.runtime, access.principal, req).as_dict()
