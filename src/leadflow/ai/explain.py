"""A plain sentence for each node of a draft (and its trigger), for the person who publishes."""

from __future__ import annotations

from typing import Any


def _cond(cond: Any) -> str:
    if not isinstance(cond, dict):
        return "a condition"
    if "all" in cond:
        return " and ".join(_cond(c) for c in cond["all"])
    if "any" in cond:
        return " or ".join(_cond(c) for c in cond["any"])
    if "not" in cond:
        return f"not ({_cond(cond['not'])})"
    words = {"eq": "is", "ne": "is not", "gt": "is over", "gte": "is at least", "lt": "is under"}
    words |= {"lte": "is at most", "in": "is one of", "contains": "contains", "exists": "is set"}
    field = str(cond.get("field", ""))
    if field.startswith("steps.") and field.count(".") == 2:
        _, node, fact = field.split(".")
        return f"the contact {fact} {node}" + ("" if cond.get("value", True) else " (not)")
    if cond.get("op") == "changed":
        raw = cond.get("value")
        moved: dict[str, Any] = raw if isinstance(raw, dict) else {}
        ends = [f"{k} {moved[k]!r}" for k in ("from", "to") if k in moved]
        return f"{field} changed since the run started" + (f" ({' '.join(ends)})" if ends else "")
    value = "" if cond.get("op") == "exists" else f" {cond.get('value')!r}"
    return f"{field} {words.get(str(cond.get('op')), cond.get('op'))}{value}"


def explain_trigger(trigger: dict[str, Any]) -> str:
    what = {
        "lead.created": "a new lead arrives",
        "lead.score_changed": "a lead's score band changes",
        "listing.price_changed": "a listing's price changes",
        "appointment.booked": "an appointment is booked",
        "deal.closed": "a deal closes",
        "lead.seller_inquiry": "a seller lead asks about selling",
    }
    if trigger.get("type") == "schedule":
        text = f"On the schedule {trigger.get('cron')!r} ({trigger.get('timezone', 'UTC')})"
    elif trigger.get("type") == "manual":
        text = "When someone enrolls contacts by hand"
    else:
        event = str(trigger.get("event"))
        text = f"When {what.get(event, 'the event ' + event + ' happens')}"
    if trigger.get("filter"):
        text += f", only if {_cond(trigger['filter'])}"
    return text + "."


def explain_node(node: dict[str, Any]) -> str:
    kind = node.get("kind")
    then = f" Then: {node['next']}." if node.get("next") else ""
    if kind == "send_sms":
        text = "Sends a text message" + (
            " at the lead's best hour" if node.get("timing") == "optimal" else ""
        )
    elif kind == "send_email":
        text = f"Sends an e-mail with the subject {node.get('subject')!r}"
    elif kind == "voice_call":
        text = "Places a live call" if node.get("mode") == "live" else "Drops a voicemail"
    elif kind == "wait":
        text = f"Waits {node.get('duration')}"
    elif kind == "wait_until":
        days = ", ".join(node.get("weekdays") or []) or "any day"
        later = f" at least {node['offset_days']} day(s) later" if node.get("offset_days") else ""
        text = f"Waits until {node.get('time')} in the contact's time zone ({days}){later}"
    elif kind == "wait_for_event":
        text = f"Waits for {node.get('event')}"
        if node.get("timeout"):
            after = node.get("on_timeout") or node.get("next") or "ends"
            text += f" for up to {node['timeout']} (then {after})"
        if node.get("on_event"):
            text += f"; when it comes, goes to {node['on_event']}"
    elif kind == "branch":
        cases = "; ".join(
            f"if {_cond(c.get('when'))} go to {c.get('next')}" for c in node.get("cases") or []
        )
        text = f"Chooses a path: {cases}; otherwise {node.get('default') or 'ends'}"
    elif kind == "split":
        arms = ", ".join(
            f"{a.get('name')} {a.get('weight')}%" + (" (holdout)" if a.get("holdout") else "")
            for a in node.get("arms") or []
        )
        metric = (node.get("experiment") or {}).get("metric") or {}
        judged = metric.get("event") or metric.get("outcome")
        text = f"Splits contacts at random ({arms}), judged on {judged}"
    elif kind == "update_contact":
        parts = [f"stage to {node['stage']!r}"] if node.get("stage") else []
        parts += [f"adds tags {node['add_tags']}"] if node.get("add_tags") else []
        text = "Updates the contact: " + (", ".join(parts) or "fields")
    elif kind == "start_workflow":
        text = (
            f"Starts the workflow {node.get('workflow')!r} for the contact (it must be published)"
        )
    elif kind == "match_properties":
        text = f"Picks up to {node.get('top', 5)} listings matching the lead's criteria"
    elif kind == "notify_agent":
        due = node.get("due_in", "1d")
        text = f"Gives the lead's agent a task due in {due} and tells them by text"
    elif kind == "ai_compose":
        what = "an e-mail" if node.get("channel") == "email" else "a text message"
        text = (
            f"Sends {what} the model writes from the brief {node.get('brief')!r} (checked by the "
            "guardrails; the node's template when a check fails or there is no model)"
        )
    elif kind == "exit":
        text = f"Ends the run ({node.get('reason', 'exit')})"
    else:
        text = f"A {kind} step"
    return text + "." + then


def explain(definition: dict[str, Any]) -> list[dict[str, str]]:
    out = [
        {"node": "(trigger)", "text": explain_trigger(t)} for t in definition.get("triggers") or []
    ]
    out += [
        {"node": str(n.get("id")), "text": explain_node(n)} for n in definition.get("nodes") or []
    ]
    return out
