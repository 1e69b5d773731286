"""The nodes of a workflow definition that steer a run rather than send to the lead.

Waits, branches and splits, contact updates, webhooks and actions, the feature nodes
(``match_properties``, ``score``, ``notify_agent``...), ``parallel``, ``exit`` and ``goal``.
Edges are node ids held in fields (``next``, ``on_timeout``, ``cases[].next``...), listed by
:func:`edges_of`. The message nodes are in :mod:`.message_nodes`, the fields every node has in
:class:`.model_base.BaseNode`, and the union of all kinds (``Node``) in :mod:`.models`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from leadflow.definitions.conditions_model import Condition
from leadflow.definitions.experiment_model import ExperimentSpec
from leadflow.definitions.model_base import BaseNode, DefinitionModel, EventName, NodeId, Weekday


class Wait(BaseNode):
    kind: Literal["wait"]
    duration: str = Field(description="How long to wait, e.g. 2h, 3d, PT30M.")


class WaitUntil(BaseNode):
    """Sleeps until a local time of day. Plain: the next ``time`` (on ``weekdays``, at least
    ``offset_days`` later). With ``field``: the day of the contact's date field plus ``offset``
    days (``ClosingDate`` + 365), yearly from then on with ``repeat: yearly`` (the next
    anniversary still ahead). With ``month_day: first_weekday``: the first Monday-to-Friday of
    the next month that is still ahead."""

    kind: Literal["wait_until"]
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, contact's zone.")
    weekdays: list[Weekday] = Field(default_factory=list, description="Allowed days; empty = any.")
    offset_days: int = Field(
        default=0,
        ge=0,
        le=366,
        description="At least this many calendar days later (1 = next day).",
    )
    field: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="A contact date field (YYYY-MM-DD), e.g. ClosingDate; fields.<name> or a "
        "contact column.",
    )
    offset: int = Field(
        default=0, ge=-3660, le=3660, description="With field: days added to the date (+/-)."
    )
    repeat: Literal["once", "yearly"] = Field(
        default="once", description="With field: yearly = the next anniversary still ahead."
    )
    month_day: Literal["first_weekday"] | None = Field(
        default=None, description="first_weekday: the first Mon-Fri of a month, still ahead."
    )
    on_missing: NodeId | None = Field(
        default=None,
        description="Where to go when the field is empty or not a date (none: the run "
        "ends), or (repeat: once) when the moment has passed (none: on to next at once).",
    )

    @model_validator(mode="after")
    def _one_mode(self) -> WaitUntil:
        if self.field is not None and self.month_day is not None:
            raise ValueError("field and month_day cannot be combined")
        if self.field is None and (self.offset or self.repeat != "once" or self.on_missing):
            raise ValueError("offset, repeat and on_missing need field")
        if (self.field is not None or self.month_day) and (self.weekdays or self.offset_days):
            raise ValueError("weekdays and offset_days apply only to a plain time of day")
        return self


class WaitForEvent(BaseNode):
    kind: Literal["wait_for_event"]
    event: EventName = Field(min_length=1, description="Event type awaited, e.g. sms.received.")
    match: Condition | None = Field(default=None, description="Condition the event must meet.")
    timeout: str | None = Field(default=None, description="Give up after this duration.")
    on_event: NodeId | None = Field(default=None, description="Where to go when the event comes.")
    on_timeout: NodeId | None = Field(default=None, description="Where to go on time-out.")


class BranchCase(DefinitionModel):
    when: Condition
    next: NodeId


class Branch(BaseNode):
    kind: Literal["branch"]
    cases: list[BranchCase] = Field(min_length=1, description="Ordered; first match wins.")
    default: NodeId | None = Field(default=None, description="Where to go when nothing matches.")


class SplitArm(DefinitionModel):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    weight: float = Field(gt=0)
    next: NodeId | None = Field(
        default=None, description="Where the arm goes; a holdout arm may end the run instead."
    )
    holdout: bool = Field(
        default=False,
        description="Held out of the experiment's treatment: keeps its weight, never wins.",
    )

    @model_validator(mode="after")
    def _next_or_holdout(self) -> SplitArm:
        if self.next is None and not self.holdout:
            raise ValueError("next is required (only a holdout arm may end the run)")
        return self


class Split(BaseNode):
    """An A/B/n split. With ``experiment`` it is an experiment: arms are sticky per contact and
    judged on a metric (see :mod:`.experiment_model`); without it, a fixed random cohort."""

    kind: Literal["split"]
    arms: list[SplitArm] = Field(min_length=1)
    experiment: ExperimentSpec | None = Field(
        default=None, description="Judge the arms on a goal and decide (see experiment_model)."
    )


class UpdateContact(BaseNode):
    kind: Literal["update_contact"]
    set: dict[str, Any] = Field(default_factory=dict, description="Fields to set.")
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)
    stage: str | None = None
    owner: str | None = Field(default=None, description="Owner agent (RESO MemberKey).")


class StartWorkflow(BaseNode):
    kind: Literal["start_workflow"]
    workflow: str = Field(min_length=1, description="Key of the workflow to start.")


class Webhook(BaseNode):
    kind: Literal["webhook"]
    url: str = Field(min_length=1)
    method: Literal["POST", "PUT", "PATCH", "GET"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, description="Jinja2 template of the request body.")


class Action(BaseNode):
    """A custom action registered by the operator's code (``Registry.register_action``)."""

    kind: Literal["action"]
    action: str = Field(min_length=1, description="Name the action was registered under.")
    params: dict[str, Any] = Field(default_factory=dict, description="Passed to the action.")


