"""The eight plays as planner steps: a request that names one (and asks for nothing more
specific) starts from it."""

from __future__ import annotations

from typing import Any

from leadflow.ai.plan import Leaf, Step, WaitFor

DAY = 86400


def _s(kind: str, **args: Any) -> Step:
    return Step(kind, dict(args))


def _emails(count: int, gap: int, purpose: str) -> list[Any]:
    out: list[Any] = []
    for i in range(count):
        if i:
            out.append(_s("wait", seconds=gap))
        out.append(_s("email", purpose=purpose, series=i + 1))
    return out


def play(key: str) -> tuple[dict[str, Any], list[Leaf], list[Any], list[tuple[str, list[str]]]]:
    """(trigger, filters, steps, goals) of the play ``key``."""
    new_lead = {"type": "event", "event": "lead.created"}
    replied = [("replied", ["sms.received", "email.received"])]
    booked = [("booked", ["appointment.booked"])]
    if key == "new-lead-welcome":
        wait = WaitFor(
            "sms.received",
            DAY,
            [_s("notify")],
            [
                _s("email", purpose="welcome"),
                _s("wait_until", time="10:00", weekdays=[], offset_days=1),
                _s("sms", purpose="listings"),
            ],
        )
        return new_lead, [], [_s("sms", purpose="welcome"), wait], booked
    if key == "hot-lead-acceleration":
        hot = {"type": "event", "event": "lead.score_changed"}
        leaf = {"field": "event.data.new_band", "op": "eq", "value": "hot"}
        wait = WaitFor("sms.received", 3600, [_s("notify")], [_s("call"), _s("notify")])
        return hot, [leaf], [_s("notify"), _s("sms", purpose="hot"), wait], booked
    if key == "first-time-buyer-education":
        leaf = {"field": "contact.tags", "op": "contains", "value": "first-time-buyer"}
        return new_lead, [leaf], _emails(7, DAY, "education"), booked
    if key == "luxury-buyer-experience":
        budget: Leaf = {"field": "contact.fields.budget", "op": "gte", "value": 1_000_000}
        steps = [
            _s("notify"),
            _s("email", purpose="welcome"),
            _s("match"),
            _s("email", purpose="listings"),
            _s("wait", seconds=2 * DAY),
            _s("call"),
        ]
        return new_lead, [budget], steps, booked
    if key == "listing-preparation":
        seller = {"type": "event", "event": "lead.seller_inquiry"}
        steps = [
            _s("email", purpose="cma"),
            _s("sms", purpose="follow_up"),
            _s("wait", seconds=DAY),
            _s("notify"),
            _s("wait", seconds=3 * DAY),
            _s("email", purpose="checkin"),
        ]
        return seller, [], steps, booked
    if key == "post-closing-care":
        closed = {"type": "event", "event": "deal.closed"}
        steps = [
            _s("email", purpose="thanks"),
            _s("wait", seconds=30 * DAY),
            _s("sms", purpose="referral"),
            _s("wait", seconds=60 * DAY),
            _s("email", purpose="review"),
            _s("wait", seconds=275 * DAY),
            _s("email", purpose="anniversary"),
        ]
        return closed, [], steps, []
    if key == "monthly-market-update":
        schedule = {"type": "schedule", "cron": "0 9 1 * *"}
        return schedule, [], [_s("email", purpose="market")], []
    if key == "long-term-nurture":
        cold = {"type": "event", "event": "lead.score_changed"}
        leaf = {"field": "event.data.new_band", "op": "eq", "value": "cold"}
        return cold, [leaf], [_s("match"), *_emails(6, 30 * DAY, "listings")], replied + booked
    raise KeyError(key)
