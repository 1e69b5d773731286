"""Event processing: message facts, trigger enrollment, goals, awaited events, stop on reply.

For each claimed event, in this order:

1. facts about messages (delivered / opened / clicked / failed, and replies) are recorded;
2. a ``<channel>.failed`` event for a run's message sends the run down the node's ``on_error``
   edge, or fails it;
3. workflows triggered by the event type enroll the contact (trigger filters and re-entry apply);
4. each live or paused run of the contact: a goal on this event exits it; else a
   ``wait_for_event`` awaiting it resumes it through ``on_event``; else an inbound reply pauses it
   when its workflow has ``pause_on_reply``.

Everything is committed with the events marked processed in one transaction. Advances carry the
event id; an advance that loses a race (seq conflict) leaves its event unprocessed, to be
processed again against the run's new state.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from leadflow.engine.advance import Engine, advance_run, end, new_advance
from leadflow.engine.compiled import CompiledWorkflow
from leadflow.errors import NotFound
from leadflow.store.contract import Store
from leadflow.store.records import (
    ACTIVE,
    EXITED,
    FAILED,
    LIVE_STATUSES,
    PAUSED,
    WAITING,
    Advance,
    Contact,
    EnrollRequest,
    Event,
    MessageFacts,
    Run,
    Step,
)

REPLY_EVENTS = {"sms.received": "sms", "email.received": "email", "voice.received": "voice"}
_FACT_SUFFIXES = ("delivered", "opened", "clicked", "failed")
_OPEN_STATUSES = [ACTIVE, WAITING, PAUSED]


def event_view(event: Event) -> dict[str, Any]:
    """How an event looks to conditions and templates (``event.type``, ``event.data.x``)."""
    return {
        "id": event.id,
        "type": event.type,
        "data": event.data,
        "occurred_at": event.occurred_at,
        "contact_id": event.contact_id,
    }


class EventProcessor:
    def __init__(
        self, store: Store, engine: Engine, owner: str, batch: int = 500, lease_s: float = 60.0
    ) -> None:
        self.store = store
        self.engine = engine
        self.owner = owner
        self.batch = batch
        self.lease_s = lease_s

    def process_due(self, now: float) -> int:
        events = self.store.claim_events(self.owner, now, self.batch, self.lease_s)
        if not events:
            return 0
        contacts = self.store.get_contacts({e.contact_id for e in events if e.contact_id})
        batch = _Batch(self.store)
        for event in events:
            contact = contacts.get(event.contact_id) if event.contact_id else None
            self._one(event, contact, now, batch)
        self.store.complete_events(
            self.owner, [e.id for e in events], batch.advances, batch.enrollments, batch.facts, now
        )
        return len(events)

    # ------------------------------------------------------------------ one event
    def _one(self, event: Event, contact: Contact | None, now: float, batch: _Batch) -> None:
        view = event_view(event)
        self._facts(event, batch, now)
        kind = event.type.rsplit(".", 1)[-1]
        if kind == "failed" and "run_id" in event.data:
            self._message_failed(event, now, batch)
        if contact is None:
            return
        scope = {"contact": contact.as_dict(), "event": view, "context": {}, "steps": {}}
        for wf in self.engine.catalog.triggered_by(event.type):
            self._trigger(wf, event, view, scope, contact, batch)
        for run in batch.open_runs(contact.id):
            self._run(run, contact, event, view, now, batch)

    def _facts(self, event: Event, batch: _Batch, now: float) -> None:
        data = event.data
        suffix = event.type.rsplit(".", 1)[-1]
        message_id = data.get("message_id")
        if suffix in _FACT_SUFFIXES and isinstance(message_id, int):
            at = event.occurred_at
            fact = MessageFacts(message_id)
            if suffix == "delivered":
                fact.status, fact.delivered_at = "delivered", at
            elif suffix == "opened":
                fact.opened_at = at
            elif suffix == "clicked":
                fact.clicked_at = at
            batch.facts.append(fact)
        channel = REPLY_EVENTS.get(event.type)
        if channel and event.contact_id:
            if not isinstance(message_id, int):
                last = self.store.latest_message_to(event.contact_id, channel)
                message_id = last.id if last else None
            if isinstance(message_id, int):
                batch.facts.append(MessageFacts(message_id, replied_at=event.occurred_at))

    def _message_failed(self, event: Event, now: float, batch: _Batch) -> None:
        run = batch.run(int(event.data["run_id"]))
        if run is None or run.status not in LIVE_STATUSES:
            return
        wf = self.engine.catalog.get(run.workflow_key, run.version)
        node_id = str(event.data.get("node") or "")
        node = wf.nodes.get(node_id)
        adv = new_advance(run)
        adv.event_id = event.id
        adv.step_seq += 1
        error = str(event.data.get("error") or "message failed")
        on_error = getattr(node, "on_error", None)
        adv.steps.append(
            Step(
                run.id,
                node_id,
                "dispatch",
                adv.step_seq,
                0,
                "on_error" if on_error else "failed",
                now,
                None,
                error,
            )
        )
        if on_error:
            adv.node, adv.status, adv.wake_at, adv.waiting_for = on_error, ACTIVE, now, None
        else:
            end(adv, FAILED, now, None, f"{node_id}: {error}")
        batch.add(run, adv)

    def _trigger(
        self,
        wf: CompiledWorkflow,
        event: Event,
        view: dict[str, Any],
        scope: dict[str, Any],
        contact: Contact,
        batch: _Batch,
    ) -> None:
        for i, trigger in enumerate(wf.definition.triggers):
            if trigger.type != "event" or trigger.event != event.type:
                continue
            predicate = wf.trigger_filters.get(i)
            if predicate is not None and not predicate(scope):
                continue
            reentry = wf.definition.settings.reentry
            batch.enrollments.append(
                EnrollRequest(
                    workflow_key=wf.key,
                    version=wf.version,
                    contact_id=contact.id,
                    start_node=wf.start,
                    context={"trigger": view},
                    reentry=reentry.policy,
                    reentry_days=reentry.days,
                )
            )
            return

    def _run(
        self,
        run: Run,
        contact: Contact,
        event: Event,
        view: dict[str, Any],
        now: float,
        batch: _Batch,
    ) -> None:
        try:
            wf = self.engine.catalog.get(run.workflow_key, run.version)
        except NotFound:
            return
        scope = {
            "contact": contact.as_dict(),
            "event": view,
            "context": run.context.get("vars") or {},
            "steps": run.context.get("steps") or {},
        }
        for goal in wf.goals_for_event(event.type):
            if goal.when is None or goal.when(scope):
                adv = new_advance(run)
                adv.step_seq += 1
                adv.steps.append(
                    Step(
                        run.id,
                        run.node or "",
                        "goal",
                        adv.step_seq,
                        0,
                        f"goal:{goal.name}",
                        now,
                        None,
                        None,
                        {"event": event.type, "event_id": event.id},
                    )
                )
                end(adv, EXITED, now, goal.name)
                adv.event_id = event.id
                batch.add(run, adv)
                return
        if run.status == WAITING and run.waiting_for == event.type:
            predicate = wf.match_predicates.get(run.node or "")
            if predicate is None or predicate(scope):
                adv = advance_run(
                    self.engine,
                    run,
                    replace_contact(contact),
                    wf,
                    now,
                    event=view,
                    facts_loader=self._facts_loader(),
                )
                adv.event_id = event.id
                batch.add(run, adv)
                return
        if (
            event.type in REPLY_EVENTS
            and wf.definition.settings.pause_on_reply
            and (run.status in LIVE_STATUSES)
        ):
            adv = new_advance(run)
            adv.context["_paused"] = {"status": run.status, "wake_at": run.wake_at}
            adv.status = PAUSED
            adv.step_seq += 1
            adv.steps.append(
                Step(
                    run.id,
                    run.node or "",
                    "pause",
                    adv.step_seq,
                    0,
                    "paused:reply",
                    now,
                    None,
                    None,
                    {"event": event.type, "event_id": event.id},
                )
            )
            adv.event_id = event.id
            batch.add(run, adv)

    def _facts_loader(self) -> Any:
        from leadflow.engine.facts import message_facts

        store = self.store
        return lambda run_id: message_facts(store.messages_of_run(run_id))


def replace_contact(contact: Contact) -> Contact:
    """A private copy: handlers may change it locally (update_contact)."""
    return replace(contact, tags=list(contact.tags), fields=dict(contact.fields))


class _Batch:
    """Products of one batch of events, with an overlay of runs already changed in it so a second
    event for the same run builds on the first one's result."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.advances: list[Advance] = []
        self.enrollments: list[EnrollRequest] = []
        self.facts: list[MessageFacts] = []
        self._runs: dict[int, Run] = {}
        self._by_contact: dict[str, list[int]] = {}

    def open_runs(self, contact_id: str) -> list[Run]:
        ids = self._by_contact.get(contact_id)
        if ids is None:
            found = self.store.runs_of_contact(contact_id, _OPEN_STATUSES)
            for run in found:
                self._runs.setdefault(run.id, run)
            ids = [r.id for r in found]
            self._by_contact[contact_id] = ids
        return [r for r in (self._runs[i] for i in ids) if r.status in _OPEN_STATUSES]

    def run(self, run_id: int) -> Run | None:
        if run_id not in self._runs:
            found = self.store.get_run(run_id)
            if found is None:
                return None
            self._runs[run_id] = found
        return self._runs[run_id]

    def add(self, run: Run, adv: Advance) -> None:
        self.advances.append(adv)
        self._runs[run.id] = replace(
            run,
            node=adv.node,
            status=adv.status,
            wake_at=adv.wake_at,
            context=adv.context,
            step_seq=adv.step_seq,
            attempt=adv.attempt,
            waiting_for=adv.waiting_for,
            seq=adv.seq + 1,
            ended_at=adv.ended_at,
            exit_reason=adv.exit_reason,
            error=adv.error,
        )
