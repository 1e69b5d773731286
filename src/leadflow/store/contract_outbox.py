"""The outbox of the core store contract (queueing, claims, verdicts, facts, message queries)
and the leases on work in flight."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence

from leadflow.model.records import (
    ClaimedMessage,
    HeldLease,
    Message,
    MessageFacts,
    MessageFilter,
    MessageUpdate,
    NewEvent,
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


__all__ = ["OutboxContract"]
