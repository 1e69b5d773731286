"""The ``ai_compose`` node: a send node whose text the model drafts for this lead.

It waits for the send window like ``send_sms`` / ``send_email`` (and, with ``on_error``, for its
message's verdict), then chooses the text once per visit: a draft kept for this step
(``Store.keep_compose_draft`` under the step's idempotency key) is sent again as it is, so a
step executed again after a crash never sends a different text; else :func:`compose` drafts and
checks one (or takes the template) and the choice is kept before the message is queued. The
message's body is the exact text sent; ``payload.compose`` and ``steps.<node>`` say whether the
model's draft or the template went out, and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadflow.ai.compose import Brief, Composed, clipped_fields, compose
from leadflow.ai.guardrails import Limits
from leadflow.definitions import models as m
from leadflow.engine.context import Go, Result, StepContext
from leadflow.engine.handlers import _Send
from leadflow.model.compose import ComposeDraft
from leadflow.model.listings import Listing
from leadflow.model.records import Contact, MessageFilter

if TYPE_CHECKING:
    from leadflow.ai.client import LlmClient
    from leadflow.store.contract import Store

MAX_LISTINGS = 5
_PAGE = 200
_NOT_SENT = frozenset({"failed", "suppressed"})


def listing_facts(listing: Listing, url: str | None = None) -> dict[str, Any]:
    """What the model may say about a listing."""
    link = url or listing.extra.get("ListingURL") or (listing.photos[0] if listing.photos else None)
    facts = {
        "address": listing.unparsed_address,
        "city": listing.city,
        "postal_code": listing.postal_code,
        "price": listing.list_price,
        "bedrooms": listing.bedrooms_total,
        "bathrooms": listing.bathrooms_total_integer,
        "type": listing.property_sub_type or listing.property_type,
        "living_area": listing.living_area,
        "year_built": listing.year_built,
        "url": link if isinstance(link, str) else None,
    }
    return {k: v for k, v in facts.items() if v is not None}


class Composer:
    """Builds the model's data for one step and decides the text (see :func:`compose`)."""

    def __init__(self, store: Store, client: LlmClient | None, brand: str | None = None) -> None:
        self.store = store
        self.client = client
        self.brand = brand

    def listings(self, ctx: StepContext, contact: Contact) -> list[dict[str, Any]]:
        """The listings a match_properties node put in this run's context, else the last ones
        matched for the contact."""
        tenant = contact.tenant_id
        picked = (ctx.context.get("vars") or {}).get("matches")
        pairs: list[tuple[str, str | None]] = []
        if isinstance(picked, list) and picked:
            for item in picked[:MAX_LISTINGS]:
                if isinstance(item, dict) and isinstance(item.get("listing_key"), str):
                    url = item.get("url")
                    pairs.append((item["listing_key"], url if isinstance(url, str) else None))
        else:
            matched = self.store.listing_matches(tenant, contact.id)
            recent = sorted(matched, key=lambda x: x.matched_at, reverse=True)[:MAX_LISTINGS]
            pairs = [(x.listing_key, None) for x in recent]
        out = []
        for key, url in pairs:
            listing = self.store.get_listing(tenant, key)
            if listing is not None:
                out.append(listing_facts(listing, url))
        return out

    def first_text(self, contact: Contact) -> bool:
        """No text went (or is queued) to this contact before (failed and suppressed ones
        never reached it)."""
        after = 0
        while True:
            page = self.store.list_messages(
                MessageFilter(contact_id=contact.id, channel="sms", limit=_PAGE, after_id=after)
            )
            if any(x.status not in _NOT_SENT for x in page):
                return False
            if len(page) < _PAGE:
                return True
            after = page[-1].id or after

    def sender(self, contact: Contact) -> dict[str, Any]:
        tenant = self.store.get_tenant(contact.tenant_id)
        agent = self.store.get_agent(contact.tenant_id, contact.owner) if contact.owner else None
        name = " ".join(x for x in (agent.first_name, agent.last_name) if x) if agent else ""
        found = {
            "company": tenant.name if tenant else None,
            "brand": self.brand,
            "agent": name or None,
        }
        return {k: v for k, v in found.items() if v}

    def choose(
        self, ctx: StepContext, node: m.AiCompose, contact: Contact, why_not: str | None = None
    ) -> ComposeDraft:
        """The step's text; ``why_not``: the model is not asked, for this reason."""
        first = node.channel == "sms" and self.first_text(contact)
        sender = self.sender(contact)
        brief = Brief(
            brief=ctx.render(node.brief),
            channel=node.channel,
            lead={
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "stage": contact.stage,
                "tags": list(contact.tags),
                "fields": clipped_fields(contact.fields),
            },
            listings=self.listings(ctx, contact),
            sender=sender,
            first_text=first,
        )
        limits = Limits(
            node.channel,
            node.char_limit(),
            node.max_segments,
            first_text=first,
            senders=tuple(str(v) for v in sender.values()),
        )
        if node.channel == "sms":
            body = ctx.render(node.body, ctx.limits.sms_body)
            subject = None
        else:
            body = ctx.render(node.body, ctx.limits.email_body)
            subject = ctx.render(node.subject or "", ctx.limits.email_subject)
        if why_not is not None:
            made = Composed(body, subject, "template", [f"model: not asked ({why_not})"])
        else:
            made = compose(self.client, contact.tenant_id, brief, limits, body, subject)
        return ComposeDraft(
            tenant_id=contact.tenant_id,
            step_key=ctx.idempotency_key(node.id),
            contact_id=contact.id,
            node=node.id,
            channel=node.channel,
            body=made.body,
            source=made.source,
            created_at=ctx.now,
            subject=made.subject,
            reasons=tuple(made.reasons),
            draft=made.draft,
        )


