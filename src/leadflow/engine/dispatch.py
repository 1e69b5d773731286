"""The outbox dispatcher: the only place where anything leaves the system.

For each claimed message: reconcile it first if it was left in doubt by a crash (the provider is
asked whether it already has the idempotency key); then ask the dispatch policy (compliance is
checked now, when the message is about to leave, not when it was scheduled); then send through the
channel's provider (a provider that sends one message at a time gets each verdict committed
right after its send); record the verdict and emit ``<channel>.sent`` / ``.delivered`` / ``.failed``
events. Provider failures retry with the retry policy; a permanent failure fails the message and
its ``<channel>.failed`` event lets the run take its ``on_error`` edge.

Within a batch, each contact's messages are decided highest workflow priority first, so a short
budget goes to the workflows that matter most (:mod:`leadflow.engine.budget`). Compliance answers
(``payload["compliance"]``: a STOP confirmation, a HELP answer) belong to no run: they are not
held back by an earlier reply (they answer it) and take none of the budget.

One message never stops the others: a message whose decision raises unexpectedly fails with the
error, and a verdict the store refuses is retried alone and then stored as a failure with the
reason (:mod:`.isolate`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from leadflow.engine import forks
from leadflow.engine.advance import Engine
from leadflow.engine.budget import REASON as PRIORITY_REASON
from leadflow.engine.budget import RETRY_S as PRIORITY_RETRY_S
from leadflow.engine.budget import Priorities
from leadflow.engine.isolate import describe, isolate, store_answers
from leadflow.engine.leased import LeasedBatches
from leadflow.engine.ports import Decision, DispatchPolicy, Provider, SendResult
from leadflow.errors import LeadflowError, NotFound, ProviderError, StoreError
from leadflow.model.records import (
    ENDED_STATUSES,
    ClaimedMessage,
    Message,
    MessageStatus,
    MessageUpdate,
    NewEvent,
    Run,
)
from leadflow.store.contract import Store

log = logging.getLogger(__name__)

DAY = 86400.0
BUDGET_CHANNELS = ("sms", "email", "voice", "whatsapp")
OPTED_OUT_ERROR = "opted_out:"  # how a provider's error says the number opted out
CAPPED_CHANNELS = ("sms", "voice", "whatsapp")  # what a state's per-day cap counts


class Dispatcher(LeasedBatches):
    def __init__(
        self,
        store: Store,
        engine: Engine,
        providers: Mapping[str, Provider],
        policy: DispatchPolicy,
        owner: str,
        batch: int = 200,
        lease_s: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        # quarantined: messages failed because they could not be decided or recorded
        super().__init__(store, engine, owner, batch, lease_s)
        # What time it is during a batch (slow providers: a lease is renewed from the moment of
        # each send, not from the start of the batch).
        self.clock = clock
        self.providers = providers
        self.policy = policy
        self._sent: dict[str, int] = {}
        self._texts_calls: dict[str, int] = {}
        self._replied: dict[str, float] = {}
        self._parents: Mapping[int, Run] = {}  # this batch's branch runs' parents
        self._priorities = Priorities(store, engine.catalog)

    def dispatch_due(self, now: float) -> int:
        claimed = self.store.claim_messages(self.owner, now, self.batch, self.lease_s)
        if not claimed:
            return 0
        runs = self.store.get_runs({c.message.run_id for c in claimed if c.message.run_id})
        parents = {pid for r in runs.values() if (pid := forks.parent_id(r)) is not None}
        self._parents = self.store.get_runs(parents) if parents else {}
        contact_ids = {c.message.contact_id for c in claimed if c.message.contact_id}
        self._sent = self.store.sent_counts_since(contact_ids, now - DAY, BUDGET_CHANNELS)
        capped_ids = {c.contact.id for c in claimed if c.contact and self.policy.capped(c.contact)}
        self._texts_calls = (
            self.store.sent_counts_since(capped_ids, now - DAY, CAPPED_CHANNELS)
            if capped_ids
            else {}
        )
        self._replied = self.store.last_reply_at(contact_ids)
        self._priorities.start_batch()
        verdicts: dict[int, MessageUpdate] = {}
        to_send: dict[str, list[Message]] = {}
        for item in self._by_priority(claimed, runs):
            msg = item.message
            assert msg.id is not None
            run = runs.get(msg.run_id) if msg.run_id else None
            try:
                early = self._before_send(item, run, now)
            except StoreError:
                raise
            except Exception as exc:  # a bug deciding one message: it fails, the others go on
                log.exception("message %s could not be decided", msg.id)
                self.quarantined += 1
                error = f"could not be dispatched: {describe(exc)}"
                early = MessageUpdate(msg.id, MessageStatus.FAILED, error=error)
            if early is not None:
                verdicts[msg.id] = early
            else:
                to_send.setdefault(msg.channel, []).append(msg)
        done: set[int] = set()  # verdicts already committed, one by one
        for channel, messages in to_send.items():
            provider = self.providers[channel]
            if getattr(provider, "send_many", None) is None or len(messages) == 1:
                done |= self._send_one_by_one(provider, messages, now, verdicts)
                continue
            # Last look before anything leaves: only what this worker still holds, for contacts
            # without a reply waiting, is sent (the lease is renewed for the send).
            ids = [m.id for m in messages if m.id is not None]
            still = self.store.renew_messages(self.owner, ids, now, self.lease_s)
            for mid in ids:
                if mid not in still:  # back to the queue (refused if no longer ours)
                    verdicts[mid] = MessageUpdate(mid, MessageStatus.PENDING)
            going = [m for m in messages if m.id in still]
            for msg, update in zip(going, self._send(channel, going, now), strict=True):
                assert msg.id is not None
                verdicts[msg.id] = update
        rest = [c.message for c in claimed if c.message.id not in done]
        self._commit([(m, verdicts[m.id]) for m in rest if m.id is not None], now)
        return len(claimed)

    def _send_one_by_one(
        self,
        provider: Provider,
        messages: list[Message],
        now: float,
        verdicts: dict[int, MessageUpdate],
    ) -> set[int]:
        """Send through a provider that takes one message at a time (a network call each: Twilio,
        SMTP, SendGrid, webhooks): the leases of the message and of those waiting behind it are
        renewed just before each send and the verdict committed right after it, so a slow
        provider never outlives the lease of the messages still waiting, a crash leaves at most
        one message in doubt, and the provider's id is stored before its status callbacks can
        arrive. Returns the ids committed."""
        done: set[int] = set()
        ids = [m.id for m in messages if m.id is not None]
        for i, msg in enumerate(messages):
            assert msg.id is not None
            at = max(now, self.clock()) if self.clock is not None else now
            # this message and the ones still waiting behind it
            if msg.id not in self.store.renew_messages(self.owner, ids[i:], at, self.lease_s):
                verdicts[msg.id] = MessageUpdate(
                    msg.id, MessageStatus.PENDING
                )  # no longer ours, or held
                continue
            try:
                result: SendResult | Exception = provider.send(msg, at)
            except Exception as exc:
                result = exc
            self._commit([(msg, self._verdict(msg, result, at))], at)
            done.add(msg.id)
        return done

    def _commit(self, verdicts: list[tuple[Message, MessageUpdate]], now: float) -> None:
        """Record verdicts and their ``<channel>.<verdict>`` events in one transaction (a batch
        the store refuses is retried in parts; a verdict it refuses alone is stored as a
        failure with the reason)."""
        if not verdicts:
            return
        set_aside = isolate(
            verdicts,
            lambda part: self._record(list(part), now),
            lambda pair, exc: self._record_unstorable(pair[0], pair[1], exc, now),
            store_answers(self.store.schema_version),
            "message verdict",
        )
        self.quarantined += set_aside  # after: isolate may count some itself

    def _record_unstorable(
        self, msg: Message, update: MessageUpdate, exc: Exception, now: float
    ) -> None:
        """The store refused this verdict alone: keep its status and times (the message may
        have left) and replace what came from outside (the provider's id and error text) with
        the reason."""
        assert msg.id is not None
        kept = MessageUpdate(
            msg.id,
            update.status,
            due_at=update.due_at,
            attempts=update.attempts,
            sent_at=update.sent_at,
            delivered_at=update.delivered_at,
            suppressed_reason=update.suppressed_reason,
            error=f"verdict not stored in full: {describe(exc)}",
        )
        self._record([(msg, kept)], now)

    def _record(self, verdicts: list[tuple[Message, MessageUpdate]], now: float) -> None:
        updates: list[MessageUpdate] = []
        events: list[NewEvent] = []
        for msg, update in verdicts:
            updates.append(update)
            events += _events_for(msg, update, now)
        catalog = self.engine.catalog
        for event in events:  # kept as history; only what a workflow listens to is processed
            event.processed = not catalog.concerns_runs(event.type)
        refused = self.store.update_messages(self.owner, updates, events, now)
        if refused:
            log.warning(
                "%d message verdict(s) refused: their lease was taken over (ids %s)",
                len(refused),
                refused[:10],
            )

    def _before_send(
        self, item: ClaimedMessage, run: Run | None, now: float
    ) -> MessageUpdate | None:
        """A verdict reached without sending (reconciled, suppressed, deferred), or None."""
        msg = item.message
        assert msg.id is not None
        provider = self.providers.get(msg.channel)
        if provider is None:
            return MessageUpdate(
                msg.id, MessageStatus.FAILED, error=f"no provider for {msg.channel}"
            )
        if item.in_doubt:
            known = _lookup(provider, msg.idempotency_key)
            if known is not None:  # sent before a crash: record it, never send again
                return _sent(msg, known, now)
        decision = self._decide(item, run, now)
        if decision.action == "suppress":
            return MessageUpdate(
                msg.id, MessageStatus.SUPPRESSED, suppressed_reason=decision.reason
            )
        if decision.action == "defer":
            return MessageUpdate(
                msg.id,
                MessageStatus.DEFERRED,
                due_at=decision.until,
                suppressed_reason=decision.reason,
            )
        if msg.contact_id and _budgeted(msg):  # counts towards the budget now
            self._sent[msg.contact_id] = self._sent.get(msg.contact_id, 0) + 1
            self._priorities.granted(msg.contact_id, self._priority(item, run))
            if msg.contact_id in self._texts_calls and msg.channel in CAPPED_CHANNELS:
                self._texts_calls[msg.contact_id] += 1  # and towards a state's cap
        return None

    def _priority(self, item: ClaimedMessage, run: Run | None) -> int:
        """The priority of the message's workflow, looked up in its contact's tenant."""
        if run is None or item.contact is None:
            return 0
        return self._priorities.of(item.contact.tenant_id, run.workflow_key, run.version)

    def _by_priority(
        self, claimed: list[ClaimedMessage], runs: Mapping[int, Run]
    ) -> list[ClaimedMessage]:
        """Highest workflow priority first (stable: due order among equals)."""

        def rank(item: ClaimedMessage) -> int:
            run_id = item.message.run_id
            return -self._priority(item, runs.get(run_id) if run_id is not None else None)

        return sorted(claimed, key=rank)

    def _budget_priority(
        self, item: ClaimedMessage, run: Run | None, decision: Decision, now: float
    ) -> Decision:
        """Workflow priority over the policy's verdict on the budget (see
        :mod:`leadflow.engine.budget`)."""
        msg = item.message
        budget = getattr(self.policy, "budget_per_day", 0)
        if not budget or not msg.contact_id or not _budgeted(msg) or item.contact is None:
            return decision
        priority = self._priority(item, run)
        if decision.action == "defer" and decision.reason == "budget":
            if self._priorities.outranked(msg.contact_id, priority):
                return Decision("defer", until=decision.until, reason=PRIORITY_REASON)
            return decision
        if decision.action != "send":
            return decision
        left = budget - self._sent.get(msg.contact_id, 0)
        ahead = self._priorities.needed_ahead(item.contact.tenant_id, msg, priority, now)
        if ahead and left <= ahead:
            return Decision("defer", until=now + PRIORITY_RETRY_S, reason=PRIORITY_REASON)
        return decision

    def _send(self, channel: str, messages: list[Message], now: float) -> list[MessageUpdate]:
        """Send a batch through a provider that takes batches (the sandbox's one ledger
        transaction); the verdicts are committed with the rest of the dispatch batch."""
        if not messages:
            return []
        send_many = getattr(self.providers[channel], "send_many", None)
        assert send_many is not None
        try:
            results: list[SendResult | Exception] = list(send_many(messages, now))
        except Exception as exc:  # the batch as a whole failed: each message retries
            results = [_as_provider_error(exc)] * len(messages)
        return [self._verdict(msg, res, now) for msg, res in zip(messages, results, strict=True)]

    def _verdict(self, msg: Message, result: SendResult | Exception, now: float) -> MessageUpdate:
        assert msg.id is not None
        attempts = msg.attempts + 1
        if isinstance(result, Exception):
            exc = _as_provider_error(result)
            retry = self.engine.retry.decide(attempts, exc.retryable, self.engine.rng)
            if retry.retry:
                return MessageUpdate(
                    msg.id,
                    MessageStatus.PENDING,
                    due_at=now + retry.delay_s,
                    attempts=attempts,
                    error=exc.message,
                )
            return MessageUpdate(msg.id, MessageStatus.FAILED, attempts=attempts, error=exc.message)
        update = _sent(msg, result, now)
        update.attempts = attempts
        return update

    def _decide(self, item: ClaimedMessage, run: Run | None, now: float) -> Decision:
        msg = item.message
        if msg.to is None or msg.to == "":
            return Decision("suppress", reason=f"no_{_address_word(msg.channel)}")
        if run is not None and run.status not in ENDED_STATUSES:  # an ended run: the policy's
            parent = forks.parent_id(run)
            if parent is not None and not forks.branch_live(run, self._parents.get(parent)):
                return Decision("suppress", reason="branch_cancelled")
        settings = None
        if run is not None and item.contact is not None:  # the run's workflow, in its tenant
            try:
                wf = self.engine.catalog.get(item.contact.tenant_id, run.workflow_key, run.version)
                settings = wf.definition.settings
            except NotFound:
                settings = None
        # The lead replied after this message was queued (its run may have ended or moved on
        # meanwhile): with stop-on-reply it must not go out. Messages queued in answer to the
        # reply are newer and unaffected.
        replied = self._replied.get(msg.contact_id) if msg.contact_id else None
        stops = settings is None or settings.pause_on_reply
        # a compliance answer (of no run) answers the reply
        answer = msg.run_id is None and msg.payload.get("compliance") is not None
        if stops and not answer and replied is not None and replied > msg.created_at:
            return Decision("suppress", reason="replied")
        sent = self._sent.get(msg.contact_id, 0) if msg.contact_id else 0
        texts_calls = self._texts_calls.get(msg.contact_id, 0) if msg.contact_id else 0
        try:
            decision = self.policy.check(msg, item.contact, run, settings, now, sent, texts_calls)
        except LeadflowError as exc:  # a policy that cannot decide must not let it through
            log.warning("dispatch policy failed for message %s: %s", msg.id, exc.message)
            return Decision("defer", until=now + 60, reason="policy_error")
        return self._budget_priority(item, run, decision, now)


def _budgeted(msg: Message) -> bool:
    """Whether a sent ``msg`` takes budget: run messages on a counted channel."""
    return msg.run_id is not None and msg.channel in BUDGET_CHANNELS


def _as_provider_error(exc: Exception) -> ProviderError:
    """Provider errors as they are; anything else (a bug, a malformed address) fails that one
    message for good, with the error's type and text, instead of stalling the batch."""
    if isinstance(exc, ProviderError):
        return exc
    log.warning("provider raised %s: %s", type(exc).__name__, exc)
    return ProviderError(f"{type(exc).__name__}: {exc}", retryable=False)


