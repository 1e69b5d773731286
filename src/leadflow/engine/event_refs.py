"""Ids carried in event data, resolved inside the event's contact.

Anyone who may post an event about a contact (an agent's API key, a webhook) chooses its data,
and ids are sequential: an event's ``data.message_id`` or ``data.run_id`` is trusted only when it
names a message *to the event's contact* (one that has left: a provider can report nothing
about a message still queued) or a run *of that contact*. Otherwise the id is ignored and the
reason recorded on the event (``Event.ignored``, shown by ``GET /api/v1/events``); the rest of
the event is processed. An id that is no id at all (a string, a number beyond ``bigint``) makes
the event malformed: it is quarantined (``Event.error``) instead of reaching the database.
"""

from __future__ import annotations

from typing import Any

from leadflow.errors import InvalidInput
from leadflow.model.records import Event, Message
from leadflow.safe_input import id_problem
from leadflow.store.contract import Store

ID_FIELDS = ("message_id", "run_id")  # the ids in event data the engine looks up


class BadEventData(InvalidInput):
    """The event's data cannot be processed (an id that is not an id)."""


def data_id(event: Event, field: str) -> int | None:
    """``data[field]`` when it is an id, None when absent or null; BadEventData otherwise."""
    value: Any = event.data.get(field)
    if value is None:
        return None
    problem = id_problem(value)
    if problem is not None:
        raise BadEventData(f"data.{field}: {problem}")
    assert isinstance(value, int)
    return value


class MessageRefs:
    """The messages named by a batch's events, each read once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._found: dict[int, Message | None] = {}

    def get(self, message_id: int) -> Message | None:
        if message_id not in self._found:
            self._found[message_id] = self.store.get_message(message_id)
        return self._found[message_id]

    def own(
        self, event: Event, message_id: int, sent: bool = True
    ) -> tuple[Message | None, str | None]:
        """The message when it is one to the event's contact (and, with ``sent``, one that has
        left), else (None, the reason)."""
        message = self.get(message_id)
        if message is None or event.contact_id is None or message.contact_id != event.contact_id:
            # the same words whether the id exists elsewhere or not at all
            return None, f"data.message_id: {message_id} is not a message to this contact"
        if sent and message.sent_at is None:
            return None, f"data.message_id: message {message_id} has not been sent"
        return message, None


__all__ = ["ID_FIELDS", "BadEventData", "MessageRefs", "data_id"]
