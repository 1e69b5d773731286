"""How simulated leads answer: the events one delivered message provokes. Simulations only.

:meth:`EngagementModel.on_delivered` returns future-dated events for one delivered message. All
random draws come from ``random.Random(f"{seed}:{message.idempotency_key}")``, so the same
message, contact and delivery time always give the same events (a simulation re-run after a
crash reproduces them), and each event's ``dedupe_key`` (``sim:<idempotency key>:<what>``) lets
the store drop a second copy.

The rates are means over leads of average propensity and over delivery times spread evenly
around the clock:

- sms: a reply (``sms.received``) with probability ``reply_rate * f * g``;
- email: an open (``email.opened``) with probability ``open_rate * (0.5 + propensity)``; after
  an open, a click (``email.clicked``) with probability ``click_rate / open_rate`` (so
  ``click_rate`` is per delivered e-mail) and a reply (``email.received``) making
  ``reply_rate * EMAIL_REPLY_SHARE * f * g`` per delivered e-mail;
- voice: a text back (``sms.received``) with probability ``reply_rate * VOICE_TEXT_BACK_SHARE
  * f * g``;
- webhook and other channels: nothing.

``f = sim_reply_propensity / 0.5`` (1 when the contact has no such field) and ``g`` is the
hour-of-day factor: largest when the contact's local hour (in its ``time_zone``) at delivery is
its ``sim_preferred_hour``, smallest twelve hours away, averaging 1 over the day (1 when either
is unknown). Probabilities are capped at 1. About one SMS reply in thirty is ``STOP``.

``reply_lift`` plants a known effect for tests and benchmarks of the analytics: a mapping from a
send node's id to a factor on the reply probability of the messages that node sends (texts,
e-mail replies and voice text-backs alike; opens and clicks are left alone), e.g.
``{"hello_b": 2.0}`` makes the lead twice as likely to answer node ``hello_b``'s message as the
same message from an unlisted node. Nodes not listed keep factor 1.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.errors import InvalidInput
from leadflow.model.records import Contact, Message, NewEvent

PROPENSITY_MEAN = 0.5  # the mean of sim_reply_propensity in synthetic_contacts
EMAIL_REPLY_SHARE = 0.2  # an e-mail is answered this much as often as a text
VOICE_TEXT_BACK_SHARE = 0.25  # a call is answered by text this much as often as a text
_HOUR_FLOOR = 0.4  # the hour factor never falls below this
_HOUR_SIGMA = 2.5  # hours: how wide the preferred-hour bump is
_MIN_DELAY_S = 20.0
_MAX_DELAY_S = 3 * 86400.0
# Log-normal delays: (median seconds, sigma).
_REPLY_DELAY = (12 * 60.0, 1.3)
_OPEN_DELAY = (45 * 60.0, 1.4)
_CLICK_DELAY = (60.0, 1.0)
_EMAIL_REPLY_DELAY = (25 * 60.0, 1.2)

_SMS_REPLIES: tuple[tuple[str, int], ...] = (
    ("Yes, still looking!", 6), ("Can you call me tomorrow?", 4), ("What's the price range?", 3),
    ("Is it still available?", 4), ("Thanks, I'll take a look", 5), ("Sounds good", 4),
    ("Not right now, maybe in the spring", 3), ("We already found a place, thanks", 2),
    ("Can we see it this weekend?", 3), ("Who is this?", 2), ("Please send more listings", 3),
    ("What are the HOA fees?", 2), ("STOP", 1),
)  # fmt: skip
_EMAIL_REPLIES: tuple[tuple[str, int], ...] = (
    ("Thanks for sending these. Could we schedule a showing next week?", 3),
    ("I'm interested in the second one. Is the price negotiable?", 2),
    ("We're not in a rush, please keep me posted on new listings.", 3),
    ("Please call me, I have a few questions about financing.", 2),
    ("Please remove me from this list.", 1),
)  # fmt: skip
_VOICE_TEXT_BACKS = (
    "Sorry I missed your call, can you text me?",
    "Saw a missed call, what's this about?",
    "Can't talk now, call me after 5",
)


class EngagementModel:
    """A deterministic model of how leads react to delivered messages (see the module doc)."""

    def __init__(
        self,
        seed: int,
        *,
        reply_rate: float = 0.15,
        open_rate: float = 0.35,
        click_rate: float = 0.08,
        reply_lift: Mapping[str, float] | None = None,
    ) -> None:
        for node, lift in (reply_lift or {}).items():
            if not (math.isfinite(lift) and lift >= 0.0):
                raise InvalidInput(f"reply_lift[{node!r}] must be a finite factor >= 0, got {lift}")
        for name, rate in (("reply_rate", reply_rate), ("open_rate", open_rate)):
            if not 0.0 <= rate <= 1.0:
                raise InvalidInput(f"{name} must be within [0, 1], got {rate}")
        if not 0.0 <= click_rate <= open_rate:
            raise InvalidInput(f"click_rate must be within [0, open_rate], got {click_rate}")
        self.seed = seed
        self.reply_rate = reply_rate
        self.open_rate = open_rate
        self.click_rate = click_rate
        self.reply_lift = dict(reply_lift or {})

    def on_delivered(
        self, message: Message, contact: Contact, delivered_at: float
    ) -> list[NewEvent]:
        """The events ``contact`` produces in answer to ``message``, all after ``delivered_at``."""
        rng = self.rng_for(message)
        if message.channel == "sms":
            return self._text_reply(rng, message, contact, delivered_at, 1.0, _SMS_REPLIES)
        if message.channel == "voice":
            texts = tuple((text, 1) for text in _VOICE_TEXT_BACKS)
            share = VOICE_TEXT_BACK_SHARE
            return self._text_reply(rng, message, contact, delivered_at, share, texts)
        if message.channel == "email":
            return self._email(rng, message, contact, delivered_at)
        return []

    def rng_for(self, message: Message) -> random.Random:
        """Where every draw about ``message`` comes from: seeded by the model's seed and the
        message's idempotency key, so a re-run draws the same."""
        return random.Random(f"{self.seed}:{message.idempotency_key}")

    def reply_probability(
        self, contact: Contact, delivered_at: float, node: str | None = None
    ) -> float:
        """The chance that ``contact`` answers a text delivered at ``delivered_at`` (sent by send
        node ``node``: its ``reply_lift``, if any, applies)."""
        factor = _propensity(contact) / PROPENSITY_MEAN * _hour_factor(contact, delivered_at)
        factor *= self.reply_lift.get(node, 1.0) if node is not None else 1.0
        return min(1.0, self.reply_rate * factor)

    def open_probability(self, contact: Contact) -> float:
        """The chance that ``contact`` opens a delivered e-mail."""
        return min(1.0, self.open_rate * (0.5 + _propensity(contact)))

    # ------------------------------------------------------------------------------ internals

    def _text_reply(
        self,
        rng: random.Random,
        message: Message,
        contact: Contact,
        delivered_at: float,
        share: float,
        texts: tuple[tuple[str, int], ...],
    ) -> list[NewEvent]:
        p_reply = self.reply_probability(contact, delivered_at, message.node)
        if rng.random() >= share * p_reply:
            return []
        at = delivered_at + delay(rng, _REPLY_DELAY)
        body = pick(rng, texts)
        data = {"body": body, "message_id": message.id, "channel": "sms"}
        return [_event("sms.received", message, contact, data, "reply", at)]

    def _email(
        self, rng: random.Random, message: Message, contact: Contact, delivered_at: float
    ) -> list[NewEvent]:
        p_open = self.open_probability(contact)
        if p_open <= 0.0 or rng.random() >= p_open:
            return []
        opened_at = delivered_at + delay(rng, _OPEN_DELAY)
        base = {"message_id": message.id, "channel": "email"}
        events = [_event("email.opened", message, contact, dict(base), "open", opened_at)]
        p_click = min(1.0, self.click_rate / self.open_rate) if self.open_rate else 0.0
        if rng.random() < p_click:
            data = {**base, "url": _first_url(message)}
            at = opened_at + delay(rng, _CLICK_DELAY)
            events.append(_event("email.clicked", message, contact, data, "click", at))
        p_reply = self.reply_probability(contact, delivered_at, message.node)
        p_reply = EMAIL_REPLY_SHARE * p_reply / p_open
        if rng.random() < p_reply:
            subject = f"Re: {message.subject}" if message.subject else "Re: your message"
            data = {**base, "subject": subject, "body": pick(rng, _EMAIL_REPLIES)}
            at = opened_at + delay(rng, _EMAIL_REPLY_DELAY)
            events.append(_event("email.received", message, contact, data, "email_reply", at))
        return events


