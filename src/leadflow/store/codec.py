"""JSON columns and row <-> record mapping shared by the backends.

Both backends keep JSON-ish fields as compact JSON text, so a value read back is exactly what
SQLite would return (tuples become lists, keys become strings) whichever backend stored it.
Row layouts follow the dataclass field order so records are built positionally.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from leadflow.errors import StoreError
from leadflow.store.records import (
    Contact,
    Event,
    Message,
    Run,
    SandboxDelivery,
    Step,
    WorkflowVersion,
)


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _make_encoder() -> Callable[[Any], str]:
    """Compact JSON. Calls CPython's C encoder directly when it is there: half the cost of
    ``json.dumps`` for the small dicts of the hot path."""
    fallback = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # pragma: no cover - not CPython
        return fallback
    try:
        chunks = c_make_encoder(
            None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, True
        )
        join = "".join

        def encode(value: Any) -> str:
            if isinstance(value, str):
                return fallback(value)
            return join(chunks(value, 0))

        if encode({"a": [1, 2.5, None, True, "é"]}) != fallback({"a": [1, 2.5, None, True, "é"]}):
            return fallback  # pragma: no cover
        return encode
    except TypeError:  # pragma: no cover - another signature
        return fallback


_encode = _make_encoder()
# The C scanner, without the wrapper's whitespace regexes (an attribute typeshed does not list).
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def loads(text: str) -> Any:
    """Decode JSON text (fast path for the compact JSON the store writes)."""
    if text == "{}":
        return {}
    if text == "[]":
        return []
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text)  # raises the proper error, or copes with leading space
    if end != len(text):
        return json.loads(text)
    return value


def dumps(value: Any) -> str:
    """Compact JSON text; a value that is not JSON raises StoreError (nothing is written)."""
    if not value:
        kind = type(value)
        if kind is dict:
            return "{}"
        if kind is list:
            return "[]"
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise StoreError(f"cannot store value as JSON: {exc}") from exc


def dumps_opt(value: Any) -> str | None:
    return None if value is None else dumps(value)


def loads_dict(text: str) -> dict[str, Any]:
    value: dict[str, Any] = loads(text)
    return value


def loads_opt(text: str | None) -> Any:
    return None if text is None else loads(text)


# ---------------------------------------------------------------------------- contacts
CONTACT_COLS = (
    "id, first_name, last_name, email, phone, time_zone, state, owner, stage, tags, fields, "
    "consent, created_at, updated_at, tenant_id"
)


def contact_from_row(r: Sequence[Any]) -> Contact:
    return Contact(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        loads(r[9]),
        loads_dict(r[10]),
        loads_dict(r[11]),
        r[12],
        r[13],
        r[14],
    )


def contact_to_row(c: Contact, created_at: float, updated_at: float) -> tuple[Any, ...]:
    return (
        c.id,
        c.first_name,
        c.last_name,
        c.email,
        c.phone,
        c.time_zone,
        c.state,
        c.owner,
        c.stage,
        dumps(list(c.tags)),
        dumps(c.fields),
        dumps(c.consent),
        created_at,
        updated_at,
        c.tenant_id,
    )


# ---------------------------------------------------------------------------- workflows
WORKFLOW_COLS = "key, version, name, definition, published_at, tenant_id"


def workflow_from_row(r: Sequence[Any]) -> WorkflowVersion:
    return WorkflowVersion(r[0], r[1], r[2], loads(r[3]), r[4], r[5])


# ---------------------------------------------------------------------------- runs
RUN_COLS = (
    "id, workflow_key, version, contact_id, node, status, wake_at, context, step_seq, attempt, "
    "waiting_for, seq, created_at, updated_at, ended_at, exit_reason, error"
)


def run_from_row(r: Sequence[Any]) -> Run:
    return Run(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        loads_dict(r[7]),
        r[8],
        r[9],
        r[10],
        r[11],
        r[12],
        r[13],
        r[14],
        r[15],
        r[16],
    )


# ---------------------------------------------------------------------------- steps
STEP_COLS = "run_id, node, kind, step_seq, attempt, outcome, started_at, due_at, error, data, id"


def step_from_row(r: Sequence[Any]) -> Step:
    return Step(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        None if r[9] is None else loads(r[9]),
        r[10],
    )


# ---------------------------------------------------------------------------- messages
# Without the last two (duplicates, id), the column order of an INSERT.
MESSAGE_INSERT_COLS = (
    "run_id, contact_id, workflow_key, node, channel, to_addr, idempotency_key, due_at, "
    "created_at, subject, body, payload, status, attempts, sent_at, delivered_at, opened_at, "
    "clicked_at, replied_at, provider_id, suppressed_reason, error"
)
MESSAGE_COLS = (
    "m.run_id, m.contact_id, m.workflow_key, m.node, m.channel, m.to_addr, m.idempotency_key, "
    "m.due_at, m.created_at, m.subject, m.body, m.payload, m.status, m.attempts, m.sent_at, "
    "m.delivered_at, m.opened_at, m.clicked_at, m.replied_at, m.provider_id, "
    "m.suppressed_reason, m.error, coalesce(sd.duplicates, 0), m.id"
)
MESSAGE_FROM = (
    "messages m LEFT JOIN sandbox_deliveries sd ON sd.idempotency_key = m.idempotency_key"
)


def message_from_row(r: Sequence[Any]) -> Message:
    return Message(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        loads_dict(r[11]),
        r[12],
        r[13],
        r[14],
        r[15],
        r[16],
        r[17],
        r[18],
        r[19],
        r[20],
        r[21],
        r[22],
        r[23],
    )


def message_to_row(m: Message, message_id: int) -> tuple[Any, ...]:
    """Values for ``INSERT (id, MESSAGE_INSERT_COLS)``."""
    payload = m.payload
    return (
        message_id,
        m.run_id,
        m.contact_id,
        m.workflow_key,
        m.node,
        m.channel,
        m.to,
        m.idempotency_key,
        m.due_at,
        m.created_at,
        m.subject,
        m.body,
        "{}" if not payload and type(payload) is dict else dumps(payload),
        m.status,
        m.attempts,
        m.sent_at,
        m.delivered_at,
        m.opened_at,
        m.clicked_at,
        m.replied_at,
        m.provider_id,
        m.suppressed_reason,
        m.error,
    )


# ---------------------------------------------------------------------------- events
EVENT_COLS = (
    "id, type, contact_id, data, dedupe_key, occurred_at, created_at, processed_at, error, ignored"
)


def event_from_row(r: Sequence[Any]) -> Event:
    return Event(r[0], r[1], r[2], loads_dict(r[3]), r[4], r[5], r[6], r[7], r[8], r[9])


# ---------------------------------------------------------------------------- sandbox
SANDBOX_COLS = "idempotency_key, channel, to_addr, body, provider_id, delivered_at, duplicates"


def sandbox_from_row(r: Sequence[Any]) -> SandboxDelivery:
    return SandboxDelivery(r[0], r[1], r[2], r[3], r[4], r[5], r[6])


__all__ = [
    "CONTACT_COLS",
    "EVENT_COLS",
    "MESSAGE_COLS",
    "RUN_COLS",
    "STEP_COLS",
    "contact_from_row",
    "dumps",
    "loads",
]
