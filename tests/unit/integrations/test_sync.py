"""The contact sync against the loopback CRMs: a field one side changed takes that side's
value, a field both changed takes the later change, every decision is in the sync log, the
calls are in the delivery log, and a second sync finds nothing to do."""

from __future__ import annotations

from dataclasses import replace

import pytest

from leadflow.clock import VirtualClock
from leadflow.integrations.operations import CrmLink
from leadflow.integrations.sync import decide, sync_contact
from leadflow.model.crm import CrmConnector
from leadflow.model.records import Contact
from leadflow.store import Store
from support import fub_peer as fp
from support import ghl_peer as gp
from support.crm_kit import lead
from support.records import T0


def _saved(store: Store, contact: Contact, at: float, **changes: object) -> Contact:
    store.save_contacts([replace(contact, **changes)], [], at)  # type: ignore[arg-type]
    found = store.get_contact(contact.id)
    assert found is not None
    return found


def test_decide_is_three_way_then_newer_wins() -> None:
    base = {"a": 1, "b": 1, "c": 1}
    local = {"a": 2, "b": 1, "c": 5, "d": "x"}
    remote = {"a": 1, "b": 3, "c": 6, "d": "y"}
    assert decide(local, remote, base, 100.0, 200.0) == {
        "a": "local",  # only leadflow changed it
        "b": "remote",  # only the CRM changed it
        "c": "remote",  # both: the CRM's change is later
        "d": "remote",  # never agreed: the later record
    }
    assert decide(local, remote, base, 300.0, 200.0)["c"] == "local"
    assert decide({"x": 1}, {"x": 2}, {}, 5.0, 5.0) == {"x": "local"}  # a tie: leadflow
    # never agreed, one side empty: the value fills the gap whatever the times
    assert decide({"x": None, "y": "a"}, {"x": "b", "y": []}, {}, 9.0, 1.0) == {
        "x": "remote",
        "y": "local",
    }


def test_ghl_sync_pulls_and_pushes_per_field(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer, clock: VirtualClock
) -> None:
    contact = lead(crm_store)
    first = sync_contact(link, "ghl", contact)  # made in HighLevel, nothing to decide
    assert first.entries == [] and first.pulled == {} and first.pushed == {}
    (remote,) = ghl.contacts
    # HighLevel: an agent fixes the last name at T0+100; leadflow: the phone changes at T0+50
    ghl.now = T0 + 100
    ghl.edit(remote, lastName="Lee-Smith")
    contact = _saved(crm_store, contact, T0 + 50, phone="+15125550199")
    clock.set(T0 + 200)
    result = sync_contact(link, "ghl", contact)
    assert result.pulled == {"last_name": "Lee-Smith"}
    assert result.pushed == {"phone": "+15125550199"}
    after = crm_store.get_contact("c1")
    assert after is not None and after.last_name == "Lee-Smith"
    assert ghl.contacts[remote]["phone"] == "+15125550199"
    log = {e.field: e for e in crm_store.list_crm_sync_log("acme", "ghl", "c1")}
    assert (log["last_name"].winner, log["last_name"].local_value) == ("remote", "Lee")
    assert (log["phone"].winner, log["phone"].remote_value) == ("local", "+15125550101")
    again = sync_contact(link, "ghl", after)
    assert again.entries == [] and again.pushed == {} and again.pulled == {}
    kinds = [d.operation for d in crm_store.list_crm_deliveries("acme")]
    assert kinds == ["sync_contact"] * 3


def test_both_sides_changed_the_newer_wins_and_is_recorded(
    link: CrmLink, crm_store: Store, fub: fp.FubPeer, clock: VirtualClock
) -> None:
    contact = lead(crm_store)
    sync_contact(link, "fub", contact)
    (pid,) = fub.people
    contact = _saved(crm_store, contact, T0 + 10, first_name="Annie")  # leadflow at T0+10
    fub.now = T0 + 20
    fub.edit(pid, firstName="Anna")  # Follow Up Boss at T0+20: later
    clock.set(T0 + 30)
    result = sync_contact(link, "fub", contact)
    assert result.pulled == {"first_name": "Anna"} and result.pushed == {}
    (entry,) = crm_store.list_crm_sync_log("acme", "fub", "c1")
    assert (entry.local_value, entry.remote_value, entry.winner) == ("Annie", "Anna", "remote")
    assert (entry.local_at, entry.remote_at) == (T0 + 10, T0 + 20)
    # now leadflow changes it again, later than the CRM: leadflow wins
    contact = crm_store.get_contact("c1")
    assert contact is not None
    contact = _saved(crm_store, contact, T0 + 40, first_name="Ann-Marie")
    fub.now = T0 + 35
    fub.edit(pid, firstName="Anya")
    clock.set(T0 + 50)
    result = sync_contact(link, "fub", contact)
    assert result.pushed == {"first_name": "Ann-Marie"}
    assert fub.people[pid]["firstName"] == "Ann-Marie"


def test_custom_fields_follow_the_field_map(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer, clock: VirtualClock
) -> None:
    connector = crm_store.get_crm_connector("acme", "ghl")
    assert connector is not None
    config = {**connector.config, "field_map": {"budget": "contact.budget"}}
    crm_store.put_crm_connector(CrmConnector("acme", "ghl", config), T0)
    contact = lead(crm_store)
    sync_contact(link, "ghl", contact)
    (remote,) = ghl.contacts
    assert ghl.contacts[remote]["customFields"] == [
        {"key": "contact.budget", "field_value": 450000}
    ]
    ghl.now = T0 + 100
    ghl.edit(remote, customFields=[{"key": "contact.budget", "field_value": 500000}])
    clock.set(T0 + 200)
    result = sync_contact(link, "ghl", contact)
    assert result.pulled == {"fields.budget": 500000}
    after = crm_store.get_contact("c1")
    assert after is not None and after.fields["budget"] == 500000


def test_a_failed_sync_changes_no_agreed_value(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer
) -> None:
    from leadflow.integrations.http import CrmError

    contact = lead(crm_store)
    sync_contact(link, "ghl", contact)
    state = crm_store.crm_sync_state("acme", "ghl", "c1")
    ghl.fail("GET", "/contacts/", 500, times=99)
    with pytest.raises(CrmError):
        sync_contact(link, "ghl", contact)
    assert crm_store.crm_sync_state("acme", "ghl", "c1") == state
    assert crm_store.list_crm_deliveries("acme")[0].status == "pending"
