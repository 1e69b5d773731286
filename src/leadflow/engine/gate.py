"""The send-gate port (listed with the others in :mod:`leadflow.engine.ports`): its own module
because the step context holds one and the handler port names the step context."""

from __future__ import annotations

from typing import Protocol

from leadflow.definitions.models import Settings as WorkflowSettings
from leadflow.model.records import Contact


class SendGate(Protocol):
    """Tells a send node when its message may leave, so a run waits at the node (and the steps
    after it wait too) instead of racing ahead of a deferred message."""

    def earliest(
        self, channel: str, contact: Contact | None, settings: WorkflowSettings | None, now: float
    ) -> float:
        """``now`` when a message on ``channel`` may leave now, else the next allowed moment."""
        ...


__all__ = ["SendGate"]
