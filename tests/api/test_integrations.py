"""The CRM connectors through the API, as a user drives them: the connector set and shown
masked, webhooks from loopback HighLevel / Follow Up Boss peers accepted only when signed and
new (a forged, stale or replayed one is a 401 that changes nothing), outbound operations and the
sync with their logs -- and tenant zeta's real key sees none of acme's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock, to_iso
from leadflow.model.records import ContactFilter, Scope
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support import fub_peer as fp
from support import ghl_peer as gp
from support.api_client import ApiClient, admin_key, assert_problem, member_key
from support.stores import upgraded_db

T0 = 1_750_000_000.0


@dataclass
class World:
    acme: ApiClient
    zeta: ApiClient
    agent: ApiClient
    runtime: Runtime
    clock: VirtualClock

    def contacts(self, tenant: str = "acme") -> list[Any]:
        return list(self.runtime.store.find_contacts(ContactFilter(scope=Scope(tenant))))

    def events(self, tenant: str = "acme") -> list[Any]:
        return [
            e
            for c in self.contacts(tenant)
            for e in self.runtime.store.list_events(contact_id=c.id)
        ]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = upgraded_db(tmp_path / "api.db")
    acme, zeta = admin_key(url, "acme"), admin_key(url, "zeta")
    agent = member_key(url, "agent", "ann")
    clock = VirtualClock(T0)
    rt = build_runtime(Settings(db=url), clock=clock)
    app = create_app(runtime=rt)
    try:
        with (
            ApiClient(app, headers={"Authorization": f"Bearer {acme}"}) as a,
            ApiClient(app, headers={"Authorization": f"Bearer {zeta}"}) as z,
            ApiClient(app, headers={"Authorization": f"Bearer {agent}"}) as g,
        ):
            yield World(a, z, g, rt, clock)
    finally:
        rt.close()


@pytest.fixture
def ghl() -> Iterator[gp.GhlPeer]:
    with gp.ghl_peer() as peer:
        peer.now = T0
        yield peer


@pytest.fixture
def fub() -> Iterator[fp.FubPeer]:
    with fp.fub_peer() as peer:
        peer.now = T0
        yield peer


def _ghl_config(peer: gp.GhlPeer, public_pem: str | None = None, **more: Any) -> dict[str, Any]:
    config = {"api_key": gp.TOKEN, "location_id": gp.LOCATION, "base_url": peer.base_url}
    if public_pem:
        config["webhook_public_key"] = public_pem
    return config | more


def _fub_config(peer: fp.FubPeer) -> dict[str, Any]:
    return {
        "api_key": fp.API_KEY,
        "system": fp.SYSTEM,
        "system_key": fp.SYSTEM_KEY,
        "base_url": peer.base_url + "/v1",
    }


# ---------------------------------------------------------------------- the connector
def test_connector_is_set_shown_masked_and_removed(world: World, ghl: gp.GhlPeer) -> None:
    got = world.acme.put("/api/v1/integrations/ghl", json=_ghl_config(ghl, pipeline_id="p1"))
    assert got.status_code == 200, got.text
    assert gp.TOKEN not in got.text
    shown = world.acme.get("/api/v1/integrations/ghl").json()
    assert shown["config"]["api_key"] == "****" + gp.TOKEN[-4:]
    assert shown["config"]["location_id"] == gp.LOCATION and shown["config"]["pipeline_id"] == "p1"
    assert shown["created_at"] == to_iso(T0)
    assert gp.TOKEN not in json.dumps(shown)
    # the secret is stored whole (the connector works), only never shown
    stored = world.runtime.store.get_crm_connector("acme", "ghl")
    assert stored is not None and stored.config["api_key"] == gp.TOKEN
    assert_problem(world.zeta.get("/api/v1/integrations/ghl"), 404)
    assert_problem(world.zeta.delete("/api/v1/integrations/ghl"), 404)
    assert world.runtime.store.get_crm_connector("acme", "ghl") is not None
    assert world.acme.delete("/api/v1/integrations/ghl").status_code == 204
    assert_problem(world.acme.get("/api/v1/integrations/ghl"), 404)


def test_a_bad_config_names_the_field_and_stores_nothing(world: World) -> None:
    got = world.acme.put("/api/v1/integrations/fub", json={"api_key": "short", "system": "s"})
    body = assert_problem(got, 422)
    assert "api_key" in json.dumps(body) and "system_key" in json.dumps(body)
    assert world.runtime.store.get_crm_connector("acme", "fub") is None
    assert_problem(world.acme.put("/api/v1/integrations/hubspot", json={}), 404)
    assert_problem(world.agent.put("/api/v1/integrations/fub", json={}), 403)


# ---------------------------------------------------------------------- HighLevel in
def _ghl_contact_body(webhook_id: str, at: float, **more: Any) -> bytes:
    return json.dumps(
        {
            "type": "ContactCreate",
            "locationId": gp.LOCATION,
            "id": "ct_remote_1",
            "firstName": "Grace",
            "lastName": "Hopper",
            "email": "Grace@Example.com",
            "phone": "+1 415 555 0100",
            "tags": ["ghl-lead"],
            "source": "Facebook",
            "timestamp": to_iso(at),
            "webhookId": webhook_id,
            **more,
        }
    ).encode()


def _post_ghl(
    world: World, body: bytes, headers: dict[str, str], tenant: str = "acme"
) -> httpx.Response:
    return world.acme.post(
        f"/api/v1/hooks/{tenant}/ghl",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": ""} | headers,
    )


def test_ghl_webhook_signed_becomes_a_contact_and_replays_and_forgeries_change_nothing(
    world: World, ghl: gp.GhlPeer
) -> None:
    key, pem = gp.rsa_keys()
    other, _ = gp.rsa_keys()
    world.acme.put("/api/v1/integrations/ghl", json=_ghl_config(ghl, pem))
    body = _ghl_contact_body("wh-1", T0)
    got = _post_ghl(world, body, {"x-wh-signature": gp.sign_rsa(key, body)})
    assert got.status_code == 200, got.text
    (item,) = got.json()["accepted"]
    assert item["created"] and item["event_type"] == "lead.created"
    (contact,) = world.contacts()
    assert (contact.first_name, contact.email, contact.phone) == (
        "Grace",
        "grace@example.com",
        "+14155550100",
    )
    assert contact.tags == ["ghl-lead"]
    assert world.runtime.store.crm_contact_id("acme", "ghl", "ct_remote_1") == contact.id
    before = (len(world.contacts()), len(world.events()))
    # replayed: the same signed delivery again
    assert_problem(_post_ghl(world, body, {"x-wh-signature": gp.sign_rsa(key, body)}), 401)
    # forged: signed by another key; or the body changed after signing
    forged = _ghl_contact_body("wh-2", T0, firstName="Mallory")
    assert_problem(_post_ghl(world, forged, {"x-wh-signature": gp.sign_rsa(other, forged)}), 401)
    assert_problem(_post_ghl(world, forged, {"x-wh-signature": gp.sign_rsa(key, body)}), 401)
    assert_problem(_post_ghl(world, forged, {}), 401)
    # stale: correctly signed, but its timestamp is 10 minutes old
    stale = _ghl_contact_body("wh-3", T0 - 600, firstName="Mallory")
    assert_problem(_post_ghl(world, stale, {"x-wh-signature": gp.sign_rsa(key, stale)}), 401)
    # another tenant's path (zeta has no connector): refused alike
    fresh = _ghl_contact_body("wh-4", T0, firstName="Mallory")
    assert_problem(
        _post_ghl(world, fresh, {"x-wh-signature": gp.sign_rsa(key, fresh)}, "zeta"), 401
    )
    assert (len(world.contacts()), len(world.events())) == before
    assert world.contacts("zeta") == []
    assert world.contacts()[0].first_name == "Grace"


def test_ghl_a_webhook_of_another_location_is_refused(world: World, ghl: gp.GhlPeer) -> None:
    """HighLevel signs every account's webhooks with the same key: a correctly signed delivery
    of another location must not land in this tenant."""
    key, pem = gp.rsa_keys()
    world.acme.put("/api/v1/integrations/ghl", json=_ghl_config(ghl, pem))
    body = _ghl_contact_body("wh-1", T0, locationId="someone_elses_location")
    assert_problem(_post_ghl(world, body, {"x-wh-signature": gp.sign_rsa(key, body)}), 401)
    assert world.contacts() == []


def test_ghl_our_own_write_coming_back_raises_no_event(world: World, ghl: gp.GhlPeer) -> None:
    key, pem = gp.rsa_keys()
    world.acme.put("/api/v1/integrations/ghl", json=_ghl_config(ghl, pem))
    first = _ghl_contact_body("wh-1", T0)
    _post_ghl(world, first, {"x-wh-signature": gp.sign_rsa(key, first)})
    same = _ghl_contact_body("wh-2", T0, type="ContactUpdate")
    got = _post_ghl(world, same, {"x-wh-signature": gp.sign_rsa(key, same)}).json()
    assert got["accepted"][0]["event_type"] is None
    changed = _ghl_contact_body("wh-3", T0, type="ContactTagUpdate", tags=["ghl-lead", "hot"])
    got = _post_ghl(world, changed, {"x-wh-signature": gp.sign_rsa(key, changed)}).json()
    assert got["accepted"][0]["event_type"] == "lead.updated"
    assert [e.type for e in world.events()] == ["lead.created", "lead.updated"]
    assert world.contacts()[0].tags == ["ghl-lead", "hot"]


def test_ghl_ed25519_signature_and_a_stage_change(world: World, ghl: gp.GhlPeer) -> None:
    key, pem = gp.ed25519_keys()
    world.acme.put("/api/v1/integrations/ghl", json=_ghl_config(ghl, webhook_ed25519_key=pem))
    ghl.contacts["ct_9"] = {
        "id": "ct_9",
        "firstName": "Lin",
        "email": "lin@example.com",
        "tags": [],
        "customFields": [],
        "dateUpdated": gp.iso(T0),
    }
    body = json.dumps(
        {
            "type": "OpportunityStageUpdate",
            "locationId": gp.LOCATION,
            "id": "opp_7",
            "contactId": "ct_9",
            "pipelineId": "pipe_1",
            "pipelineStageId": "stage_won",
            "status": "open",
            "name": "Lin buys",
            "timestamp": to_iso(T0),
            "webhookId": "wh-9",
        }
    ).encode()
    got = _post_ghl(world, body, {"X-GHL-Signature": gp.sign_ed25519(key, body)})
    assert got.status_code == 200, got.text
    (event,) = world.events()
    assert event.type == "crm.stage_changed"
    assert (event.data["stage"], event.data["pipeline_id"], event.data["opportunity_id"]) == (
        "stage_won",
        "pipe_1",
        "opp_7",
    )
    assert ghl.calls("GET", "/contacts/ct_9")  # the contact was read back from HighLevel
    (read,) = world.acme.get("/api/v1/integrations/ghl/deliveries").json()["items"]
    assert (read["operation"], read["status"]) == ("webhook_read", "done")
    assert [(c["method"], c["path"], c["status"]) for c in read["calls"]] == [
        ("GET", "/contacts/ct_9", 200)
    ]


# ---------------------------------------------------------------------- Follow Up Boss in
def _post_fub(
    world: World, body: bytes, signature: str | None, tenant: str = "acme"
) -> httpx.Response:
    headers = {"Content-Type": "application/json", "Authorization": ""}
    if signature is not None:
        headers["FUB-Signature"] = signature
    return world.acme.post(f"/api/v1/hooks/{tenant}/fub", content=body, headers=headers)


def test_fub_webhooks_people_and_events_map_to_contacts_and_vocabulary(
    world: World, fub: fp.FubPeer
) -> None:
    world.acme.put("/api/v1/integrations/fub", json=_fub_config(fub))
    pid = fub.add_person(
        firstName="Alan",
        lastName="Turing",
        emails=[{"value": "alan@example.com"}],
        phones=[{"value": "(512) 555-0142"}],
        tags=["fub"],
    )
    body = fp.event_body("peopleCreated", [pid], "ev-1", T0, fub.base_url)
    got = _post_fub(world, body, fp.sign(fp.SYSTEM_KEY, body))
    assert got.status_code == 200, got.text
    (contact,) = world.contacts()
    assert (contact.email, contact.phone, contact.tags) == (
        "alan@example.com",
        "+15125550142",
        ["fub"],
    )
    viewed = fub.add_event(
        pid,
        type="Viewed Property",
        message="looked twice",
        source="IDX",
        property={
            "street": "1 Elm St",
            "city": "Austin",
            "state": "TX",
            "code": "78701",
            "mlsNumber": "MLS-9",
            "price": "450,000",
            "bedrooms": 3,
        },
    )
    body = fp.event_body("eventsCreated", [viewed], "ev-2", T0, fub.base_url)
    got = _post_fub(world, body, fp.sign(fp.SYSTEM_KEY, body))
    assert got.status_code == 200, got.text
    kinds = [e.type for e in world.events()]
    assert kinds == ["lead.created", "listing.viewed"]  # FUB "Viewed Property" is listing.viewed
    event = world.events()[1]
    assert event.data["property"] == {
        "UnparsedAddress": "1 Elm St",
        "City": "Austin",
        "StateOrProvince": "TX",
        "PostalCode": "78701",
        "ListingId": "MLS-9",
        "ListPrice": 450000,
        "BedroomsTotal": 3,
    }
    assert event.data["listing_key"] == "MLS-9" and event.data["crm"] == "fub"
    before = len(world.events())
    assert_problem(_post_fub(world, body, fp.sign(fp.SYSTEM_KEY, body)), 401)  # replayed eventId
    forged = fp.event_body("eventsCreated", [viewed], "ev-3", T0, fub.base_url)
    assert_problem(_post_fub(world, forged, fp.sign("not-the-system-key", forged)), 401)
    assert_problem(_post_fub(world, forged, None), 401)
    old = fp.event_body("eventsCreated", [viewed], "ev-4", T0 - 13 * 3600, fub.base_url)
    assert_problem(_post_fub(world, old, fp.sign(fp.SYSTEM_KEY, old)), 401)
    assert_problem(_post_fub(world, forged, fp.sign(fp.SYSTEM_KEY, forged), "zeta"), 401)
    assert len(world.events()) == before and world.contacts("zeta") == []


def test_fub_read_back_failing_lets_the_retry_through(world: World, fub: fp.FubPeer) -> None:
    world.acme.put("/api/v1/integrations/fub", json=_fub_config(fub) | {"max_attempts": 1})
    pid = fub.add_person(firstName="Kay", emails=[{"value": "kay@example.com"}])
    body = fp.event_body("peopleUpdated", [pid], "ev-7", T0, fub.base_url)
    fub.fail("GET", f"/v1/people/{pid}", 503)
    assert_problem(_post_fub(world, body, fp.sign(fp.SYSTEM_KEY, body)), 503)
    assert world.contacts() == []
    got = _post_fub(world, body, fp.sign(fp.SYSTEM_KEY, body))  # Follow Up Boss retries
    assert got.status_code == 200, got.text
    assert len(world.contacts()) == 1


def test_fub_a_person_of_another_account_is_ignored(world: World, fub: fp.FubPeer) -> None:
    world.acme.put("/api/v1/integrations/fub", json=_fub_config(fub))
    body = fp.event_body("peopleCreated", [987654], "ev-5", T0, fub.base_url)
    got = _post_fub(world, body, fp.sign(fp.SYSTEM_KEY, body))
    assert got.status_code == 200, got.text
    assert got.json() == {
        "accepted": [],
        "ignored": ["peopleCreated 987654: not found in this Follow Up Boss account"],
    }
    assert world.contacts() == []


def test_fub_a_poisoned_person_is_set_aside_and_the_others_stored(
    world: World, fub: fp.FubPeer
) -> None:
    world.acme.put("/api/v1/integrations/fub", json=_fub_config(fub))
    bad = fub.add_person(firstName="Bad", emails=[{"value": "not-an-address"}])
    good = fub.add_person(firstName="Good", emails=[{"value": "good@example.com"}])
    body = fp.event_body("peopleCreated", [bad, good], "ev-6", T0, fub.base_url)
    got = _post_fub(world, body, fp.sign(fp.SYSTEM_KEY, body)).json()
    assert got["ignored"] == [f"peopleCreated {bad}: email is not an e-mail address"]
    assert [c.first_name for c in world.contacts()] == ["Good"]


def test_unmapped_notifications_are_answered_and_ignored(world: World, fub: fp.FubPeer) -> None:
    world.acme.put("/api/v1/integrations/fub", json=_fub_config(fub))
    body = fp.event_body("dealsCreated", [5], "ev-8", T0, fub.base_url)
    got = _post_fub(world, body, fp.sign(fp.SYSTEM_KEY, body))
    assert got.status_code == 200 and got.json()["ignored"] == [
        "event 'dealsCreated' is not mapped"
    ]
    bad = json.dumps(
        {
            "eventId": "ev-9",
            "eventCreated": to_iso(T0),
            "event": "peopleCreated",
            "resourceIds": "all",
        }
    ).encode()
    assert_problem(_post_fub(world, bad, fp.sign(fp.SYSTEM_KEY, bad)), 422)


# ---------------------------------------------------------------------- out
def test_operations_sync_and_logs_through_the_api(world: World, ghl: gp.GhlPeer) -> None:
    world.acme.put("/api/v1/integrations/ghl", json=_ghl_config(ghl, pipeline_id="pipe_1"))
    made = world.acme.post(
        "/api/v1/contacts", json={"first_name": "Ada", "email": "ada@example.com"}
    )
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    op = {
        "operation": "add_note",
        "contact_id": cid,
        "params": {"body": "Met at open house"},
        "idempotency_key": "note-1",
    }
    got = world.acme.post("/api/v1/integrations/ghl/operations", json=op)
    assert got.status_code == 200, got.text
    assert got.json()["status"] == "done" and got.json()["attempts"] == 3  # upsert, GET, POST
    again = world.acme.post("/api/v1/integrations/ghl/operations", json=op).json()
    assert again["id"] == got.json()["id"]
    assert sum(len(n) for n in ghl.notes.values()) == 1
    bad = world.acme.post(
        "/api/v1/integrations/ghl/operations", json=op | {"params": {}, "idempotency_key": "n2"}
    )
    assert "params.body" in assert_problem(bad, 422)["detail"]  # type: ignore[operator]
    # zeta: cannot reach acme's contact, sees none of acme's log
    assert_problem(
        world.zeta.post("/api/v1/integrations/ghl/operations", json=op | {"idempotency_key": "z"}),
        404,
    )
    assert world.zeta.get("/api/v1/integrations/ghl/deliveries").json()["items"] == []
    log = world.acme.get("/api/v1/integrations/ghl/deliveries").json()["items"]
    assert [d["operation"] for d in log] == ["add_note"]
    assert [c["method"] for c in log[0]["calls"]] == ["POST", "GET", "POST"]
    assert gp.TOKEN not in json.dumps(log)
    # the sync: HighLevel's later change to the last name comes back
    (remote,) = ghl.contacts
    ghl.now = T0 + 60
    ghl.edit(remote, lastName="Lovelace")
    world.clock.advance(120)
    synced = world.acme.post(f"/api/v1/integrations/ghl/sync/{cid}")
    assert synced.status_code == 200, synced.text
    assert synced.json()["pulled"] == {"last_name": "Lovelace"}
    assert world.acme.get(f"/api/v1/contacts/{cid}").json()["last_name"] == "Lovelace"
    entries = world.acme.get(
        "/api/v1/integrations/ghl/sync-log", params={"contact_id": cid}
    ).json()["items"]
    assert [(e["field"], e["winner"]) for e in entries] == [("last_name", "remote")]
    assert_problem(world.zeta.post(f"/api/v1/integrations/ghl/sync/{cid}"), 404)
    assert_problem(
        world.zeta.get("/api/v1/integrations/ghl/sync-log", params={"contact_id": cid}), 404
    )
    assert_problem(world.agent.get("/api/v1/integrations/ghl/deliveries"), 403)
