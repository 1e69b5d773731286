"""The request-wide parts of a plan: trigger, audience filters, goals, re-entry, send window,
timing and which of the eight plays the request resembles."""

from __future__ import annotations

import re
from typing import Any

from leadflow.ai import phrases
from leadflow.ai.plan import Leaf, Plan

PLAY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("hot-lead-acceleration", r"hot lead (acceleration|play|sequence)|accelerat\w* hot"),
    ("first-time-buyer-education", r"first[- ]time buyer (education|series)|buyer education"),
    ("luxury-buyer-experience", r"luxury buyer|luxury (experience|play)"),
    ("listing-preparation", r"listing prep|seller onboarding|listing preparation"),
    ("post-closing-care", r"post[- ]closing care|post[- ]closing (play|sequence|series)"),
    ("monthly-market-update", r"market update|market report|newsletter"),
    ("long-term-nurture", r"long[- ]term nurture|nurture drip|monthly nurture"),
    ("new-lead-welcome", r"new lead welcome|welcome (sequence|series|play)"),
)
REPLY_EVENTS = ["sms.received", "email.received"]
BOOKED = r"\b(book\w*|appointment|meeting|showing)\b"


def play_of(text: str) -> str | None:
    for key, pattern in PLAY_PATTERNS:
        if re.search(pattern, text):
            return key
    return None


def _cron(text: str) -> str | None:
    time = phrases.time_of_day(text) or "09:00"
    hour, minute = (int(x) for x in time.split(":"))
    days = phrases.weekdays(text)
    if re.search(r"\bevery (single )?day\b|\bdaily\b|\beach day\b", text):
        return f"{minute} {hour} * * *"
    if re.search(r"\bquarter(ly)?\b", text):
        return f"{minute} {hour} 1 1,4,7,10 *"
    monthly = re.search(r"\bmonthly\b|\b(every|each) month\b|\bof (each|every) month\b", text)
    if monthly:
        dom = re.search(r"\b(\d{1,2})(st|nd|rd|th) of\b", text)
        return f"{minute} {hour} {int(dom.group(1)) if dom else 1} * *"
    if re.search(r"\bweekly\b|\bevery week\b", text) or (days and re.search(r"\bevery\b", text)):
        nums = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
        return f"{minute} {hour} * * {','.join(str(nums[d]) for d in days) or '1'}"
    return None


# Requests whose trigger one phrase names: (pattern, event, intent), tried in this order.
_EVENT_PHRASES: tuple[tuple[str, str, str], ...] = (
    (
        r"price (drop|reduc|cut|decrease)|(drops?|reduc\w*|cut) (its|the|in) price|price\w* drops?",
        "listing.price_changed",
        "price_drop",
    ),
    (
        r"\b(deal|sale|escrow) (closes|closed|is closed)|\bafter (a |the )?closing\b"
        r"|\bpost[- ]closing\b|\bclosing\b|deal closes",
        "deal.closed",
        "closing",
    ),
)


def _on_event(plan: Plan, event: str, intent: str) -> None:
    plan.trigger = {"type": "event", "event": event}
    plan.intents.append(f"trigger:{intent}")


def trigger_of(text: str, plan: Plan) -> None:
    """Sets ``plan.trigger`` (and source filters) from the whole request."""
    if re.search(
        r"\bscore\b|\b(hot|cold|warm) lead\b|\b(goes|turns|becomes|gets) (hot|warm|cold)\b", text
    ):
        band = re.search(
            r"score (?:\w+ ){0,3}?(?:turns|goes|becomes|drops to|rises to|reaches|is now|gets)"
            r" (?:to )?(hot|warm|cold)|becomes? an? (hot|warm|cold) lead|gone (cold|hot)"
            r"|(hot) lead (?:acceleration|play)"
            r"|\b(?:goes|turns|becomes|gets|went|turned) (hot|warm|cold)\b",
            text,
        )
        if band:
            name = next(g for g in band.groups() if g)
            _on_event(plan, "lead.score_changed", f"score:{name}")
            plan.filters.append({"field": "event.data.new_band", "op": "eq", "value": name})
            return
    for pattern, event, intent in _EVENT_PHRASES:
        if re.search(pattern, text):
            _on_event(plan, event, intent)
            return
    if re.search(r"\b(books?|booked|booking)\b", text) and re.search(
        r"(when|once|after|whenever)\s+(\w+\s+){0,3}(books?|booked|booking)"
        r"|after (a |the )?booking|is booked",
        text,
    ):
        _on_event(plan, "appointment.booked", "booking")
        return
    if re.search(r"\bevery\b|\bmonthly\b|\bweekly\b|\bdaily\b|\bquarterly\b|\beach month\b", text):
        cron = _cron(text)
        if cron and not re.search(
            r"\bnew leads?\b|\bnurture\b|\bdrip\b|\bfor \w+ (weeks|months)\b|times\b", text
        ):
            plan.trigger = {"type": "schedule", "cron": cron}
            plan.intents.append("trigger:schedule")
            return
    if re.search(r"\bseller", text):
        _on_event(plan, "lead.seller_inquiry", "seller")
        return
    if re.search(r"\bleads?\b|\bprospects?\b|\binquir", text):
        _on_event(plan, "lead.created", "new_lead")
    found = phrases.sources(text)
    if found and plan.trigger.get("event") == "lead.created":
        if len(found) == 1:
            plan.filters.append({"field": "event.data.source", "op": "eq", "value": found[0]})
        else:
            plan.filters.append({"field": "event.data.source", "op": "in", "value": found})
        plan.intents.append("filter:source")


