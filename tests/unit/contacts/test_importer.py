from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.contacts import (
    US_STATE_TIME_ZONES,
    ImportResult,
    RejectedRow,
    infer_time_zone,
    parse_contacts_csv,
)
from leadflow.errors import InvalidInput
from leadflow.model.records import Contact

NOW = 1_700_000_000.0
HEADER = (
    "ContactKey,FirstName,LastName,Email,MobilePhone,TimeZone,StateOrProvince,"
    "OwnerMemberKey,ContactStatus,Tags,SmsConsent,EmailConsent,LeadSource"
)


def parse_text(text: str, **kwargs: str) -> ImportResult:
    return parse_contacts_csv(io.StringIO(text, newline=""), now=NOW, **kwargs)


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_bytes(data)
    return path


def test_valid_file_maps_every_column(tmp_path: Path) -> None:
    text = csv_of(
        "c-1,Ann,Lee,Ann.Lee@EXAMPLE.com,(212) 555-0123,America/New_York,ny,"
        'agent-7,Active,"buyer; hot, buyer",yes,opted_out,Zillow',
        "c-2,Bob,,,+1 415 555 0199,,CA,,,,,,",
    )
    result = parse_contacts_csv(write(tmp_path, text.encode()), now=NOW)
    assert result.rejected == []
    ann, bob = result.contacts
    assert ann == Contact(
        id="c-1",
        first_name="Ann",
        last_name="Lee",
        email="Ann.Lee@example.com",
        phone="+12125550123",
        time_zone="America/New_York",
        state="NY",
        owner="agent-7",
        stage="Active",
        tags=["buyer", "hot"],
        fields={"LeadSource": "Zillow"},
        consent={"sms": "opted_in", "email": "opted_out", "voice": "unknown"},
        created_at=NOW,
        updated_at=NOW,
    )
    assert bob.email is None and bob.last_name is None and bob.owner is None
    assert bob.time_zone == "America/Los_Angeles"  # inferred from the state
    assert bob.consent == {"sms": "unknown", "email": "unknown", "voice": "unknown"}
    assert bob.tags == [] and bob.fields == {}


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (
            "c-1,,,,555-01,,,,,,,,",
            "MobilePhone: '555-01' is not a valid phone number",
        ),
        (
            "c-1,,,not-an-email,,,,,,,,,",
            "Email: 'not-an-email' is not a valid e-mail address",
        ),
        (
            "c-1,,,a@example.com,,Mars/Olympus_Mons,,,,,,,",
            "TimeZone: 'Mars/Olympus_Mons' is not an IANA time zone",
        ),
        (
            "c-1,,,a@example.com,,,ZZ,,,,,,",
            "StateOrProvince: 'ZZ' is not a US state or territory code",
        ),
        (
            "c-1,,,a@example.com,,,,,,,maybe,,",
            "SmsConsent: 'maybe' is not opted_in, opted_out or unknown",
        ),
        (",Ann,,a@example.com,,,,,,,,,", "ContactKey: is empty"),
        ("c-1,Ann,Lee,,,,,,,,,,", "MobilePhone/Email: a phone or an e-mail is required"),
        ("c-1,,,a@example.com,,,,,,,,,,extra", "the row has 14 cells but the header has 13"),
    ],
)
def test_each_rejection_names_column_and_line(cells: str, reason: str) -> None:
    good = "c-0,,,ok@example.com,,,,,,,,,"
    result = parse_text(csv_of(good, "", cells))  # header, good row, blank line, bad row
    assert [c.id for c in result.contacts] == ["c-0"]
    assert len(result.rejected) == 1
    assert result.rejected[0].line == 4
    assert result.rejected[0].reason.startswith(reason)


def test_all_problems_of_a_row_are_reported_together() -> None:
    result = parse_text(csv_of("c-1,,,bad@,12,Nowhere,QQ,,,,,,"))
    (rejected,) = result.rejected
    for column in ("Email:", "MobilePhone:", "TimeZone:", "StateOrProvince:"):
        assert column in rejected.reason


