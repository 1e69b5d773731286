"""Webhooks from the CRMs, turned into leadflow contacts and events.

:func:`receive` checks the signature (:mod:`.signatures`), refuses a replay, maps the
delivery and stores each contact with its event (one transaction per contact, the event
deduplicated by the CRM's id of the delivery, so a redelivery is one event). What it maps:

==============================================  ===========================================
CRM notification                                leadflow
==============================================  ===========================================
GHL ContactCreate / ContactUpdate /             the contact (created, or merged into the
ContactTagUpdate; FUB peopleCreated /           linked one, else the one with the same
peopleUpdated / peopleTagsCreated               e-mail / phone): ``lead.created`` /
                                                ``lead.updated`` (nothing when no mapped
                                                value changed: our own write coming back)
GHL OpportunityCreate / OpportunityStageUpdate  ``crm.stage_changed``
/ OpportunityStatusUpdate; FUB                  (crm, stage, pipeline_id, opportunity_id,
peopleStageUpdated                              status)
GHL NoteCreate; FUB notesCreated                ``crm.note_added`` (crm, note_id, body)
FUB eventsCreated                               the event's ``type`` as the CRM webhook
                                                table maps it (Viewed Property ->
                                                ``listing.viewed``, Saved Property ->
                                                ``listing.saved``, Property Inquiry ->
                                                ``lead.property_inquiry`` ...), its property
                                                under RESO names
anything else                                   answered 200 and ignored (said so)
==============================================  ===========================================

Follow Up Boss notifications carry only ids (``resourceIds``): the records are read back
through the API (``GET /people/{id}``, ``/events/{id}``, ``/notes/{id}``) with the tenant's
connector, under the same rate limits as every other call."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from leadflow.errors import InvalidInput
from leadflow.integrations.api import RemoteContact
from leadflow.integrations.config import FubConfig, GhlConfig, parse_config
from leadflow.integrations.fub import FubApi
from leadflow.integrations.ghl import GhlApi
from leadflow.integrations.http import CrmError
from leadflow.integrations.operations import CrmLink
from leadflow.integrations.signatures import (
    fub_replay_key,
    ghl_replay_key,
    verify_fub,
    verify_ghl,
)
from leadflow.model.crm import CrmOutcome, NewCrmDelivery
from leadflow.model.records import NewEvent
from leadflow.model.vocabulary import canonical
from leadflow.safe_input import json_object
from leadflow.webhooks import signing
from leadflow.webhooks.crm import EVENT_TYPES, reso_property
from leadflow.webhooks.ingest import check_storable, dedupe_key, find_match, merged, new_contact
from leadflow.webhooks.leads import Lead, email_of, phone_of, tags_of, text

log = logging.getLogger("leadflow.integrations.inbound")
MAX_RESOURCES = 50
REPLAY_KEEP_S = {"ghl": 2 * 300.0 + 60, "fub": 2 * 12 * 3600.0 + 60}
GHL_CONTACT = {"ContactCreate", "ContactUpdate", "ContactTagUpdate"}
GHL_STAGE = {"OpportunityCreate", "OpportunityStageUpdate", "OpportunityStatusUpdate"}
FUB_PEOPLE = {"peopleCreated", "peopleUpdated", "peopleTagsCreated"}
_MAPPED = ("first_name", "last_name", "email", "phone", "tags")


@dataclass(slots=True)
class Accepted:
    contact_id: str
    created: bool
    event_type: str | None  # None: nothing changed, no event
    event_id: int | None  # None: the same notification was stored before


@dataclass(slots=True)
class Received:
    accepted: list[Accepted] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # why a part was not mapped


# ---------------------------------------------------------------------- entry point
def receive(
    link: CrmLink, tenant_id: str, crm: str, headers: dict[str, str], body: bytes
) -> Received:
    """Check, map and store one webhook delivery. BadSignature (the route's 401) for a missing,
    forged, stale or replayed signature, an unknown tenant or one without this connector;
    InvalidInput (422) for a signed body that cannot be mapped; CrmError when a record could
    not be read back (the replay guard then forgets the delivery, so the CRM's retry is
    accepted)."""
    store, now = link.store, link.clock.now()
    connector = store.get_crm_connector(tenant_id, crm)
    if connector is None:
        raise signing.BadSignature(f"no {crm} connector for this tenant")
    try:
        config = parse_config(crm, connector.config)
    except InvalidInput:
        raise signing.BadSignature("the stored connector config is not valid") from None
    lowered = {k.lower(): v for k, v in headers.items()}
    if isinstance(config, GhlConfig):
        verify_ghl(config, lowered, body)
    else:
        assert isinstance(config, FubConfig)
        verify_fub(config, lowered, body)
    payload = json_object(body)
    if isinstance(config, GhlConfig) and payload.get("locationId") != config.location_id:
        # HighLevel signs every account's webhooks with one key: the location says whose it is
        raise signing.BadSignature("locationId is not this connector's location")
    key = ghl_replay_key(payload, body, now) if crm == "ghl" else fub_replay_key(payload, now)
    digest = signing.replay_digest(tenant_id, f"{crm}:{key}")
    if not store.remember_signature(digest, now, REPLAY_KEEP_S[crm]):
        raise signing.BadSignature("notification already received (replay)")
    api = link.api(tenant_id, crm)  # no call yet: only what is read back is called for
    assert isinstance(api, GhlApi | FubApi)
    try:
        try:
            if isinstance(api, GhlApi):
                return _ghl(link, api, tenant_id, payload, key, body)
            return _fub(link, api, tenant_id, payload, key, body)
        finally:
            _log_reads(link, api, tenant_id, key)
    except BaseException:
        store.forget_signature(digest)  # not stored: the CRM's retry must get through
        raise


def _log_reads(link: CrmLink, api: GhlApi | FubApi, tenant_id: str, key: str) -> None:
    """The calls made to read a notification's records back, as one delivery-log entry."""
    calls = api.http.calls
    if not calls:
        return
    failed = any(c.get("status") != 200 for c in calls)
    item = NewCrmDelivery(tenant_id, api.crm, "webhook_read", f"webhook:{key}", None, {})
    entry, _ = link.store.begin_crm_delivery(item, link.clock.now())
    status = "failed" if failed else "done"
    outcome = CrmOutcome(status, entry.attempts + len(calls), api.http.last_status, calls=calls)
    link.store.finish_crm_delivery(tenant_id, entry.id, outcome, link.clock.now())


# ---------------------------------------------------------------------- storing
def _store(
    link: CrmLink,
    tenant_id: str,
    crm: str,
    remote_id: str,
    lead: Lead,
    key: str,
    body: bytes,
    *,
    contact_event: bool,
) -> Accepted:
    """The lead merged into the linked contact (else the one with its e-mail / phone, else a
    new one), linked to ``remote_id``, with its event -- together."""
    check_storable(lead)
    store, now = link.store, link.clock.now()
    linked = store.crm_contact_id(tenant_id, crm, remote_id)
    old = store.get_contact(linked) if linked else None
    if old is not None and old.tenant_id != tenant_id:
        old = None
    if old is None:
        old = find_match(store, tenant_id, lead)
    contact = new_contact(tenant_id, lead, now) if old is None else merged(old, lead)
    kind: str | None = canonical(lead.event_type)
    if old is not None and kind == "lead.created":
        kind = "lead.updated"
        if contact_event and all(
            getattr(contact, n) == getattr(old, n) for n in _MAPPED
        ):  # our own write coming back, or a change to fields we do not map
            kind = None
    events = []
    if kind is not None:
        data = dict(lead.data) | {
            "crm": crm,
            "crm_contact_id": remote_id,
            "contact": {"email": contact.email, "phone": contact.phone},
        }
        route = f"crm-{crm}"
        events.append(
            NewEvent(kind, contact.id, data, dedupe_key(tenant_id, route, lead, body), now)
        )
    _, _, ids = store.save_contacts([contact], events, now)
    store.link_crm_contact(tenant_id, crm, contact.id, remote_id)
    return Accepted(contact.id, old is None, kind, ids[0] if ids else None)


def _lead_of(remote: RemoteContact, crm: str, event_type: str, ref: str) -> Lead:
    return Lead(
        first_name=text(remote.first_name, "firstName", 200),
        last_name=text(remote.last_name, "lastName", 200),
        email=email_of(remote.email, "email"),
        phone=phone_of(remote.phone, "phone"),
        tags=tags_of(remote.tags, "tags"),
        event_type=event_type,
        ref=ref,
    )


# ---------------------------------------------------------------------- HighLevel
def _ghl_contact(payload: dict[str, Any]) -> RemoteContact:
    remote = payload.get("id")
    if not isinstance(remote, str) or not remote:
        raise InvalidInput("id (the contact's id) is required")
    return RemoteContact(
        id=remote,
        first_name=payload.get("firstName"),
        last_name=payload.get("lastName"),
        email=payload.get("email"),
        phone=payload.get("phone"),
        tags=payload.get("tags") or [],
    )


def _ghl(
    link: CrmLink, api: GhlApi, tenant_id: str, payload: dict[str, Any], key: str, body: bytes
) -> Received:
    kind = text(payload.get("type"), "type", 100)
    out = Received()
    if kind in GHL_CONTACT:
        remote = _ghl_contact(payload)
        lead = _lead_of(remote, "ghl", "lead.created", f"{key}:{remote.id}")
        source = text(payload.get("source"), "source", 200)
        lead = replace(lead, source=source, data={"crm_event": kind, "source": source})
        out.accepted.append(
            _store(link, tenant_id, "ghl", remote.id, lead, key, body, contact_event=True)
        )
        return out
    if kind in GHL_STAGE or kind == "NoteCreate":
        contact_id = payload.get("contactId")
        if not isinstance(contact_id, str) or not contact_id:
            raise InvalidInput("contactId is required")
        remote = api.get_contact(contact_id)
        if kind == "NoteCreate":
            data = {
                "note_id": text(payload.get("id"), "id", 200),
                "body": text(payload.get("body"), "body", 20_000),
            }
            event = "crm.note_added"
        else:
            data = {
                "opportunity_id": text(payload.get("id"), "id", 200),
                "pipeline_id": text(payload.get("pipelineId"), "pipelineId", 200),
                "stage": text(payload.get("pipelineStageId"), "pipelineStageId", 200),
                "status": text(payload.get("status"), "status", 50),
                "name": text(payload.get("name"), "name", 500),
            }
            event = "crm.stage_changed"
        lead = replace(
            _lead_of(remote, "ghl", event, f"{key}:{contact_id}"), data={"crm_event": kind, **data}
        )
        out.accepted.append(
            _store(link, tenant_id, "ghl", remote.id, lead, key, body, contact_event=False)
        )
        return out
    out.ignored.append(f"type {kind!r} is not mapped")
    return out


# ---------------------------------------------------------------------- Follow Up Boss
def _ids(payload: dict[str, Any]) -> list[str]:
    found = payload.get("resourceIds")
    if not isinstance(found, list) or not found:
        raise InvalidInput("resourceIds must be a non-empty list")
    if len(found) > MAX_RESOURCES:
        raise InvalidInput(f"resourceIds: at most {MAX_RESOURCES}")
    out = []
    for i, item in enumerate(found):
        if isinstance(item, bool) or not isinstance(item, int | str) or str(item) == "":
            raise InvalidInput(f"resourceIds[{i}] must be an id")
        out.append(str(item))
    return out


def _fub_event_type(value: Any) -> str | None:
    name = text(value, "type", 100)
    if name is None:
        return None
    name = " ".join(name.lower().split())
    if name == "general inquiry":
        return "lead.inquiry"
    return EVENT_TYPES.get(name)


def _fub(
    link: CrmLink, api: FubApi, tenant_id: str, payload: dict[str, Any], key: str, body: bytes
) -> Received:
    kind = text(payload.get("event"), "event", 100)
    out = Received()
    known = FUB_PEOPLE | {"peopleStageUpdated", "eventsCreated", "notesCreated"}
    if kind not in known:
        out.ignored.append(f"event {kind!r} is not mapped")
        return out
    for rid in _ids(payload):
        try:
            _fub_one(link, api, tenant_id, kind, rid, key, body, out)
        except CrmError as exc:
            if exc.status != 404:
                raise
            out.ignored.append(f"{kind} {rid}: not found in this Follow Up Boss account")
        except InvalidInput as exc:  # this record is quarantined; the others go on
            out.ignored.append(f"{kind} {rid}: {exc.message}")
    return out


def _fub_one(
    link: CrmLink,
    api: FubApi,
    tenant_id: str,
    kind: str,
    rid: str,
    key: str,
    body: bytes,
    out: Received,
) -> None:
    """One resource of a Follow Up Boss notification, read back and stored."""
    ref = f"{key}:{rid}"
    if kind in FUB_PEOPLE or kind == "peopleStageUpdated":
        remote = api.get_contact(rid)
        people = kind in FUB_PEOPLE
        event = "lead.created" if people else "crm.stage_changed"
        stage = {} if people else {"stage": remote.stage}
        lead = replace(_lead_of(remote, "fub", event, ref), data={"crm_event": kind, **stage})
        out.accepted.append(
            _store(link, tenant_id, "fub", remote.id, lead, key, body, contact_event=people)
        )
        return
    path = "/events/" if kind == "eventsCreated" else "/notes/"
    record = api.http.request("GET", path + rid)
    if not isinstance(record, dict) or not record.get("personId"):
        out.ignored.append(f"{kind} {rid}: no personId")
        return
    if kind == "eventsCreated":
        mapped = _fub_event_type(record.get("type"))
        if mapped is None:
            out.ignored.append(f"{kind} {rid}: type {record.get('type')!r} is not mapped")
            return
        data: dict[str, Any] = {
            "crm_event": kind,
            "crm_type": text(record.get("type"), "type", 100),
            "message": text(record.get("message"), "message", 10_000),
            "source": text(record.get("source"), "source", 200),
        }
        prop = reso_property(record.get("property"))
        if prop:
            data["property"] = prop
            if "ListingId" in prop:
                data["listing_key"] = prop["ListingId"]
    else:
        mapped = "crm.note_added"
        data = {"crm_event": kind, "note_id": rid, "body": text(record.get("body"), "body", 20_000)}
    remote = api.get_contact(str(record["personId"]))
    lead = replace(
        _lead_of(remote, "fub", mapped, ref),
        data={k: v for k, v in data.items() if v is not None},
    )
    out.accepted.append(
        _store(link, tenant_id, "fub", remote.id, lead, key, body, contact_event=False)
    )


__all__ = ["Accepted", "CrmError", "Received", "receive"]
