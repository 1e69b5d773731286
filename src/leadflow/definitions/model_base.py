"""What every model of a workflow definition builds on.

:class:`DefinitionModel` is strict (unknown fields are errors) and frozen; :class:`BaseNode` holds
the fields every node has (its id, kind, name and the ``next`` / ``on_error`` edges). The field
types here (node ids, event names, weekdays) are shared by the node models (:mod:`.nodes`,
:mod:`.message_nodes`) and the workflow's own (:mod:`.models`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from leadflow.model.vocabulary import canonical

EventName = Annotated[str, AfterValidator(canonical)]
"""An event type as a workflow names it: an alias (``property.viewed``) reads as the
vocabulary's name (``listing.viewed``), the name every stored event carries."""
NodeId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class DefinitionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BaseNode(DefinitionModel):
    id: NodeId
    kind: str  # narrowed to a Literal by each node class; declared here so it dumps after ``id``
    name: str | None = None
    next: NodeId | None = None
    on_error: NodeId | None = Field(
        default=None, description="Where to go when the step fails for good (after retries)."
    )
