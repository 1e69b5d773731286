"""Which rules fire on which events, and what their actions would do: one plan, used by the
workers, the dry run and the real run alike.

Rules of the event's contact's tenant whose ``event`` matches the type are taken by priority
(higher first, then by id); a rule whose filter holds for (the event, the contact as it is after
the firings planned before it) fires, once per (event, rule): a pair that has a firing already
is reported as such and not planned again. A firing of a ``stop`` rule keeps the lower ones
off the event. Events without a contact, and events emitted by rules at depth
:data:`~leadflow.rules.actions.MAX_DEPTH`, are not evaluated; a rule never acts on an event it
emitted itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from leadflow.definitions.conditions import Predicate, compile_condition
from leadflow.engine.plugins import Registry
from leadflow.engine.rule_actions import RuleActionError, RulePlan, RuleTarget
from leadflow.model.automation import Rule
from leadflow.model.records import Contact, Event
from leadflow.model.rules import apply_patches
from leadflow.rules.actions import MAX_DEPTH


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule with its filter compiled; ``guards`` are the filter's top-level ``eq`` tests of
    an event field against a string, checked first: when one fails the filter is False."""

    rule: Rule
    predicate: Predicate | None
    guards: tuple[tuple[tuple[str, ...], str], ...] = ()

    def passes(self, scope: Mapping[str, Any]) -> bool:
        for path, want in self.guards:
            value: Any = scope
            for part in path:
                value = value.get(part) if isinstance(value, Mapping) else None
            if not isinstance(value, str) or value.casefold() != want:
                return False  # as ``eq`` says: a missing value or another type is not equal
        return self.predicate is None or self.predicate(scope)


def _guards(flt: Mapping[str, Any] | None) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The ``eq`` leaves on ``event.*`` with a string value that the whole filter needs."""
    if not flt:
        return ()
    leaves = flt.get("all") if "all" in flt else [flt]
    out = []
    for leaf in leaves if isinstance(leaves, list) else ():
        if not isinstance(leaf, Mapping) or leaf.get("op") != "eq":
            continue
        field, value = leaf.get("field"), leaf.get("value")
        if isinstance(field, str) and field.startswith("event.") and isinstance(value, str):
            parts = tuple(field.split("."))
            if not any(p.isdigit() for p in parts):  # list indexes: left to the filter
                out.append((parts, value.casefold()))
    return tuple(out)


def _order(c: CompiledRule) -> tuple[int, int]:
    return (-c.rule.spec.priority, c.rule.id)


class RuleSet:
    """Rules indexed by (tenant, event type); ``prefix.*`` and ``*`` rules are merged in."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._exact: dict[tuple[str, str], list[CompiledRule]] = {}
        self._wild: dict[str, list[tuple[str, CompiledRule]]] = {}
        self._cache: dict[tuple[str, str], list[CompiledRule]] = {}
        self.rules: list[Rule] = []
        for rule in rules:
            self.rules.append(rule)
            pred = compile_condition(rule.spec.filter) if rule.spec.filter else None
            compiled = CompiledRule(rule, pred, _guards(rule.spec.filter))
            event = rule.spec.event
            if event.endswith("*"):
                prefix = event[:-1]  # "lead." or ""
                self._wild.setdefault(rule.tenant_id, []).append((prefix, compiled))
            else:
                self._exact.setdefault((rule.tenant_id, event), []).append(compiled)
        self.exact_types = {t for _, t in self._exact}

    def __len__(self) -> int:
        return len(self.rules)

    def for_event(self, tenant_id: str, event_type: str) -> list[CompiledRule]:
        key = (tenant_id, event_type)
        found = self._cache.get(key)
        if found is None:
            found = list(self._exact.get(key, ()))
            found += [c for p, c in self._wild.get(tenant_id, ()) if event_type.startswith(p)]
            found.sort(key=_order)
            self._cache[key] = found
        return found

    def may_match(self, event_type: str) -> bool:
        return bool(self._wild) or event_type in self.exact_types


