"""The outbound operations against loopback HighLevel and Follow Up Boss peers: what arrives
at the CRM, once per change (a repeat, a crash between the call and its record, a lost answer
all change the CRM once), 429 + Retry-After and 5xx retried on the injected clock, every call
in the delivery log, and no secret in it."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest

from leadflow.integrations.http import CrmError
from leadflow.integrations.operations import CrmLink, perform
from leadflow.model.crm import CrmOutcome
from leadflow.store import Store
from support import fub_peer as fp
from support import ghl_peer as gp
from support.crm_kit import Sleeper, lead
from support.records import T0


def test_ghl_upsert_sends_the_documented_request_and_links(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer
) -> None:
    contact = lead(crm_store)
    done = perform(link, "acme", "ghl", "upsert_contact", contact, {}, "k-up")
    assert done.status == "done" and done.attempts == 1
    (call,) = ghl.calls("POST", "/contacts/upsert")
    assert call.headers["authorization"] == f"Bearer {gp.TOKEN}"
    assert call.headers["version"] == "2021-07-28"
    assert call.body == {
        "locationId": gp.LOCATION,
        "firstName": "Ann",
        "lastName": "Lee",
        "email": "ann@example.com",
        "phone": "+15125550101",
        "tags": ["buyer"],
        "source": "Zillow",
    }
    (remote,) = ghl.contacts
    assert crm_store.crm_remote_id("acme", "ghl", "c1") == remote == done.remote_id


def test_ghl_note_tag_task_stage(link: CrmLink, crm_store: Store, ghl: gp.GhlPeer) -> None:
    contact = lead(crm_store)
    perform(link, "acme", "ghl", "add_note", contact, {"body": "Called, no answer"}, "k-n")
    perform(link, "acme", "ghl", "add_tag", contact, {"tags": ["hot", "buyer"]}, "k-t")
    perform(
        link, "acme", "ghl", "create_task", contact, {"title": "Call back", "due_in_s": 3600}, "k-k"
    )
    perform(
        link, "acme", "ghl", "move_stage", contact, {"stage": "stage_2", "name": "Ann Lee"}, "k-s"
    )
    (remote,) = ghl.contacts  # the contact was upserted once, by the first operation
    (note,) = ghl.notes[remote]
    assert note["body"].startswith("Called, no answer")
    assert ghl.contacts[remote]["tags"] == ["buyer", "hot"]
    (task,) = ghl.tasks[remote]
    assert (task["title"], task["dueDate"]) == ("Call back", "2023-11-14T23:13:20Z")
    (opp,) = ghl.opportunities.values()
    assert (opp["pipelineId"], opp["pipelineStageId"], opp["contactId"]) == (
        "pipe_1",
        "stage_2",
        remote,
    )
    perform(link, "acme", "ghl", "move_stage", contact, {"stage": "stage_3"}, "k-s2")
    assert next(iter(ghl.opportunities.values()))["pipelineStageId"] == "stage_3"
    assert len(ghl.opportunities) == 1


def test_the_same_key_twice_calls_the_crm_once(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer
) -> None:
    contact = lead(crm_store)
    first = perform(link, "acme", "ghl", "add_note", contact, {"body": "hello"}, "k-1")
    before = len(ghl.requests)
    again = perform(link, "acme", "ghl", "add_note", contact, {"body": "hello"}, "k-1")
    assert again.id == first.id and again.status == "done"
    assert len(ghl.requests) == before  # not called at all
    assert sum(len(n) for n in ghl.notes.values()) == 1


def test_a_lost_answer_is_looked_for_not_made_again(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer, sleeper: Sleeper
) -> None:
    """HighLevel made the note but its answer was lost (a 502): the POST is not repeated
    blindly; the next round reads the notes, finds the reference and is done."""
    contact = lead(crm_store)
    perform(link, "acme", "ghl", "upsert_contact", contact, {}, "k-up")
    ghl.fail("POST", "/contacts/", 502, times=1, apply_first=True)
    done = perform(link, "acme", "ghl", "add_note", contact, {"body": "once"}, "k-note")
    (remote,) = ghl.contacts
    assert len(ghl.notes[remote]) == 1
    assert done.status == "done" and sleeper.waits == [1.0]
    assert [(c["method"], c.get("status")) for c in done.calls] == [
        ("GET", 200),
        ("POST", 502),
        ("GET", 200),
    ]


def test_a_crash_after_the_call_changes_the_crm_once(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer
) -> None:
    """The note was made, then the process stopped before recording it (here: one attempt
    allowed, so the delivery stays pending): the same change again finds the note by its
    reference and makes none."""
    contact = lead(crm_store)
    perform(link, "acme", "ghl", "upsert_contact", contact, {}, "k-up")
    connector = crm_store.get_crm_connector("acme", "ghl")
    assert connector is not None
    crm_store.put_crm_connector(
        replace(connector, config={**connector.config, "max_attempts": 1}), T0
    )
    ghl.fail("POST", "/contacts/", 502, times=1, apply_first=True)
    with pytest.raises(CrmError) as err:
        perform(link, "acme", "ghl", "add_note", contact, {"body": "once"}, "k-note")
    assert err.value.retryable
    (remote,) = ghl.contacts
    assert len(ghl.notes[remote]) == 1  # made, its answer lost
    pending = crm_store.list_crm_deliveries("acme")[0]
    assert pending.status == "pending" and pending.http_status == 502
    crm_store.put_crm_connector(connector, T0)
    done = perform(link, "acme", "ghl", "add_note", contact, {"body": "once"}, "k-note")
    assert done.status == "done" and done.id == pending.id and done.attempts == 3
    assert len(ghl.notes[remote]) == 1


def test_fub_crash_between_create_and_link_makes_one_person(
    link: CrmLink, crm_store: Store, fub: fp.FubPeer
) -> None:
    contact = lead(crm_store)
    fub.fail("POST", "/v1/people", 502, times=1, apply_first=True)
    done = perform(link, "acme", "fub", "upsert_contact", contact, {}, "k-up")
    assert done.status == "done"
    assert len(fub.people) == 1  # searched by e-mail first, found, updated
    (person_id,) = fub.people
    assert done.remote_id == str(person_id)


def test_429_waits_retry_after_on_the_injected_clock(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer, sleeper: Sleeper
) -> None:
    contact = lead(crm_store)
    ghl.fail("POST", "/contacts/upsert", 429, times=2, retry_after="7")
    done = perform(link, "acme", "ghl", "upsert_contact", contact, {}, "k")
    assert done.status == "done" and done.attempts == 3
    assert sleeper.waits == [pytest.approx(7.0), pytest.approx(7.0)]
    assert [c.get("status") for c in done.calls] == [429, 429, 201]
    assert [c["at"] for c in done.calls] == [T0, T0 + 7, T0 + 14]


def test_5xx_backs_off_exponentially_then_gives_up_pending(
    link: CrmLink, crm_store: Store, fub: fp.FubPeer, sleeper: Sleeper
) -> None:
    contact = lead(crm_store)
    fub.fail("GET", "/v1/people", 503, times=99)
    with pytest.raises(CrmError) as err:
        perform(link, "acme", "fub", "add_note", contact, {"body": "x"}, "k")
    assert err.value.retryable and err.value.status == 503
    assert sleeper.waits == [1.0, 2.0, 4.0, 8.0]  # 5 attempts, 4 waits
    (d,) = crm_store.list_crm_deliveries("acme")
    assert (d.status, d.attempts, d.http_status) == ("pending", 5, 503)
    assert fub.people == {} and fub.notes == []


def test_a_4xx_fails_for_good_and_is_not_tried_again(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer
) -> None:
    contact = lead(crm_store)
    ghl.fail("POST", "/contacts/upsert", 422, times=1)
    with pytest.raises(CrmError) as err:
        perform(link, "acme", "ghl", "upsert_contact", contact, {}, "k")
    assert not err.value.retryable
    before = len(ghl.requests)
    again = perform(link, "acme", "ghl", "upsert_contact", contact, {}, "k")
    assert again.status == "failed" and len(ghl.requests) == before


def test_the_token_bucket_spaces_a_burst(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer, sleeper: Sleeper
) -> None:
    connector = crm_store.get_crm_connector("acme", "ghl")
    assert connector is not None
    connector.config["rate_per_10s"] = 2  # 2 calls per 10 s: one token every 5 s
    crm_store.put_crm_connector(connector, T0)
    contact = lead(crm_store)
    for i in range(4):
        perform(link, "acme", "ghl", "add_tag", contact, {"tags": [f"t{i}"]}, f"k{i}")
    at = [r.query for r in ghl.requests]  # 1 upsert + 4 tags = 5 calls
    assert len(at) == 5
    assert sum(sleeper.waits) == pytest.approx(15.0)  # calls 3, 4, 5 each waited 5 s


def test_fub_requests_are_documented_and_idempotent(
    link: CrmLink, crm_store: Store, fub: fp.FubPeer
) -> None:
    contact = lead(crm_store)
    perform(link, "acme", "fub", "add_note", contact, {"body": "Left a voicemail"}, "k-n")
    perform(link, "acme", "fub", "add_tag", contact, {"tags": ["hot"]}, "k-t")
    perform(link, "acme", "fub", "create_task", contact, {"title": "Call"}, "k-k")
    perform(link, "acme", "fub", "move_stage", contact, {"stage": "Active Client"}, "k-s")
    perform(link, "acme", "fub", "move_stage", contact, {"stage": "7", "pipeline_id": "3"}, "k-d")
    call = fub.requests[0]
    assert call.headers["x-system"] == fp.SYSTEM and call.headers["x-system-key"] == fp.SYSTEM_KEY
    (person,) = fub.people.values()
    assert person["emails"] == [{"value": "ann@example.com"}]
    assert person["tags"] == ["buyer", "hot"] and person["stage"] == "Active Client"
    (note,) = fub.notes
    assert note["personId"] == person["id"] and note["body"].startswith("Left a voicemail")
    (task,) = fub.tasks
    assert (task["name"], task["dueDateTime"]) == ("Call", "2023-11-15T22:13:20Z")
    (deal,) = fub.deals.values()
    assert (deal["stageId"], deal["pipelineId"], deal["peopleIds"]) == (7, 3, [person["id"]])
    # the task again under a new key after a crash lost its record: found by name and due time
    crm_store.finish_crm_delivery(
        "acme", crm_store.list_crm_deliveries("acme", limit=3)[2].id, CrmOutcome("pending", 0), T0
    )
    perform(link, "acme", "fub", "create_task", contact, {"title": "Call"}, "k-k")
    assert len(fub.tasks) == 1


def test_no_secret_in_the_delivery_log(
    link: CrmLink, crm_store: Store, fub: fp.FubPeer, caplog: pytest.LogCaptureFixture
) -> None:
    contact = lead(crm_store)
    fub.fail("GET", "/v1/people", 429, times=1, retry_after="1")
    perform(link, "acme", "fub", "add_note", contact, {"body": "hi"}, "k")
    text = json.dumps([asdict(d) for d in crm_store.list_crm_deliveries("acme")])
    text += caplog.text
    assert fp.API_KEY not in text and fp.SYSTEM_KEY not in text


def test_no_connector_is_a_final_error_and_tenants_do_not_share(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer
) -> None:
    other = lead(crm_store, "z1", tenant="zeta")
    with pytest.raises(CrmError) as err:
        perform(link, "zeta", "ghl", "upsert_contact", other, {}, "k")
    assert not err.value.retryable and "no ghl connector" in err.value.message
    assert ghl.requests == []
    assert crm_store.list_crm_deliveries("acme") == []


def test_bad_parameters_name_the_field_and_record_nothing(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer
) -> None:
    from leadflow.errors import InvalidInput

    contact = lead(crm_store)
    with pytest.raises(InvalidInput, match=r"params\.body"):
        perform(link, "acme", "ghl", "add_note", contact, {"body": ""}, "k")
    with pytest.raises(InvalidInput, match="operation 'delete_everything'"):
        perform(link, "acme", "ghl", "delete_everything", contact, {}, "k")
    assert crm_store.list_crm_deliveries("acme") == [] and ghl.requests == []


def test_retry_after_reads_seconds_and_http_dates() -> None:
    from leadflow.integrations.http import backoff, retry_after

    assert retry_after("12", T0) == 12.0
    assert retry_after("Tue, 14 Nov 2023 22:13:50 GMT", T0) == 30.0  # T0 is 22:13:20 UTC
    assert retry_after("Tue, 14 Nov 2023 22:00:00 GMT", T0) == 0.0  # in the past: go now
    assert retry_after("soon", T0) is None and retry_after(None, T0) is None
    assert [backoff(n) for n in (1, 2, 3, 7, 8)] == [1.0, 2.0, 4.0, 60.0, 60.0]


def test_a_429_with_an_http_date_waits_until_then(
    link: CrmLink, crm_store: Store, fub: fp.FubPeer, sleeper: Sleeper
) -> None:
    contact = lead(crm_store)
    fub.fail("GET", "/v1/people", 429, times=1, retry_after="Tue, 14 Nov 2023 22:14:05 GMT")
    done = perform(link, "acme", "fub", "upsert_contact", contact, {}, "k")
    assert done.status == "done" and sleeper.waits[0] == pytest.approx(45.0)


def test_each_tenant_has_its_own_bucket(
    link: CrmLink, crm_store: Store, ghl: gp.GhlPeer, sleeper: Sleeper
) -> None:
    connector = crm_store.get_crm_connector("acme", "ghl")
    assert connector is not None
    slow = {**connector.config, "rate_per_10s": 1}
    crm_store.put_crm_connector(replace(connector, config=slow), T0)
    crm_store.put_crm_connector(replace(connector, tenant_id="zeta", config=slow), T0)
    acme, zeta = lead(crm_store, "a1"), lead(crm_store, "z1", tenant="zeta", email="z@example.com")
    perform(link, "acme", "ghl", "upsert_contact", acme, {}, "k1")
    perform(link, "zeta", "ghl", "upsert_contact", zeta, {}, "k1")
    assert sleeper.waits == []  # zeta's first call did not wait for acme's bucket
    perform(link, "acme", "ghl", "add_tag", acme, {"tags": ["x"]}, "k2")
    assert sleeper.waits == [pytest.approx(10.0)]  # acme's second call within 10 s did
