"""Pydantic v2 models of a workflow definition.

A definition is a key and name, triggers, settings and a list of nodes. Nodes are a tagged union on
``kind``; edges are node ids held in fields (``next``, ``on_timeout``, ``cases[].next``...).
A node without an outgoing edge ends the run as ``completed``. Durations are strings such as
``90s``, ``30m``, ``2h``, ``1d12h``, ``1w`` or ISO 8601 ``PT2H`` (see :mod:`.durations`).

These models check shape only; :mod:`.validation` checks the graph, durations and templates and
reports every problem at once with its path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from leadflow.definitions.conditions_model import Condition
from leadflow.definitions.durations import DAY, HOUR, parse_duration
from leadflow.definitions.experiment_model import ExperimentSpec
from leadflow.model.vocabulary import canonical

EventName = Annotated[str, AfterValidator(canonical)]
"""An event type as a workflow names it: an alias (``property.viewed``) reads as the
vocabulary's name (``listing.viewed``), the name every stored event carries."""
NodeId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MAX_SEND_DELAY_S = 7 * DAY  # timing optimal: the best hour is looked for at most a week ahead
DEFAULT_SEND_DELAY_S = 24 * HOUR


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---------------------------------------------------------------- nodes


class _Node(_Model):
    id: NodeId
    kind: str  # narrowed to a Literal by each node class; declared here so it dumps after ``id``
    name: str | None = None
    next: NodeId | None = None
    on_error: NodeId | None = Field(
        default=None, description="Where to go when the step fails for good (after retries)."
    )


class _Send(_Node):
    """A message node; ``timing: optimal`` sends at the hour the lead most likely engages."""

    timing: Literal["now", "optimal"] = Field(
        default="now", description="now: as soon as allowed; optimal: at the lead's best hour."
    )
    max_delay: str | None = Field(
        default=None,
        description="With timing optimal: how far ahead the hour may be (default 24h, at most 7d).",
    )

    @field_validator("max_delay")
    @classmethod
    def _max_delay(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if info.data.get("timing") != "optimal":
            raise ValueError("max_delay needs timing: optimal")
        seconds = parse_duration(value)  # says what is wrong (negative, malformed...)
        if seconds > MAX_SEND_DELAY_S:
            raise ValueError(f"max_delay {value!r} is more than 7 days")
        return value

    def max_delay_s(self) -> float:
        return parse_duration(self.max_delay) if self.max_delay else DEFAULT_SEND_DELAY_S


class SendSms(_Send):
    kind: Literal["send_sms"]
    body: str = Field(min_length=1, description="Jinja2 template of the text.")
    media_urls: list[str] = Field(default_factory=list)


class WhatsAppTemplate(_Model):
    """An approved WhatsApp template: its Twilio Content SID and its placeholders' values."""

    content_sid: str = Field(
        pattern=r"^HX[0-9a-fA-F]{32}$", description="Twilio Content SID of the template (HX...)."
    )
    variables: dict[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")],
        Annotated[str, Field(max_length=1024)],
    ] = Field(
        default_factory=dict,
        max_length=100,
        description='Placeholder values as Jinja2 templates, keyed as in the template ("1", "2").',
    )


class SendWhatsApp(_Send):
    """A WhatsApp message to the contact's phone: free-form ``body`` (sent only within 24 hours
    of the lead's last WhatsApp message) or an approved ``template`` (any time). Either way it
    needs the lead's WhatsApp opt-in (``consent.whatsapp``)."""

    kind: Literal["send_whatsapp"]
    body: str | None = Field(default=None, min_length=1, description="Jinja2 template of the text.")
    template: WhatsAppTemplate | None = Field(
        default=None, description="An approved template, for leads outside the 24-hour window."
    )
    media_urls: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _body_or_template(self) -> SendWhatsApp:
        if (self.body is None) == (self.template is None):
            raise ValueError("give either body (free-form) or template, not both nor neither")
        if self.template is not None and self.media_urls:
            raise ValueError("media_urls go with a free-form body (a template has its own media)")
        return self


class SendEmail(_Send):
    kind: Literal["send_email"]
    subject: str = Field(min_length=1, description="Jinja2 template of the subject line.")
    body: str = Field(min_length=1, description="Jinja2 template of the text body.")
    html: str | None = Field(default=None, description="Optional Jinja2 template of an HTML body.")
    marketing: bool = True


class SendMessenger(_Send):
    """A Facebook Messenger (or Instagram) message to the lead's thread with a page, through
    Meta's Send API. Outside 24 hours of the lead's last message only ``messaging_type:
    MESSAGE_TAG`` with an allowed ``tag`` may go (HUMAN_AGENT: up to 7 days)."""

    kind: Literal["send_messenger"]
    body: str = Field(min_length=1, description="Jinja2 template of the message text.")
    page_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The page to send from (default: the page the lead last wrote to).",
    )
    messaging_type: Literal["RESPONSE", "UPDATE", "MESSAGE_TAG"] = Field(
        default="RESPONSE", description="Meta's messaging_type of the send."
    )
    tag: (
        Literal["HUMAN_AGENT", "ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE"]
        | None
    ) = Field(default=None, description="The message tag (with messaging_type MESSAGE_TAG).")

    @model_validator(mode="after")
    def _tag_with_message_tag(self) -> SendMessenger:
        if self.messaging_type == "MESSAGE_TAG" and self.tag is None:
            raise ValueError("messaging_type MESSAGE_TAG needs a tag")
        if self.messaging_type != "MESSAGE_TAG" and self.tag is not None:
            raise ValueError("a tag needs messaging_type MESSAGE_TAG")
        return self


