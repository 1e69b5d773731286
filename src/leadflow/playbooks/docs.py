"""The "Playbooks" page (``docs/playbooks.md``), generated from the shipped plays so that the
diagrams, parameters and day-by-day notes never drift from the definitions
(``python scripts/playbooks_doc.py`` writes it; a test checks it is current)."""

from __future__ import annotations

from leadflow.definitions.models import WorkflowDefinition
from leadflow.playbooks.catalog import Template, instantiate, templates
from leadflow.playbooks.diagram import mermaid

INTRO = """# Playbooks

Ready-made plays for real-estate teams: pick one, fill in a few parameters, and it runs. Each
play is a parameterised workflow shipped in `leadflow/playbooks/plays/`; installing fills it in
and saves it as a draft of the tenant (or publishes it), under the play's workflow key.

```
leadflow templates list [--json]
leadflow templates show hot-lead-acceleration [--json] [--mermaid]
leadflow templates install post-closing-care --tenant acme --set agent_name="Dana Cole" \\
    --set checkin_days=45 --publish
```

The same through the API (admin or manager keys): `GET /api/v1/templates`,
`GET /api/v1/templates/{name}`, `POST /api/v1/templates/{name}/install` with
`{"parameters": {"checkin_days": 45}, "publish": true}`. A parameter has a name, a type
(`string`, `integer`, `number`, `boolean`, `time` HH:MM, `duration` such as `2h`, `choice`), a
default, a description and an allowed range; an install with a bad, missing or unknown
parameter is refused naming each one (`checkin_days: 400 is above the maximum 120`) and
writes nothing. Inside a play file `[[ name ]]` stands for a parameter (a whole-string
placeholder keeps the value's type); `{{ ... }}` stays a message template. A play that starts
another (Long-term Nurture hands hot leads to Hot Lead Acceleration) is published after that
one, or installed as a draft first.

## What the plays use

* **`notify_agent`** creates a **task** (title, due time, priority, a label) for the contact's
  owner (`to: owner`) or the owner's team lead (`to: team_lead`); when that person is missing or
  not Active: a team lead, then an agent by round robin. The agent is told by text and/or e-mail
  through the same outbox: such a notice (`payload.agent_notice`) follows the **agent's**
  working hours (agent profile: zone, hours, weekdays; default 09:00-18:00 Monday-Friday New
  York), not the lead's consent or windows, and an urgent task leaves outside them only when the
  agent allowed it (`urgent_after_hours`). A notice still held when its run ends (the task was
  done) is suppressed. Events `task.created`, `task.completed` and `task.overdue` (recorded
  once by the worker's `tasks.overdue` job, every minute) are the lead's events: workflows wait
  on them or reach a goal with them. Tasks: `GET /api/v1/tasks?which=mine|team&status=` (and
  `contact_id=`: the ones about one lead), `GET /api/v1/tasks/{id}`,
  `POST /api/v1/tasks/{id}/complete|snooze|reassign`; `leadflow tasks
  list|complete|snooze|reassign --tenant T`. An agent key sees its own tasks, a manager its
  team's, an admin the tenant's; anything else is a 404. With `summary: true` the task and the
  e-mail carry the lead's summary (what to know before calling: score factors, criteria,
  matched listings, last reply and its intent) and the text its key lines (see
  [ai.md](ai.md#lead-summary-what-to-know-before-calling)).
* **`assign_owner`** routes a lead: `round_robin` (the available agent of `team`, or of the
  tenant, given a lead least recently), `area` (agents whose profile lists the lead's ZIP code
  or city), `source` (agents taking the lead's `LeadSource`), falling back to round robin; an
  agent that is not Active or not `available` is skipped; a lead with an owner keeps it unless
  `reassign: true`. Every assignment is recorded with its rule and reason (`owner_assignments`)
  and an `owner.assigned` event. The **Lead Routing** play below is the tenant default for new
  leads.
* **`wait_until`** also waits for a contact **date field** plus or minus days (`field:
  ClosingDate`, `offset: 30`), every year with `repeat: yearly` (29 February is the 28th in a
  common year), going to `on_missing` when the field is empty or the one-off moment has passed;
  and for the **first weekday of the month** (`month_day: first_weekday`), at `time` in the
  contact's zone.
* **`market_report`** computes the figures of the tenant's own listings in the contact's ZIP
  code (else city): Active listings, median list price, new listings and price drops in
  `period_days`, median days on market, into `context.market`; `steps.<node>.count` for a
  branch that skips thin areas.

* **`booking_link`** puts the contact's owner's booking page in `context.booking_url` for the
  messages after it (`{{ context.booking_url }}`), or its `fallback` text when booking pages
  are off (no `LEADFLOW_BOOKING_SECRET`) or the contact has no owner.

Agent profiles (working hours, urgent consent, availability, areas, sources) are stored per
agent (`agent_profiles`, migration 0030); tasks in `tasks`. An agent sets its own, a manager its
team's, an admin anyone's: `GET/PUT /api/v1/agents/{member_key}/profile`, `leadflow agents
profile MEMBER --tenant T [--zone Z --hours 09:00-18:00 --weekdays mon,tue --available |
--unavailable --urgent-after-hours --areas 78701,78702 --sources Zillow]`.

## Booking pages

Each agent has a booking page per lead, served by `leadflow serve` at `/book/{token}`: the
token is encrypted and signed (Fernet, keys derived from `LEADFLOW_BOOKING_SECRET`), so a link
can be neither made up nor read. `GET /api/v1/agents/{member_key}/booking-links?contact_id=`
gives the page's path for a lead and the agent's private calendar feed
(`/book/feed/{token}.ics`, to subscribe to from any calendar); the `booking_link` node puts the
full URL into messages. The page is plain, accessible HTML without JavaScript: the free 30-minute
slots of the next two weeks (the agent's working hours and zone, at least two hours ahead, minus
booked appointments), grouped by day and shown in the lead's zone, each a one-button form;
booked appointments with Cancel and Reschedule. Booking records `appointment.booked`
(rescheduling `appointment.rescheduled`, cancelling `appointment.cancelled`) as the lead's
events, so `booked` goals end the plays, and e-mails an iCalendar (RFC 5545, the `icalendar`
package, times in UTC) invitation to the lead and the agent through the outbox: a
`text/calendar; method=REQUEST` (or `CANCEL`) part plus `invite.ics` (SMTP), an attachment
(SendGrid). A slot holds one appointment: the store's unique index on (tenant, agent, start)
for booked appointments (migration 0031) refuses the second of two racing requests, which gets
a clear "that time was just booked" page (409).

**What if, before publishing**: `leadflow simulate TEMPLATE_OR_FILE [--set k=v] [--leads N
--days D] [--compare OTHER] [--json]` runs a play (or a workflow file) over virtual days with
synthetic leads and prints the per-node funnel and each goal's rate; with `--compare` the other
one runs with the same leads and seed, and a table gives both goal rates, the difference B - A
and its 95% interval (Newcombe's hybrid score interval, statsmodels).

Every play below is tested by installing it with its defaults and simulating 90 virtual days
with 240 synthetic leads (`tests/playbooks`), asserting what it promises and that nothing is
sent outside a legal window, after an opt-out or after a reply that pauses it.
"""


def section(t: Template) -> str:
    data = instantiate(t, {})
    definition = WorkflowDefinition.model_validate(data)
    info = t.info
    rows = ["| parameter | type | default | allowed | description |", "|---|---|---|---|---|"]
    for p in info.parameters:
        default = "(required)" if p.required else f"`{p.default}`"
        rows.append(
            f"| `{p.name}` | {p.type} | {default} | {p.allowed() or ''} | {p.description} |"
        )
    days = "\n".join(f"* {d}" for d in info.days)
    return (
        f"## {info.title}\n\n"
        f"`{info.name}` (workflow key `{data['key']}`), for {info.audience}. {info.summary}\n\n"
        f"```mermaid\n{mermaid(definition)}```\n\n"
        + "\n".join(rows)
        + f"\n\nDay by day:\n\n{days}\n"
    )


def playbooks_page() -> str:
    return INTRO + "\n" + "\n".join(section(t) for t in templates())


__all__ = ["playbooks_page"]
