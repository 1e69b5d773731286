"""The contact sync: one leadflow contact and its CRM contact brought to the same values, field
by field (first and last name, e-mail, phone, tags, and the connector's ``field_map`` of
custom fields: leadflow ``fields.<name>`` -> the CRM's custom field key).

The rule, per field: the value both sides last agreed on is kept (``crm_sync_state``). A field
only one side changed since takes that side's value; a field never agreed on that only one side
has takes that value (a gap filled); a field both changed (or never agreed on, both holding
values) takes the side whose record changed later -- the contact's ``updated_at`` against the CRM's
``dateUpdated`` (HighLevel) / ``updated`` (Follow Up Boss), a tie going to leadflow. Every
field decided is written to the sync log with both values, both times and the winner. The calls
are one delivery (operation ``sync_contact``) in the delivery log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from leadflow.integrations.api import CONTACT_FIELDS, CrmApi, RemoteContact
from leadflow.integrations.http import CrmError, CrmHttp
from leadflow.integrations.operations import CrmLink, ensure_remote
from leadflow.model.crm import CrmSyncEntry, CrmSyncUpdate, NewCrmDelivery
from leadflow.model.records import Contact

_MISSING = object()


@dataclass(slots=True)
class SyncResult:
    contact_id: str
    remote_id: str
    pushed: dict[str, Any] = field(default_factory=dict)  # sent to the CRM
    pulled: dict[str, Any] = field(default_factory=dict)  # taken from the CRM
    entries: list[CrmSyncEntry] = field(default_factory=list)


def _field_map(api: CrmApi) -> dict[str, str]:
    config = getattr(api, "config", None)
    return dict(getattr(config, "field_map", {}) or {})


def local_values(contact: Contact, field_map: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {n: getattr(contact, n) for n in CONTACT_FIELDS}
    out["tags"] = sorted(contact.tags)
    for local in field_map:
        out[f"fields.{local}"] = contact.fields.get(local)
    return out


def remote_values(remote: RemoteContact, field_map: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {n: remote.value(n) for n in CONTACT_FIELDS}
    if isinstance(out["email"], str):
        out["email"] = out["email"].lower()
    for local, key in field_map.items():
        out[f"fields.{local}"] = remote.custom.get(key)
    return out


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def decide(
    local: dict[str, Any],
    remote: dict[str, Any],
    base: dict[str, Any],
    local_at: float | None,
    remote_at: float | None,
) -> dict[str, str]:
    """field -> the winning side (``local`` / ``remote``), for the fields that differ."""
    out: dict[str, str] = {}
    for name, mine in local.items():
        theirs = remote.get(name)
        if mine == theirs:
            continue
        agreed = base.get(name, _MISSING)
        if agreed is _MISSING and _empty(mine) != _empty(theirs):
            out[name] = "remote" if _empty(mine) else "local"  # a gap filled, not a conflict
        elif agreed is not _MISSING and mine == agreed:
            out[name] = "remote"
        elif agreed is not _MISSING and theirs == agreed:
            out[name] = "local"
        else:
            out[name] = "local" if (local_at or 0.0) >= (remote_at or 0.0) else "remote"
    return out


def sync_contact(link: CrmLink, crm: str, contact: Contact) -> SyncResult:
    """Sync ``contact`` with its CRM contact (made there first when it has none). CrmError when
    the CRM could not be read or written (the agreed values are then left as they were)."""
    store, tenant_id = link.store, contact.tenant_id
    now = link.clock.now()
    api = link.api(tenant_id, crm)
    http: CrmHttp = api.http  # type: ignore[attr-defined]
    key = f"sync:{contact.id}:{secrets.token_hex(8)}"  # each sync is its own delivery
    delivery, _ = store.begin_crm_delivery(
        NewCrmDelivery(tenant_id, crm, "sync_contact", key, contact.id, {}), now
    )
    try:
        result = _sync(link, api, contact)
    except CrmError as exc:
        store.finish_crm_delivery(
            tenant_id, delivery.id, http.outcome(failure=exc), link.clock.now()
        )
        raise
    outcome = http.outcome(remote_id=result.remote_id)
    store.finish_crm_delivery(tenant_id, delivery.id, outcome, link.clock.now())
    return result


def _sync(link: CrmLink, api: CrmApi, contact: Contact) -> SyncResult:
    store, tenant_id, crm = link.store, contact.tenant_id, api.crm
    fmap = _field_map(api)
    remote_id = ensure_remote(link, api, tenant_id, contact)
    remote = api.get_contact(remote_id)
    mine, theirs = local_values(contact, fmap), remote_values(remote, fmap)
    base = store.crm_sync_state(tenant_id, crm, contact.id)
    winners = decide(mine, theirs, base, contact.updated_at, remote.updated_at)
    result = SyncResult(contact.id, remote_id)
    for name, side in winners.items():
        value = mine[name] if side == "local" else theirs[name]
        (result.pushed if side == "local" else result.pulled)[name] = value
        result.entries.append(
            CrmSyncEntry(
                tenant_id,
                crm,
                contact.id,
                name,
                mine[name],
                theirs[name],
                side,
                contact.updated_at,
                remote.updated_at,
            )
        )
    if result.pushed:
        api.update_contact(remote_id, _adapter_values(result.pushed, fmap))
    now = link.clock.now()
    if result.pulled:
        store.save_contacts([_pulled(contact, result.pulled)], [], now)
    agreed = {name: (theirs if winners.get(name) == "remote" else mine)[name] for name in mine}
    store.save_crm_sync(CrmSyncUpdate(tenant_id, crm, contact.id, agreed, result.entries), now)
    return result


def _adapter_values(pushed: dict[str, Any], fmap: dict[str, str]) -> dict[str, Any]:
    values = {n: v for n, v in pushed.items() if n in CONTACT_FIELDS}
    custom = {fmap[n[7:]]: v for n, v in pushed.items() if n.startswith("fields.")}
    if custom:
        values["custom"] = custom
    return values


def _pulled(contact: Contact, pulled: dict[str, Any]) -> Contact:
    changes = {n: v for n, v in pulled.items() if n in CONTACT_FIELDS}
    if "tags" in changes:
        changes["tags"] = list(changes["tags"] or [])
    fields = dict(contact.fields)
    for name, value in pulled.items():
        if name.startswith("fields."):
            fields[name[7:]] = value
    return replace(contact, **changes, fields=fields, consent=dict(contact.consent))


__all__ = ["SyncResult", "decide", "local_values", "remote_values", "sync_contact"]
