"""The outbox of the Store contract (queueing, claims, verdicts, facts, message queries), leases
on work in flight, history pruning and the sandbox provider's ledger."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence

from leadflow.model.records import (
    ClaimedMessage,
    Event,
    HeldLease,
    Message,
    MessageFacts,
    MessageFilter,
    MessageUpdate,
    NewEvent,
    RunHistory,
    SandboxDelivery,
)


class OutboxContract(abc.ABC):
    # ------------------------------------------------------------------ outbox
    @abc.abstractmethod
    def claim_messages(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[ClaimedMessage]:
        """Claim messages that are pending/deferred with ``due_at <= now``, or ``sending`` with an
        expired lease (in doubt), skipping messages whose contact has an unprocessed event of a
        reply type (sms.received, email.received, voice.received) so stop-on-reply wins the
        race; set them ``sending`` and lease them. Ordered by due_at (then id).
        ``ClaimedMessage.in_doubt`` is True exactly for the messages that were already
        ``sending`` before this claim (the provider may have them: reconcile before sending),
        False for those claimed from pending/deferred."""

    @abc.abstractmethod
    def queue_messages(self, messages: Sequence[Message], now: float) -> list[int | None]:
        """Queue messages that belong to no run (``run_id`` None, e.g. the answer to a HELP text)
        in one transaction. For each, its new id (also set on the message), or None when its
        ``idempotency_key`` is already taken (by an earlier message or one before it in the
        list): the same key twice is one message. Workers are signalled when any was queued.
        A message with a ``run_id`` is refused (:class:`~leadflow.errors.InvalidInput`): a
        run's messages are written with its advance."""

    @abc.abstractmethod
    def update_messages(
        self, owner: str, updates: Sequence[MessageUpdate], events: Sequence[NewEvent], now: float
    ) -> list[int]:
        """One transaction: apply the verdicts (releasing leases) and append ``events``. The
        verdict's status is taken as is; its other fields change the message only when set --
        except that a verdict of sent or delivered clears ``suppressed_reason`` (a message that
        was deferred, e.g. for quiet hours, and then sent was not suppressed). Other verdicts
        (deferred, suppressed...) record their reason when given.

        **Fenced by the lease:** a verdict applies only while the message is ``sending`` with
        ``lease_owner == owner`` (an expired lease nobody took over still counts as held). A
        verdict on a message that another owner took over, or that was released, is refused, and
        so are the events about it (``data["message_id"]``): the new owner decides. Returns the
        refused message ids (in the order given)."""

    @abc.abstractmethod
    def renew_messages(
        self, owner: str, message_ids: Sequence[int], now: float, lease_s: float
    ) -> set[int]:
        """Just before a send: extend the lease (``now + lease_s``) of those messages that are
        still ``sending`` under ``owner``'s lease *and* whose contact has no unprocessed
        hold-back event (a reply or a consent change, as in :meth:`claim_messages`: re-checked
        when the message is about to leave); return their ids. Only those may be sent: the
        others were taken over (their verdicts will be refused) or wait behind a reply or an
        opt-out. One transaction."""

    @abc.abstractmethod
    def apply_message_facts(self, facts: Sequence[MessageFacts], now: float) -> None:
        """Record facts; a status never moves backwards (delivered is not undone by sent):
        pending < deferred < sending < sent < delivered, and failed/suppressed replace anything
        but delivered and are final. ``*_at`` are set only when still unset; ``error`` is taken
        unless the fact's status was refused. Unknown message ids are ignored."""

    @abc.abstractmethod
    def get_message(self, message_id: int) -> Message | None: ...

    @abc.abstractmethod
    def find_message(self, idempotency_key: str) -> Message | None: ...

    @abc.abstractmethod
    def find_message_by_provider(self, provider_id: str) -> Message | None:
        """The message a provider knows as ``provider_id`` (a Twilio MessageSid or CallSid, a
        SendGrid message id), or None."""

    @abc.abstractmethod
    def latest_message_to(self, contact_id: str, channel: str) -> Message | None:
        """The contact's most recent sent/delivered message on ``channel``."""

    def sent_count_since(
        self, contact_id: str, since: float, channels: Iterable[str] | None = None
    ) -> int:
        """How many of the contact's run messages (messages of a workflow's run: answers that
        belong to no run, such as a HELP answer, are not counted) are sent or delivered with
        ``sent_at >= since`` (optionally only on these channels; an empty list counts
        nothing)."""
        return self.sent_counts_since([contact_id], since, channels).get(contact_id, 0)

    @abc.abstractmethod
    def sent_counts_since(
        self, contact_ids: Iterable[str], since: float, channels: Iterable[str] | None = None
    ) -> dict[str, int]:
        """:meth:`sent_count_since` for many contacts in one query: every contact id asked for
        is a key (0 when nothing counts), in contact id order."""

    @abc.abstractmethod
    def last_reply_at(self, contact_ids: Iterable[str]) -> dict[str, float]:
        """For each contact that ever replied (an event of a reply type: sms.received,
        email.received, voice.received, processed or not), the ``occurred_at`` of its latest
        reply; contacts that never replied are absent. One query for all."""

    @abc.abstractmethod
    def list_messages(self, flt: MessageFilter) -> list[Message]:
        """Messages by id (above ``after_id``; with a scope, only messages whose contact is in
        it), with ``duplicates`` filled from the sandbox ledger."""

    @abc.abstractmethod
    def messages_of_run(self, run_id: int) -> list[Message]: ...

    # ------------------------------------------------------------------ leases
    @abc.abstractmethod
    def held_leases(self) -> list[HeldLease]:
        """Work in flight: per (owner, queue) with a lease on live work -- runs active/waiting,
        messages ``sending``, unprocessed events -- how many entries and their least and greatest
        ``lease_until``; ordered by owner, then queue ("events", "messages", "runs"). Expired
        leases count too (the work is held until claimed again or released). Cheap: leases are
        indexed, so this reads only the entries in flight."""

    @abc.abstractmethod
    def release_leases(self, owners: Sequence[str]) -> int:
        """Drop every lease these owners hold (presumed dead), in one transaction, without
        changing the work: runs and events become claimable as they are; a ``sending`` message
        stays ``sending`` with no lease, so the next claim takes it *in doubt* and reconciles
        it with the provider before any resend. Returns how many entries were released."""

    # ------------------------------------------------------------------ history (prune)
    @abc.abstractmethod
    def prunable_runs(
        self, before: float, after_id: int = 0, limit: int = 1000
    ) -> list[RunHistory]:
        """Finished runs (completed/exited/failed/cancelled) with ``ended_at < before`` and
        ``id > after_id``, none of whose messages is still pending/deferred/sending, in id order,
        at most ``limit``; each with its steps and messages (one consistent read). Live, waiting
        and paused runs are never returned."""

    @abc.abstractmethod
    def delete_runs_history(self, seqs: Mapping[int, int], before: float) -> list[int]:
        """In ONE transaction delete the runs of ``seqs`` (run id -> seq as read by
        :meth:`prunable_runs`) with their steps and messages -- only those still finished, with
        ``ended_at < before``, the same seq (unchanged since they were read) and no message
        pending/deferred/sending. Returns the ids deleted, in id order; the rest are left as
        they are (unknown ids included). Re-entry still counts the deleted runs (an enrollment
        mark per contact and workflow key, in the same transaction), and no id of a deleted run,
        step or message is ever handed out again."""

    @abc.abstractmethod
    def prunable_events(self, before: float, after_id: int = 0, limit: int = 1000) -> list[Event]:
        """Processed events with ``processed_at < before`` and ``occurred_at < before`` and
        ``id > after_id``, in id order, at most ``limit``. Unprocessed events never are."""

    @abc.abstractmethod
    def delete_events(self, event_ids: Sequence[int], before: float) -> list[int]:
        """In one transaction delete those of ``event_ids`` that are processed with
        ``processed_at < before`` and ``occurred_at < before``; returns the ids deleted, in id
        order. Their dedupe keys become free again."""

    # ------------------------------------------------------------------ sandbox provider ledger
    def sandbox_deliver(
        self,
        idempotency_key: str,
        channel: str,
        to: str | None,
        body: str | None,
        provider_id: str,
        now: float,
    ) -> bool:
        """Record a sandbox delivery in its own transaction (as an outside system would). True
        when new; False when the key was delivered before, in which case its ``duplicates``
        counter goes up by one and nothing else changes."""
        item = (idempotency_key, channel, to, body, provider_id)
        return self.sandbox_deliver_many([item], now)[0]

    @abc.abstractmethod
    def sandbox_deliver_many(
        self, items: Sequence[tuple[str, str, str | None, str | None, str]], now: float
    ) -> list[bool]:
        """Record a batch of sandbox deliveries in ONE transaction (an outside system receiving a
        batch). Items are ``(idempotency_key, channel, to, body, provider_id)``; per item, True
        when new, False when the key was delivered before -- by an earlier call or earlier in
        this one -- in which case its ``duplicates`` goes up by one and nothing else changes.
        All or nothing: a refused item (e.g. a new key without channel) records none."""

    @abc.abstractmethod
    def sandbox_lookup(self, idempotency_key: str) -> SandboxDelivery | None: ...

    @abc.abstractmethod
    def sandbox_deliveries(self) -> list[SandboxDelivery]: ...


__all__ = ["OutboxContract"]
