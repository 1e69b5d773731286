"""Automation rules as one tenant sees them: create (checked; every problem names its field),
list, read, versions, enable/disable, update (a new version), firings, and execute-rules: the
dry run (the impact: which contacts, which actions, how many) and the real run, which plans the
same way and writes exactly what it planned, recording firings so that no (event, rule) pair
ever fires twice, whether a worker or a run got there first.

Rules act on the whole tenant: writing and executing them takes an admin key; managers read.
Every id (rule, event, the workflow an ``enroll`` action names) resolves inside the caller's
tenant or is not found.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadflow.access.scope import ADMIN, WRITE_ROLES, require_role
from leadflow.errors import Conflict, InvalidInput, NotFound
from leadflow.model.automation import Rule, RuleFiring, RuleSpec
from leadflow.model.records import Event, Scope
from leadflow.rules.apply import apply_firings
from leadflow.rules.evaluate import PlannedFiring, RuleSet, plan_firings
from leadflow.rules.spec import RuleBody, rule_problems, to_spec
from leadflow.tenancy.accounts import Principal

if TYPE_CHECKING:
    from leadflow.runtime import Runtime

MAX_EVENTS = 10_000  # events one execute-rules request may take
MAX_SCAN = 200_000  # events of the tenant read to find a time window's


def checked_spec(rt: Runtime, tenant_id: str, body: RuleBody) -> RuleSpec:
    problems = rule_problems(body, rt.engine.registry, tenant_id)
    if problems:
        lines = "; ".join(f"{f}: {p}" for f, p in problems)
        raise InvalidInput(f"the rule is invalid: {lines}", problems)
    return to_spec(body)


def create_rule(rt: Runtime, principal: Principal, body: RuleBody) -> Rule:
    tenant = require_role(principal, ADMIN, "creating rules")
    spec = checked_spec(rt, tenant, body)
    return rt.store.create_rule(tenant, spec, body.enabled, rt.clock.now())


def list_rules(rt: Runtime, principal: Principal) -> list[Rule]:
    return rt.store.list_rules(require_role(principal, WRITE_ROLES, "reading rules"))


def get_rule(rt: Runtime, principal: Principal, rule_id: int) -> Rule:
    tenant = require_role(principal, WRITE_ROLES, "reading rules")
    found = rt.store.get_rule(tenant, rule_id)
    if found is None:
        raise NotFound(f"rule {rule_id} not found")
    return found


def rule_versions(rt: Runtime, principal: Principal, rule_id: int) -> list[Rule]:
    tenant = require_role(principal, WRITE_ROLES, "reading rules")
    found = rt.store.rule_versions(tenant, rule_id)
    if not found:
        raise NotFound(f"rule {rule_id} not found")
    return found


def set_enabled(rt: Runtime, principal: Principal, rule_id: int, enabled: bool) -> Rule:
    tenant = require_role(principal, ADMIN, "enabling or disabling rules")
    found = rt.store.set_rule_enabled(tenant, rule_id, enabled, rt.clock.now())
    if found is None:
        raise NotFound(f"rule {rule_id} not found")
    return found


def update_rule(
    rt: Runtime,
    principal: Principal,
    rule_id: int,
    body: RuleBody,
    expect_version: int | None = None,
) -> Rule:
    """A new version with ``body`` (``enabled`` in the body sets the rule's state too). With
    ``expect_version``: refused (Conflict) when the rule has moved on since."""
    tenant = require_role(principal, ADMIN, "changing rules")
    current = rt.store.get_rule(tenant, rule_id)
    if current is None:
        raise NotFound(f"rule {rule_id} not found")
    spec = checked_spec(rt, tenant, body)
    version = current.version if expect_version is None else expect_version
    now = rt.clock.now()
    updated = rt.store.update_rule(tenant, rule_id, spec, now, version)
    if updated is None:
        raise Conflict(
            f"rule {rule_id} is at version {current.version}, not {version}: read it again"
        )
    if updated.enabled != body.enabled:
        updated = rt.store.set_rule_enabled(tenant, rule_id, body.enabled, now) or updated
    return updated


def list_firings(
    rt: Runtime, principal: Principal, rule_id: int, after_id: int = 0, limit: int = 100
) -> list[RuleFiring]:
    tenant = require_role(principal, WRITE_ROLES, "reading rules")
    if rt.store.get_rule(tenant, rule_id) is None:
        raise NotFound(f"rule {rule_id} not found")
    return rt.store.list_firings(tenant, rule_id, after_id, limit)


# ---------------------------------------------------------------------- execute-rules
@dataclass(frozen=True)
class ExecuteRequest:
    rules: Sequence[RuleBody] = ()  # inline rules (dry runs only)
    rule_ids: Sequence[int] = ()
    event_ids: Sequence[int] = ()
    since: float | None = None  # a window of occurred_at, [since, until)
    until: float | None = None
    dry_run: bool = True
    expect: str | None = None  # a real run: the dry run's digest it must still match


@dataclass
class ExecuteReport:
    dry_run: bool
    events: int
    firings: list[PlannedFiring]
    digest: str
    recorded: int = 0
    lost: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def contacts(self) -> list[str]:
        return sorted({f.contact_id for f in self.firings if f.outcome == "applied"})

    def as_dict(self) -> dict[str, Any]:
        outcomes = Counter(f.outcome for f in self.firings)
        return {
            "dry_run": self.dry_run,
            "events": self.events,
            "digest": self.digest,
            "firings": [f.as_dict() for f in self.firings],
            "contacts": self.contacts,
            "counts": dict(sorted(self.counts.items())),
            "outcomes": {k: outcomes.get(k, 0) for k in ("applied", "failed", "already_fired")},
            "recorded": self.recorded,
            "lost": self.lost,
        }


def _rules_of(rt: Runtime, tenant: str, req: ExecuteRequest, now: float) -> list[Rule]:
    if bool(req.rules) == bool(req.rule_ids):
        raise InvalidInput("give either rules (inline) or rule_ids", [("rules", "one of the two")])
    if req.rules and not req.dry_run:
        raise InvalidInput(
            "a real run takes saved rules (rule_ids); inline rules are for dry runs",
            [("rules", "inline rules can only be dry-run: save them first")],
        )
    out: list[Rule] = []
    for i, body in enumerate(req.rules):
        try:
            spec = checked_spec(rt, tenant, body)
        except InvalidInput as exc:
            raise InvalidInput(
                f"rules[{i}] is invalid: {exc}", [(f"rules[{i}].{f}", p) for f, p in exc.problems]
            ) from None
        out.append(Rule(-(i + 1), tenant, 1, spec, True, now, now))  # never stored
    for rid in dict.fromkeys(req.rule_ids):
        found = rt.store.get_rule(tenant, rid)
        if found is None:
            raise NotFound(f"rule {rid} not found")
        out.append(found)
    return out


def _events_of(rt: Runtime, tenant: str, req: ExecuteRequest) -> list[Event]:
    scope = Scope(tenant)
    windowed = req.since is not None or req.until is not None
    if bool(req.event_ids) == windowed:
        raise InvalidInput(
            "give either events (ids) or a time window (since/until)",
            [("events", "one of events or since/until")],
        )
    if req.event_ids:
        ids = sorted(set(req.event_ids))
        if len(ids) > MAX_EVENTS:
            raise InvalidInput(f"at most {MAX_EVENTS} events", [("events", "too many")])
        span = ids[-1] - ids[0] + 1
        if span > MAX_SCAN:
            raise InvalidInput(
                f"the event ids span {span} events (at most {MAX_SCAN}): use a time window",
                [("events", "ids too far apart")],
            )
        found = rt.store.list_events(scope=scope, after_id=ids[0] - 1, limit=span)
        by_id = {e.id: e for e in found}
        for i in ids:
            if i not in by_id:
                raise NotFound(f"event {i} not found")
        return [by_id[i] for i in ids]
    lo = req.since if req.since is not None else float("-inf")
    hi = req.until if req.until is not None else float("inf")
    if hi <= lo:
        raise InvalidInput("until must be after since", [("until", "not after since")])
    out: list[Event] = []
    after, scanned = 0, 0
    while scanned < MAX_SCAN:
        page = rt.store.list_events(scope=scope, after_id=after, limit=1000)
        if not page:
            break
        scanned += len(page)
        after = page[-1].id
        out += [e for e in page if lo <= e.occurred_at < hi]
        if len(out) > MAX_EVENTS:
            raise InvalidInput(
                f"more than {MAX_EVENTS} events in the window: narrow it",
                [("since", "window too wide")],
            )
    return out


def _digest(firings: Sequence[PlannedFiring]) -> str:
    text = json.dumps([f.as_dict() for f in firings], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _counts(firings: Sequence[PlannedFiring]) -> dict[str, int]:
    return dict(Counter(a["kind"] for f in firings if f.outcome == "applied" for a in f.actions))


def execute_rules(rt: Runtime, principal: Principal, req: ExecuteRequest) -> ExecuteReport:
    """Plan the rules over the events; a dry run stops there (nothing is written), a real run
    writes the plan (firings with ``source: execute``)."""
    tenant = require_role(principal, ADMIN, "executing rules")
    store, now = rt.store, rt.clock.now()
    rules = _rules_of(rt, tenant, req, now)
    events = _events_of(rt, tenant, req)
    ruleset = RuleSet(rules)
    contacts = {
        cid: c
        for cid, c in store.get_contacts({e.contact_id for e in events if e.contact_id}).items()
        if c.tenant_id == tenant
    }
    fired = store.fired(e.id for e in events)
    planned, _ = plan_firings(ruleset, events, contacts, rt.engine.registry, fired, now)
    report = ExecuteReport(req.dry_run, len(events), planned, _digest(planned))
    report.counts = _counts(planned)
    if req.dry_run:
        return report
    if req.expect is not None and req.expect != report.digest:
        raise Conflict(
            "the rules, events or contacts changed since the dry run (digest differs): "
            "dry-run again"
        )
    applied = apply_firings(store, planned, "execute", now)
    report.recorded, report.lost = applied.recorded, applied.lost
    return report


__all__ = [
    "ExecuteReport",
    "ExecuteRequest",
    "checked_spec",
    "create_rule",
    "execute_rules",
    "get_rule",
    "list_firings",
    "list_rules",
    "rule_versions",
    "set_enabled",
    "update_rule",
]