def test_line_numbers_are_physical_lines_with_multiline_cells() -> None:
    text = csv_of(
        'c-1,"Ann\nMarie",,a@example.com,,,,,,,,,',  # lines 2-3
        "c-2,,,,12,,,,,,,,",  # line 4
    )
    result = parse_text(text)
    assert result.contacts[0].first_name == "Ann\nMarie"
    assert result.rejected == [RejectedRow(4, "MobilePhone: '12' is not a valid phone number")]


def test_crlf_line_endings(tmp_path: Path) -> None:
    text = csv_of("c-1,,,a@example.com,,,,,,,,,", "c-2,,,,12,,,,,,,,").replace("\n", "\r\n")
    result = parse_contacts_csv(write(tmp_path, text.encode()), now=NOW)
    assert [c.id for c in result.contacts] == ["c-1"]
    assert [r.line for r in result.rejected] == [3]


def test_duplicate_keys_name_the_first_line() -> None:
    result = parse_text(
        csv_of(
            "c-1,,,a@example.com,,,,,,,,,",
            "c-2,,,b@example.com,,,,,,,,,",
            "c-1,,,c@example.com,,,,,,,,,",
        )
    )
    assert [c.id for c in result.contacts] == ["c-1", "c-2"]
    assert result.rejected == [RejectedRow(4, "ContactKey: 'c-1' duplicates the key on line 2")]


def test_bom_is_handled_for_paths_and_streams(tmp_path: Path) -> None:
    text = csv_of("c-1,,,a@example.com,,,,,,,,,")
    from_path = parse_contacts_csv(write(tmp_path, codecs.BOM_UTF8 + text.encode()), now=NOW)
    from_stream = parse_text("\ufeff" + text)
    assert [c.id for c in from_path.contacts] == [c.id for c in from_stream.contacts] == ["c-1"]
    assert "\ufeffContactKey" not in from_path.contacts[0].fields


def test_utf16_with_bom(tmp_path: Path) -> None:
    text = csv_of("c-1,José,,a@example.com,,,,,,,,,")
    result = parse_contacts_csv(write(tmp_path, text.encode("utf-16")), now=NOW)
    assert result.contacts[0].first_name == "José"


def test_without_a_contact_key_column_the_keys_are_left_to_the_caller() -> None:
    result = parse_text("FirstName,Email\nAnn,a@example.com\n")
    assert [(c.id, c.email) for c in result.contacts] == [("", "a@example.com")]
    assert result.columns["ContactKey"] == "generated"
    with pytest.raises(InvalidInput, match="no ContactKey, e-mail or phone column"):
        parse_text("FirstName,City\nAnn,Austin\n")