def audience_of(text: str) -> list[Leaf]:
    """Conditions on the contact named in ``text`` (state, budget, score, tags)."""
    leaves: list[Leaf] = []
    code = phrases.state(text)
    if code and re.search(r"\b(in|from|living in|based in)\s+\w", text):
        leaves.append({"field": "contact.state", "op": "eq", "value": code})
    budget = re.search(
        r"budget (?:is |of )?(over|above|more than|greater than|at least|under|below|less than)"
        r"\s+(\$?[\d.,]+\s*(?:k|m|mm|million|thousand)?)",
        text,
    )
    if budget:
        ops = {"over": "gt", "above": "gt", "more than": "gt", "greater than": "gt"}
        ops.update({"at least": "gte", "under": "lt", "below": "lt", "less than": "lt"})
        value = phrases.money(budget.group(2))
        if value is not None:
            leaves.append(
                {"field": "contact.fields.budget", "op": ops[budget.group(1)], "value": value}
            )
    score = re.search(
        r"score (?:is |of )?(above|over|greater than|more than|at least|below|under|less than)?"
        r"\s*(\d+)( or more| or higher| or above| or less| or below| and up| plus)?",
        text,
    )
    if score and (score.group(1) or score.group(3)):
        word, tail = score.group(1) or "", score.group(3) or ""
        op = {"above": "gt", "over": "gt", "greater than": "gt", "more than": "gt"}.get(word)
        op = op or {"at least": "gte", "below": "lt", "under": "lt", "less than": "lt"}.get(word)
        if tail in (" or more", " or higher", " or above", " and up", " plus"):
            op = "gte"
        elif tail in (" or less", " or below"):
            op = "lte"
        leaves.append({"field": "contact.score", "op": op or "gte", "value": int(score.group(2))})
    tagged = re.search(r"\btagged (?:as )?['\"]?([\w-]+)", text)
    if tagged:
        leaves.append({"field": "contact.tags", "op": "contains", "value": tagged.group(1)})
    if re.search(r"\bfirst[- ]time (home )?buyers?\b", text) and not re.search(
        r"workflow|play|one\b", text
    ):
        leaves.append({"field": "contact.tags", "op": "contains", "value": "first-time-buyer"})
    return leaves


def settings_of(text: str, plan: Plan) -> str:
    """Goals, re-entry, send window and timing; returns ``text`` without the parts it used."""
    for clause in re.split(r"[;.]\s*|,\s*(?:and\s+)?|\s+and\s+(?=(?:end|stop|exit|quit)\b)", text):
        if re.search(r"\b(stop|exit|end|quit|leave)\b", clause) and not re.search(
            r"\bleave a\b", clause
        ):
            if re.search(BOOKED, clause):
                plan.goals.append(("booked", ["appointment.booked"]))
                plan.intents.append("goal:booked")
                text = text.replace(clause, " ")
            elif re.search(r"\b(repl\w*|respond\w*|answer\w*)\b", clause):
                events = ["sms.received"] if re.search(r"\b(text|sms)\b", clause) else REPLY_EVENTS
                events = ["email.received"] if re.search(r"\be-?mail\b", clause) else events
                plan.goals.append(("replied", events))
                plan.intents.append("goal:replied")
                text = text.replace(clause, " ")
    again = re.search(
        r"(?:re-?enter|go through (?:this|it) again|repeat|again)\s+(?:after|every)\s+(\S+\s+\S+)",
        text,
    )
    if again:
        seconds = phrases.duration(again.group(1))
        if seconds:
            plan.reentry = {"policy": "after", "days": max(1, seconds // 86400)}
            plan.intents.append("reentry")
            text = text.replace(again.group(0), " ")
    elif re.search(r"\bonly\b.*\bonce\b|\bnever re-?enter|\bjust once\b", text):
        plan.reentry = {"policy": "never"}
        plan.intents.append("reentry")
    elif re.search(r"re-?enter (any ?time|every time|always)|every time they", text):
        plan.reentry = {"policy": "always"}
        plan.intents.append("reentry")
    window = re.search(
        r"between (\S+(?: ?[ap]m)?) and (\S+(?: ?[ap]m)?)(?: only)?"
        r"(?:,? (?:on )?(weekdays|weekends))?",
        text,
    )
    if window:
        start = phrases.time_of_day(
            window.group(1) if re.search(r"[ap]m", window.group(1)) else f"at {window.group(1)}"
        )
        end = phrases.time_of_day(
            window.group(2) if re.search(r"[ap]m", window.group(2)) else f"at {window.group(2)}"
        )
        if start and end:
            days = phrases.weekdays(window.group(3) or "")
            if not days and re.search(r"\bweekdays\b", text):
                days = phrases.weekdays("weekdays")
            plan.send_window = {"start": start, "end": end, "weekdays": days}
            plan.intents.append("send_window")
            text = text.replace(window.group(0), " ")
    if re.search(r"best (time|hour)|optimal (time|hour)|most likely to (open|read|engage)", text):
        plan.optimal = True
        plan.intents.append("timing:optimal")
    return text


def metric_of(text: str) -> dict[str, Any]:
    if re.search(r"\b(book\w*|appointments?|meetings?|showings?)\b", text):
        return {"event": "appointment.booked"}
    if re.search(r"\brepl\w*|\brespon\w*|\banswer", text):
        return {"outcome": "replied"}
    if re.search(r"\bclick", text):
        return {"outcome": "clicked"}
    if re.search(r"\bopen", text):
        return {"outcome": "opened"}
    return {"event": "appointment.booked"}
