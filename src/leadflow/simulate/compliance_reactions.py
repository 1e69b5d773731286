"""How the leads of the compliance simulation answer: per delivered message, seeded by its
idempotency key, an ordinary reply, an opt-out text (carrier words and plain English), sometimes a
START days later, a HELP; for e-mail an unsubscribe click or a reply. Each inbound event carries
``sim_intent`` (reply, opt_out, opt_in, help): what the scenario meant, for the independent
check."""

from __future__ import annotations

from typing import Any

from leadflow.model.records import Contact, Message, NewEvent
from leadflow.simulate.compliance_history import UNSUBSCRIBE_TYPE
from leadflow.simulate.engagement import EngagementModel, delay, pick

DAY = 86400.0
OPT_OUT_TEXTS = (
    ("STOP", 8), ("Stop", 3), ("stop", 3), ("STOPALL", 1), ("UNSUBSCRIBE", 2), ("CANCEL", 1),
    ("END", 1), ("QUIT", 1), ("REVOKE", 1), ("OPTOUT", 1), ("opt out", 1), ("Stop please", 1),
    ("stop texting me", 3), ("Please stop texting me", 2), ("wrong number", 3),
    ("Wrong number, sorry", 2), ("take me off your list", 3), ("Please take me off your list", 2),
    ("remove me", 1),
)  # fmt: skip
REPLY_TEXTS = (
    ("yes, call me", 4), ("Yes, call me after 5", 2), ("Is it still available?", 3),
    ("Can we see it Saturday?", 2), ("Who is this?", 1), ("Thanks!", 2),
    ("What's the price?", 2), ("I'll stop by the open house", 1),
)  # fmt: skip
OPT_IN_TEXTS = (("START", 3), ("UNSTOP", 1), ("start", 1))
HELP_TEXTS = (("HELP", 3), ("info", 1))
_DELAY = (12 * 60.0, 1.2)  # log-normal: median seconds, sigma
_DELAY_BOUNDS = (30.0, 2 * DAY)


class ComplianceReactions(EngagementModel):
    """How leads answer a delivered message (per message, seeded by its idempotency key)."""

    def __init__(
        self,
        seed: int,
        *,
        reply: float = 0.05,
        opt_out: float = 0.02,
        help_: float = 0.004,
        opt_in_after: float = 0.35,
        unsubscribe: float = 0.01,
        email_reply: float = 0.01,
    ) -> None:
        super().__init__(seed)
        self.rates = (reply, opt_out, help_, opt_in_after, unsubscribe, email_reply)

    def on_delivered(
        self, message: Message, contact: Contact, delivered_at: float
    ) -> list[NewEvent]:
        rng = self.rng_for(message)
        reply, opt_out, help_, opt_in_after, unsubscribe, email_reply = self.rates
        draw = rng.random()
        at = delivered_at + delay(rng, _DELAY, *_DELAY_BOUNDS)
        key = message.idempotency_key
        if message.channel == "email":
            if draw < unsubscribe:
                return [_inbound(UNSUBSCRIBE_TYPE, contact, message, "opt_out", None, at, key)]
            if draw < unsubscribe + email_reply:
                body = "Thanks, please call me"
                return [_inbound("email.received", contact, message, "reply", body, at, key)]
            return []
        if draw < opt_out:
            out = [_inbound("sms.received", contact, message, "opt_out", pick(rng, OPT_OUT_TEXTS),
                            at, key)]  # fmt: skip
            if rng.random() < opt_in_after:
                later = at + rng.uniform(0.5, 4.0) * DAY
                body = pick(rng, OPT_IN_TEXTS)
                out.append(_inbound("sms.received", contact, message, "opt_in", body, later, key))
            return out
        if draw < opt_out + help_:
            body = pick(rng, HELP_TEXTS)
            return [_inbound("sms.received", contact, message, "help", body, at, key)]
        if draw < opt_out + help_ + reply:
            body = pick(rng, REPLY_TEXTS)
            return [_inbound("sms.received", contact, message, "reply", body, at, key)]
        return []


def _inbound(
    kind: str,
    contact: Contact,
    message: Message,
    intent: str,
    body: str | None,
    at: float,
    key: str,
) -> NewEvent:
    data: dict[str, Any] = {"sim_intent": intent, "message_id": message.id, "channel": "sms"}
    if body is not None:
        data["body"] = body
    if kind != "sms.received":
        data["channel"] = "email"
    return NewEvent(kind, contact.id, data, f"cmp:{key}:{intent}", at)
