"""The one event vocabulary: every event type leadflow emits or listens to, with its data and
who emits it, and the other names integrators send for the same thing.

Aliases are mapped to their canonical name at the edges (the events API, inbound webhooks,
workflow definitions), so whatever door an event came in by, every consumer (triggers, waits,
goals, the lead score, the predictive model, learned listing criteria) sees one name.
``docs/events.md`` is this table in prose; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EventKind:
    name: str
    data: str  # the data fields it carries, as documented
    emitted_by: str
    meaning: str


CHANNELS = ("sms", "email", "voice", "whatsapp")
LEAD = "inbound lead webhooks, the events API"

_NAMED: tuple[EventKind, ...] = (
    # ---------------------------------------------------------------- leads
    EventKind(
        "lead.created",
        "source, contact{email, phone}",
        f"{LEAD}, contacts import --emit, Facebook Lead Ads (source facebook_lead_ads)",
        "a new lead arrived",
    ),
    EventKind(
        "lead.updated",
        "source, contact{email, phone}",
        LEAD,
        "a known lead arrived again (matched by e-mail or phone)",
    ),
    EventKind(
        "lead.registration",
        "message, RESO property fields",
        "CRM webhook, events API",
        "the lead registered on a site",
    ),
    EventKind("lead.inquiry", "message", "CRM webhook, events API", "a general inquiry"),
    EventKind(
        "lead.seller_inquiry",
        "message, RESO property fields",
        "CRM webhook, events API",
        "a homeowner asked about selling",
    ),
    EventKind(
        "lead.property_inquiry",
        "message, RESO property fields",
        "CRM webhook, events API",
        "a question about one property",
    ),
    EventKind(
        "lead.score_changed",
        "old, new, old_band, new_band, factors",
        "scoring",
        "the lead's score band changed",
    ),
    EventKind("lead.hot", "source", "events API, simulations", "an integrator flags a hot lead"),
    EventKind("call.incoming", "message", "CRM webhook, events API", "the lead called"),
    # ---------------------------------------------------------------- browsing
    EventKind(
        "listing.viewed",
        "listing_key, RESO property fields",
        "CRM webhook, events API",
        "the lead viewed a listing",
    ),
    EventKind(
        "listing.saved",
        "listing_key, RESO property fields",
        "CRM webhook, events API",
        "the lead saved a listing",
    ),
    EventKind(
        "listing.searched",
        "RESO search fields",
        "CRM webhook, events API",
        "the lead ran a property search",
    ),
    EventKind("site.visited", "url", "CRM webhook, events API", "the lead visited the site"),
    EventKind(
        "open_house.visited",
        "RESO property fields",
        "CRM webhook, events API",
        "the lead came to an open house",
    ),
    EventKind("link.clicked", "url", "events API", "a tracked link outside leadflow's messages"),
    # ---------------------------------------------------------------- listings (no contact)
    EventKind(
        "listing.created",
        "listing_key, RESO listing fields",
        "listings import",
        "a listing appeared",
    ),
    EventKind(
        "listing.price_changed",
        "listing_key, old_price, new_price",
        "listings import",
        "a listing's price changed",
    ),
    EventKind(
        "listing.status_changed",
        "listing_key, old_status, new_status",
        "listings import",
        "a listing's status changed",
    ),
    EventKind(
        "listing.matched",
        "count, listing_keys, matches",
        "listing price or status changes",
        "a listing matched the lead's criteria",
    ),
    # ---------------------------------------------------------------- appointments, deals
    EventKind(
        "appointment.booked",
        "appointment_id, agent, starts_at, ends_at",
        "booking pages, events API",
        "the lead booked a meeting with an agent",
    ),
    EventKind(
        "appointment.rescheduled",
        "appointment_id, agent, starts_at, ends_at, replaces",
        "booking pages",
        "the lead moved a meeting",
    ),
    EventKind(
        "appointment.cancelled",
        "appointment_id, agent, starts_at, ends_at",
        "booking pages",
        "the lead cancelled a meeting",
    ),
    EventKind(
        "task.created",
        "task_id, assignee, title, priority, label, due_at, reason",
        "notify_agent node",
        "a person was given a task about the lead",
    ),
    EventKind(
        "task.completed",
        "task_id, assignee, title, priority, label, due_at",
        "tasks API and CLI",
        "the task was done",
    ),
    EventKind(
        "task.overdue",
        "task_id, assignee, title, priority, label, due_at",
        "the tasks.overdue job",
        "the task passed its due time undone",
    ),
    EventKind(
        "owner.assigned",
        "owner, rule, reason, run_id",
        "assign_owner node",
        "the lead was given an owner by a routing rule",
    ),
    EventKind(
        "deal.closed",
        "DealKey, ClosePrice, CloseDate, ListingKey, Side, Commission, MemberKey",
        "deals API and import (one per deal); sent to the events API it becomes a deal",
        "a deal closed",
    ),
    # ---------------------------------------------------------------- workflows
    EventKind(
        "workflow.started",
        "from_workflow, from_run",
        "start_workflow node",
        "a run started another workflow (the trigger of the run it starts)",
    ),
    EventKind(
        "parallel.branch_ended",
        "parent_run, branch_run, node, branch, status",
        "branch runs of a parallel node",
        "a branch run ended (its parent, waiting at the parallel node, looks at its branches)",
    ),
    # ---------------------------------------------------------------- channel specifics
    EventKind(
        "sms.opted_out",
        "source, evidence",
        "Twilio (error 21610), STOP handling",
        "the number opted out of texts",
    ),
    EventKind("sms.clicked", "url, message_id", "events API", "a link in a text was clicked"),
    EventKind(
        "email.opened",
        "message_id, provider_id",
        "SendGrid events",
        "an e-mail was opened by a person",
    ),
    EventKind(
        "email.machine_opened",
        "message_id, provider_id",
        "SendGrid events",
        "an e-mail was opened by a mail privacy proxy (not a person)",
    ),
    EventKind("email.clicked", "url, message_id", "SendGrid events", "a link was clicked"),
    EventKind(
        "email.unsubscribed",
        "message_id, source",
        "SendGrid events, unsubscribe link",
        "the lead unsubscribed from e-mail",
    ),
    EventKind("email.spam_reported", "message_id", "SendGrid events", "marked as spam"),
    EventKind("email.replied", "message_id", "events API", "a reply noticed by another system"),
    EventKind(
        "email.auto_replied",
        "text, subject, from, message_id, email_message_id, in_reply_to, auto_reply_reason",
        "inbound e-mail (SendGrid Inbound Parse, IMAP)",
        "an automatic answer (out of office, Auto-Submitted): not a reply, stops nothing",
    ),
    EventKind(
        "voice.answered", "message_id, answered_by", "Twilio voice callbacks", "a call was answered"
    ),
    # ---------------------------------------------------------------- CRM connectors
    EventKind(
        "crm.stage_changed",
        "crm, crm_contact_id, stage, pipeline_id, opportunity_id, status",
        "GoHighLevel and Follow Up Boss webhooks",
        "the lead's pipeline stage (or opportunity) moved in the CRM",
    ),
    EventKind(
        "crm.note_added",
        "crm, crm_contact_id, note_id, body",
        "GoHighLevel and Follow Up Boss webhooks",
        "an agent wrote a note on the lead in the CRM",
    ),
)
_PER_CHANNEL = tuple(
    EventKind(f"{channel}.{what}", data, who, f"{meaning} ({channel})")
    for channel in CHANNELS
    for what, data, who, meaning in (
        ("sent", "message_id, run_id, node", "dispatch", "a message left"),
        (
            "delivered",
            "message_id, run_id, node",
            "dispatch, provider receipts",
            "a message was delivered",
        ),
        ("failed", "message_id, error", "dispatch, provider receipts", "a message failed"),
        ("suppressed", "message_id, reason", "dispatch", "a message was held back for good"),
        ("received", "body, from, message_id", "provider webhooks, events API", "the lead replied"),
    )
)
# Facebook Messenger (and Instagram messaging): the Send API's verdicts and the page's webhook
_MESSENGER = tuple(
    EventKind(f"messenger.{what}", data, who, f"{meaning} (Messenger)")
    for what, data, who, meaning in (
        ("sent", "message_id, run_id, node", "dispatch", "a message left"),
        ("failed", "message_id, error", "dispatch", "a message failed"),
        (
            "suppressed",
            "message_id, reason (messenger_window_closed...)",
            "dispatch",
            "a message was held back for good",
        ),
        (
            "received",
            "body, from (PSID), mid, page_id, platform",
            "Meta page webhook",
            "the lead wrote to the page",
        ),
    )
)
KINDS: tuple[EventKind, ...] = (*_NAMED, *_PER_CHANNEL, *_MESSENGER)

VOCABULARY: dict[str, EventKind] = {kind.name: kind for kind in KINDS}

ALIASES: dict[str, str] = {
    "property.viewed": "listing.viewed",
    "lead.viewed_property": "listing.viewed",
    "property.saved": "listing.saved",
    "lead.saved_property": "listing.saved",
    "property.searched": "listing.searched",
    "property.inquiry": "lead.property_inquiry",
    "website.visited": "site.visited",
    "lead.visited_website": "site.visited",
    "page.viewed": "site.visited",
}


def canonical(name: str) -> str:
    """The vocabulary's name for an event type (an alias mapped; anything else unchanged)."""
    return ALIASES.get(name, name)


