"""``leadflow contacts import`` (RESO Contact CSV) and ``contacts list``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cli import ISO_Z, Leadflow, assert_fails, squash, write_csv

GOOD = [
    ["c1", "Ann", "Lee", "ann@example.com", "+1 415 555 0101", "America/Los_Angeles", "CA"],
    ["c2", "Bob", "Ray", "Bob@Example.com", "(212) 555-0102", "", "NY"],
    ["c3", "Cat", "Ng", "cat@example.com", "312-555-0103", "america/chicago", "IL"],
]
# The header is line 1: the bad phone is on line 3, the bad e-mail on line 5.
WITH_BAD_ROWS = [
    GOOD[0],
    ["c2", "Bob", "Ray", "bob@example.com", "12345", "", "NY"],
    GOOD[2],
    ["c4", "Dan", "Oh", "not-an-email", "617-555-0104", "", "MA"],
    ["c5", "Eve", "Po", "eve@example.com", "206-555-0106", "", "WA"],
]
CONTACT_FIELDS = {
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "time_zone",
    "state",
    "owner",
    "stage",
    "tags",
    "fields",
    "consent",
    "created_at",
    "updated_at",
}


@pytest.fixture
def db(lf: Leadflow) -> Leadflow:
    lf.init()
    return lf


def test_import_then_list_json_with_normalised_values(db: Leadflow, tmp_path: Path) -> None:
    result = db.ok("contacts", "import", write_csv(tmp_path / "leads.csv", GOOD))
    assert "imported 3 new, 0 updated, 0 rejected" in squash(result.stdout)
    contacts = {c["id"]: c for c in db.json("contacts", "list")}
    assert list(contacts) == ["c1", "c2", "c3"]
    for c in contacts.values():
        assert set(c) >= CONTACT_FIELDS
        assert ISO_Z.match(c["created_at"]) and ISO_Z.match(c["updated_at"])
    assert contacts["c1"]["phone"] == "+14155550101"  # stored E.164
    assert contacts["c2"]["phone"] == "+12125550102"
    assert contacts["c2"]["email"] == "Bob@example.com"  # domain normalised
    assert contacts["c2"]["time_zone"] == "America/New_York"  # inferred from the state
    assert contacts["c3"]["time_zone"] == "America/Chicago"  # any letter case
    assert contacts["c1"]["first_name"] == "Ann" and contacts["c1"]["last_name"] == "Lee"
    assert contacts["c1"]["state"] == "CA"


def test_contacts_list_table(db: Leadflow, tmp_path: Path) -> None:
    db.ok("contacts", "import", write_csv(tmp_path / "leads.csv", GOOD))
    out = db.ok("contacts", "list").stdout
    for text in ("c1", "Ann Lee", "+14155550101", "America/Los_Angeles", "contacts (3)"):
        assert text in out


def test_reimport_updates_instead_of_duplicating(db: Leadflow, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", GOOD)
    db.ok("contacts", "import", path)
    out = db.json("contacts", "import", path)
    assert out["inserted"] == 0 and out["updated"] == 3 and out["rejected"] == 0
    assert len(db.json("contacts", "list")) == 3


def test_rejected_rows_are_all_reported_with_line_and_nothing_is_imported(
    db: Leadflow, tmp_path: Path
) -> None:
    result = db("contacts", "import", write_csv(tmp_path / "leads.csv", WITH_BAD_ROWS))
    assert_fails(result, "2 row(s) rejected, nothing imported", "--skip-invalid")
    # The rejected rows are diagnostics: on stderr, stdout stays clean.
    err = squash(result.stderr)
    assert "line 3: MobilePhone: '12345' is not a valid phone number" in err
    assert "line 5: Email: 'not-an-email' is not a valid e-mail address" in err
    assert "line 2" not in err and "line 4" not in err and "line 6" not in err
    assert "line " not in result.stdout
    assert db.json("contacts", "list") == []


def test_skip_invalid_imports_the_valid_rows(db: Leadflow, tmp_path: Path) -> None:
    result = db.ok(
        "contacts", "import", write_csv(tmp_path / "leads.csv", WITH_BAD_ROWS), "--skip-invalid"
    )
    err, out = squash(result.stderr), squash(result.stdout)
    assert "line 3: MobilePhone:" in err and "line 5: Email:" in err
    assert "line 3" not in out and "line 5" not in out
    assert out == "imported 3 new, 0 updated, 2 rejected"
    assert [c["id"] for c in db.json("contacts", "list")] == ["c1", "c3", "c5"]


def test_import_json_output_is_one_document_with_the_rejected_rows(
    db: Leadflow, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "leads.csv", WITH_BAD_ROWS)
    result = db.ok("contacts", "import", path, "--skip-invalid", "--json")
    out = json.loads(result.stdout)  # stdout is exactly one JSON document
    assert out["inserted"] == 3 and out["updated"] == 0 and out["rejected"] == 2
    rows = out["rejected_rows"]
    assert [set(r) for r in rows] == [{"line", "reason"}] * 2
    assert [r["line"] for r in rows] == [3, 5]
    assert rows[0]["reason"].startswith("MobilePhone: '12345' is not a valid phone number")
    assert rows[1]["reason"].startswith("Email: 'not-an-email' is not a valid e-mail address")
    assert "line 3" not in result.stderr  # in --json mode only in the document
    assert [c["id"] for c in db.json("contacts", "list")] == ["c1", "c3", "c5"]
    # Nothing rejected: an empty list, not a missing key.
    again = db.json("contacts", "import", write_csv(tmp_path / "good.csv", GOOD[:1]))
    columns = again.pop("columns")  # each header and what it was read as
    assert again == {"inserted": 0, "updated": 1, "rejected": 0, "rejected_rows": []}
    assert columns["ContactKey"] == "ContactKey" and columns["MobilePhone"] == "MobilePhone"


def test_import_json_without_skip_invalid_reports_and_imports_nothing(
    db: Leadflow, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "leads.csv", WITH_BAD_ROWS)
    out = db.json("contacts", "import", path, expect_code=1)
    assert out["inserted"] == 0 and out["updated"] == 0 and out["rejected"] == 2
    assert [r["line"] for r in out["rejected_rows"]] == [3, 5]
    assert all(r["reason"] for r in out["rejected_rows"])
    assert db.json("contacts", "list") == []


def test_other_row_problems_are_reported_per_line(db: Leadflow, tmp_path: Path) -> None:
    rows = [
        GOOD[0],
        ["c1", "Dup", "", "dup@example.com", "", "", ""],  # line 3: duplicate key
        ["", "NoKey", "", "nokey@example.com", "", "", ""],  # line 4: no ContactKey
        ["c6", "NoReach", "", "", "", "", ""],  # line 5: neither phone nor e-mail
        ["c7", "Zone", "", "z@example.com", "", "Mars/Olympus", ""],  # line 6: bad zone
        ["c8", "State", "", "s@example.com", "", "", "ZZ"],  # line 7: bad state
    ]
    result = db("contacts", "import", write_csv(tmp_path / "leads.csv", rows))
    assert_fails(result, "5 row(s) rejected, nothing imported")
    out = squash(result.stderr)
    assert "line 3: ContactKey: 'c1' duplicates the key on line 2" in out
    assert "line 4: ContactKey: is empty" in out
    assert "line 5: MobilePhone/Email: a phone or an e-mail is required" in out
    assert "line 6: TimeZone: 'Mars/Olympus' is not an IANA time zone" in out
    assert "line 7: StateOrProvince: 'ZZ' is not a US state or territory code" in out
    assert db.json("contacts", "list") == []


def test_file_level_problems_are_clear_errors(db: Leadflow, tmp_path: Path) -> None:
    assert_fails(db("contacts", "import", tmp_path / "missing.csv"), "missing.csv", "not exist")
    no_key = write_csv(tmp_path / "nokey.csv", [["Ann", "Austin"]], ["Name", "City"])
    assert_fails(db("contacts", "import", no_key), "no ContactKey, e-mail or phone column")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert_fails(db("contacts", "import", empty), "empty")


def test_emit_lead_created_records_one_event_per_new_contact(db: Leadflow, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", GOOD[:2])
    db.ok("contacts", "import", path, "--emit", "lead.created")
    # No workflow is published, so the worker has exactly those events to process.
    assert db.worker("--until-idle")["events"] == 2
    # Importing the same people again (updates) emits nothing; one new contact emits one.
    db.ok("contacts", "import", write_csv(tmp_path / "more.csv", GOOD), "--emit", "lead.created")
    assert db.worker("--until-idle")["events"] == 1


def test_emit_with_rejected_rows_emits_nothing(db: Leadflow, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", WITH_BAD_ROWS)
    assert_fails(db("contacts", "import", path, "--emit", "lead.created"))
    assert db.worker("--until-idle")["events"] == 0


def test_imported_leads_enter_the_published_welcome_workflow(
    ready: Leadflow, tmp_path: Path
) -> None:
    ready.ok(
        "contacts", "import", write_csv(tmp_path / "leads.csv", GOOD), "--emit", "lead.created"
    )
    ready.worker("--until-idle")
    runs = ready.runs()
    assert sorted(r["contact_id"] for r in runs) == ["c1", "c2", "c3"]
    assert {r["workflow_key"] for r in runs} == {"new-lead-welcome"}


def test_a_crm_export_with_plain_column_names_imports_phone_and_state(
    db: Leadflow, tmp_path: Path
) -> None:
    csv = tmp_path / "crm.csv"
    csv.write_text(
        "Contact Key,First Name,Phone,City,State,Zip,Phone 2\n"
        "c9,Dana,512 555 0199,Austin,TX,78704,\n"
    )
    assert_fails(db("contacts", "import", csv), "'Phone 2' look like a known field")
    done = db.ok("contacts", "import", csv, "--allow-custom-columns")
    said = squash(done.stderr)
    assert "Phone -> MobilePhone" in said and "Zip -> PostalCode (custom field)" in said
    assert "Phone 2 -> custom" in said
    (dana,) = [c for c in db.json("contacts", "list") if c["id"] == "c9"]
    assert (dana["phone"], dana["state"]) == ("+15125550199", "TX")


def test_a_file_without_contact_keys_gets_keys_and_imports_again_as_updates(
    db: Leadflow, tmp_path: Path
) -> None:
    rows = [
        ["Ann", "ann@example.com", ""],
        ["Bob", "", "512-555-0102"],
        ["Ann B", "ANN@example.com", ""],
    ]
    path = write_csv(tmp_path / "crm.csv", rows, ["First Name", "Email", "Phone"])
    first = db.json("contacts", "import", path)
    assert (first["inserted"], first["rejected"]) == (2, 0)  # Ann twice in one file: one lead
    assert first["columns"]["ContactKey"] == "generated"
    made = {c["id"]: c for c in db.json("contacts", "list")}
    assert len(made) == 2 and all(key.startswith("c_") for key in made)
    again = db.json("contacts", "import", path)
    assert (again["inserted"], again["updated"]) == (0, 2)  # found by e-mail and by phone
    assert set(c["id"] for c in db.json("contacts", "list")) == set(made)
