"""``/api/v1/contacts``: create (merging by e-mail / phone), change, list with filters and
paging, merge duplicates, import CSV -- each inside the caller's scope."""

from __future__ import annotations

from unittest.mock import ANY

import pytest
from fastapi import FastAPI

from leadflow.model.records import EnrollRequest
from leadflow.store.factory import open_store
from support.api_client import ApiClient, admin_key, assert_problem


def test_create_normalises_and_shows_a_contact(client: ApiClient) -> None:
    made = client.post(
        "/api/v1/contacts",
        json={
            "first_name": " Dana ",
            "email": "Dana@Example.COM",
            "phone": "(512) 555-0123",
            "state": "tx",
            "tags": ["buyer", "buyer"],
            "consent": {"sms": "opted_in"},
        },
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["merged"] is False and body["id"].startswith("c_")
    assert (body["first_name"], body["email"], body["phone"], body["state"]) == (
        "Dana",
        "dana@example.com",
        "+15125550123",
        "TX",
    )
    assert body["tags"] == ["buyer"]
    shown = client.get(f"/api/v1/contacts/{body['id']}").json()
    assert shown["phone"] == "+15125550123" and shown["consent"] == {"sms": "opted_in"}


def test_a_second_lead_with_the_same_email_or_phone_merges(client: ApiClient) -> None:
    first = client.post(
        "/api/v1/contacts", json={"email": "a@example.com", "consent": {"sms": "opted_out"}}
    ).json()
    again = client.post(
        "/api/v1/contacts",
        json={"email": "A@example.com", "first_name": "Ann", "consent": {"sms": "opted_in"}},
    )
    assert again.status_code == 200 and again.json()["merged"] is True
    assert again.json()["id"] == first["id"]
    assert again.json()["first_name"] == "Ann"
    assert again.json()["consent"] == {"sms": "opted_out"}  # an opt-out is never undone
    by_phone = client.post(
        "/api/v1/contacts", json={"phone": "+1 512 555 0199", "tags": ["seller"]}
    ).json()
    merged = client.post("/api/v1/contacts", json={"phone": "512-555-0199", "tags": ["vip"]})
    assert merged.json()["id"] == by_phone["id"] and merged.json()["tags"] == ["seller", "vip"]
    assert len(client.get("/api/v1/contacts").json()["items"]) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"state": "Texas"}, "state"),
        ({"owner": "nobody"}, "owner"),
    ],
)
def test_bad_input_names_the_field(client: ApiClient, body: dict[str, str], field: str) -> None:
    problem = assert_problem(client.post("/api/v1/contacts", json=body), 422)
    assert str(problem["detail"]).startswith(f"{field}:")
    assert client.get("/api/v1/contacts").json()["items"] == []  # nothing written


def test_unknown_and_badly_typed_fields_are_refused(client: ApiClient) -> None:
    problem = assert_problem(client.post("/api/v1/contacts", json={"nickname": "x"}), 422)
    assert problem["errors"] == [
        {"field": "body.nickname", "problem": "Extra inputs are not permitted"}
    ]
    problem = assert_problem(
        client.post("/api/v1/contacts", json={"consent": {"sms": "maybe"}}), 422
    )
    assert [e["field"] for e in problem["errors"]] == ["body.consent"]  # type: ignore[union-attr]


def test_update_changes_only_what_is_sent(client: ApiClient) -> None:
    made = client.post("/api/v1/contacts", json={"first_name": "Lee", "stage": "new"}).json()
    changed = client.patch(f"/api/v1/contacts/{made['id']}", json={"stage": "hot"})
    assert changed.status_code == 200
    assert (changed.json()["first_name"], changed.json()["stage"]) == ("Lee", "hot")
    assert_problem(client.patch("/api/v1/contacts/c_missing", json={"stage": "x"}), 404)


