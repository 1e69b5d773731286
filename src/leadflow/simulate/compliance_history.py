"""What the compliance check reads: contacts, messages, what the contacts did, the workflows'
rules; plain data, read from any store through its contract (:func:`history_from_store`) or
built by hand in tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.model.records import Contact, Message, MessageFilter
from leadflow.store.contract import Store

REPLY_TYPES = frozenset({"sms.received", "email.received", "voice.received"})
UNSUBSCRIBE_TYPE = "email.unsubscribed"


@dataclass(slots=True, frozen=True)
class Inbound:
    """Something the contact did: a text, an e-mail reply, an unsubscribe click."""

    contact_id: str
    type: str
    at: float
    intent: str = "reply"  # reply | opt_out | opt_in | help (what the scenario meant)


@dataclass(slots=True, frozen=True)
class WorkflowRules:
    pause_on_reply: bool
    default_zone: str
    window: tuple[int, int, frozenset[str]] | None  # (start min, end min, weekdays or empty)


@dataclass
class History:
    contacts: dict[str, Contact]
    messages: list[Message]
    inbound: list[Inbound]
    workflows: dict[str, WorkflowRules]
    budget_per_day: int
    default_zone: str = "America/New_York"


def _clock(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def workflow_rules(definition: dict[str, Any]) -> WorkflowRules:
    """The rules of one published definition, read from its JSON form."""
    settings = definition.get("settings") or {}
    window = settings.get("send_window")
    parsed = None
    if window:
        days = frozenset(window.get("weekdays") or ())
        parsed = (_clock(window.get("start", "08:00")), _clock(window.get("end", "21:00")), days)
    return WorkflowRules(
        pause_on_reply=bool(settings.get("pause_on_reply", True)),
        default_zone=str(settings.get("default_timezone") or "America/New_York"),
        window=parsed,
    )


def history_from_store(store: Store, budget_per_day: int, page: int = 5000) -> History:
    """Everything the check needs, read through the store contract (any backend). The
    scenario's own ``sim_intent`` on an inbound text says what the text meant."""
    contacts: dict[str, Contact] = {}
    offset = 0
    while batch := store.list_contacts(limit=page, offset=offset):
        contacts.update((c.id, c) for c in batch)
        offset += len(batch)
    messages: list[Message] = []
    after = 0
    while batch_m := store.list_messages(MessageFilter(limit=page, after_id=after)):
        messages += batch_m
        after = batch_m[-1].id or after
    inbound: list[Inbound] = []
    for kind in (*sorted(REPLY_TYPES), UNSUBSCRIBE_TYPE):
        after = 0
        while batch_e := store.list_events(limit=page, after_id=after, type=kind):
            after = batch_e[-1].id
            for event in batch_e:
                if event.contact_id:
                    intent = str(event.data.get("sim_intent") or "reply")
                    inbound.append(Inbound(event.contact_id, kind, event.occurred_at, intent))
    workflows: dict[str, WorkflowRules] = {}
    for wf in store.list_workflows():
        workflows[wf.key] = workflow_rules(wf.definition)
    return History(contacts, messages, inbound, workflows, budget_per_day)
