"""Condition trees: all / any / not over leaf comparisons.

A leaf compares the value at a dotted ``field`` path with ``value``::

    {field: contact.state, op: in, value: [FL, OK]}

Paths start with ``contact.`` (contact fields), ``event.`` (the triggering or awaited event:
``event.type``, ``event.data.<key>``), ``context.`` (run context, what earlier nodes produced) or
``steps.<node>.<fact>`` (facts about an earlier node's message: sent, delivered, opened, clicked,
replied, failed; and ``arm`` for a split).

``changed`` compares a ``contact.`` field with its value when the run entered the workflow::

    {field: contact.stage, op: changed}
    {field: contact.stage, op: changed, value: {from: lead, to: client}}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Op = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "exists", "between", "changed"]
FIELD_ROOTS = ("contact", "event", "context", "steps")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Compare(_Strict):
    """``field`` ``op`` ``value``; ``exists`` takes ``value: true|false`` (default true);
    ``changed`` takes no value or ``{from: .., to: ..}`` (either or both)."""

    field: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z_][\w]*(\.[\w-]+)*$")]
    op: Op
    value: Any = None


class All(_Strict):
    all: list[Condition]


class AnyOf(_Strict):
    any: list[Condition]


class Not(_Strict):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Condition = All | AnyOf | Not | Compare

All.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()