class MatchProperties(BaseNode):
    """Ranks the tenant's listings against the contact's criteria (``fields.criteria``, merged
    with criteria learned from its viewed / saved listings) and puts the best ones it was never
    sent in ``context.matches`` for the nodes after it; they count as sent from then on."""

    kind: Literal["match_properties"]
    top: int = Field(default=5, ge=1, le=50, description="How many listings to pick.")
    min_score: float = Field(
        default=50, ge=0, le=100, description="Listings scoring less (of 100) are not picked."
    )
    also_saved_weight: float = Field(
        default=25,
        ge=0,
        le=100,
        description=(
            "Weight of the 'also saved' criterion (leads of the tenant who saved or toured what"
            " this lead did also saved this), next to price 30, location 20, beds 15...;"
            " 0 turns it off. A lead who saved nothing is ranked on its criteria alone."
        ),
    )


class Score(BaseNode):
    """Recomputes the contact's lead score; later nodes read ``contact.score`` and
    ``contact.score_band`` (a band crossing records a ``lead.score_changed`` event)."""

    kind: Literal["score"]


class NotifyAgent(BaseNode):
    """Creates a task for a person (the contact's owner; else the owner's team lead; else the
    agent the tenant's routing picks) and tells them by text and/or e-mail through the outbox,
    within their working hours (an urgent task outside them only when the agent allows it).
    Records ``task.created``; ``steps.<node>.task_id`` holds the task for later nodes."""

    kind: Literal["notify_agent"]
    title: str = Field(min_length=1, max_length=200, description="Jinja2 template of the title.")
    body: str | None = Field(default=None, description="Jinja2 template of the details.")
    due_in: str = Field(default="1d", description="Due this long after creation, e.g. 5m, 2d.")
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    channels: list[Literal["sms", "email"]] = Field(
        default=["sms"], description="How the agent is told; empty = task only."
    )
    to: Literal["owner", "team_lead"] = Field(
        default="owner", description="owner: the contact's owner; team_lead: the owner's lead."
    )
    kind_of_task: str | None = Field(
        default=None, max_length=64, description="A label for the task (cma, photos...)."
    )
    summary: bool = Field(
        default=False,
        description="Add the lead's summary (what to know before calling: score factors, "
        "criteria, listings, last reply) to the task and the agent's e-mail; the text gets "
        "its key lines.",
    )


class AssignOwner(BaseNode):
    """Sets the contact's owner by a routing rule and records the assignment and its reason.
    ``round_robin``: the available agent of ``team`` assigned least recently; ``area``: the
    agent whose ZIP codes / areas hold the contact's; ``source``: the agent taking the
    contact's lead source. Unavailable agents are skipped; ``fallback`` is tried when the rule
    finds nobody; a contact that has an owner keeps it unless ``reassign``."""

    kind: Literal["assign_owner"]
    rule: Literal["round_robin", "area", "source"] = "round_robin"
    team: str | None = Field(default=None, description="Team key (round_robin; else any team).")
    fallback: Literal["round_robin", "none"] = "round_robin"
    reassign: bool = False


