"""Pydantic v2 models of a workflow definition.

A definition is a key and name, triggers, settings and a list of nodes. Nodes are a tagged union on
``kind``; edges are node ids held in fields (``next``, ``on_timeout``, ``cases[].next``...).
A node without an outgoing edge ends the run as ``completed``. Durations are strings such as
``90s``, ``30m``, ``2h``, ``1d12h``, ``1w`` or ISO 8601 ``PT2H`` (see :mod:`.durations`).

These models check shape only; :mod:`.validation` checks the graph, durations and templates and
reports every problem at once with its path.

This module holds the union of the node kinds (:data:`Node`) and the workflow itself (triggers,
settings, goals). The node classes are in :mod:`.message_nodes` (the ones that send to the lead)
and :mod:`.nodes` (the rest), on the base in :mod:`.model_base`; every name is importable from
here as well (``from leadflow.definitions.models import SendSms``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from leadflow.definitions.conditions_model import Condition
from leadflow.definitions.message_nodes import (
    DEFAULT_SEND_DELAY_S,
    MAX_SEND_DELAY_S,
    AiCompose,
    SendEmail,
    SendMessenger,
    SendSms,
    SendWhatsApp,
    VoiceCall,
    WhatsAppTemplate,
)
from leadflow.definitions.model_base import DefinitionModel, EventName, NodeId, Weekday
from leadflow.definitions.nodes import (
    Action,
    AssignOwner,
    BookingLink,
    Branch,
    BranchCase,
    CrmNode,
    Exit,
    Goal,
    MarketReport,
    MatchProperties,
    NotifyAgent,
    Parallel,
    ParallelBranch,
    Score,
    Split,
    SplitArm,
    StartWorkflow,
    UpdateContact,
    Wait,
    WaitForEvent,
    WaitUntil,
    Webhook,
    edges_of,
)

__all__ = [
    "DEFAULT_SEND_DELAY_S",
    "MAX_SEND_DELAY_S",
    "MESSAGE_KINDS",
    "NODE_KINDS",
    "WAIT_KINDS",
    "Action",
    "AiCompose",
    "AssignOwner",
    "BookingLink",
    "Branch",
    "BranchCase",
    "CrmNode",
    "DefinitionModel",
    "EventName",
    "Exit",
    "Goal",
    "GoalSpec",
    "MarketReport",
    "MatchProperties",
    "Node",
    "NodeId",
    "NotifyAgent",
    "Parallel",
    "ParallelBranch",
    "Reentry",
    "Score",
    "SendEmail",
    "SendMessenger",
    "SendSms",
    "SendWhatsApp",
    "SendWindow",
    "Settings",
    "Split",
    "SplitArm",
    "StartWorkflow",
    "Trigger",
    "UpdateContact",
    "VoiceCall",
    "Wait",
    "WaitForEvent",
    "WaitUntil",
    "Webhook",
    "Weekday",
    "WhatsAppTemplate",
    "WorkflowDefinition",
    "edges_of",
]


Node = Annotated[
    SendSms
    | SendWhatsApp
    | SendEmail
    | VoiceCall
    | SendMessenger
    | Wait
    | WaitUntil
    | WaitForEvent
    | Branch
    | Split
    | UpdateContact
    | StartWorkflow
    | Webhook
    | Action
    | MatchProperties
    | Score
    | NotifyAgent
    | AssignOwner
    | MarketReport
    | BookingLink
    | AiCompose
    | CrmNode
    | Parallel
    | Exit
    | Goal,
    Field(discriminator="kind"),
]

NODE_KINDS: tuple[str, ...] = (
    "send_sms",
    "send_email",
    "voice_call",
    "wait",
    "wait_until",
    "wait_for_event",
    "branch",
    "split",
    "update_contact",
    "start_workflow",
    "webhook",
    "action",
    "match_properties",
    "score",
    "notify_agent",
    "assign_owner",
    "market_report",
    "booking_link",
    "ai_compose",
    "crm",
    "exit",
    "goal",
    "send_whatsapp",
    "send_messenger",
    "parallel",
)
MESSAGE_KINDS = frozenset(
    {
        "send_sms",
        "send_email",
        "voice_call",
        "webhook",
        "send_whatsapp",
        "ai_compose",
        "send_messenger",
    }
)
WAIT_KINDS = frozenset({"wait", "wait_until", "wait_for_event", "parallel"})


# ---------------------------------------------------------------- triggers and settings


class Trigger(DefinitionModel):
    """What enrolls contacts: an event (with a filter), a cron schedule, or manual enrollment."""

    type: Literal["event", "schedule", "manual"]
    event: EventName | None = Field(default=None, description="Event type, for type=event.")
    filter: Condition | None = Field(
        default=None, description="Condition on the event / contact; schedule: which contacts."
    )
    cron: str | None = Field(default=None, description="Cron expression, for type=schedule.")
    timezone: str = Field(default="UTC", description="Zone the cron expression is read in.")


class Reentry(DefinitionModel):
    policy: Literal["never", "after", "always"] = "never"
    days: int | None = Field(default=None, ge=1, description="For policy=after.")


class GoalSpec(DefinitionModel):
    """Exits a run wherever it is when a matching event arrives (or the condition holds)."""

    name: Annotated[str, Field(min_length=1)]
    event: EventName | None = Field(default=None, description="Event type that can meet the goal.")
    when: Condition | None = None


class SendWindow(DefinitionModel):
    """Workflow-level window in the contact's local time; narrows the legal window."""

    start: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(default="21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
    weekdays: list[Weekday] = Field(default_factory=list)


class Settings(DefinitionModel):
    reentry: Reentry = Field(default_factory=Reentry)
    goals: list[GoalSpec] = Field(default_factory=list)
    pause_on_reply: bool = True
    send_window: SendWindow | None = None
    default_timezone: str = Field(
        default="America/New_York", description="Zone used when a contact has none."
    )
    priority: int = Field(default=0, description="Higher wins when the message budget is short.")


class WorkflowDefinition(DefinitionModel):
    key: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    name: str = Field(min_length=1)
    description: str | None = None
    triggers: list[Trigger] = Field(default_factory=list)
    settings: Settings = Field(default_factory=Settings)
    start: NodeId = Field(description="Id of the first node.")
    nodes: list[Node] = Field(min_length=1)

    def node_map(self) -> dict[str, Any]:
        return {n.id: n for n in self.nodes}
