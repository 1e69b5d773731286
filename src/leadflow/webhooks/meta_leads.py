"""Facebook Lead Ads as a lead source: a ``leadgen`` change from the page webhook, the lead's
fields fetched from the Graph API (``GET /{version}/{leadgen-id}``, the page access token) and
mapped onto a contact, recorded as ``lead.created`` (``lead.updated`` for a known contact) with
source ``facebook_lead_ads``.

The form's standard questions map to the contact (``full_name`` / ``first_name`` /
``last_name``, ``email``, ``phone_number``) and to RESO names in the contact's fields
(``city`` -> ``City``, ``state`` / ``province`` -> ``StateOrProvince``, ``zip_code`` /
``post_code`` -> ``PostalCode``, ``street_address`` -> ``StreetAddress``, ``country`` ->
``Country``); every other question (custom ones, ``job_title``...) is kept under its own name in
``fields["facebook_lead"]``. The event's dedupe key is the leadgen id: a lead Meta announces
twice is one event, and one already recorded is not fetched again.
"""

from __future__ import annotations

from typing import Any

import httpx

from leadflow.channels.meta_graph import GraphClient, GraphError
from leadflow.channels.meta_inbound import LeadgenChange
from leadflow.errors import InvalidInput, ProviderError
from leadflow.model.meta import MetaPage
from leadflow.store.contract import Store
from leadflow.webhooks.ingest import Ingested, ingest
from leadflow.webhooks.leads import Lead, email_of, phone_of, text

SOURCE = "facebook_lead_ads"
RESO = {
    "city": "City",
    "state": "StateOrProvince",
    "province": "StateOrProvince",
    "zip_code": "PostalCode",
    "zip": "PostalCode",
    "post_code": "PostalCode",
    "postal_code": "PostalCode",
    "street_address": "StreetAddress",
    "country": "Country",
}
CUSTOM = "facebook_lead"


def leadgen_key(tenant_id: str, leadgen_id: str) -> str:
    return f"meta:leadgen:{tenant_id}:{leadgen_id}"


def answers(lead: dict[str, Any]) -> dict[str, str]:
    """``field_data`` as {question name: first value}; InvalidInput naming a malformed item."""
    items = lead.get("field_data")
    if not isinstance(items, list):
        raise InvalidInput("field_data: must be a list")
    out: dict[str, str] = {}
    for i, item in enumerate(items):
        where = f"field_data[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidInput(f"{where}.name: must be a string")
        values = item.get("values")
        if not isinstance(values, list):
            raise InvalidInput(f"{where}.values: must be a list")
        first = next((v for v in values if isinstance(v, str) and v.strip()), None)
        if first is not None:
            out[item["name"].strip().lower()] = first.strip()
    return out


def to_lead(change: LeadgenChange, lead: dict[str, Any]) -> Lead:
    """The Graph API's lead as a :class:`Lead` (pure)."""
    given = answers(lead)
    first = text(given.pop("first_name", None), "field_data.first_name", 200)
    last = text(given.pop("last_name", None), "field_data.last_name", 200)
    full = text(given.pop("full_name", None), "field_data.full_name", 400)
    if full and not (first or last):
        first, _, rest = full.partition(" ")
        last = rest.strip() or None
    email = email_of(given.pop("email", None), "field_data.email")
    phone = phone_of(
        given.pop("phone_number", None) or given.pop("phone", None), "field_data.phone_number"
    )
    fields: dict[str, Any] = {}
    for name, reso in RESO.items():
        if name in given:
            fields[reso] = text(given.pop(name), f"field_data.{name}", 200)
    if given:
        fields[CUSTOM] = dict(given)
    meta = {
        "leadgen_id": change.leadgen_id,
        "form_id": change.form_id,
        "ad_id": change.ad_id,
        "page_id": change.page_id,
    }
    return Lead(
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        source=SOURCE,
        fields=fields,
        event_type="lead.created",
        data={"source": SOURCE, **{k: v for k, v in meta.items() if v is not None}},
        ref=change.leadgen_id,
    )


def record_lead(
    store: Store, graph: GraphClient, page: MetaPage, change: LeadgenChange, now: float
) -> Ingested | None:
    """Fetch and record one Lead Ads lead for the page's tenant; None when it was recorded
    before. ProviderError when the Graph API cannot give it (retryable: Meta's redelivery or a
    later retry may succeed); InvalidInput when its answer is malformed."""
    key = leadgen_key(page.tenant_id, change.leadgen_id)
    if store.event_ids_by_dedupe([key]):
        return None
    try:
        answer = graph.lead(change.leadgen_id, page.access_token)
    except GraphError as exc:
        raise ProviderError(
            f"lead ads: fetching lead {change.leadgen_id}: {exc}", retryable=exc.retryable
        ) from None
    except httpx.HTTPError as exc:
        raise ProviderError(
            f"lead ads: fetching lead {change.leadgen_id}: {type(exc).__name__}"
        ) from None
    lead = to_lead(change, answer)
    if lead.email is None and lead.phone is None:
        raise InvalidInput(f"lead {change.leadgen_id}: the form gave neither an e-mail nor a phone")
    return ingest(store, page.tenant_id, lead, key, now)