def _lookup(provider: Provider, key: str) -> SendResult | None:
    lookup = getattr(provider, "lookup", None)
    return lookup(key) if lookup is not None else None


def _sent(msg: Message, result: SendResult, now: float) -> MessageUpdate:
    assert msg.id is not None
    delivered = result.status == "delivered"
    return MessageUpdate(
        msg.id,
        MessageStatus.DELIVERED if delivered else MessageStatus.SENT,
        sent_at=now,
        delivered_at=now if delivered else None,
        provider_id=result.provider_id,
    )


def _address_word(channel: str) -> str:
    return {
        "sms": "phone",
        "voice": "phone",
        "whatsapp": "phone",
        "email": "email",
        "webhook": "url",
    }.get(channel, "address")


def _events_for(msg: Message, update: MessageUpdate, now: float) -> list[NewEvent]:
    data = {
        "message_id": msg.id,
        "run_id": msg.run_id,
        "node": msg.node,
        "channel": msg.channel,
        "idempotency_key": msg.idempotency_key,
        "source": "dispatch",
    }
    key = msg.idempotency_key
    out: list[NewEvent] = []
    if update.status == MessageStatus.SENT:
        out.append(NewEvent(f"{msg.channel}.sent", msg.contact_id, data, f"sent:{key}", now))
    elif update.status == MessageStatus.DELIVERED:
        out.append(
            NewEvent(f"{msg.channel}.delivered", msg.contact_id, data, f"delivered:{key}", now)
        )
    elif update.status == MessageStatus.FAILED:
        failed = {**data, "error": update.error}
        out.append(NewEvent(f"{msg.channel}.failed", msg.contact_id, failed, f"failed:{key}", now))
        if msg.channel == "sms" and (update.error or "").startswith(OPTED_OUT_ERROR):
            # the provider says the number opted out (Twilio 21610): our consent follows, so
            # the lead's next texts are suppressed here instead of failing there one by one
            said = {**data, "source": "provider_opt_out", "evidence": update.error}
            out.append(NewEvent("sms.opted_out", msg.contact_id, said, f"optout:{key}", now))
    elif update.status == MessageStatus.SUPPRESSED:
        info = {**data, "reason": update.suppressed_reason}
        out.append(
            NewEvent(f"{msg.channel}.suppressed", msg.contact_id, info, f"suppressed:{key}", now)
        )
    return out


__all__ = ["Dispatcher"]