def canonical_all(names: Iterable[str]) -> frozenset[str]:
    return frozenset(ALIASES.get(name, name) for name in names)


def known(name: str) -> bool:
    """Whether ``name`` is in the vocabulary (an alias is not: map it first)."""
    return name in VOCABULARY


_PAGE_HEAD = """# Events: the one vocabulary

Everything a lead does and everything leadflow does to a lead is an event with a type from this
table. Triggers, `wait_for_event` nodes, goals, experiment metrics, the transparent lead score,
the predictive model and learned listing criteria all listen to these names, so an event counts
the same whichever door it came in by: the events API (`POST /api/v1/events`), `leadflow events
emit`, the CRM and lead webhooks, the providers' webhooks (Twilio, SendGrid), or leadflow itself.

The table lives in code (`src/leadflow/model/vocabulary.py`; this page is written from it by
`python scripts/events_doc.py`); a test checks that every event type built anywhere in the
source, every type a consumer counts, and every alias below are in it and on this page. A tenant
may send types of its own (`quote.requested`); they are stored as sent and workflows can trigger
on them, but no built-in consumer counts them.

## Names

| type | data fields | emitted by | meaning |
|---|---|---|---|
"""

_PAGE_ALIASES = """
## Aliases

Other names for the same things, as CRMs and older integrations send them. They are mapped to the
vocabulary's name on the way in (the events API, the webhooks, `leadflow events emit`, webhook
subscriptions) and in workflow definitions (a trigger, wait or goal naming `property.viewed`
listens to `listing.viewed`); schema version 22 renamed events stored under an alias before.

| alias | stored as |
|---|---|
"""