def test_an_empty_key_in_a_file_with_the_column_is_a_rejected_row() -> None:
    result = parse_text("ContactKey,Email\n,a@example.com\nk2,b@example.com\n")
    assert [c.id for c in result.contacts] == ["k2"]
    assert [(r.line, "ContactKey: is empty" in r.reason) for r in result.rejected] == [(2, True)]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd",
        b"PK\x03\x04\x14\x00\x06\x00",  # an .xlsx
        b'{"contacts": [{"id": 1}]}',
        b'ContactKey,Email\nc-1,"unterminated\n',
        b"ContactKey,Email\nc-1,caf\xe9@example.com\n",  # latin-1, not UTF-8
        b"ContactKey,Email,Email\nc-1,a@example.com,b@example.com\n",  # ambiguous header
    ],
)
def test_not_a_usable_csv_raises_invalid_input(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_contacts_csv(write(tmp_path, data), now=NOW)


def test_missing_file_and_binary_stream_raise_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        parse_contacts_csv(tmp_path / "nope.csv", now=NOW)
    with pytest.raises(InvalidInput, match="text"):
        parse_contacts_csv(io.BytesIO(b"ContactKey\nc-1\n"), now=NOW)  # type: ignore[arg-type]


def test_unknown_default_region() -> None:
    with pytest.raises(InvalidInput, match="default_region"):
        parse_text(csv_of(), default_region="XX")


def test_custom_fields_and_unused_alternates_are_kept() -> None:
    header = "contactkey,EMAIL,MobilePhone,HomePhone,Budget,Pre-Approved,Notes,,Stage"
    result = parse_text(
        csv_of("c-1,a@example.com,2125550123,2125550188,500000,yes,,,Lead", header=header)
    )
    (contact,) = result.contacts
    assert contact.email == "a@example.com"  # known names match case-insensitively
    assert contact.phone == "+12125550123"
    assert contact.stage == "Lead"
    assert contact.fields == {"HomePhone": "2125550188", "Budget": "500000", "Pre-Approved": "yes"}


def test_fallback_columns_are_used_when_the_primary_is_empty() -> None:
    header = "ContactKey,Email,Email2,MobilePhone,HomePhone,HomeStateOrProvince,OwnerKey"
    (contact,) = parse_text(
        csv_of("c-1,,b@example.com,,(303) 555-0100,co,agent-2", header=header)
    ).contacts
    assert contact.email == "b@example.com"
    assert contact.phone == "+13035550100"
    assert contact.state == "CO"
    assert contact.owner == "agent-2"
    assert contact.time_zone == "America/Denver"


def test_semicolon_delimited_file() -> None:
    result = parse_text("ContactKey;Email;Tags\nc-1;a@example.com;a,b\n")
    assert result.contacts[0].tags == ["a", "b"]


def test_blank_rows_are_skipped_without_rejection() -> None:
    result = parse_text(csv_of(",,,,,,,,,,,,", "", "c-1,,,a@example.com,,,,,,,,,"))
    assert [c.id for c in result.contacts] == ["c-1"] and result.rejected == []


def test_consent_values() -> None:
    header = "ContactKey,Email,SmsConsent,EmailConsent,VoiceConsent"
    rows = ["c-1,a@example.com,OPTED_IN,No,true", "c-2,b@example.com,false,Unknown,"]
    one, two = parse_text(csv_of(*rows, header=header)).contacts
    assert one.consent == {"sms": "opted_in", "email": "opted_out", "voice": "opted_in"}
    assert two.consent == {"sms": "opted_out", "email": "unknown", "voice": "unknown"}


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(212) 555-0123", "US", "+12125550123"),
        ("212.555.0123", "US", "+12125550123"),
        ("1-212-555-0123", "US", "+12125550123"),
        ("+1 (212) 555 0123", "US", "+12125550123"),
        ("2125550123", "US", "+12125550123"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("(416) 555-0199", "CA", "+14165550199"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, region: str, e164: str) -> None:
    text = csv_of(f'c-1,,,,"{raw}",,,,,,,,')
    result = parse_text(text, default_region=region)
    assert result.rejected == []
    assert result.contacts[0].phone == e164


@pytest.mark.parametrize(
    ("row", "zone"),
    [
        ("c-1,,,,(312) 555-0100,,,,,,,,", "America/Chicago"),  # from the phone's area code
        ("c-1,,,,(312) 555-0100,,AZ,,,,,,", "America/Phoenix"),  # the state wins
        ("c-1,,,,(312) 555-0100,pacific/honolulu,AZ,,,,,,", "Pacific/Honolulu"),  # given
        ("c-1,,,,(800) 555-0100,,,,,,,,", None),  # toll-free: many zones
        ("c-1,,,a@example.com,,,,,,,,,", None),  # nothing to go by
    ],
)
def test_time_zone_inference(row: str, zone: str | None) -> None:
    (contact,) = parse_text(csv_of(row)).contacts
    assert contact.time_zone == zone


def test_infer_time_zone_helper() -> None:
    assert infer_time_zone(Contact(id="x", time_zone="Europe/Paris", state="TX")) == "Europe/Paris"
    assert infer_time_zone(Contact(id="x", state="tx")) == "America/Chicago"
    assert infer_time_zone(Contact(id="x", phone="+13035550100")) == "America/Denver"
    assert infer_time_zone(Contact(id="x", phone="(303) 555-0100")) == "America/Denver"
    assert infer_time_zone(Contact(id="x", phone="not a phone")) is None
    assert infer_time_zone(Contact(id="x")) is None


def test_state_table_covers_states_dc_and_territories() -> None:
    assert len(US_STATE_TIME_ZONES) == 56
    assert {"DC", "PR", "GU", "VI", "AS", "MP"} <= set(US_STATE_TIME_ZONES)


@pytest.mark.hypothesis_heavy
@settings(max_examples=300, deadline=None, database=None)
@given(st.text())
def test_arbitrary_text_raises_nothing_but_invalid_input(text: str) -> None:
    try:
        result = parse_text(text)
    except InvalidInput:
        return
    assert all(isinstance(c, Contact) for c in result.contacts)


@pytest.mark.hypothesis_heavy
@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.lists(st.text(max_size=30), min_size=0, max_size=15), max_size=6))
def test_arbitrary_cells_under_a_valid_header(rows: list[list[str]]) -> None:
    import csv

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    buffer.seek(0)
    try:
        result = parse_contacts_csv(buffer, now=NOW)
    except InvalidInput:
        return
    for contact in result.contacts:
        assert contact.id and (contact.phone or contact.email)
    assert all(r.line >= 2 for r in result.rejected)


