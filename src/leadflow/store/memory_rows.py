"""The memory backend's row layouts (the positions in its SQL-shaped rows: ``R_*`` runs,
``M_*`` messages, ``E_*`` events), the checks that mirror SQL constraints, and the state its
mixins (:mod:`.memory_runs`, :mod:`.memory_events`, :mod:`.memory_outbox`) share."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadflow.errors import StoreError
from leadflow.model.records import (
    Advance,
    CommitResult,
    ContactPatch,
    EnrollRequest,
    Message,
    MessageFacts,
    MessageStatus,
    NewEvent,
    Scope,
    Step,
)
from leadflow.model.rules import (
    HOLD_EVENT_TYPES,
    OPEN_STATUSES,
    REPLY_EVENT_TYPES,
)

# run row: RUN_COLS order, then lease and heap version
R_ID, R_KEY, R_VERSION, R_CONTACT, R_NODE, R_STATUS, R_WAKE, R_CTX = range(8)
R_STEP_SEQ, R_ATTEMPT, R_WAITING, R_SEQ, R_CREATED, R_UPDATED, R_ENDED, R_EXIT = range(8, 16)
R_ERROR, R_LOWNER, R_LUNTIL, R_HVER = range(16, 20)
# message row: id, MESSAGE_INSERT_COLS order, then lease and heap version
M_ID, M_RUN, M_CONTACT, M_KEY, M_NODE, M_CHANNEL, M_TO, M_IDEM, M_DUE, M_CREATED = range(10)
M_SUBJECT, M_BODY, M_PAYLOAD, M_STATUS, M_ATTEMPTS, M_SENT, M_DELIVERED = range(10, 17)
M_OPENED, M_CLICKED, M_REPLIED, M_PROVIDER, M_SUPPRESSED, M_ERROR = range(17, 23)
M_LOWNER, M_LUNTIL, M_HVER = range(23, 26)
# event row: EVENT_COLS order, then lease
E_ID, E_TYPE, E_CONTACT, E_DATA, E_KEY, E_OCCURRED, E_CREATED, E_PROCESSED = range(8)
E_ERROR, E_IGNORED = 8, 9
E_LOWNER, E_LUNTIL = 10, 11

REPLY_TYPES = frozenset(REPLY_EVENT_TYPES)
HOLD_TYPES = frozenset(HOLD_EVENT_TYPES)
SENT_OR_DELIVERED = frozenset({MessageStatus.SENT, MessageStatus.DELIVERED})
OPEN_SET = frozenset(OPEN_STATUSES)


def require(value: Any, what: str) -> None:
    """Mirror of the SQL NOT NULL constraints."""
    if value is None:
        raise StoreError(f"NOT NULL constraint failed: {what}")


def event_status(row: list[Any]) -> str:
    if row[E_ERROR] is not None:
        return "failed"
    return "pending" if row[E_PROCESSED] is None else "processed"


@dataclass(slots=True)
class Prepared:
    """An advance checked and encoded, ready to be applied."""

    advance: Advance
    context: str
    steps: list[tuple[Any, ...]]
    messages: list[list[Any]]
    enroll_contexts: list[str]
    events: list[tuple[Any, ...]]


@dataclass(slots=True)
class NewIds:
    """Objects handed in that get their new ids after the change is applied."""

    pairs: list[tuple[Step | Message, int]] = field(default_factory=list)

    def assign(self) -> None:
        for obj, new_id in self.pairs:
            obj.id = new_id


class MemoryState:
    """What the memory mixins share: the tables and indexes :class:`MemoryStore` creates, and
    the methods one mixin calls in another."""

    if TYPE_CHECKING:
        url: str
        _lock: threading.Lock
        _schema: int
        _meta: dict[str, str]
        _contacts: dict[str, tuple[Any, ...]]
        _workflows: dict[tuple[str, str], list[tuple[str, int, str, str, float, str]]]
        _schedules: dict[tuple[str, str, int], tuple[str, int, int, str, str, float, str]]
        _runs: dict[int, list[Any]]
        _last_run_id: int
        _runs_by_contact: dict[str, list[int]]
        _runs_by_pair: dict[tuple[str, str], list[int]]
        _runs_by_key: dict[str, list[int]]
        _marks: dict[tuple[str, str], tuple[int, float]]
        _run_heap: list[tuple[float, int, int]]
        _steps: list[tuple[Any, ...]]
        _steps_by_run: dict[int, list[int]]
        _messages: dict[int, list[Any]]
        _last_message_id: int
        _message_by_key: dict[str, int]
        _messages_by_run: dict[int, list[int]]
        _messages_by_contact: dict[str, list[int]]
        _message_heap: list[tuple[float, int, int]]
        _sending: dict[int, None]
        _events: dict[int, list[Any]]
        _last_event_id: int
        _event_by_key: dict[str, int]
        _unprocessed: dict[int, None]
        _replies_waiting: dict[str, int]
        _last_reply: dict[str, float]

        def _sandbox_duplicates(self, idempotency_key: str) -> int: ...

        def _signal_work(self) -> None: ...

        @staticmethod
        def _encode_event(e: NewEvent) -> tuple[Any, ...]: ...

        @staticmethod
        def _encode_message(m: Message) -> list[Any]: ...

        def _insert_events(
            self, encoded: Sequence[tuple[Any, ...]], now: float
        ) -> list[int | None]: ...

        def _in_scope(self, contact_id: str | None, scope: Scope | None) -> bool: ...

        @staticmethod
        def _check_patch(patch: ContactPatch) -> None: ...

        def _insert_messages(
            self, messages: Sequence[Message], encoded: Sequence[list[Any]], ids: NewIds
        ) -> None: ...

        def _patches(self, patches: Sequence[ContactPatch], now: float) -> None: ...

        def _apply_facts(self, facts: Sequence[MessageFacts]) -> None: ...

        def _mark_processed(self, row: list[Any], now: float) -> None: ...

        def _seq_of(self, run_id: int) -> int | None: ...

        def _commit(
            self,
            advances: Sequence[Advance],
            enrollments: Sequence[EnrollRequest],
            facts: Sequence[MessageFacts],
            event_ids: Sequence[int],
            retry_events: set[int],
            now: float,
            ids: NewIds,
        ) -> CommitResult: ...


__all__ = [
    "E_CONTACT",
    "E_CREATED",
    "E_DATA",
    "E_ERROR",
    "E_ID",
    "E_IGNORED",
    "E_KEY",
    "E_LOWNER",
    "E_LUNTIL",
    "E_OCCURRED",
    "E_PROCESSED",
    "E_TYPE",
    "HOLD_TYPES",
    "M_ATTEMPTS",
    "M_BODY",
    "M_CHANNEL",
    "M_CLICKED",
    "M_CONTACT",
    "M_CREATED",
    "M_DELIVERED",
    "M_DUE",
    "M_ERROR",
    "M_HVER",
    "M_ID",
    "M_IDEM",
    "M_KEY",
    "M_LOWNER",
    "M_LUNTIL",
    "M_NODE",
    "M_OPENED",
    "M_PAYLOAD",
    "M_PROVIDER",
    "M_REPLIED",
    "M_RUN",
    "M_SENT",
    "M_STATUS",
    "M_SUBJECT",
    "M_SUPPRESSED",
    "M_TO",
    "OPEN_SET",
    "REPLY_TYPES",
    "R_ATTEMPT",
    "R_CONTACT",
    "R_CREATED",
    "R_CTX",
    "R_ENDED",
    "R_ERROR",
    "R_EXIT",
    "R_HVER",
    "R_ID",
    "R_KEY",
    "R_LOWNER",
    "R_LUNTIL",
    "R_NODE",
    "R_SEQ",
    "R_STATUS",
    "R_STEP_SEQ",
    "R_UPDATED",
    "R_VERSION",
    "R_WAITING",
    "R_WAKE",
    "SENT_OR_DELIVERED",
    "MemoryState",
    "NewIds",
    "Prepared",
    "event_status",
    "require",
]
