"""Send-time evidence read from the outbox: no separate table to keep in step.

A message counts as sent in the bucket of its ``sent_at`` (the contact's local time) and as
engaged when the lead opened (e-mail), clicked or replied to it. Machine opens (Apple Mail Privacy
Protection, SendGrid's ``sg_machine_open``) arrive as ``email.machine_opened`` and never set
``opened_at``, so they are not counted. Texts and calls count replies and clicks only.

The population prior is refitted at most every ``refresh_s`` seconds per channel, from the
most recent ``population_limit`` messages of that channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import tzinfo

from leadflow.engine.localtime import zone
from leadflow.model.records import Contact, Message, MessageFilter
from leadflow.sendtime.model import Counts, Prior, Vector, bucket_of, fit_prior, posterior_mean
from leadflow.sendtime.spread import HourlyCap
from leadflow.store.contract import CoreStore

CONTACT_LIMIT = 1000  # most recent messages of a contact on a channel
PAGE = 5000


def engaged(message: Message) -> bool:
    """Did the lead (not a machine) engage with this message?"""
    if message.channel == "email" and message.opened_at is not None:
        return True
    return message.clicked_at is not None or message.replied_at is not None


def counts_of(messages: Iterable[Message], tz: tzinfo) -> Counts:
    return Counts.of(
        (bucket_of(m.sent_at, tz), engaged(m)) for m in messages if m.sent_at is not None
    )


@dataclass(slots=True)
class _Fitted:
    prior: Prior
    at: float


@dataclass
class OutboxHistory:
    """Posterior engagement rates per bucket for a contact, from the store's messages."""

    store: CoreStore
    default_timezone: str = "America/New_York"
    refresh_s: float = 6 * 3600.0
    population_limit: int = 50_000
    cap: HourlyCap | None = None  # at most this many sends per campaign and hour
    _priors: dict[str, _Fitted] = field(default_factory=dict)

    def prior(self, channel: str, now: float) -> Prior:
        fitted = self._priors.get(channel)
        if fitted is None or now - fitted.at >= self.refresh_s:
            fitted = _Fitted(self._fit(channel), now)
            self._priors[channel] = fitted
        return fitted.prior

    def _fit(self, channel: str) -> Prior:
        by_contact: dict[str, list[Message]] = {}
        after = 0
        seen = 0
        while seen < self.population_limit:
            page = self.store.list_messages(
                MessageFilter(channel=channel, limit=PAGE, after_id=after)
            )
            if not page:
                break
            for m in page:
                if m.contact_id is not None and m.sent_at is not None:
                    by_contact.setdefault(m.contact_id, []).append(m)
            seen += len(page)
            after = max(m.id or 0 for m in page)
        contacts = self.store.get_contacts(by_contact)
        population = [
            counts_of(messages, self._zone(contacts.get(cid)))
            for cid, messages in by_contact.items()
        ]
        return fit_prior(population)

    def _zone(self, contact: Contact | None) -> tzinfo:
        name = (contact.time_zone if contact else None) or self.default_timezone
        found: tzinfo = zone(name, self.default_timezone)
        return found

    def counts(self, contact_id: str, channel: str, tz: tzinfo) -> Counts:
        messages = self.store.list_messages(
            MessageFilter(contact_id=contact_id, channel=channel, limit=CONTACT_LIMIT)
        )
        return counts_of(messages, tz)

    def means(
        self, contact: Contact | None, channel: str, tz: tzinfo, now: float
    ) -> tuple[Vector, int]:
        """Posterior means per bucket and how many engagements of the contact's own back them."""
        prior = self.prior(channel, now)
        if contact is None:
            return prior.mean, 0
        counts = self.counts(contact.id, channel, tz)
        return posterior_mean(counts, prior), counts.events