class BookingLink(BaseNode):
    """Puts the contact's owner's booking-page link in ``context.booking_url`` for the messages
    after it (``{{ context.booking_url }}``); ``fallback`` when booking pages are not set up or
    the contact has no owner."""

    kind: Literal["booking_link"]
    fallback: str = Field(
        default="reply to this message with a time that suits you",
        max_length=300,
        description="What context.booking_url holds when no link can be made.",
    )


class MarketReport(BaseNode):
    """Figures from the tenant's own Active and recent listings in the contact's area (its ZIP
    code, else city): median list price, new listings and price drops in the last
    ``period_days``, median days on market. ``context.market`` holds them and
    ``steps.<node>.count`` how many listings they rest on (branch on it to skip thin areas)."""

    kind: Literal["market_report"]
    period_days: int = Field(default=30, ge=1, le=365)


class CrmNode(BaseNode):
    """Makes one change in the tenant's CRM (GoHighLevel ``ghl`` or Follow Up Boss ``fub``) for
    the run's contact: ``upsert_contact``, ``add_note`` (``body``), ``add_tag`` (``tags``),
    ``create_task`` (``title``, ``body``, ``due_in``) or ``move_stage`` (``stage``, optional
    ``pipeline_id`` and ``name``). Made once even if the step runs again; the call is in the
    connector's delivery log and ``steps.<node>.crm_id`` holds what the CRM wrote."""

    kind: Literal["crm"]
    crm: Literal["ghl", "fub"]
    operation: Literal["upsert_contact", "add_note", "add_tag", "create_task", "move_stage"]
    body: str | None = Field(default=None, description="Jinja2 template: the note or task text.")
    title: str | None = Field(default=None, max_length=500, description="Jinja2: the task title.")
    tags: list[str] = Field(default_factory=list, max_length=50)
    due_in: str = Field(default="1d", description="create_task: due this long after, e.g. 2h.")
    stage: str | None = Field(default=None, max_length=200, description="Stage id or name.")
    pipeline_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=500, description="Jinja2: a new deal's name.")


class ParallelBranch(DefinitionModel):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    start: NodeId = Field(description="The first node of the branch.")


class Parallel(BaseNode):
    """Forks the run into branches that run side by side, each a *branch run* (a run of the same
    version and contact, starting at the branch's ``start``, linked to this run). A branch ends
    when it reaches ``next`` (the join target) or a node with nowhere to go, an ``exit`` or a
    ``goal``. ``join: all`` waits for every branch, ``any`` for the first to end (the others
    are cancelled; their pending messages are never sent). After ``timeout`` the run goes on
    to ``next`` with outcome ``timeout`` and the branches still running are cancelled. A
    failed branch fails this step (``on_branch_error: fail``, then ``on_error`` applies) or
    counts as ended (``continue``)."""

    kind: Literal["parallel"]
    branches: list[ParallelBranch] = Field(
        min_length=2, max_length=10, description="The branches, each a name and a start node."
    )
    join: Literal["all", "any"] = Field(
        default="all", description="all: go on when every branch ended; any: at the first."
    )
    timeout: str | None = Field(
        default=None, description="Go on to next (outcome timeout) after this duration."
    )
    on_branch_error: Literal["fail", "continue"] = Field(
        default="fail",
        description="A failed branch fails this step (fail) or counts as ended (continue).",
    )


class Exit(BaseNode):
    kind: Literal["exit"]
    reason: str = "exit"


class Goal(BaseNode):
    kind: Literal["goal"]
    goal: str = Field(min_length=1, description="Name of the goal reached; the run exits.")


def edges_of(node: Any) -> list[tuple[str, str]]:
    """(field path relative to the node, target id) for every outgoing edge of ``node``."""
    out: list[tuple[str, str]] = []
    for name in ("next", "on_error", "on_event", "on_timeout", "on_missing", "default"):
        target = getattr(node, name, None)
        if target:
            out.append((name, target))
    for i, case in enumerate(getattr(node, "cases", None) or []):
        out.append((f"cases[{i}].next", case.next))
    for i, arm in enumerate(getattr(node, "arms", None) or []):
        if arm.next:  # a holdout arm may end the run
            out.append((f"arms[{i}].next", arm.next))
    for i, fork in enumerate(getattr(node, "branches", None) or []):
        out.append((f"branches[{i}].start", fork.start))
    return out
