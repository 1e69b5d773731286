"""What the memory backend keeps: records (copies), each live one with the store's bookkeeping
beside it (:class:`HeldRun`, :class:`HeldMessage`, :class:`HeldEvent`: lease and heap version),
the copies handed in and out, the checks that mirror SQL constraints, and the state its parts
(:mod:`.memory_runs`, :mod:`.memory_events`, :mod:`.memory_outbox`, :mod:`.prune_memory`) share.

Records are copied on the way in and on the way out, so a caller never shares mutable state with
the store. JSON-ish fields go in through :func:`as_json` (JSON text and back: checked, and then
exactly what SQLite would return -- tuples become lists, keys become strings)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from leadflow.errors import StoreError
from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.records import (
    Advance,
    Contact,
    ContactPatch,
    Event,
    Message,
    MessageFacts,
    MessageStatus,
    NewEvent,
    Run,
    Schedule,
    Scope,
    Step,
    WorkflowVersion,
)
from leadflow.model.rules import (
    HOLD_EVENT_TYPES,
    OPEN_STATUSES,
    REPLY_EVENT_TYPES,
)

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R", Run, Message, Event)

REPLY_TYPES = frozenset(REPLY_EVENT_TYPES)
HOLD_TYPES = frozenset(HOLD_EVENT_TYPES)
SENT_OR_DELIVERED = frozenset({MessageStatus.SENT, MessageStatus.DELIVERED})
OPEN_SET = frozenset(OPEN_STATUSES)


def require(value: Any, what: str) -> None:
    """Mirror of the SQL NOT NULL constraints."""
    if value is None:
        raise StoreError(f"NOT NULL constraint failed: {what}")


def require_fields(table: str, record: Any, names: Sequence[str]) -> None:
    """:func:`require` for each named field of ``record`` (a row of ``table``)."""
    for name in names:
        require(getattr(record, name), f"{table}.{name}")


def as_json(value: Any) -> Any:
    """The value as the store keeps it: through JSON text (raises StoreError, changing
    nothing, when it is not JSON), so a fresh copy shaped exactly as SQLite returns it."""
    return loads(dumps(value))


def json_copy(value: Any) -> Any:
    """A copy of a JSON value (dicts and lists copied all the way down)."""
    kind = type(value)
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if kind is list:
        return [json_copy(v) for v in value]
    return value


def copier(record: type[T], deep: Sequence[str] = ()) -> Callable[[T], T]:
    """A function that copies a ``record`` (its ``deep`` fields with :func:`json_copy`), compiled
    once: cheaper than :func:`dataclasses.replace` on the hot path."""
    names = [f.name for f in fields(record)]  # type: ignore[arg-type]
    args = [f"_json(r.{n})" if n in deep else f"r.{n}" for n in names]
    namespace: dict[str, Any] = {"_record": record, "_json": json_copy}
    exec(f"def copy(r):\n    return _record({', '.join(args)})", namespace)
    made: Callable[[T], T] = namespace["copy"]
    made.__name__ = made.__qualname__ = f"copy_{record.__name__.lower()}"
    return made


copy_contact = copier(Contact, ("tags", "fields", "consent"))
copy_run = copier(Run, ("context",))
copy_step = copier(Step, ("data",))
copy_message = copier(Message, ("payload",))
copy_event = copier(Event, ("data",))
copy_workflow = copier(WorkflowVersion, ("definition",))
copy_schedule = copier(Schedule)


def copies_of(held: Mapping[K, V], keys: Iterable[K], copy: Callable[[V], T]) -> dict[K, T]:
    """A copy of each of ``keys`` found in ``held`` (its ``copy``), by key; unknown keys are
    left out."""
    out: dict[K, T] = {}
    for key in keys:
        found = held.get(key)
        if found is not None:
            out[key] = copy(found)
    return out


def ids_to_scan(
    indexes: Sequence[tuple[Any, Mapping[Any, list[int]]]], every: Iterable[int]
) -> Iterable[int]:
    """The ids a filtered listing reads: those the first index whose key is given holds for it
    (``indexes`` are ``(key or None, index by key)`` pairs, most selective first), else
    ``every`` id. The listing still checks each record against the whole filter."""
    for key, index in indexes:
        if key is not None:
            return index.get(key, ())
    return every


def event_status(e: Event) -> str:
    if e.error is not None:
        return "failed"
    return "pending" if e.processed_at is None else "processed"


@dataclass(slots=True)
class Held(Generic[R]):
    """A stored run, message or event and who holds it (``hver`` bumps when its place in a due
    heap moves; events are in no heap)."""

    record: R
    lease_owner: str | None = None
    lease_until: float | None = None
    hver: int = 0


HeldRun = Held[Run]
HeldMessage = Held[Message]
HeldEvent = Held[Event]


@dataclass(slots=True)
class Prepared:
    """An advance checked and copied, ready to be applied."""

    advance: Advance
    context: dict[str, Any]
    steps: list[Step]
    messages: list[Message]
    enroll_contexts: list[dict[str, Any]]
    events: list[NewEvent]


@dataclass(slots=True)
class NewIds:
    """Objects handed in that get their new ids after the change is applied."""

    pairs: list[tuple[Step | Message, int]] = field(default_factory=list)

    def assign(self) -> None:
        for obj, new_id in self.pairs:
            obj.id = new_id


class MemoryState:
    """What the memory parts share: the tables and indexes :class:`MemoryStore` creates, and
    the methods one part calls in another."""

    if TYPE_CHECKING:
        url: str
        _lock: threading.Lock
        _schema: int
        _meta: dict[str, str]
        _contacts: dict[str, Contact]
        _workflows: dict[tuple[str, str], list[WorkflowVersion]]
        _schedules: dict[tuple[str, str, int], Schedule]
        _runs: dict[int, HeldRun]
        _last_run_id: int
        _runs_by_contact: dict[str, list[int]]
        _runs_by_pair: dict[tuple[str, str], list[int]]
        _runs_by_key: dict[str, list[int]]
        _marks: dict[tuple[str, str], tuple[int, float]]
        _run_heap: list[tuple[float, int, int]]
        _steps: list[Step | None]
        _steps_by_run: dict[int, list[int]]
        _messages: dict[int, HeldMessage]
        _last_message_id: int
        _message_by_key: dict[str, int]
        _messages_by_run: dict[int, list[int]]
        _messages_by_contact: dict[str, list[int]]
        _message_heap: list[tuple[float, int, int]]
        _sending: dict[int, None]
        _events: dict[int, HeldEvent]
        _last_event_id: int
        _event_by_key: dict[str, int]
        _unprocessed: dict[int, None]
        _replies_waiting: dict[str, int]
        _last_reply: dict[str, float]

        def _signal_work(self) -> None: ...

        def _sandbox_duplicates(self, idempotency_key: str) -> int: ...

        @staticmethod
        def _encode_event(e: NewEvent) -> NewEvent: ...

        @staticmethod
        def _encode_message(m: Message) -> Message: ...

        def _insert_events(self, encoded: Sequence[NewEvent], now: float) -> list[int | None]: ...

        def _in_scope(self, contact_id: str | None, scope: Scope | None) -> bool: ...

        @staticmethod
        def _check_patch(patch: ContactPatch) -> None: ...

        def _insert_messages(
            self, messages: Sequence[Message], encoded: Sequence[Message], ids: NewIds
        ) -> None: ...

        def _patches(self, patches: Sequence[ContactPatch], now: float) -> None: ...

        def _apply_facts(self, facts: Sequence[MessageFacts]) -> None: ...

        def _mark_processed(self, held: HeldEvent, now: float) -> None: ...

        def _message_out(self, held: HeldMessage) -> Message: ...


__all__ = [
    "HOLD_TYPES",
    "OPEN_SET",
    "REPLY_TYPES",
    "SENT_OR_DELIVERED",
    "Held",
    "HeldEvent",
    "HeldMessage",
    "HeldRun",
    "MemoryState",
    "NewIds",
    "Prepared",
    "as_json",
    "copier",
    "copies_of",
    "copy_contact",
    "copy_event",
    "copy_message",
    "copy_run",
    "copy_step",
    "copy_workflow",
    "event_status",
    "ids_to_scan",
    "json_copy",
    "require",
    "require_fields",
]