class VoiceCall(_Send):
    kind: Literal["voice_call"]
    mode: Literal["voicemail_drop", "live"] = "voicemail_drop"
    audio_url: str | None = Field(default=None, description="Recording played on voicemail.")
    say: str | None = Field(default=None, description="Jinja2 template read out when no audio.")


class Wait(_Node):
    kind: Literal["wait"]
    duration: str = Field(description="How long to wait, e.g. 2h, 3d, PT30M.")


class WaitUntil(_Node):
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


class WaitForEvent(_Node):
    kind: Literal["wait_for_event"]
    event: EventName = Field(min_length=1, description="Event type awaited, e.g. sms.received.")
    match: Condition | None = Field(default=None, description="Condition the event must meet.")
    timeout: str | None = Field(default=None, description="Give up after this duration.")
    on_event: NodeId | None = Field(default=None, description="Where to go when the event comes.")
    on_timeout: NodeId | None = Field(default=None, description="Where to go on time-out.")


class BranchCase(_Model):
    when: Condition
    next: NodeId


class Branch(_Node):
    kind: Literal["branch"]
    cases: list[BranchCase] = Field(min_length=1, description="Ordered; first match wins.")
    default: NodeId | None = Field(default=None, description="Where to go when nothing matches.")


class SplitArm(_Model):
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


class Split(_Node):
    """An A/B/n split. With ``experiment`` it is an experiment: arms are sticky per contact and
    judged on a metric (see :mod:`.experiment_model`); without it, a fixed random cohort."""

    kind: Literal["split"]
    arms: list[SplitArm] = Field(min_length=1)
    experiment: ExperimentSpec | None = Field(
        default=None, description="Judge the arms on a goal and decide (see experiment_model)."
    )


class UpdateContact(_Node):
    kind: Literal["update_contact"]
    set: dict[str, Any] = Field(default_factory=dict, description="Fields to set.")
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)
    stage: str | None = None
    owner: str | None = Field(default=None, description="Owner agent (RESO MemberKey).")


class StartWorkflow(_Node):
    kind: Literal["start_workflow"]
    workflow: str = Field(min_length=1, description="Key of the workflow to start.")


class Webhook(_Node):
    kind: Literal["webhook"]
    url: str = Field(min_length=1)
    method: Literal["POST", "PUT", "PATCH", "GET"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, description="Jinja2 template of the request body.")


class Action(_Node):
    """A custom action registered by the operator's code (``Registry.register_action``)."""

    kind: Literal["action"]
    action: str = Field(min_length=1, description="Name the action was registered under.")
    params: dict[str, Any] = Field(default_factory=dict, description="Passed to the action.")


class MatchProperties(_Node):
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


class Score(_Node):
    """Recomputes the contact's lead score; later nodes read ``contact.score`` and
    ``contact.score_band`` (a band crossing records a ``lead.score_changed`` event)."""

    kind: Literal["score"]


class NotifyAgent(_Node):
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


class AssignOwner(_Node):
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


class BookingLink(_Node):
    """Puts the contact's owner's booking-page link in ``context.booking_url`` for the messages
    after it (``{{ context.booking_url }}``); ``fallback`` when booking pages are not set up or
    the contact has no owner."""

    kind: Literal["booking_link"]
    fallback: str = Field(
        default="reply to this message with a time that suits you",
        max_length=300,
        description="What context.booking_url holds when no link can be made.",
    )