@pytest.mark.parametrize(
    ("header", "read_as"),
    [
        ("Phone", "MobilePhone"),
        ("cell phone", "MobilePhone"),
        ("MOBILE", "MobilePhone"),
        ("phone_number", "MobilePhone"),
        ("First Name", "FirstName"),
        ("first_name", "FirstName"),
        ("Surname", "LastName"),
        ("E-mail", "Email"),
        ("email address", "Email"),
        ("State", "StateOrProvince"),
        ("Owner", "OwnerMemberKey"),
        ("Zip", "PostalCode (custom field)"),
        ("zip code", "PostalCode (custom field)"),
        ("City", "City (custom field)"),
        ("Budget", "custom"),
    ],
)
def test_common_column_names_are_read_as_the_reso_column(header: str, read_as: str) -> None:
    result = parse_contacts_csv(io.StringIO(f"ContactKey,{header}\n"), now=NOW)
    assert result.columns[header] == read_as


def test_a_crm_export_with_plain_names_keeps_phone_and_state() -> None:
    text = "Contact Key,First Name,Phone,City,State,Zip\nc1,Dana,(512) 555-0123,Austin,tx,78704\n"
    (contact,) = parse_contacts_csv(io.StringIO(text), now=NOW).contacts
    assert (contact.first_name, contact.phone, contact.state) == ("Dana", "+15125550123", "TX")
    assert contact.fields == {"City": "Austin", "PostalCode": "78704"}
    assert contact.time_zone == "America/Chicago"  # the state is read, so the zone follows


def test_a_column_that_looks_known_but_is_not_is_refused_unless_allowed() -> None:
    text = "ContactKey,Email,Phone 2,Full Name\nc1,a@example.com,5125550123,Dana Q\n"
    with pytest.raises(InvalidInput) as refused:
        parse_contacts_csv(io.StringIO(text), now=NOW)
    assert "'Phone 2', 'Full Name'" in refused.value.message
    assert "--allow-custom-columns" in refused.value.message
    (contact,) = parse_contacts_csv(io.StringIO(text), now=NOW, allow_custom_columns=True).contacts
    assert contact.fields == {"Phone 2": "5125550123", "Full Name": "Dana Q"}


def test_a_column_given_twice_under_two_names_is_refused() -> None:
    with pytest.raises(InvalidInput, match="column 'MobilePhone' twice \\(as 'Cell'\\)"):
        parse_contacts_csv(io.StringIO("ContactKey,MobilePhone,Cell\n"), now=NOW)
