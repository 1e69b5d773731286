"""The compliance plugin: inbound consent handling as an event observer.

For every batch of events, before its runs advance: the consent changes the events carry (STOP
/ START texts, carrier opt-outs, unsubscribes, spam reports: :mod:`.consent`) are applied in
their own idempotent write, then the answers the inbound texts are owed (opt-out confirmation,
HELP, opt-in confirmation: :mod:`.replies`) are queued, idempotent by a key naming the event,
before the events are completed. While the events are unprocessed the store holds the contact's
outbox back, so the answers and every other message meet the new consent."""

from __future__ import annotations

from functools import partial

from leadflow.compliance.consent import CONSENT_EVENTS, consent_patches
from leadflow.compliance.replies import OPT_OUT_CONFIRMATION, ReplyTexts, answers_for
from leadflow.engine.plugins import Plugin
from leadflow.engine.ports import EventBatch
from leadflow.model.records import MessageFilter
from leadflow.store.contract import Store


class ConsentObserver:
    """Consent changes first, then the automatic answers."""

    event_types = CONSENT_EVENTS

    def __init__(self, replies: ReplyTexts | None = None) -> None:
        self.replies = replies or ReplyTexts()

    def observe(self, batch: EventBatch) -> None:
        store, events, now = batch.store, batch.events, batch.now
        # Opt-outs first, in their own (idempotent) write: whatever else this batch queues for
        # the contact meets the new consent at dispatch.
        before = batch.contacts
        patches = consent_patches(events, before)
        if patches:
            store.apply_contact_patches(patches, now)
            changed = store.get_contacts(p.contact_id for p in patches)
            batch.contacts = {**before, **changed}
        confirmed = partial(confirmed_since, store)
        answers = answers_for(events, batch.contacts, self.replies, confirmed, now, before)
        if answers:  # before completing: a crash in between queues them again (same keys)
            store.queue_messages(answers, now)


def confirmed_since(store: Store, contact_id: str, since: float) -> bool:
    """Whether an opt-out confirmation was queued for the contact at or after ``since``."""
    sent = store.list_messages(MessageFilter(contact_id=contact_id, channel="sms"))
    return any(
        m.payload.get("compliance") == OPT_OUT_CONFIRMATION and m.created_at >= since for m in sent
    )


def compliance_plugin(replies: ReplyTexts | None = None) -> Plugin:
    """``replies``: the words of the automatic answers (settings ``sms_brand``,
    ``sms_help_contact``, ``sms_frequency``)."""
    return Plugin("compliance", observers=[ConsentObserver(replies)])


__all__ = ["ConsentObserver", "compliance_plugin", "confirmed_since"]