@dataclass(slots=True)
class PlannedFiring:
    """One rule on one event. ``already``: the pair has a firing (nothing will be done);
    ``error``: an action could not be planned (the firing is recorded as failed, nothing
    applied)."""

    rule: Rule
    event: Event
    contact_id: str
    plans: list[RulePlan] = field(default_factory=list)
    error: str | None = None
    already: bool = False

    @property
    def actions(self) -> list[dict[str, Any]]:
        return [p.summary for p in self.plans]

    @property
    def outcome(self) -> str:
        if self.already:
            return "already_fired"
        return "failed" if self.error else "applied"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule.id,
            "rule_version": self.rule.version,
            "event_id": self.event.id,
            "event_type": self.event.type,
            "contact_id": self.contact_id,
            "actions": self.actions,
            "outcome": self.outcome,
            "error": self.error,
        }


def _copy(c: Contact) -> Contact:
    return replace(c, tags=list(c.tags), fields=dict(c.fields), consent=dict(c.consent))


def _depth(event: Event) -> int:
    d = event.data.get("rule_depth")
    return d if isinstance(d, int) and not isinstance(d, bool) else 0


def plan_firings(
    rules: RuleSet,
    events: Sequence[Event],
    contacts: Mapping[str, Contact],
    registry: Registry,
    fired: set[tuple[int, int]],
    now: float,
) -> tuple[list[PlannedFiring], dict[str, Contact]]:
    """The firings of ``events`` (in id order) and the contacts they change, as they would be
    after (copies: ``contacts`` is left as it is)."""
    out: list[PlannedFiring] = []
    changed: dict[str, Contact] = {}
    for event in sorted(events, key=lambda e: e.id):
        cid = event.contact_id
        if cid is None or not rules.may_match(event.type) or _depth(event) >= MAX_DEPTH:
            continue
        contact = changed.get(cid) or contacts.get(cid)
        if contact is None:
            continue
        candidates = rules.for_event(contact.tenant_id, event.type)
        if not candidates:
            continue
        view = {
            "id": event.id,
            "type": event.type,
            "data": event.data,
            "occurred_at": event.occurred_at,
            "contact_id": cid,
        }
        scope: dict[str, Any] = {"event": view, "contact": contact.as_dict()}
        emitted_by = event.data.get("rule_id")
        for c in candidates:
            rule = c.rule
            if emitted_by == rule.id or not c.passes(scope):
                continue
            if (event.id, rule.id) in fired:
                out.append(PlannedFiring(rule, event, cid, already=True))
            else:
                firing = _plan_one(rule, event, contact, registry, now)
                out.append(firing)
                patches = [p for plan in firing.plans for p in plan.patches]
                if patches:
                    contact = _copy(contact)
                    apply_patches({cid: contact}, patches, now)
                    changed[cid] = contact
                    scope["contact"] = contact.as_dict()
            if rule.spec.stop:
                break
    return out, changed


def _plan_one(
    rule: Rule, event: Event, contact: Contact, registry: Registry, now: float
) -> PlannedFiring:
    firing = PlannedFiring(rule, event, contact.id)
    for i, action in enumerate(rule.spec.actions):
        kind = str(action.get("kind"))
        handler = registry.rule_action(kind)
        target = RuleTarget(
            rule.tenant_id,
            rule.id,
            rule.version,
            event,
            contact,
            f"rule:{rule.id}:{event.id}:{i}",
            now,
        )
        try:
            if handler is None:
                raise RuleActionError(f"actions[{i}]: no action kind {kind!r} is installed")
            firing.plans.append(handler.plan(action, target))
        except RuleActionError as exc:
            firing.error = str(exc)
            firing.plans = []
            break
    return firing


__all__ = ["CompiledRule", "PlannedFiring", "RuleSet", "plan_firings"]