def test_list_filters_and_pages(client: ApiClient) -> None:
    for i in range(7):
        client.post(
            "/api/v1/contacts",
            json={
                "first_name": f"Lead{i}",
                "email": f"l{i}@example.com",
                "stage": "hot" if i % 2 else "new",
                "tags": ["buyer"] if i < 3 else [],
            },
        )
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 3} | ({"after": after} if after else {})
        page = client.get("/api/v1/contacts", params=params).json()
        seen += [c["id"] for c in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert len(seen) == 7 == len(set(seen)) and seen == sorted(seen)
    hot = client.get("/api/v1/contacts", params={"stage": "hot"}).json()["items"]
    assert len(hot) == 3
    assert len(client.get("/api/v1/contacts", params={"tag": "buyer"}).json()["items"]) == 3
    found = client.get("/api/v1/contacts", params={"q": "lead4"}).json()["items"]
    assert [c["first_name"] for c in found] == ["Lead4"]
    by_mail = client.get("/api/v1/contacts", params={"email": "L5@EXAMPLE.com"}).json()["items"]
    assert [c["first_name"] for c in by_mail] == ["Lead5"]
    assert_problem(client.get("/api/v1/contacts", params={"limit": 0}), 422)


def test_agents_see_and_create_only_their_own_leads(
    client: ApiClient, agent_ann: ApiClient, agent_bob: ApiClient, manager: ApiClient
) -> None:
    mine = agent_ann.post("/api/v1/contacts", json={"first_name": "Mine"}).json()
    assert mine["owner"] == "ann"
    bobs = agent_bob.post("/api/v1/contacts", json={"first_name": "Bobs"}).json()
    orphan = client.post("/api/v1/contacts", json={"first_name": "Unassigned"}).json()
    assert [c["first_name"] for c in agent_ann.get("/api/v1/contacts").json()["items"]] == ["Mine"]
    assert_problem(agent_ann.get(f"/api/v1/contacts/{bobs['id']}"), 404)
    assert_problem(agent_ann.patch(f"/api/v1/contacts/{bobs['id']}", json={"stage": "x"}), 404)
    assert_problem(agent_ann.post("/api/v1/contacts", json={"owner": "bob"}), 422)
    # The manager's team (north) holds ann, bob and max: their leads, not the unassigned one.
    team = {c["first_name"] for c in manager.get("/api/v1/contacts").json()["items"]}
    assert team == {"Mine", "Bobs"}
    assert_problem(manager.get(f"/api/v1/contacts/{orphan['id']}"), 404)
    everyone = {c["first_name"] for c in client.get("/api/v1/contacts").json()["items"]}
    assert everyone == {"Mine", "Bobs", "Unassigned"}
    assert_problem(agent_ann.patch(f"/api/v1/contacts/{mine['id']}", json={"owner": "bob"}), 403)
    moved = manager.patch(f"/api/v1/contacts/{mine['id']}", json={"owner": "bob"})
    assert moved.status_code == 200 and moved.json()["owner"] == "bob"
    assert agent_ann.get("/api/v1/contacts").json()["items"] == []


def test_merge_cancels_the_duplicates_live_runs(client: ApiClient, db_url: str) -> None:
    keep = client.post("/api/v1/contacts", json={"first_name": "Keep", "email": "k@example.com"})
    dupe = client.post(
        "/api/v1/contacts",
        json={"last_name": "Dupe", "phone": "+15125550111", "consent": {"sms": "opted_out"}},
    )
    keep_id, dupe_id = keep.json()["id"], dupe.json()["id"]
    store = open_store(db_url)
    try:
        store.enroll([EnrollRequest("wf", 1, dupe_id, "start")], 0.0)
    finally:
        store.close()
    merged = client.post(f"/api/v1/contacts/{keep_id}/merge", json={"duplicate_ids": [dupe_id]})
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["merged_ids"] == [dupe_id] and body["cancelled_runs"] == 1
    survivor = body["contact"]
    assert (survivor["last_name"], survivor["phone"]) == ("Dupe", "+15125550111")
    assert survivor["consent"] == {"sms": "opted_out"}
    old = client.get(f"/api/v1/contacts/{dupe_id}").json()
    assert old["stage"] == "merged" and old["fields"]["merged_into"] == keep_id
    runs = client.get("/api/v1/runs", params={"contact_id": dupe_id}).json()["items"]
    assert [r["status"] for r in runs] == ["cancelled"]
    assert_problem(
        client.post(f"/api/v1/contacts/{keep_id}/merge", json={"duplicate_ids": [keep_id]}), 422
    )


def test_import_is_all_or_nothing_and_merges(client: ApiClient, agent_ann: ApiClient) -> None:
    good = "ContactKey,FirstName,Email,MobilePhone\nk1,Ann,ann@example.com,5125550100\n"
    bad = good + "k2,Bad,not-an-email,\n"
    problem = assert_problem(
        client.post("/api/v1/contacts/import", content=bad, headers={"content-type": "text/csv"}),
        422,
    )
    assert "line 3" in str(problem["detail"])
    assert problem["errors"] == [  # each rejected row, not only inside the detail text
        {"field": "line 3", "problem": ANY}
    ]
    assert client.get("/api/v1/contacts").json()["items"] == []
    done = client.post(
        "/api/v1/contacts/import",
        content=good + "k3,Ann again,ANN@example.com,\n",
        headers={"content-type": "text/csv"},
    )
    assert done.status_code == 200, done.text
    assert (done.json()["inserted"], done.json()["merged"]) == (1, 1)
    [only] = client.get("/api/v1/contacts").json()["items"]
    assert only["phone"] == "+15125550100" and only["fields"]["ContactKey"] == "k1"
    skipped = client.post(
        "/api/v1/contacts/import",
        params={"skip_invalid": "true"},
        content=bad.replace("ann@example.com,5125550100", "zed@example.com,5125550177"),
        headers={"content-type": "text/csv"},
    )
    assert skipped.json()["inserted"] == 1 and [r["line"] for r in skipped.json()["rejected"]] == [
        3
    ]
    assert_problem(
        agent_ann.post(
            "/api/v1/contacts/import", content=good, headers={"content-type": "text/csv"}
        ),
        403,
    )


def test_import_reads_plain_column_names_and_says_how(client: ApiClient) -> None:
    csv = "Contact ID,First Name,Cell,State,Zip,Phone 2\nk7,Cy,512 555 0177,tx,78704,\n"
    headers = {"content-type": "text/csv"}
    refused = assert_problem(
        client.post("/api/v1/contacts/import", content=csv, headers=headers), 422
    )
    assert (
        "'Phone 2'" in str(refused["detail"])
        and client.get("/api/v1/contacts").json()["items"] == []
    )
    done = client.post(
        "/api/v1/contacts/import",
        params={"allow_custom_columns": "true"},
        content=csv,
        headers=headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["columns"] == {
        "Contact ID": "ContactKey",
        "First Name": "FirstName",
        "Cell": "MobilePhone",
        "State": "StateOrProvince",
        "Zip": "PostalCode (custom field)",
        "Phone 2": "custom",
    }
    [cy] = client.get("/api/v1/contacts").json()["items"]
    assert (cy["phone"], cy["state"], cy["fields"]["PostalCode"]) == ("+15125550177", "TX", "78704")


def test_every_bad_value_of_a_contact_is_named_at_once(client: ApiClient) -> None:
    problem = assert_problem(
        client.post(
            "/api/v1/contacts",
            json={"first_name": "Zed", "email": "not-an-email", "phone": "12", "state": "Texas"},
        ),
        422,
    )
    assert [e["field"] for e in problem["errors"]] == ["email", "phone", "state"]  # type: ignore[union-attr]
    assert client.get("/api/v1/contacts").json()["items"] == []


def test_import_takes_a_csv_uploaded_as_a_form_file(client: ApiClient) -> None:
    csv = "ContactKey,FirstName,MobilePhone\nu1,Uma,5125550101\nu2,Ugo,5125550102\n"
    done = client.post(
        "/api/v1/contacts/import",
        files={"file": ("leads.csv", csv.encode("utf-8-sig"), "text/csv")},
    )
    assert done.status_code == 200, done.text
    assert done.json()["inserted"] == 2
    names = sorted(c["first_name"] for c in client.get("/api/v1/contacts").json()["items"])
    assert names == ["Ugo", "Uma"]
    utf16 = client.post(
        "/api/v1/contacts/import",
        files={
            "file": (
                "x.csv",
                "ContactKey,FirstName,Email\nu3,Úrsula,u3@example.com\n".encode("utf-16"),
                "text/csv",
            )
        },
    )
    assert utf16.status_code == 200, utf16.text
    names = {c["first_name"] for c in client.get("/api/v1/contacts").json()["items"]}
    assert "Úrsula" in names  # read as UTF-16, not mojibake
    no_file = assert_problem(
        client.post("/api/v1/contacts/import", files={"other": ("x.csv", b"a", "text/csv")}), 422
    )
    assert no_file["errors"] == [{"field": "body.file", "problem": "missing"}]
    zipped = client.post(
        "/api/v1/contacts/import", files={"file": ("x.xlsx", b"PK\x03\x04rest", "text/csv")}
    )
    assert "spreadsheet" in str(assert_problem(zipped, 422)["detail"])
    nul = client.post(
        "/api/v1/contacts/import", files={"file": ("x.csv", b"ContactKey\nu\x004\n", "text/csv")}
    )
    assert assert_problem(nul, 422)["errors"][0]["field"] == "body.file"  # type: ignore[index]
    assert len(client.get("/api/v1/contacts").json()["items"]) == 3  # nothing else went in


def test_import_without_contact_keys_makes_them_and_merges_by_email(client: ApiClient) -> None:
    csv = "First Name,Email\nZoe,zoe@example.com\nZoe again,ZOE@example.com\n"
    done = client.post("/api/v1/contacts/import", content=csv, headers={"content-type": "text/csv"})
    assert done.status_code == 200, done.text
    assert (done.json()["inserted"], done.json()["merged"]) == (1, 1)
    assert done.json()["columns"]["ContactKey"] == "generated"
    [zoe] = client.get("/api/v1/contacts").json()["items"]
    assert zoe["first_name"] == "Zoe" and "ContactKey" not in zoe["fields"]  # filled, not replaced


def test_create_and_trigger_records_lead_created_once_per_lead(
    client: ApiClient, app: FastAPI, db_url: str
) -> None:
    lead = {"first_name": "Kim", "email": "kim@example.com", "fields": {"LeadSource": "zillow"}}
    made = client.post("/api/v1/contacts", params={"emit": "lead.created"}, json=lead)
    assert made.status_code == 201, made.text
    first = made.json()
    assert isinstance(first["event_id"], int) and first["event_duplicate"] is False
    events = client.get("/api/v1/events", params={"contact_id": first["id"]}).json()["items"]
    assert [(e["id"], e["type"], e["data"]["source"]) for e in events] == [
        (first["event_id"], "lead.created", "zillow")
    ]
    # the portal sends it again (or the client retries): merged, and no second event
    again = client.post("/api/v1/contacts", params={"emit": "lead.created"}, json=lead).json()
    assert (again["id"], again["merged"]) == (first["id"], True)
    assert (again["event_id"], again["event_duplicate"]) == (first["event_id"], True)
    events = client.get("/api/v1/events", params={"contact_id": first["id"]}).json()["items"]
    assert len(events) == 1
    # an alias is mapped; a word outside the vocabulary is refused before anything is saved
    refused = client.post(
        "/api/v1/contacts", params={"emit": "lead.creatd"}, json={"email": "x@example.com"}
    )
    assert assert_problem(refused, 422)["errors"][0]["field"] == "query.emit"  # type: ignore[index]
    assert client.get("/api/v1/contacts", params={"email": "x@example.com"}).json()["items"] == []
    # another tenant posting the same lead gets its own contact and its own event
    other = admin_key(db_url, tenant="other")
    with ApiClient(app, headers={"Authorization": f"Bearer {other}"}) as theirs:
        mine = theirs.post("/api/v1/contacts", params={"emit": "lead.created"}, json=lead).json()
    assert mine["id"] != first["id"] and mine["event_duplicate"] is False
    assert mine["event_id"] != first["event_id"]


def test_reso_contact_names_are_accepted_as_the_csv_reads_them(client: ApiClient) -> None:
    body = {
        "FirstName": "Rae",
        "LastName": "Lo",
        "MobilePhone": "(512) 555-0142",
        "StateOrProvince": "TX",
    }
    made = client.post("/api/v1/contacts", json=body)
    assert made.status_code == 201, made.text
    shown = made.json()
    assert (shown["first_name"], shown["last_name"], shown["phone"], shown["state"]) == (
        "Rae", "Lo", "+15125550142", "TX"
    )  # fmt: skip
    changed = client.patch(f"/api/v1/contacts/{shown['id']}", json={"ContactStatus": "nurture"})
    assert changed.json()["stage"] == "nurture"
    both = client.post(
        "/api/v1/contacts", json={"FirstName": "A", "first_name": "B", "email": "a@b.co"}
    )
    assert [e["field"] for e in assert_problem(both, 422)["errors"]] == ["body.FirstName"]  # type: ignore[union-attr]
    bad = client.post("/api/v1/contacts", json={"Email": "not-an-email"})
    assert "email" in str(assert_problem(bad, 422)["errors"]).lower()
