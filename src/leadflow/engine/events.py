"""Event processing: message facts, trigger enrollment, goals, awaited events, stop on reply.

For each claimed event, in this order:

1. facts about messages (delivered / opened / clicked / failed, and replies) are recorded;
2. a dispatch verdict (``<channel>.sent|delivered|suppressed|failed``) resumes a send node that
   waits for it (nodes with ``on_error``); a failure at a node without ``on_error`` fails the
   live run (only a run of the event's own contact is ever touched);
3. workflows triggered by the event type enroll the contact (trigger filters and re-entry apply);
4. each live or paused run of the contact: a goal on this event exits it; else a
   ``wait_for_event`` awaiting it resumes it through ``on_event``; else an inbound reply pauses it
   when its workflow has ``pause_on_reply``.

Before that, the installed event observers (:class:`~leadflow.engine.ports.EventObserver`) see
the whole batch, in installation order, with the contacts they asked for: consent changes and the
automatic answers inbound texts are owed, applied and queued in their own idempotent writes
before the events are completed; then lead scores recomputed. An observer that changes contacts
hands the new ones on, so the runs of the batch see them.

Everything is committed with the events marked processed in one transaction. Advances and
enrollments carry the event id; when an advance loses a race (seq conflict) nothing of that event
is applied and it stays unprocessed, to be processed again against the run's new state.

Ids in event data are trusted only inside the event's contact (:mod:`.event_refs`); what is
ignored is recorded on the event (``ignored``). An event that cannot be processed at all
(malformed data, a bug) is quarantined: stored as processed with its ``error``, never blocking the
others. A batch whose commit fails is retried in halves until the event that fails alone is
found and quarantined (:mod:`.isolate`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from leadflow.definitions.conditions import ENTERED
from leadflow.engine import forks
from leadflow.engine.advance import advance_run, end, new_advance
from leadflow.engine.baseline import entered
from leadflow.engine.branches import branch_loader, cancel
from leadflow.engine.compiled import CompiledWorkflow
from leadflow.engine.event_refs import BadEventData, MessageRefs, data_id
from leadflow.engine.facts import message_facts
from leadflow.engine.handlers import AWAITING, VERDICT
from leadflow.engine.isolate import describe, isolate, store_answers
from leadflow.engine.leased import LeasedBatches
from leadflow.engine.ports import EventBatch
from leadflow.errors import NotFound, StoreError
from leadflow.model.records import (
    LIVE_STATUSES,
    Advance,
    Contact,
    EnrollRequest,
    Event,
    Message,
    MessageFacts,
    Run,
    RunStatus,
    Step,
)
from leadflow.store.contract import Store

log = logging.getLogger(__name__)

REPLY_EVENTS = {
    "sms.received": "sms",
    "email.received": "email",
    "voice.received": "voice",
    "whatsapp.received": "whatsapp",
    "messenger.received": "messenger",  # a message to the tenant's Facebook page
}
_FACT_SUFFIXES = ("delivered", "opened", "clicked", "failed")
_VERDICTS = frozenset({"sent", "delivered", "failed", "suppressed"})
_CHANNELS = frozenset({"sms", "email", "voice", "webhook", "whatsapp", "messenger"})
_OPEN_STATUSES = [RunStatus.ACTIVE, RunStatus.WAITING, RunStatus.PAUSED]


def event_view(event: Event) -> dict[str, Any]:
    """How an event looks to conditions and templates (``event.type``, ``event.data.x``)."""
    return {
        "id": event.id,
        "type": event.type,
        "data": event.data,
        "occurred_at": event.occurred_at,
        "contact_id": event.contact_id,
    }


class EventProcessor(LeasedBatches):
    """Processes the due events; ``quarantined`` counts those set aside with their error."""

    def process_due(self, now: float) -> int:
        events = self.store.claim_events(self.owner, now, self.batch, self.lease_s)
        if not events:
            return 0
        set_aside = isolate(
            events,
            lambda part: self._process(part, now),
            lambda event, exc: self._quarantine({event.id: describe(exc)}, now),
            store_answers(self.store.schema_version),
            "event",
        )
        self.quarantined += set_aside  # after: isolate may count some itself
        return len(events)

    def _quarantine(self, failures: dict[int, str], now: float) -> int:
        return len(self.store.fail_events(self.owner, failures, now))

    def _process(self, events: Sequence[Event], now: float) -> None:
        catalog = self.engine.catalog
        catalog.refresh()
        registry = self.engine.registry
        observed = registry.observed
        relevant = [
            e
            for e in events
            if e.contact_id
            and (e.type in REPLY_EVENTS or e.type in observed or catalog.concerns_runs(e.type))
        ]
        contact_ids = {e.contact_id for e in relevant if e.contact_id}
        contacts = self.store.get_contacts(contact_ids) if contact_ids else {}
        if registry.observers:  # consent changes and answers, rescoring...: before the runs
            seen = EventBatch(self.store, events, contacts, now)
            for observer in registry.observers:
                observer.observe(seen)
            contacts = seen.contacts
        open_runs = self.store.runs_of_contacts(contact_ids, _OPEN_STATUSES) if contact_ids else {}
        batch = _Batch(self.store, open_runs, now)
        failures: dict[int, str] = {}
        for event in events:
            # An event no workflow listens to only carries facts (contacts is empty for it).
            contact = contacts.get(event.contact_id) if event.contact_id else None
            mark = batch.mark()
            try:
                self._one(event, contact, now, batch)
            except StoreError:
                raise  # the store, not the event: the batch is retried (see isolate)
            except BadEventData as exc:
                log.warning("event %s (%s) quarantined: %s", event.id, event.type, exc.message)
                failures[event.id] = exc.message
                batch.rollback(mark)
            except Exception as exc:  # one bad event must not block every other one
                log.exception("event %s (%s) could not be processed", event.id, event.type)
                failures[event.id] = describe(exc)
                batch.rollback(mark)
        if failures:  # counted once: an event already set aside is not set aside again
            self.quarantined += self._quarantine(failures, now)
        notes = {i: "; ".join(n) for i, n in batch.notes.items() if i not in failures}
        if notes:
            self.store.note_events(notes)
        done = [e.id for e in events if e.id not in failures]
        self.store.complete_events(
            self.owner, done, batch.advances, batch.enrollments, batch.facts, now
        )

    # ------------------------------------------------------------------ one event
    def _one(self, event: Event, contact: Contact | None, now: float, batch: _Batch) -> None:
        view = event_view(event)
        self._facts(event, batch)
        if contact is None:
            return
        self._verdict(event, contact, view, now, batch)
        scope = {"contact": contact.as_dict(), "event": view, "context": {}, "steps": {}}
        for wf in self.engine.catalog.triggered_by(event.type, contact.tenant_id):
            self._trigger(wf, event, view, scope, contact, batch)
        for run in batch.open_runs(contact.id):
            current = batch.run(run.id)  # as changed by this event so far (a fork let go)
            if current is not None and current.status in _OPEN_STATUSES:
                self._run(current, contact, event, view, now, batch)

    def _facts(self, event: Event, batch: _Batch) -> None:
        data = event.data
        suffix = event.type.rsplit(".", 1)[-1]
        channel = REPLY_EVENTS.get(event.type)
        if data.get("source") == "dispatch" or (suffix not in _FACT_SUFFIXES and not channel):
            return  # the dispatcher recorded its verdicts on the message itself
        message_id = data_id(event, "message_id")
        named = message_id is not None
        if message_id is not None and batch.own_message(event, message_id) is None:
            message_id = None  # not this contact's (the reason is noted on the event)
        if suffix in _FACT_SUFFIXES and message_id is not None:
            at = event.occurred_at
            fact = MessageFacts(message_id)
            if suffix == "delivered":
                fact.status, fact.delivered_at = "delivered", at
            elif suffix == "opened":
                fact.opened_at = at
            elif suffix == "clicked":
                fact.clicked_at = at
            else:  # a failure reported later by the provider (a carrier receipt)
                fact.status = "failed"
                fact.error = str(data.get("error") or "failed")
            batch.facts.append(fact)
        if channel and event.contact_id:
            if not named:
                last = self.store.latest_message_to(event.contact_id, channel)
                message_id = last.id if last else None
            if message_id is not None:
                batch.facts.append(MessageFacts(message_id, replied_at=event.occurred_at))

    def _verdict(
        self, event: Event, contact: Contact, view: dict[str, Any], now: float, batch: _Batch
    ) -> None:
        """A dispatch verdict about one of this contact's runs' messages. A send node waiting for
        it resumes; a failure at a node without ``on_error`` fails the live run."""
        channel, _, suffix = event.type.partition(".")
        if suffix not in _VERDICTS or channel not in _CHANNELS:
            return
        run_id = data_id(event, "run_id")
        if run_id is None:
            return
        run = batch.run(run_id)
        if run is None or run.contact_id != contact.id:  # not this contact's run: never touch it
            batch.note(event.id, f"data.run_id: {run_id} is not a run of this contact")
            return
        message_id = data_id(event, "message_id")
        if message_id is not None:
            message = batch.own_message(event, message_id, sent=False)
            if message is None:
                return  # noted
            if message.run_id != run.id:
                batch.note(
                    event.id, f"data.message_id: {message_id} is not a message of run {run_id}"
                )
                return
        node_id = str(event.data.get("node") or "")
        awaiting = run.context.get(AWAITING)
        key = event.data.get("idempotency_key")
        try:  # the run's workflow in its contact's tenant (keys are per tenant)
            wf = self.engine.catalog.get(contact.tenant_id, run.workflow_key, run.version)
        except NotFound:
            return  # a run whose workflow its tenant does not have: the advancer fails it
        if (
            run.status == RunStatus.WAITING
            and run.waiting_for == VERDICT
            and awaiting is not None
            and key == awaiting
        ):
            self._resume(run, contact, wf, event, view, now, batch)
            return
        if suffix != "failed" or run.status not in LIVE_STATUSES:
            return
        if getattr(wf.nodes.get(node_id), "on_error", None):
            return  # that node already took its verdict; a late failure is only a fact
        adv = new_advance(run)
        adv.event_id = event.id
        adv.step_seq += 1
        error = str(event.data.get("error") or "message failed")
        adv.steps.append(
            Step(run.id, node_id, "dispatch", adv.step_seq, 1, "failed", now, None, error)
        )
        end(adv, RunStatus.FAILED, now, None, f"{node_id}: {error}")
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
                    context={"trigger": view, **entered(wf, contact)},
                    reentry=reentry.policy,
                    reentry_days=reentry.days,
                    event_id=event.id,
                    max_per_hour=self.engine.limits.per_hour(),
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
            wf = self.engine.catalog.get(contact.tenant_id, run.workflow_key, run.version)
        except NotFound:
            return
        scope = {
            "contact": contact.as_dict(),
            "event": view,
            "context": run.context.get("vars") or {},
            "steps": run.context.get("steps") or {},
            ENTERED: run.context.get(ENTERED) or {},
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
                        1,
                        f"goal:{goal.name}",
                        now,
                        None,
                        None,
                        {"event": event.type, "event_id": event.id},
                    )
                )
                end(adv, RunStatus.EXITED, now, goal.name)
                adv.event_id = event.id
                batch.add(run, adv)
                return
        if run.status == RunStatus.WAITING and run.waiting_for == event.type:
            # The time-out wins over an event that happened after it, however late the event is
            # processed: whichever came first, exactly once.
            in_time = run.wake_at is None or event.occurred_at <= run.wake_at
            predicate = wf.match_predicates.get(run.node or "")
            meant = forks.concerns(run, event.type, event.data)
            if in_time and meant and (predicate is None or predicate(scope)):
                self._resume(run, contact, wf, event, view, now, batch)
                return
        if (
            event.type in REPLY_EVENTS
            and wf.definition.settings.pause_on_reply
            and (run.status in LIVE_STATUSES)
        ):
            adv = new_advance(run)
            adv.context["_paused"] = {"status": run.status, "wake_at": run.wake_at}
            adv.status = RunStatus.PAUSED
            adv.step_seq += 1
            adv.steps.append(
                Step(
                    run.id,
                    run.node or "",
                    "pause",
                    adv.step_seq,
                    1,
                    "paused:reply",
                    now,
                    None,
                    None,
                    {"event": event.type, "event_id": event.id},
                )
            )
            adv.event_id = event.id
            batch.add(run, adv)

    def _resume(
        self,
        run: Run,
        contact: Contact,
        wf: CompiledWorkflow,
        event: Event,
        view: dict[str, Any],
        now: float,
        batch: _Batch,
    ) -> None:
        """Wake a run sleeping at its node with ``event`` and advance it as far as it goes (a
        branch run whose parent no longer waits for it is cancelled instead)."""
        parent = forks.parent_id(run)
        if parent is not None and not forks.branch_live(run, batch.run(parent)):
            adv = cancel(run, now)
            adv.event_id = event.id
            batch.add(run, adv)
            return
        stored = branch_loader(self.store)
        adv = advance_run(
            self.engine,
            run,
            replace_contact(contact),
            wf,
            now,
            event=view,
            facts_loader=self._facts_loader(),
            message_lookup=self.store.find_message,
            runs_since=self.store.count_runs_since,
            branch_runs=lambda parent: [batch.run(r.id) or r for r in stored(parent)],
        )
        adv.event_id = event.id
        batch.add(run, adv)

    def _facts_loader(self) -> Any:
        store = self.store
        return lambda run_id: message_facts(store.messages_of_run(run_id))


def replace_contact(contact: Contact) -> Contact:
    """A private copy: handlers may change it locally (update_contact)."""
    return replace(contact, tags=list(contact.tags), fields=dict(contact.fields))


class _Batch:
    """Products of one batch of events, with an overlay of runs already changed in it so a second
    event for the same run builds on the first one's result."""

    def __init__(self, store: Store, open_runs: dict[str, list[Run]], now: float) -> None:
        self.store = store
        self.now = now
        self.advances: list[Advance] = []
        self.enrollments: list[EnrollRequest] = []
        self.facts: list[MessageFacts] = []
        self._runs: dict[int, Run] = {}
        self._by_contact: dict[str, list[int]] = {}
        for contact_id, runs in open_runs.items():
            self._by_contact[contact_id] = [r.id for r in runs]
            for run in runs:
                self._runs[run.id] = run
        self._history: list[tuple[int, Run | None]] = []
        self.refs = MessageRefs(store)
        self.notes: dict[int, list[str]] = {}  # event id -> what of its data was ignored

    def note(self, event_id: int, why: str) -> None:
        seen = self.notes.setdefault(event_id, [])
        if why not in seen:
            seen.append(why)

    def own_message(self, event: Event, message_id: int, sent: bool = True) -> Message | None:
        """The message when it is one to the event's contact (with ``sent``: that has left);
        else None, the reason noted."""
        message, why = self.refs.own(event, message_id, sent)
        if why is not None:
            self.note(event.id, why)
        return message

    def mark(self) -> tuple[int, int, int, int]:
        return len(self.advances), len(self.enrollments), len(self.facts), len(self._history)

    def rollback(self, mark: tuple[int, int, int, int]) -> None:
        """Forget everything added since ``mark`` (an event that could not be processed)."""
        n_adv, n_enr, n_facts, n_hist = mark
        del self.advances[n_adv:], self.enrollments[n_enr:], self.facts[n_facts:]
        while len(self._history) > n_hist:
            run_id, before = self._history.pop()
            if before is None:
                self._runs.pop(run_id, None)
            else:
                self._runs[run_id] = before

    def open_runs(self, contact_id: str) -> list[Run]:
        ids = self._by_contact.get(contact_id, [])
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
        self._history.append((run.id, self._runs.get(run.id)))
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
        if forks.closes_fork(run.context, adv):  # its branches still open are cancelled with it
            for other in self.open_runs(run.contact_id):
                if forks.is_branch_of(other, run.id):
                    stop = cancel(other, self.now)
                    stop.event_id = adv.event_id
                    self.add(other, stop)