_CONSUMERS = (
    (
        "transparent score (`scoring/rules.py`)",
        "`site.visited`, `listing.viewed`, `listing.saved`, the `lead.*inquiry` types, "
        "`email.opened`, `email.clicked`, `sms.clicked`, `*.received`",
    ),
    (
        "predictive features (`scoring/features.py`)",
        "visits: `site.visited`, `open_house.visited`; views: `listing.viewed`; saves: "
        "`listing.saved`; replies: `*.received`; opens: `email.opened`; clicks: "
        "`email.clicked`, `link.clicked`",
    ),
    (
        "learned listing criteria (`listings/learned.py`)",
        "`listing.viewed` (weight 1), `listing.saved` (weight 2)",
    ),
    (
        '"also saved" listings (`listings/collaborative.py`)',
        "`listing.saved`, `open_house.visited` (with a `listing_key`)",
    ),
    (
        "experiment outcomes (`definitions/experiment_model.py`)",
        "replied: `sms.received`, `email.received`, `email.replied`; clicked: `email.clicked`; "
        "opened: `email.opened`; delivered: `sms.delivered`, `email.delivered`",
    ),
    (
        "stop on reply, consent (`model/rules.py`)",
        "`*.received`; `sms.opted_out`, `email.unsubscribed`, `email.spam_reported`",
    ),
    (
        "revenue attribution, agents (`analytics/`)",
        "`deal.closed` (a deal), `appointment.booked`, `task.*`",
    ),
)


def events_page() -> str:
    """docs/events.md, written from the vocabulary."""
    rows = [f"| `{k.name}` | {k.data} | {k.emitted_by} | {k.meaning} |" for k in KINDS]
    aliases = [f"| `{a}` | `{t}` |" for a, t in ALIASES.items()]
    consumers = [f"| {who} | {types} |" for who, types in _CONSUMERS]
    tail = "\n## What counts what\n\n| consumer | types |\n|---|---|\n"
    table = "\n".join(rows)
    alias_table = "\n".join(aliases)
    consumer_table = "\n".join(consumers)
    return f"{_PAGE_HEAD}{table}\n{_PAGE_ALIASES}{alias_table}\n{tail}{consumer_table}\n"


__all__ = [
    "ALIASES",
    "KINDS",
    "VOCABULARY",
    "EventKind",
    "canonical",
    "canonical_all",
    "events_page",
    "known",
]
