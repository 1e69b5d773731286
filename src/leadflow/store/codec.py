"""JSON columns and row <-> record mapping shared by the backends.

Both backends keep JSON-ish fields as compact JSON text, so a value read back is exactly what
SQLite would return (tuples become lists, keys become strings) whichever backend stored it.
Rows are mapped to records by column name: :func:`row_reader` matches each column of a
``*_COLS`` list to the record field of that name and compiles the reader once, at import (so a
column list and a record that drift apart fail at import, and reading a row costs no lookup);
:func:`row_writer` is the way back, a record's values in the order of a column list.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from leadflow.model.jsonvalue import dumps, loads, loads_opt
from leadflow.model.records import (
    Contact,
    Event,
    Message,
    Run,
    SandboxDelivery,
    Step,
    WorkflowVersion,
)

T = TypeVar("T")

# Columns whose record field has another name.
_FIELD_OF = {"to_addr": "to"}
_COLUMN = re.compile(r"(?:\w+\.)?(\w+)")


def column_names(cols: str) -> list[str]:
    """The column names of a ``*_COLS`` list, in order: ``m.to_addr`` -> ``to_addr``, an
    expression such as ``coalesce(sd.duplicates, 0)`` -> ``duplicates`` (its first column)."""
    names: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(cols + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            expr = cols[start:i].strip()
            inner = expr[expr.index("(") + 1 :] if "(" in expr else expr
            found = _COLUMN.match(inner.strip())
            if found is None:
                raise ValueError(f"no column name in {expr!r}")
            names.append(found.group(1))
            start = i + 1
    return names


def column_positions(cols: str) -> dict[str, int]:
    """Column name -> its position in a row read with ``cols``."""
    return {name: i for i, name in enumerate(column_names(cols))}


def opt_float(value: Any) -> float | None:
    """A nullable number column as a float (None stays None): a decoder for :func:`row_reader`."""
    return None if value is None else float(value)


def opt_int(value: Any) -> int | None:
    """A nullable integer column as an int (None stays None): a decoder for :func:`row_reader`."""
    return None if value is None else int(value)


def row_reader(
    record: type[T], cols: str, decode: dict[str, Callable[[Any], Any]] | None = None
) -> Callable[[Sequence[Any]], T]:
    """A function that builds a ``record`` from a row read with ``cols``: each field takes the
    column of its name (``decode[field]`` applied to it, for JSON text: :func:`loads`, called
    directly, one call per JSON column on the hot paths; keyword-only fields passed by name).
    Every field must have its column and every column its field."""
    decode = decode or {}
    where = {_FIELD_OF.get(name, name): i for i, name in enumerate(column_names(cols))}
    found = dataclasses.fields(record)  # type: ignore[arg-type]
    fields = [f.name for f in found]
    if sorted(where) != sorted(fields) or not set(decode) <= set(fields):
        raise RuntimeError(f"{record.__name__}: columns {sorted(where)} != fields {fields}")
    args = [f"_{f}(r[{where[f]}])" if f in decode else f"r[{where[f]}]" for f in fields]
    args = [f"{f.name}={arg}" if f.kw_only else arg for f, arg in zip(found, args, strict=True)]
    namespace: dict[str, Any] = {"_record": record, **{f"_{f}": fn for f, fn in decode.items()}}
    exec(f"def read(r):\n    return _record({', '.join(args)})", namespace)
    reader: Callable[[Sequence[Any]], T] = namespace["read"]
    reader.__name__ = reader.__qualname__ = f"{record.__name__.lower()}_from_row"
    return reader


def row_writer(
    record: type[T], cols: str, encode: dict[str, Callable[[Any], Any]] | None = None
) -> Callable[[T], tuple[Any, ...]]:
    """The counterpart of :func:`row_reader`: a function that gives the values of a ``record``
    for the columns ``cols``, in their order (``encode[field]`` applied, for JSON text:
    :func:`dumps`). Every column must have its field; fields without a column are left out."""
    encode = encode or {}
    columns = [_FIELD_OF.get(name, name) for name in column_names(cols)]
    fields = {f.name for f in dataclasses.fields(record)}  # type: ignore[arg-type]
    if not set(columns) <= fields or not set(encode) <= set(columns):
        raise RuntimeError(f"{record.__name__}: columns {columns} not all among fields {fields}")
    values = [f"_{c}(x.{c})" if c in encode else f"x.{c}" for c in columns]
    namespace: dict[str, Any] = {f"_{c}": fn for c, fn in encode.items()}
    exec(f"def write(x):\n    return ({', '.join(values)},)", namespace)
    writer: Callable[[T], tuple[Any, ...]] = namespace["write"]
    writer.__name__ = writer.__qualname__ = f"{record.__name__.lower()}_values"
    return writer


# ---------------------------------------------------------------------------- contacts
CONTACT_COLS = (
    "id, first_name, last_name, email, phone, time_zone, state, owner, stage, tags, fields, "
    "consent, created_at, updated_at, tenant_id"
)


contact_from_row = row_reader(
    Contact, CONTACT_COLS, {"tags": loads, "fields": loads, "consent": loads}
)


def contact_values(c: Contact) -> tuple[Any, ...]:
    """A contact's editable columns, ``first_name`` to ``consent``, as stored."""
    return (
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
    )


def contact_to_row(c: Contact, created_at: float, updated_at: float) -> tuple[Any, ...]:
    return (c.id, *contact_values(c), created_at, updated_at, c.tenant_id)


# ---------------------------------------------------------------------------- workflows
WORKFLOW_COLS = "key, version, name, definition, published_at, tenant_id"


workflow_from_row = row_reader(WorkflowVersion, WORKFLOW_COLS, {"definition": loads})


# ---------------------------------------------------------------------------- runs
RUN_COLS = (
    "id, workflow_key, version, contact_id, node, status, wake_at, context, step_seq, attempt, "
    "waiting_for, seq, created_at, updated_at, ended_at, exit_reason, error"
)


run_from_row = row_reader(Run, RUN_COLS, {"context": loads})


# ---------------------------------------------------------------------------- steps
STEP_COLS = "run_id, node, kind, step_seq, attempt, outcome, started_at, due_at, error, data, id"


step_from_row = row_reader(Step, STEP_COLS, {"data": loads_opt})


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


message_from_row = row_reader(Message, MESSAGE_COLS, {"payload": loads})


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


event_from_row = row_reader(Event, EVENT_COLS, {"data": loads})


# ---------------------------------------------------------------------------- sandbox
SANDBOX_COLS = "idempotency_key, channel, to_addr, body, provider_id, delivered_at, duplicates"


sandbox_from_row = row_reader(SandboxDelivery, SANDBOX_COLS)


__all__ = [
    "CONTACT_COLS",
    "EVENT_COLS",
    "MESSAGE_COLS",
    "RUN_COLS",
    "STEP_COLS",
    "column_names",
    "column_positions",
    "contact_from_row",
    "dumps",
    "loads",
    "opt_float",
    "opt_int",
    "row_reader",
    "row_writer",
]
