"""The built-in action kinds of automation rules (installed by :mod:`leadflow.rules.plugin`).

Each checks its JSON with a pydantic model (problems name the field) and plans its effects for
one event and contact; nothing here writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow.engine.catalog import Catalog
from leadflow.engine.rule_actions import RuleAction, RuleActionError, RulePlan, RuleTarget
from leadflow.engine.runless import message_now
from leadflow.errors import NotFound
from leadflow.model.records import CONTACT_SCALARS, ContactPatch, EnrollRequest, NewEvent
from leadflow.store.contract import Store

NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
EVENT_TYPE = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
# Attributes update_contact may set: e-mail, phone and time zone have their own checks (the
# contacts API), the owner must be an agent of the tenant (assign_owner checks it).
SETTABLE = tuple(a for a in CONTACT_SCALARS if a not in ("email", "phone", "time_zone", "owner"))
MAX_DEPTH = 3  # events emitted by rules acting on events emitted by rules ... stop here
Scalar = str | int | float | bool | None


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str


class From(BaseModel):
    """A value read at firing time: ``{"from": "event.data.budget"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    from_: str = Field(alias="from", pattern=r"^(event|contact)(\.[\w-]+)+$")


class UpdateContact(_Spec):
    set: dict[str, Scalar | From] = Field(min_length=1, max_length=50)


class Tag(_Spec):
    tag: str = Field(min_length=1, max_length=64)


class SetStage(_Spec):
    stage: str = Field(min_length=1, max_length=64)


class AssignOwner(_Spec):
    owner: str = Field(min_length=1, max_length=64)


class Enroll(_Spec):
    workflow: str = Field(min_length=1, max_length=64)


class EmitEvent(_Spec):
    type: str = Field(pattern=EVENT_TYPE, max_length=100)
    data: dict[str, Any] = Field(default_factory=dict)


class CallWebhook(_Spec):
    url: str = Field(min_length=1, max_length=2000)
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict, max_length=20)


