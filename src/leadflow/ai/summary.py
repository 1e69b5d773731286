"""What an agent should know before calling a lead: who it is, its score and the factors behind
it, what it is looking for, its matched listings, its last reply (and that reply's intent when
the event carries one, ``data.intent``) and its last interactions.

:func:`gather` reads the facts from the store (the score is the caller's: the scoring feature
computes it); :func:`extractive` writes them as short lines with no model; :func:`summarize`
asks the configured model to write them as a paragraph and falls back to the extractive lines
when there is no model, the model fails, or its text names a number, price, URL or address that
is not in the facts (the same check as :mod:`leadflow.ai.guardrails`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from leadflow.ai.compose_node import listing_facts
from leadflow.ai.guardrails import Facts, Limits, check
from leadflow.ai.strict_schema import string_fields
from leadflow.model.records import Contact, Event, MessageFilter

if TYPE_CHECKING:
    from leadflow.ai.client import LlmClient
    from leadflow.store.contract import Store

PURPOSE = "summary"
LAST_INTERACTIONS = 8
MAX_LISTINGS = 5
MAX_QUOTE = 160
_PAGE = 1000
REPLIES = frozenset({"sms.received", "email.received", "email.replied", "whatsapp.received"})
SUMMARY_SCHEMA = string_fields("summary")
SYSTEM = (
    "You brief a real-estate agent who is about to call a lead. From the JSON facts, write "
    "3 to 6 short sentences: who the lead is, how engaged (score and its main factors), what "
    "they look for, the listings matched, their last reply and its intent, and one suggestion "
    "for the call. Use only the facts: no number, price, date, URL or address that is not in "
    'them. Answer with JSON: {"summary": "..."}.'
)


@dataclass
class LeadSummary:
    contact_id: str
    source: str  # extractive or model
    text: str
    facts: dict[str, Any]
    reasons: list[str] = field(default_factory=list)  # why not the model's text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quote(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_QUOTE else flat[: MAX_QUOTE - 1] + "…"


def intent_of(data: dict[str, Any]) -> dict[str, Any] | None:
    """The reply's intent when its event carries one: ``data.intent`` as a label, or as an
    object with ``intent`` / ``label`` and ``confidence``."""
    raw = data.get("intent")
    if isinstance(raw, str) and raw:
        found: dict[str, Any] = {"intent": raw}
        confidence = data.get("intent_confidence", data.get("confidence"))
    elif isinstance(raw, dict) and isinstance(raw.get("intent") or raw.get("label"), str):
        found = {"intent": raw.get("intent") or raw.get("label")}
        confidence = raw.get("confidence")
    else:
        return None
    if isinstance(confidence, int | float) and not isinstance(confidence, bool):
        found["confidence"] = round(float(confidence), 2)
    return found


def _interactions(store: Store, contact: Contact, events: list[Event]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    messages = store.list_messages(MessageFilter(contact_id=contact.id, limit=_PAGE))
    for m in messages[-LAST_INTERACTIONS * 2 :]:
        at = m.sent_at or m.created_at
        item: dict[str, Any] = {"at": iso(at), "_ts": at, "kind": f"{m.channel} sent"}
        item["status"] = m.status
        if m.subject:
            item["subject"] = _quote(m.subject)
        if m.body and m.channel in ("sms", "email"):
            item["text"] = _quote(m.body)
        if m.workflow_key:
            item["workflow"] = m.workflow_key
        items.append(item)
    for e in events[-LAST_INTERACTIONS * 4 :]:
        if e.type.endswith((".sent", ".delivered", ".queued")):
            continue  # the messages above say it
        item = {"at": iso(e.occurred_at), "_ts": e.occurred_at, "kind": e.type}
        body = _quote(e.data.get("body")) if e.type in REPLIES else None
        if body:
            item["text"] = body
        listing = e.data.get("listing_key") or e.data.get("listing_id")
        if isinstance(listing, str):
            item["listing"] = listing
        intent = intent_of(e.data) if e.type in REPLIES else None
        if intent:
            item["intent"] = intent
        items.append(item)
    items.sort(key=lambda x: x["_ts"])
    last = items[-LAST_INTERACTIONS:]
    for item in last:
        del item["_ts"]
    return list(reversed(last))  # newest first


def gather(
    store: Store, contact: Contact, now: float, score: dict[str, Any] | None
) -> dict[str, Any]:
    """The facts of the summary (JSON-ready)."""
    events = store.every_event_of(contact.id)
    replies = [e for e in events if e.type in REPLIES]
    last_reply = None
    if replies:
        e = max(replies, key=lambda x: (x.occurred_at, x.id))
        last_reply = {
            "at": iso(e.occurred_at),
            "channel": e.type.split(".", 1)[0],
            "text": _quote(e.data.get("body")),
            "intent": intent_of(e.data),
        }
    matched = sorted(
        store.listing_matches(contact.tenant_id, contact.id),
        key=lambda x: x.matched_at,
        reverse=True,
    )
    listings = []
    for match in matched[:MAX_LISTINGS]:
        listing = store.get_listing(contact.tenant_id, match.listing_key)
        if listing is not None:
            listings.append({"listing_key": match.listing_key, **listing_facts(listing)})
    name = " ".join(x for x in (contact.first_name, contact.last_name) if x) or contact.id
    top = None
    if score is not None:
        factors = sorted(score.get("factors") or [], key=lambda f: -abs(f.get("points", 0)))
        top = {
            "score": score.get("score"),
            "band": score.get("band"),
            "factors": [f for f in factors if f.get("points")][:5],
        }
    return {
        "lead": {
            "id": contact.id,
            "name": name,
            "stage": contact.stage,
            "owner": contact.owner,
            "tags": list(contact.tags),
            "phone": contact.phone,
            "email": contact.email,
        },
        "as_of": iso(now),
        "score": top,
        "criteria": contact.fields.get("criteria"),
        "listings": listings,
        "last_reply": last_reply,
        "interactions": _interactions(store, contact, events),
    }


def _money(value: Any) -> str:
    return f"${value:,.0f}" if isinstance(value, int | float) else str(value)


def _criteria_text(criteria: Any) -> str | None:
    if criteria is None or criteria == "":
        return None
    if isinstance(criteria, str):
        return criteria
    if isinstance(criteria, dict):
        parts = []
        for key, value in criteria.items():
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            if "price" in key and isinstance(value, int | float):
                shown = _money(value)
            parts.append(f"{key.replace('_', ' ')} {shown}")
        return "; ".join(parts)
    return json.dumps(criteria, default=str)


def extractive(facts: dict[str, Any]) -> str:
    """The facts as short lines, most useful first."""
    lead = facts["lead"]
    head = [lead["name"]]
    if lead.get("stage"):
        head.append(f"stage {lead['stage']}")
    if lead.get("tags"):
        head.append("tags " + ", ".join(lead["tags"]))
    lines = [" | ".join(head)]
    score = facts.get("score")
    if score:
        factors = ", ".join(f"{f['factor']} {f['points']:+g}" for f in score.get("factors") or [])
        lines.append(
            f"Score {score['score']:g} ({score['band']})" + (f": {factors}" if factors else "")
        )
    wants = _criteria_text(facts.get("criteria"))
    if wants:
        lines.append(f"Looking for: {wants}")
    reply = facts.get("last_reply")
    if reply:
        said = f'"{reply["text"]}"' if reply.get("text") else "(no text)"
        line = f"Last reply ({reply['channel']}, {reply['at']}): {said}"
        intent = reply.get("intent")
        if intent:
            conf = f" {intent['confidence']:.2f}" if "confidence" in intent else ""
            line += f"; intent {intent['intent']}{conf}"
        lines.append(line)
    else:
        lines.append("No reply yet")
    for listing in facts.get("listings") or []:
        bits = [listing.get("address") or listing["listing_key"]]
        if listing.get("price") is not None:
            bits.append(_money(listing["price"]))
        if listing.get("bedrooms") is not None:
            bits.append(f"{listing['bedrooms']} bd")
        if listing.get("bathrooms") is not None:
            bits.append(f"{listing['bathrooms']} ba")
        lines.append("Matched: " + ", ".join(str(b) for b in bits))
    for item in facts.get("interactions") or []:
        what = item["kind"]
        detail = item.get("text") or item.get("subject") or item.get("listing") or ""
        status = f" ({item['status']})" if item.get("status") else ""
        lines.append(f"- {item['at']} {what}{status}" + (f": {detail}" if detail else ""))
    return "\n".join(lines)


def summarize(
    store: Store,
    contact: Contact,
    now: float,
    score: dict[str, Any] | None,
    client: LlmClient | None = None,
) -> LeadSummary:
    """The summary: the model's when configured and it keeps to the facts, else extractive."""
    facts = gather(store, contact, now, score)
    plain = LeadSummary(contact.id, "extractive", extractive(facts), facts)
    if client is None:
        return plain
    from leadflow.ai.client import answer_or_reason

    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": json.dumps(facts, ensure_ascii=False, default=str)},
    ]
    answer = answer_or_reason(
        plain.reasons,
        lambda: client.complete_json(contact.tenant_id, PURPOSE, messages, SUMMARY_SCHEMA),
    )
    if answer is None:
        return plain
    data = answer.data
    text = data.get("summary") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        plain.reasons.append("model: the answer was not a summary")
        return plain
    verdict = check(text, Limits("email", 4000), Facts.of(facts))
    problems = [p for p in verdict.problems if not p.startswith("fair_housing")]
    if problems:
        plain.reasons.extend(problems)
        return plain
    return LeadSummary(contact.id, "model", text.strip(), facts)


__all__ = ["LeadSummary", "extractive", "gather", "intent_of", "summarize"]
