"""What the ai_compose tests share: a tenant with one listing, a lead who wants it, a workflow
whose ai_compose node follows a match_properties node, and a good draft to spoil."""

from __future__ import annotations

import json
from typing import Any

from leadflow.model.listings import Listing
from leadflow.model.tenancy import Agent, Tenant
from support.engine_kit import Kit
from support.llm_peer import API_KEY, Reply

HELLO = """
key: hello
name: Hello
start: match
nodes:
  - {id: match, kind: match_properties, top: 1, min_score: 0, next: text}
  - id: text
    kind: ai_compose
    brief: "Tell {{ contact.first_name }} about the best new listing; ask for a time to see it."
    body: >-
      Hi {{ contact.first_name }}, Acme Realty here: a new home matches your search.
      Reply STOP to opt out.
    max_chars: 240
    max_segments: 2
"""

TEMPLATE_TEXT = "Hi Ann, Acme Realty here: a new home matches your search. Reply STOP to opt out."
URL = "https://homes.example.test/A1"
GOOD = (
    f"Hi Ann, it is Sam Lee. 12 Oak St in Austin just listed at $420k with 3 beds: {URL} "
    "Want to see it? Reply STOP to opt out"
)


def model_settings(base_url: str) -> dict[str, Any]:
    return {"llm_base_url": base_url, "llm_api_key": API_KEY, "llm_max_retries": 0}


def draft(body: str, subject: str | None = None) -> Reply:
    answer: dict[str, Any] = {"body": body}
    if subject is not None:
        answer = {"subject": subject, "body": body}
    return Reply(content=json.dumps(answer))


def stock(kit: Kit) -> Kit:
    """Tenant Acme Realty, agent Sam Lee, listing A1 and lead Ann (owned by Sam)."""
    if kit.store.get_tenant("default") is None:
        kit.store.create_tenant(Tenant("default", "Acme Realty"), kit.now)
    kit.store.upsert_agents(
        [Agent("default", "sam", first_name="Sam", last_name="Lee", email="sam@acme.test")],
        kit.now,
    )
    kit.store.upsert_listings(
        [
            Listing(
                "default",
                "A1",
                standard_status="Active",
                internet_entire_listing_display_yn=True,
                list_price=420_000.0,
                bedrooms_total=3,
                bathrooms_total_integer=2,
                city="Austin",
                postal_code="78704",
                property_sub_type="Condominium",
                unparsed_address="12 Oak St, Austin, TX 78704",
                extra={"ListingURL": URL},
            )
        ],
        kit.now,
    )
    criteria = {"max_price": 450_000, "min_beds": 3, "cities": ["Austin"]}
    kit.add_contact("ann", owner="sam", fields={"criteria": criteria})
    return kit


def sent_text(kit: Kit, cid: str = "ann") -> list[str]:
    return [m.body or "" for m in sorted(kit.messages(contact_id=cid), key=lambda m: m.id or 0)]
