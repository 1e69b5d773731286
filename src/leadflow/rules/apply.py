"""Writing planned firings, exactly once per (event, rule).

First what must be written outside the firings' transaction, each idempotent by its firing's
key (an action's ``prepare``, the outbox messages queued by idempotency key), then
:meth:`RuleStore.record_firings`: the firings and their contact patches, enrolments and events
in one transaction, each firing's effects applied only if its pair had no firing. A crash
before that transaction leaves nothing but idempotent writes, done again by whoever evaluates
the event next; a crash after it leaves a firing, so the pair is never planned again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadflow.model.automation import FiringEffects, RuleFiring
from leadflow.model.records import Message
from leadflow.rules.evaluate import PlannedFiring
from leadflow.store.contract import Store


@dataclass(slots=True)
class Applied:
    recorded: int = 0  # firings this call recorded
    failed: int = 0  # of which recorded as failed
    lost: int = 0  # pairs someone else recorded first


def apply_firings(
    store: Store, planned: Sequence[PlannedFiring], source: str, now: float
) -> Applied:
    out = Applied()
    items: list[tuple[RuleFiring, FiringEffects]] = []
    messages: list[Message] = []
    for f in planned:
        if f.already:
            continue
        effects = FiringEffects()
        if f.error is None:
            for plan in f.plans:
                if plan.prepare is not None:
                    plan.prepare()
                messages += plan.messages
                effects.patches += plan.patches
                effects.enrollments += plan.enrollments
                effects.events += plan.events
        firing = RuleFiring(
            tenant_id=f.rule.tenant_id,
            rule_id=f.rule.id,
            rule_version=f.rule.version,
            event_id=f.event.id,
            contact_id=f.contact_id,
            actions=f.actions,
            outcome="failed" if f.error else "applied",
            fired_at=now,
            source=source,
            error=f.error,
        )
        items.append((firing, effects))
    if messages:
        store.queue_messages(messages, now)
    for (firing, _), recorded in zip(items, store.record_firings(items, now), strict=True):
        if recorded:
            out.recorded += 1
            out.failed += firing.outcome == "failed"
        else:
            out.lost += 1
    return out


__all__ = ["Applied", "apply_firings"]