class MarketReport(_Node):
    """Figures from the tenant's own Active and recent listings in the contact's area (its ZIP
    code, else city): median list price, new listings and price drops in the last
    ``period_days``, median days on market. ``context.market`` holds them and
    ``steps.<node>.count`` how many listings they rest on (branch on it to skip thin areas)."""

    kind: Literal["market_report"]
    period_days: int = Field(default=30, ge=1, le=365)


class AiCompose(_Node):
    """Drafts one text or e-mail for the lead with the configured model, from ``brief``, the
    contact's fields and its matched listings, then checks the draft (SMS segments, length,
    sender and opt-out wording on a first text, no URL / price / address / number that is not
    in the data, no fair-housing steering words). A draft that fails a check, or no model at
    all, sends ``body`` (and ``subject``) instead: the template is required. The text is made
    once per visit and queued like a ``send_sms`` / ``send_email``; ``steps.<node>.source``
    says which went out (model or template) and ``steps.<node>.reason`` why the template."""

    kind: Literal["ai_compose"]
    channel: Literal["sms", "email"] = "sms"
    brief: str = Field(
        min_length=1,
        max_length=2000,
        description="Jinja2 template: what the message should do, for the model.",
    )
    body: str = Field(min_length=1, description="Jinja2 template sent when no draft may go.")
    subject: str | None = Field(
        default=None, description="Jinja2 template of the fallback subject (e-mail only)."
    )
    max_segments: int = Field(
        default=2, ge=1, le=10, description="SMS: most segments a draft may take (GSM-7/UCS-2)."
    )
    max_chars: int | None = Field(
        default=None,
        ge=20,
        le=20_000,
        description="Most characters a draft may have (default 480 for SMS, 3000 for e-mail).",
    )
    marketing: bool = Field(default=True, description="E-mail: a marketing message.")

    @model_validator(mode="after")
    def _subject_for_email(self) -> AiCompose:
        if self.channel == "email" and not self.subject:
            raise ValueError("subject is required when channel is email")
        if self.channel == "sms" and self.subject:
            raise ValueError("subject applies only to channel email")
        return self

    def char_limit(self) -> int:
        return self.max_chars or (480 if self.channel == "sms" else 3000)


class CrmNode(_Node):
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


class ParallelBranch(_Model):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    start: NodeId = Field(description="The first node of the branch.")


class Parallel(_Node):
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


class Exit(_Node):
    kind: Literal["exit"]
    reason: str = "exit"


class Goal(_Node):
    kind: Literal["goal"]
    goal: str = Field(min_length=1, description="Name of the goal reached; the run exits.")


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


class Trigger(_Model):
    """What enrolls contacts: an event (with a filter), a cron schedule, or manual enrollment."""

    type: Literal["event", "schedule", "manual"]
    event: EventName | None = Field(default=None, description="Event type, for type=event.")
    filter: Condition | None = Field(
        default=None, description="Condition on the event / contact; schedule: which contacts."
    )
    cron: str | None = Field(default=None, description="Cron expression, for type=schedule.")
    timezone: str = Field(default="UTC", description="Zone the cron expression is read in.")


class Reentry(_Model):
    policy: Literal["never", "after", "always"] = "never"
    days: int | None = Field(default=None, ge=1, description="For policy=after.")


class GoalSpec(_Model):
    """Exits a run wherever it is when a matching event arrives (or the condition holds)."""

    name: Annotated[str, Field(min_length=1)]
    event: EventName | None = Field(default=None, description="Event type that can meet the goal.")
    when: Condition | None = None


class SendWindow(_Model):
    """Workflow-level window in the contact's local time; narrows the legal window."""

    start: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(default="21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
    weekdays: list[Weekday] = Field(default_factory=list)


class Settings(_Model):
    reentry: Reentry = Field(default_factory=Reentry)
    goals: list[GoalSpec] = Field(default_factory=list)
    pause_on_reply: bool = True
    send_window: SendWindow | None = None
    default_timezone: str = Field(
        default="America/New_York", description="Zone used when a contact has none."
    )
    priority: int = Field(default=0, description="Higher wins when the message budget is short.")


class WorkflowDefinition(_Model):
    key: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    name: str = Field(min_length=1)
    description: str | None = None
    triggers: list[Trigger] = Field(default_factory=list)
    settings: Settings = Field(default_factory=Settings)
    start: NodeId = Field(description="Id of the first node.")
    nodes: list[Node] = Field(min_length=1)

    def node_map(self) -> dict[str, Any]:
        return {n.id: n for n in self.nodes}


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
