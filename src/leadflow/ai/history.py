"""A tenant's own rates per channel, read from its store, for a smart campaign's predictions.

Per channel (sms, email, voice) over the tenant's messages that left (sent or delivered):

* ``sent``: how many left;
* ``replied``: how many of them were answered (the message's ``replied_at``);
* ``opted_out``: opt-outs made by an event (a STOP text, a carrier opt-out, an unsubscribe:
  the entries of the contacts' ``fields.consent_history`` with an ``event_id``; one per
  event), each attributed to the contact's last message before it within
  :data:`WINDOW_S`, whose channel it counts for;
* ``booked``: ``appointment.booked`` events attributed the same way.

A rate is the tenant's own only with at least :data:`MIN_SENDS` sends on the channel (its
Beta(1 + x, 1 + n - x) posterior); otherwise the stated prior (a Beta of mean ``rate`` and
weight :data:`PRIOR_WEIGHT` pseudo-sends). Every read is scoped to the tenant by the store.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from leadflow.model.records import Contact, MessageFilter, Scope
from leadflow.store.contract import Store

MIN_SENDS = 200
WINDOW_S = 14 * 86400.0
PRIOR_WEIGHT = 50.0
LEFT = frozenset({"sent", "delivered"})
METRICS = ("replies", "appointments", "opt_outs")
NOUNS = {"sms": "texts", "email": "e-mails", "voice": "calls"}
_PAGE = 5000


@dataclass
class ChannelHistory:
    sent: int = 0
    replied: int = 0
    booked: int = 0
    opted_out: int = 0

    def successes(self, metric: str) -> int:
        return {"replies": self.replied, "appointments": self.booked, "opt_outs": self.opted_out}[
            metric
        ]


@dataclass
class Activity:
    """What the tenant's store says: counts per channel, and per contact its messages that left
    and how many were opened, clicked and replied (features for the clusters)."""

    channels: dict[str, ChannelHistory] = field(default_factory=dict)
    engagement: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rate:
    """One channel's rate of one metric per message sent: a Beta(a, b) and where it came from."""

    channel: str
    metric: str
    a: float
    b: float
    source: str  # "tenant history" or "prior"
    basis: str

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)


def tenant_history(
    store: Store, tenant_id: str, contacts: Iterable[Contact], max_messages: int = 500_000
) -> Activity:
    """The tenant's counts per channel (see the module docstring) and per contact; ``contacts``
    are the tenant's (their consent history gives the opt-outs)."""
    scope = Scope(tenant_id)
    out: dict[str, ChannelHistory] = defaultdict(ChannelHistory)
    engagement: dict[str, dict[str, int]] = defaultdict(
        lambda: {"sent": 0, "opened": 0, "clicked": 0, "replied": 0}
    )
    sends: dict[str, list[tuple[float, str]]] = defaultdict(list)
    after, read = 0, 0
    while read < max_messages:
        page = store.list_messages(MessageFilter(scope=scope, after_id=after, limit=_PAGE))
        for msg in page:
            if msg.status not in LEFT or msg.contact_id is None:
                continue
            hist = out[msg.channel]
            hist.sent += 1
            hist.replied += msg.replied_at is not None
            sends[msg.contact_id].append((msg.sent_at or msg.due_at, msg.channel))
            mine = engagement[msg.contact_id]
            mine["sent"] += 1
            mine["opened"] += msg.opened_at is not None
            mine["clicked"] += msg.clicked_at is not None
            mine["replied"] += msg.replied_at is not None
        read += len(page)
        if len(page) < _PAGE:
            break
        after = page[-1].id or after
    for times in sends.values():
        times.sort()

    def attribute(contact_id: str | None, at: float) -> str | None:
        times = sends.get(contact_id or "")
        if not times:
            return None
        i = bisect.bisect_right(times, (at, "\uffff")) - 1
        if i < 0 or at - times[i][0] > WINDOW_S:
            return None
        return times[i][1]

    after = 0
    while True:
        events = store.list_events(
            scope=scope, after_id=after, limit=_PAGE, type="appointment.booked"
        )
        for event in events:
            channel = attribute(event.contact_id, event.occurred_at)
            if channel is not None:
                out[channel].booked += 1
        if len(events) < _PAGE:
            break
        after = events[-1].id
    for contact in contacts:
        if contact.tenant_id != tenant_id:
            continue
        seen: set[object] = set()
        for entry in contact.fields.get("consent_history") or []:
            if not isinstance(entry, dict) or entry.get("state") != "opted_out":
                continue
            event_id = entry.get("event_id")
            if event_id is None or event_id in seen:
                continue
            seen.add(event_id)
            channel = attribute(contact.id, float(entry.get("at") or 0.0))
            if channel is not None:
                out[channel].opted_out += 1
    return Activity(dict(out), dict(engagement))


def _pct(value: float) -> str:
    return f"{value:.1%}"


def rate_of(
    channel: str,
    metric: str,
    history: dict[str, ChannelHistory],
    prior: float,
    prior_basis: str,
) -> Rate:
    """The tenant's own rate when it has :data:`MIN_SENDS` sends on ``channel``, else the prior."""
    hist = history.get(channel) or ChannelHistory()
    noun = NOUNS.get(channel, "messages")
    word = metric.replace("_", "-")
    if hist.sent >= MIN_SENDS:
        x, n = hist.successes(metric), hist.sent
        return Rate(
            channel,
            metric,
            1.0 + x,
            1.0 + n - x,
            "tenant history",
            f"tenant history: {_pct(x / n)} {word} over {n:,} {noun}",
        )
    return Rate(
        channel,
        metric,
        prior * PRIOR_WEIGHT,
        (1.0 - prior) * PRIOR_WEIGHT,
        "prior",
        f"stated prior: {_pct(prior)} {word} per {noun[:-1] if noun.endswith('s') else noun} "
        f"({prior_basis}; the tenant has {hist.sent:,} {noun}, fewer than {MIN_SENDS})",
    )
