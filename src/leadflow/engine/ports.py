"""The interfaces the engine needs from the layers above it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from leadflow.definitions.models import Settings as WorkflowSettings
from leadflow.model.records import Contact, Message, Run


@dataclass(slots=True, frozen=True)
class SendResult:
    """What a provider says about one send."""

    provider_id: str
    status: Literal["sent", "delivered"] = "sent"
    duplicate: bool = False  # the provider already had this idempotency key and refused it


class Provider(Protocol):
    """Something that really sends: sandbox, Twilio, SMTP, an HTTP webhook..."""

    name: str

    def send(self, message: Message, now: float) -> SendResult:
        """Send ``message`` using ``message.idempotency_key``; raise
        :class:`~leadflow.errors.ProviderError` on failure (``retryable`` says if trying again may
        help)."""
        ...

    def lookup(self, idempotency_key: str) -> SendResult | None:
        """What the provider knows of an earlier send with this key, or None when it has none or
        cannot tell. Used to reconcile messages left in doubt by a crash before re-sending."""
        ...


@dataclass(slots=True, frozen=True)
class Decision:
    action: Literal["send", "defer", "suppress"]
    until: float | None = None  # for defer: the next allowed moment
    reason: str | None = None


SEND = Decision("send")


class DispatchPolicy(Protocol):
    """Decides, at the moment a message is about to leave, whether it may (compliance)."""

    def check(
        self,
        message: Message,
        contact: Contact | None,
        run: Run | None,
        settings: WorkflowSettings | None,
        now: float,
        sent_24h: int = 0,
        texts_calls_24h: int = 0,
    ) -> Decision:
        """``settings`` are the workflow's (its send window can only narrow the legal one; its
        default zone applies to contacts without one); ``sent_24h`` is how many messages the
        contact was sent in the last 24 hours across all workflows and channels,
        ``texts_calls_24h`` how many texts and calls (counted only for contacts a state caps)."""
        ...


class SendGate(Protocol):
    """Tells a send node when its message may leave, so a run waits at the node (and the steps
    after it wait too) instead of racing ahead of a deferred message."""

    def earliest(
        self, channel: str, contact: Contact | None, settings: WorkflowSettings | None, now: float
    ) -> float:
        """``now`` when a message on ``channel`` may leave now, else the next allowed moment."""
        ...
