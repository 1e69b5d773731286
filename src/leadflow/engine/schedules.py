"""Cron triggers: when a schedule comes due, enroll every contact its filter selects.

Catching up is explicit: a schedule that was missed (no worker ran) fires once, not once per
missed period, and its next time is computed from now. Firing is at-least-once (enroll, then move
the schedule on); re-entry rules make a repeated fire harmless.
"""

from __future__ import annotations

from datetime import datetime

from croniter import croniter

from leadflow.definitions.models import WorkflowDefinition
from leadflow.engine.advance import Engine
from leadflow.engine.baseline import entered
from leadflow.engine.localtime import zone
from leadflow.model.records import ContactFilter, EnrollRequest, Schedule, Scope
from leadflow.store.contract import Store

PAGE = 5000


def next_fire(cron: str, timezone: str, after: float) -> float:
    tz = zone(timezone, "UTC")
    start = datetime.fromtimestamp(after, tz)
    nxt: datetime = croniter(cron, start).get_next(datetime)
    return nxt.timestamp()


def schedules_for(definition: WorkflowDefinition, version: int, now: float) -> list[Schedule]:
    out = []
    for i, trigger in enumerate(definition.triggers):
        if trigger.type == "schedule" and trigger.cron:
            out.append(
                Schedule(
                    definition.key,
                    version,
                    i,
                    trigger.cron,
                    trigger.timezone,
                    next_fire(trigger.cron, trigger.timezone, now),
                )
            )
    return out


class Scheduler:
    def __init__(self, store: Store, engine: Engine) -> None:
        self.store = store
        self.engine = engine

    def fire_due(self, now: float) -> int:
        fired = 0
        for schedule in self.store.due_schedules(now):
            following = next_fire(schedule.cron, schedule.timezone, now)
            # Enroll first, then move the schedule on: a crash in between fires again, and the
            # re-entry policy keeps a contact from being enrolled twice by the same fire.
            self._enroll(schedule, now)
            if self.store.advance_schedule(schedule, following):
                fired += 1
        return fired

    def _enroll(self, schedule: Schedule, now: float) -> None:
        wf = self.engine.catalog.get(schedule.tenant_id, schedule.workflow_key, schedule.version)
        predicate = wf.trigger_filters.get(schedule.trigger_index)
        reentry = wf.definition.settings.reentry
        page = ContactFilter(scope=Scope(wf.tenant_id), limit=PAGE)
        while True:
            contacts = self.store.find_contacts(page)
            if not contacts:
                return
            page.after_id = contacts[-1].id
            requests = [
                EnrollRequest(
                    wf.key,
                    wf.version,
                    c.id,
                    wf.start,
                    {
                        "trigger": {"type": "schedule", "data": {"cron": schedule.cron}},
                        **entered(wf, c),
                    },
                    reentry.policy,
                    reentry.days,
                    max_per_hour=self.engine.limits.per_hour(),
                )
                for c in contacts
                if predicate is None
                or predicate({"contact": c.as_dict(), "event": {}, "context": {}, "steps": {}})
            ]
            if requests:
                self.store.enroll(requests, now)