def _event(
    kind: str, message: Message, contact: Contact, data: dict[str, Any], what: str, at: float
) -> NewEvent:
    key = f"sim:{message.idempotency_key}:{what}"
    return NewEvent(type=kind, contact_id=contact.id, data=data, dedupe_key=key, occurred_at=at)


def delay(
    rng: random.Random,
    shape: tuple[float, float],
    shortest: float = _MIN_DELAY_S,
    longest: float = _MAX_DELAY_S,
) -> float:
    """A log-normal delay of ``shape`` (median seconds, sigma), kept within [shortest, longest]."""
    median, sigma = shape
    return min(longest, max(shortest, rng.lognormvariate(math.log(median), sigma)))


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    """One text of ``weighted`` (text, weight) pairs, drawn by weight."""
    return rng.choices([text for text, _ in weighted], weights=[w for _, w in weighted])[0]


def _first_url(message: Message) -> str | None:
    url = message.payload.get("url")
    if isinstance(url, str):
        return url
    for text in (message.payload.get("html"), message.body):
        if isinstance(text, str) and (start := text.find("http")) >= 0:
            return text[start:].split()[0].split('"')[0].rstrip(".,)>'")
    return None


def _number(value: object) -> float | None:
    """A float from a field value (imported fields are strings), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _propensity(contact: Contact) -> float:
    value = _number(contact.fields.get("sim_reply_propensity"))
    return PROPENSITY_MEAN if value is None else min(1.0, max(0.0, value))


def _hour_factor(contact: Contact, at: float) -> float:
    preferred = _number(contact.fields.get("sim_preferred_hour"))
    zone = _zone(contact.time_zone) if contact.time_zone else None
    if preferred is None or zone is None:
        return 1.0
    local = datetime.fromtimestamp(at, zone)
    hour = local.hour + local.minute / 60.0
    return _HOUR_FLOOR + (1.0 - _HOUR_FLOOR) * _bump(hour - preferred) / _bump_mean()


def _bump(hours_apart: float) -> float:
    distance = abs((hours_apart + 12.0) % 24.0 - 12.0)  # around the clock: 0..12
    return math.exp(-(distance**2) / (2.0 * _HOUR_SIGMA**2))


@cache
def _bump_mean() -> float:
    """The mean of _bump over the day, minute by minute: the hour factor averages 1."""
    return sum(_bump(minute / 60.0) for minute in range(24 * 60)) / (24 * 60)


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None