class _ComposeSend(_Send):
    def __init__(self, channel: str, composer: Composer) -> None:
        super().__init__()
        self.channel = channel
        self.composer = composer

    def send(self, ctx: StepContext, node: m.AiCompose) -> Result:
        contact = ctx.run_contact("ai_compose")
        store = self.composer.store
        to = contact.phone if node.channel == "sms" else contact.email
        kept = store.get_compose_draft(contact.tenant_id, ctx.idempotency_key(node.id))
        if kept is None:
            why_not = None  # no tokens spent on a message the dispatcher will not send
            if not to:
                why_not = f"the contact has no {'phone' if node.channel == 'sms' else 'e-mail'}"
            elif contact.consent.get(node.channel) == "opted_out":
                why_not = f"the contact opted out of {node.channel}"
            kept = store.keep_compose_draft(self.composer.choose(ctx, node, contact, why_not))
        about = {"source": kept.source, "reasons": list(kept.reasons)}
        payload: dict[str, Any] = {"compose": about}
        if node.channel == "email":
            payload = {"marketing": node.marketing, "compose": about}
        ctx.add_message(node.id, node.channel, to, kept.body, subject=kept.subject, payload=payload)
        reason = "; ".join(kept.reasons) or None
        ctx.remember(node.id, source=kept.source, reason=reason)
        return Go(node.next, outcome="queued", data={"source": kept.source, "reason": reason})


class AiComposeHandler:
    """``ai_compose`` for both channels (the send window is the node's channel's)."""

    def __init__(self, composer: Composer) -> None:
        self.by_channel = {c: _ComposeSend(c, composer) for c in ("sms", "email")}

    def enter(self, ctx: StepContext, node: m.AiCompose) -> Result:
        return self.by_channel[node.channel].enter(ctx, node)

    def resume(self, ctx: StepContext, node: m.AiCompose) -> Result:
        return self.by_channel[node.channel].resume(ctx, node)


__all__ = ["AiComposeHandler", "Composer", "listing_facts"]
