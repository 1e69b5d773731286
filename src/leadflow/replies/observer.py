"""Every inbound reply is read before workflows see it: ``sms.received``, ``email.received``,
``email.replied``, ``whatsapp.received`` and ``messenger.received`` get ``data.intent``,
``data.intent_confidence`` and ``data.intent_source`` (``rules`` / ``llm`` / ``model``), written
to the stored event first (so a batch processed again after a crash reads the stored answer and
never asks again), then on the batch's events, which the triggers, goals and ``wait_for_event``
nodes of the same pass read.

``needs_agent`` and ``appointment_request`` also make a task for the contact's owner (when the
owner is missing or not Active: whoever the playbooks' routing names), once per event: its key
is ``reply:<event id>``, and ``task.created`` is recorded with it. A reply without words (an
``email.replied`` noticed by another system) carries no intent, and an event that arrives with
an ``intent`` of its sender's keeps it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from leadflow.engine.ports import EventBatch
from leadflow.errors import PermanentStepError
from leadflow.model.playbooks import Task
from leadflow.model.records import Contact, Event, NewEvent
from leadflow.model.tenancy import Agent
from leadflow.replies.intent import IntentReader
from leadflow.store.contract import Store

log = logging.getLogger("leadflow.replies")

REPLY_TYPES = frozenset(
    {"sms.received", "email.received", "email.replied", "whatsapp.received", "messenger.received"}
)
TASK_INTENTS = {
    "needs_agent": ("Reply needs an agent", "high", 3600.0),
    "appointment_request": ("Reply asks for an appointment", "high", 3600.0),
}
TASK_LABEL = "reply"
# Who gets a task: (store, tenant, owner, to) -> (agent, why); the playbooks' routing.
Recipient = Callable[[Store, str, str | None, str], tuple[Agent, str]]


def reply_text(event: Event) -> str:
    """The words of a reply: ``body`` (``Body`` as Twilio posts it, ``text``), with an e-mail's
    ``subject`` in front when there is one."""
    data = event.data
    body = next((v for k in ("body", "Body", "text") if isinstance(v := data.get(k), str)), "")
    subject = data.get("subject")
    if isinstance(subject, str) and subject.strip() and event.type.startswith("email."):
        body = f"{subject.strip()}\n{body}" if body.strip() else subject
    return body.strip()


def _provider_said(event: Event) -> str | None:
    said = event.data.get("opt_out_type") or event.data.get("OptOutType")
    return said if isinstance(said, str) else None


def _read_already(data: dict[str, Any]) -> bool:
    return "intent_source" in data or bool(data.get("intent"))


class IntentObserver:
    event_types = REPLY_TYPES

    def __init__(self, reader: IntentReader, recipient: Recipient | None = None) -> None:
        self.reader = reader
        self.recipient = recipient

    def observe(self, batch: EventBatch) -> None:
        replies = [e for e in batch.events if e.type in REPLY_TYPES and e.contact_id]
        # An event that arrives read already (its sender gave ``intent``, or an earlier pass
        # wrote ``intent_source``) is not read again: nobody's word is overwritten.
        fresh = [e for e in replies if not _read_already(e.data) and reply_text(e)]
        if fresh:
            tenant = {e.id: self._tenant(batch, e) for e in fresh}
            found: dict[int, dict[str, Any]] = {}
            for t in sorted(set(tenant.values())):
                mine = [e for e in fresh if tenant[e.id] == t]
                readings = self.reader.read(
                    [reply_text(e) for e in mine], t, [_provider_said(e) for e in mine]
                )
                for event, reading in zip(mine, readings, strict=True):
                    found[event.id] = {
                        "intent": reading.intent,
                        "intent_confidence": reading.confidence,
                        "intent_source": reading.source,
                    }
            batch.store.annotate_events(found)  # first: a retry reads these, never asks again
            for event in fresh:
                event.data.update(found[event.id])
        for event in replies:
            if event.data.get("intent") in TASK_INTENTS:
                self._task(batch, event)

    @staticmethod
    def _tenant(batch: EventBatch, event: Event) -> str:
        contact = batch.contacts.get(event.contact_id or "")
        return contact.tenant_id if contact is not None else "default"

    def _task(self, batch: EventBatch, event: Event) -> None:
        contact = batch.contacts.get(event.contact_id or "")
        if contact is None:
            return
        try:
            assignee = self._assignee(batch.store, contact)
        except PermanentStepError as exc:
            log.warning("reply %s: no task made: %s", event.id, exc)
            return
        intent = str(event.data["intent"])
        title, priority, due_in = TASK_INTENTS[intent]
        lead = " ".join(x for x in (contact.first_name, contact.last_name) if x) or contact.id
        words = reply_text(event)
        task, created = batch.store.create_task(
            Task(
                tenant_id=contact.tenant_id,
                contact_id=contact.id,
                assignee=assignee,
                title=f"{title}: {lead}"[:200],
                due_at=batch.now + due_in,
                step_key=f"reply:{event.id}",
                body=f'{lead} wrote: "{words[:500]}"',
                label=TASK_LABEL,
                priority=priority,
                created_at=batch.now,
            )
        )
        data = task.event_data(reason=intent, event_id=event.id)
        key = f"task.created:{task.id}"  # the same key again is the same event
        batch.store.append_events(
            [NewEvent("task.created", contact.id, data, key, batch.now)], batch.now
        )
        if created:
            log.info("reply %s (%s): task %s for %s", event.id, intent, task.id, task.assignee)

    def _assignee(self, store: Store, contact: Contact) -> str:
        if self.recipient is not None:
            agent, _ = self.recipient(store, contact.tenant_id, contact.owner, "owner")
            return agent.member_key
        if contact.owner:
            return contact.owner
        raise PermanentStepError("the contact has no owner")


__all__ = ["REPLY_TYPES", "TASK_INTENTS", "IntentObserver", "Recipient", "reply_text"]