def model_problems(model: type[BaseModel], spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    try:
        model.model_validate(dict(spec))
    except ValidationError as exc:
        return [(".".join(str(p) for p in e["loc"]) or "kind", e["msg"]) for e in exc.errors()]
    return []


def walk(root: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of ``root`` (None when absent)."""
    value: Any = root
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def event_of(target: RuleTarget) -> dict[str, Any]:
    """The event the rule fires on, as its actions hand it on (a ``from`` path, a run's
    trigger, a webhook's body)."""
    e = target.event
    return {"id": e.id, "type": e.type, "data": e.data, "occurred_at": e.occurred_at}


def scope_of(target: RuleTarget) -> dict[str, Any]:
    return {"event": event_of(target), "contact": target.contact.as_dict()}


class _Kind:
    model: type[_Spec] = _Spec

    def problems(self, spec: Mapping[str, Any], tenant_id: str) -> list[tuple[str, str]]:
        found = model_problems(self.model, spec)
        if found:
            return found
        return self.more_problems(self.model.model_validate(dict(spec)), tenant_id)

    def more_problems(self, spec: Any, tenant_id: str) -> list[tuple[str, str]]:
        return []

    def parsed(self, spec: Mapping[str, Any]) -> Any:
        return self.model.model_validate(dict(spec))


class UpdateContactAction(_Kind):
    model = UpdateContact

    def more_problems(self, spec: UpdateContact, tenant_id: str) -> list[tuple[str, str]]:
        out = []
        for key in spec.set:
            if key == "owner":
                out.append(("set.owner", "use an assign_owner action (it checks the agent)"))
            elif key in ("email", "phone", "time_zone", "id", "tenant_id", "tags", "consent"):
                out.append((f"set.{key}", f"{key!r} cannot be set by a rule"))
            elif key not in SETTABLE and not re.match(NAME, key):
                out.append((f"set.{key}", "a custom field name is letters, digits and _"))
        return out

    def plan(self, spec: Mapping[str, Any], target: RuleTarget) -> RulePlan:
        s: UpdateContact = self.parsed(spec)
        scope = scope_of(target)
        values = {k: (walk(scope, v.from_) if isinstance(v, From) else v) for k, v in s.set.items()}
        return RulePlan(
            {"kind": "update_contact", "set": values},
            patches=[ContactPatch(target.contact.id, set=values)],
        )


class TagAction(_Kind):
    """``add_tag``, or ``remove_tag`` when ``remove``."""

    model = Tag

    def __init__(self, remove: bool = False) -> None:
        self.remove = remove

    def plan(self, spec: Mapping[str, Any], target: RuleTarget) -> RulePlan:
        tag = self.parsed(spec).tag
        added, removed = ([], [tag]) if self.remove else ([tag], [])
        return RulePlan(
            {"kind": "remove_tag" if self.remove else "add_tag", "tag": tag},
            patches=[ContactPatch(target.contact.id, add_tags=added, remove_tags=removed)],
        )


class SetStageAction(_Kind):
    model = SetStage

    def plan(self, spec: Mapping[str, Any], target: RuleTarget) -> RulePlan:
        stage = self.parsed(spec).stage
        return RulePlan(
            {"kind": "set_stage", "stage": stage, "was": target.contact.stage},
            patches=[ContactPatch(target.contact.id, set={"stage": stage})],
        )


class AssignOwnerAction(_Kind):
    model = AssignOwner

    def __init__(self, store: Store) -> None:
        self.store = store

    def more_problems(self, spec: AssignOwner, tenant_id: str) -> list[tuple[str, str]]:
        if self.store.get_agent(tenant_id, spec.owner) is None:
            return [("owner", f"no agent {spec.owner!r} in this tenant")]
        return []

    def plan(self, spec: Mapping[str, Any], target: RuleTarget) -> RulePlan:
        owner = self.parsed(spec).owner
        agent = self.store.get_agent(target.tenant_id, owner)
        if agent is None:
            raise RuleActionError(f"assign_owner: no agent {owner!r} in this tenant")
        return RulePlan(
            {"kind": "assign_owner", "owner": owner, "was": target.contact.owner},
            patches=[ContactPatch(target.contact.id, set={"owner": owner})],
        )


class EnrollAction(_Kind):
    """Enrols the contact in the latest version of the tenant's workflow (its re-entry policy
    applies, as for any enrolment)."""

    model = Enroll

    def __init__(self, store: Store, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog

    def more_problems(self, spec: Enroll, tenant_id: str) -> list[tuple[str, str]]:
        if self.store.get_workflow(tenant_id, spec.workflow) is None:
            return [("workflow", f"workflow {spec.workflow!r} not found in this tenant")]
        return []

    def plan(self, spec: Mapping[str, Any], target: RuleTarget) -> RulePlan:
        key = self.parsed(spec).workflow
        try:
            wf = self.catalog.latest(target.tenant_id, key)
        except NotFound:
            raise RuleActionError(f"enroll: workflow {key!r} not found in this tenant") from None
        reentry = wf.definition.settings.reentry
        context = {
            "trigger": event_of(target),
            "rule": {"id": target.rule_id, "version": target.rule_version},
        }
        return RulePlan(
            {"kind": "enroll", "workflow": key, "version": wf.version},
            enrollments=[
                EnrollRequest(
                    wf.key,
                    wf.version,
                    target.contact.id,
                    wf.start,
                    context,
                    reentry.policy,
                    reentry.days,
                )
            ],
        )


class EmitEventAction(_Kind):
    model = EmitEvent

    def plan(self, spec: Mapping[str, Any], target: RuleTarget) -> RulePlan:
        s: EmitEvent = self.parsed(spec)
        depth = target.event.data.get("rule_depth")
        depth = depth if isinstance(depth, int) and not isinstance(depth, bool) else 0
        data = {
            **s.data,
            "rule_id": target.rule_id,
            "source_event_id": target.event.id,
            "rule_depth": depth + 1,
        }
        return RulePlan(
            {"kind": "emit_event", "type": s.type},
            events=[NewEvent(s.type, target.contact.id, data, target.key, target.now)],
        )


class WebhookAction(_Kind):
    """A POST through the outbox's ``webhook`` channel: the same provider, retries and SSRF guard
    as the ``webhook`` node; the firing's key is the message's idempotency key."""

    model = CallWebhook

    def more_problems(self, spec: CallWebhook, tenant_id: str) -> list[tuple[str, str]]:
        parts = urlsplit(spec.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return [("url", "an http(s) URL with a host")]
        return []

    def plan(self, spec: Mapping[str, Any], target: RuleTarget) -> RulePlan:
        s: CallWebhook = self.parsed(spec)
        body = {
            "rule_id": target.rule_id,
            "rule_version": target.rule_version,
            "event": event_of(target),
            "contact_id": target.contact.id,
        }
        message = message_now(
            target.contact.id,
            "webhook",
            s.url,
            target.key,
            target.now,
            body=json.dumps(body, sort_keys=True, separators=(",", ":")),
            payload={"method": s.method, "headers": dict(s.headers)},
        )
        return RulePlan({"kind": "webhook", "url": s.url, "method": s.method}, messages=[message])


def builtin_actions(store: Store, catalog: Catalog) -> dict[str, RuleAction]:
    kinds: dict[str, Callable[[], RuleAction]] = {
        "update_contact": UpdateContactAction,
        "add_tag": TagAction,
        "remove_tag": lambda: TagAction(remove=True),
        "set_stage": SetStageAction,
        "assign_owner": lambda: AssignOwnerAction(store),
        "enroll": lambda: EnrollAction(store, catalog),
        "emit_event": EmitEventAction,
        "webhook": WebhookAction,
    }
    return {k: make() for k, make in kinds.items()}


__all__ = ["MAX_DEPTH", "builtin_actions", "model_problems", "walk"]
