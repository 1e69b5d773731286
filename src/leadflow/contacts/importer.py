"""CSV import of contacts, with RESO Contact column names.

One row becomes one :class:`~leadflow.model.records.Contact`, or one :class:`RejectedRow` naming
the physical line (the header is line 1; a row whose quoted cell spans lines is reported at its
first line) and every problem found in it. Problems with the file as a whole (unreadable, not
UTF-8/UTF-16, malformed quoting, no header) raise
:class:`~leadflow.errors.InvalidInput` instead.

Column mapping (header names match case-insensitively; for a field with several candidate
columns the first non-empty one in the order below is used, the others stay custom fields):

- ``ContactKey`` -> ``id`` (unique within the file; a row of a file with the column must have
  one; a file without it has its keys made by the caller: ``id`` is ``""`` here)
- ``FirstName`` / ``LastName`` -> ``first_name`` / ``last_name``
- ``Email``, ``PrimaryEmail``, ``Email2``, ``OtherEmail``, ``Email3`` -> ``email`` (validated
  without DNS, stored normalised)
- ``MobilePhone``, ``HomePhone``, ``WorkPhone``, ``OfficePhone``, ``DirectPhone`` -> ``phone``
  (must be a valid number; stored E.164)
- ``TimeZone`` -> ``time_zone`` (an IANA zone, any letter case; inferred when empty)
- ``StateOrProvince``, ``HomeStateOrProvince`` -> ``state`` (US state/DC/territory code)
- ``OwnerMemberKey``, ``OwnerKey``, ``OwnerMemberID`` -> ``owner``
- ``ContactStatus``, ``Stage`` -> ``stage``
- ``Tags`` (split on ``;`` or ``,``) -> ``tags``
- ``SmsConsent`` / ``EmailConsent`` / ``VoiceConsent`` -> ``consent["sms"|"email"|"voice"]``:
  opted_in/opted_out/unknown, also yes/no, y/n, true/false, 1/0; empty or no column: unknown
- any other non-empty column -> ``fields[column]`` (values are strings)

A row needs a phone or an e-mail. Cells are stripped; empty cells are ``None``/absent; rows whose
cells are all empty are skipped silently; cells under an unnamed header column are ignored.
An invalid value in any mapped column rejects the row. When ``TimeZone`` is empty the zone is
inferred with :func:`infer_time_zone` (state first, then the phone number's area code); it stays
``None`` when neither settles it. The delimiter is ``,`` unless the header line has none and has
``;`` or a tab.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import os
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, TextIO

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from leadflow.errors import InvalidInput
from leadflow.model.records import Contact

if TYPE_CHECKING:
    from _csv import Reader

# US states, DC and inhabited territories -> the IANA zone most of their people live in.
US_STATE_TIME_ZONES: dict[str, str] = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix",
    "AR": "America/Chicago", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DE": "America/New_York", "DC": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York",
    "LA": "America/Chicago", "ME": "America/New_York", "MD": "America/New_York",
    "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
    "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York",
    "NJ": "America/New_York", "NM": "America/Denver", "NY": "America/New_York",
    "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
    "PR": "America/Puerto_Rico", "VI": "America/St_Thomas", "GU": "Pacific/Guam",
    "AS": "Pacific/Pago_Pago", "MP": "Pacific/Saipan",
}  # fmt: skip

ID_COLUMN = "ContactKey"
EMAIL_COLUMNS = ("Email", "PrimaryEmail", "Email2", "OtherEmail", "Email3")
PHONE_COLUMNS = ("MobilePhone", "HomePhone", "WorkPhone", "OfficePhone", "DirectPhone")
STATE_COLUMNS = ("StateOrProvince", "HomeStateOrProvince")
OWNER_COLUMNS = ("OwnerMemberKey", "OwnerKey", "OwnerMemberID")
STAGE_COLUMNS = ("ContactStatus", "Stage")
CONSENT_COLUMNS = {"sms": "SmsConsent", "email": "EmailConsent", "voice": "VoiceConsent"}
_SIMPLE = {"first_name": ("FirstName",), "last_name": ("LastName",), "owner": OWNER_COLUMNS}
_SIMPLE |= {"stage": STAGE_COLUMNS}
_KNOWN = (
    ID_COLUMN, "FirstName", "LastName", "TimeZone", "Tags",
    *EMAIL_COLUMNS, *PHONE_COLUMNS, *STATE_COLUMNS, *OWNER_COLUMNS, *STAGE_COLUMNS,
    *CONSENT_COLUMNS.values(),
)  # fmt: skip
# Columns kept as custom fields under their RESO name when a file names them another way.
FIELD_COLUMNS = ("City", "PostalCode", "StreetAddress", "LeadSource")
# What people call the RESO columns: the header, lower case without spaces, "_", "-" or ".",
# -> the column it is. The RESO names themselves match the same way.
ALIASES: dict[str, str] = {
    **{a: ID_COLUMN for a in ("id", "contactid", "leadid", "key", "leadkey")},
    **{a: "FirstName" for a in ("first", "firstname", "givenname", "fname", "forename")},
    **{a: "LastName" for a in ("last", "lastname", "surname", "familyname", "lname")},
    **{a: "Email" for a in ("email", "emailaddress", "mail", "primaryemailaddress")},
    **{
        a: "MobilePhone"
        for a in (
            "phone", "phonenumber", "mobile", "mobilenumber", "cell", "cellphone",
            "cellnumber", "cellular", "tel", "telephone", "primaryphone",
        )
    },
    **{a: "HomePhone" for a in ("home", "homenumber", "landline")},
    **{a: "WorkPhone" for a in ("work", "businessphone", "workphonenumber")},
    **{a: "StateOrProvince" for a in ("state", "province", "stateprovince", "statecode")},
    **{a: "OwnerMemberKey" for a in ("owner", "agent", "assignedagent", "agentid", "ownerid")},
    **{a: "ContactStatus" for a in ("status", "leadstatus")},
    **{a: "TimeZone" for a in ("tz", "zone")},
    **{a: "Tags" for a in ("tag", "labels")},
    **{a: "SmsConsent" for a in ("smsoptin", "textconsent", "textoptin")},
    **{a: "EmailConsent" for a in ("emailoptin",)},
    **{a: "VoiceConsent" for a in ("calloptin", "voiceoptin")},
    **{a: "City" for a in ("city", "town")},
    **{a: "PostalCode" for a in ("zip", "zipcode", "postcode", "postalcode", "zip5")},
    **{a: "StreetAddress" for a in ("address", "street", "streetaddress", "address1")},
    **{a: "LeadSource" for a in ("source", "leadsource")},
}  # fmt: skip
# A header still holding one of these, once no name above matched, looks like a known field
# leadflow does not read ("Phone 2", "Full Name"): refused unless custom columns are allowed.
_LOOKS_KNOWN = (
    "phone", "mobile", "cell", "email", "mail", "state", "zip", "postal", "first", "last",
    "name", "owner", "agent", "consent", "optin", "timezone",
)  # fmt: skip


def _folded(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name).casefold()


_CANONICAL = {_folded(name): name for name in (*_KNOWN, *FIELD_COLUMNS)} | ALIASES
_CONSENT_VALUES = {
    "opted_in": "opted_in", "opted-in": "opted_in", "yes": "opted_in", "y": "opted_in",
    "true": "opted_in", "1": "opted_in",
    "opted_out": "opted_out", "opted-out": "opted_out", "no": "opted_out", "n": "opted_out",
    "false": "opted_out", "0": "opted_out",
    "unknown": "unknown",
}  # fmt: skip
_UNKNOWN_ZONE = "Etc/Unknown"
_TAG_SPLIT = re.compile("[;,]")


@dataclass(slots=True)
class RejectedRow:
    line: int  # physical line in the file; the header is line 1
    reason: str  # "Column: problem", several joined with "; "


@dataclass(slots=True)
class ImportResult:
    contacts: list[Contact] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line of each contact
    # each header as the file wrote it -> the column it was read as ("custom" for a custom field)
    columns: dict[str, str] = field(default_factory=dict)


def parse_contacts_csv(
    path_or_text_stream: str | os.PathLike[str] | TextIO,
    *,
    default_region: str = "US",
    now: float,
    allow_custom_columns: bool = False,
) -> ImportResult:
    """Parse a contacts CSV (a path, or an open text stream read from where it is).

    Phone numbers without a ``+`` country code are read as numbers of ``default_region``
    (ISO 3166 code). Headers match the RESO names and their common aliases (:data:`ALIASES`)
    whatever the case and spacing; a header that looks like a known field but is none
    ("Phone 2") is refused unless ``allow_custom_columns``, which keeps it as a custom field.
    Raises InvalidInput when the file as a whole cannot be used."""
    region = default_region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"default_region {default_region!r} is not a known region code")
    if isinstance(path_or_text_stream, str | os.PathLike):
        encoding = _detect_encoding(path_or_text_stream)
        try:
            with open(path_or_text_stream, encoding=encoding, newline="") as stream:
                return _parse_lines(stream, region, now, allow_custom_columns)
        except OSError as exc:
            raise InvalidInput(f"cannot read {os.fspath(path_or_text_stream)!r}: {exc}") from exc
    return _parse_lines(path_or_text_stream, region, now, allow_custom_columns)


def infer_time_zone(contact: Contact, *, default_region: str = "US") -> str | None:
    """The IANA zone to use for ``contact``: its own ``time_zone`` when set; else the primary
    zone of its US ``state``; else the zone of its phone number when the number's area code maps
    to exactly one zone; else None."""
    if contact.time_zone:
        return contact.time_zone
    if contact.state and (zone := US_STATE_TIME_ZONES.get(contact.state.strip().upper())):
        return zone
    if not contact.phone:
        return None
    try:
        number = phonenumbers.parse(contact.phone, default_region)
    except phonenumbers.NumberParseException:
        return None
    from phonenumbers import timezone as phone_timezone  # loaded at the first number

    zones = [z for z in phone_timezone.time_zones_for_number(number) if z != _UNKNOWN_ZONE]
    if len(zones) == 1:
        return _canonical_zone(zones[0])
    return None


# ---------------------------------------------------------------------------------- internals


def decode_csv(raw: bytes) -> str:
    """The text of an uploaded CSV, read as a file would be (UTF-8, with or without a BOM, or
    UTF-16 with one); a spreadsheet or text in another encoding is an InvalidInput."""
    encoding = _encoding_of(raw[:4])
    try:
        return raw.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"body: the CSV is not {encoding.upper()} text (byte {exc.start}); export it as CSV "
            "UTF-8",
            [("body", f"not {encoding.upper()} text")],
        ) from exc


def _detect_encoding(path: str | os.PathLike[str]) -> str:
    try:
        with open(path, "rb") as raw:
            head = raw.read(4)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise InvalidInput(f"cannot read {os.fspath(path)!r}: {exc}") from exc
    return _encoding_of(head)


def _encoding_of(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"PK\x03\x04"):
        raise InvalidInput("the file is a spreadsheet/zip archive, not CSV; export it as CSV UTF-8")
    return "utf-8"


def _parse_lines(
    lines: Iterable[str], region: str, now: float, allow_custom_columns: bool = False
) -> ImportResult:
    result = ImportResult()
    try:
        reader = _reader(iter(lines))
        header = _read_header(reader, result.columns)
        _check_custom(result.columns, allow_custom_columns)
        first_line_of: dict[str, int] = {}
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return result
            built = _build_row(header, cells, line, region, now, first_line_of)
            if isinstance(built, Contact):
                result.contacts.append(built)
                result.lines.append(line)
            elif built is not None:
                result.rejected.append(RejectedRow(line, built))
    except csv.Error as exc:
        raise InvalidInput(f"not a readable CSV file: {exc}") from exc
    except UnicodeError as exc:
        raise InvalidInput(f"the file is not UTF-8 text ({exc}); save it as CSV UTF-8") from exc


def _reader(lines: Iterator[str]) -> Reader:
    head: list[str] = []
    for text in lines:  # leading blank lines, then the header line, decide the delimiter
        if not isinstance(text, str):
            raise InvalidInput("expected a text stream, got bytes; open the file in text mode")
        head.append(text)
        if text.strip():
            break
    sample = head[-1] if head else ""
    delimiter = "," if "," in sample else ";" if ";" in sample else "\t" if "\t" in sample else ","
    return csv.reader(itertools.chain(head, lines), delimiter=delimiter, strict=True)


def _check_custom(columns: dict[str, str], allowed: bool) -> None:
    """Refuse headers that look like a known field leadflow does not read (unless allowed)."""
    if allowed:
        return
    odd = [
        given
        for given, read_as in columns.items()
        if read_as == "custom" and any(part in _folded(given) for part in _LOOKS_KNOWN)
    ]
    if odd:
        names = ", ".join(repr(o) for o in odd)
        raise InvalidInput(
            f"column(s) {names} look like a known field but are not one leadflow reads (known: "
            f"{', '.join(_KNOWN)}; and aliases such as Phone, Mobile, Cell, State, Zip, First "
            "Name); rename them, or pass --allow-custom-columns (API: allow_custom_columns) to "
            "keep them as custom fields"
        )


def _read_header(reader: Reader, columns: dict[str, str]) -> list[str | None]:
    row: list[str] | None = None
    for row in reader:
        if any(cell.strip() for cell in row):
            break
    else:
        raise InvalidInput("the file is empty; expected a CSV header (ContactKey, Email, ...)")
    header: list[str | None] = []
    seen: set[str] = set()
    for index, cell in enumerate(row):
        name = (cell.lstrip("\ufeff") if index == 0 else cell).strip()
        if not name:
            header.append(None)  # an unnamed column is ignored
            continue
        given, name = name, _CANONICAL.get(_folded(name), name)
        if name.casefold() in seen:
            raise InvalidInput(f"the CSV header has column {name!r} twice (as {given!r})")
        columns[given] = (
            name
            if name in _KNOWN
            else f"{name} (custom field)"
            if name in FIELD_COLUMNS
            else "custom"
        )
        seen.add(name.casefold())
        header.append(name)
    if ID_COLUMN not in header:  # each row's key is made by whoever saves it
        if not any(h in (*EMAIL_COLUMNS, *PHONE_COLUMNS) for h in header):
            found = ", ".join(repr(h) for h in header[:8] if h) or "nothing"
            raise InvalidInput(
                f"the CSV header has no {ID_COLUMN}, e-mail or phone column (found {found})"
            )
        columns[ID_COLUMN] = "generated"
    return header


def _build_row(
    header: list[str | None],
    cells: list[str],
    line: int,
    region: str,
    now: float,
    first_line_of: dict[str, int],
) -> Contact | str | None:
    """A Contact, a rejection reason, or None for a blank row."""
    if any(cell.strip() for cell in cells[len(header) :]):
        return f"the row has {len(cells)} cells but the header has {len(header)} columns"
    values: dict[str, str] = {}
    for name, cell in zip(header, cells, strict=False):  # missing trailing cells are empty
        if name and (value := cell.strip()):
            values[name] = value
    if not values:
        return None
    errors: list[str] = []
    key = values.pop(ID_COLUMN, None)
    if key is None:
        if ID_COLUMN in header:
            errors.append(f"{ID_COLUMN}: is empty (leave the column out to have keys made)")
    elif key in first_line_of:
        errors.append(f"{ID_COLUMN}: {key!r} duplicates the key on line {first_line_of[key]}")
    else:
        first_line_of[key] = line
    contact = Contact(id=key or "", created_at=now, updated_at=now)
    for attr, columns in _SIMPLE.items():
        setattr(contact, attr, _take(values, columns)[1])
    if not any(column in values for column in (*EMAIL_COLUMNS, *PHONE_COLUMNS)):
        errors.append(f"{PHONE_COLUMNS[0]}/{EMAIL_COLUMNS[0]}: a phone or an e-mail is required")
    column, raw = _take(values, EMAIL_COLUMNS)
    if column and raw:
        try:
            contact.email = validate_email(raw, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            errors.append(f"{column}: {_show(raw)} is not a valid e-mail address ({exc})")
    column, raw = _take(values, PHONE_COLUMNS)
    if column and raw:
        contact.phone = _e164(raw, region)
        if contact.phone is None:
            errors.append(f"{column}: {_show(raw)} is not a valid phone number")
    if raw := values.pop("TimeZone", ""):
        contact.time_zone = _canonical_zone(raw)
        if contact.time_zone is None:
            errors.append(f"TimeZone: {_show(raw)} is not an IANA time zone")
    column, raw = _take(values, STATE_COLUMNS)
    if column and raw:
        contact.state = raw.upper()
        if contact.state not in US_STATE_TIME_ZONES:
            errors.append(f"{column}: {_show(raw)} is not a US state or territory code")
    if raw := values.pop("Tags", ""):
        contact.tags = list(
            dict.fromkeys(t for t in (p.strip() for p in _TAG_SPLIT.split(raw)) if t)
        )
    for channel, column in CONSENT_COLUMNS.items():
        raw = values.pop(column, "unknown")
        if (state := _CONSENT_VALUES.get(raw.casefold())) is None:
            errors.append(f"{column}: {_show(raw)} is not opted_in, opted_out or unknown")
        else:
            contact.consent[channel] = state
    if errors:
        return "; ".join(errors)
    contact.fields = values  # what is left: custom columns and unused alternates
    contact.time_zone = infer_time_zone(contact, default_region=region)
    return contact


def _take(values: dict[str, str], columns: tuple[str, ...]) -> tuple[str | None, str | None]:
    """Pop the first non-empty of ``columns``; return (column, value)."""
    for column in columns:
        if column in values:
            return column, values.pop(column)
    return None, None


def _e164(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {zone.casefold(): zone for zone in zoneinfo.available_timezones()}


def _canonical_zone(raw: str) -> str | None:
    """The zone key as spelled in the tz database (matched case-insensitively), or None."""
    return _zones_by_folded_name().get(raw.strip().casefold())


def _show(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def columns_description() -> str:
    """The columns an import reads, in words (the API's OpenAPI document shows it)."""
    aliases: dict[str, list[str]] = {}
    for alias, column in ALIASES.items():
        aliases.setdefault(column, []).append(alias)
    read_as = "; ".join(f"{column}: {', '.join(names)}" for column, names in aliases.items())
    return (
        f"A header row, then one contact per row. RESO Contact columns: {', '.join(_KNOWN)} "
        f"(without {ID_COLUMN}, keys are made: the lead with the same e-mail or phone, or a new "
        f"one); kept as custom fields under their RESO name: {', '.join(FIELD_COLUMNS)}. Headers "
        "match case-, space-, '_', '-' and '.'-insensitively, and these common names are read "
        f"as the column they stand for ({read_as}). Every row needs an e-mail or phone column; "
        "consent columns take opted_in / opted_out (yes / no, true / false...); Tags are "
        "separated by ',' or ';'. Any other column is a custom field, except one that looks "
        "like a known field (Phone 2), refused unless allow_custom_columns."
    )


CSV_EXAMPLE = (
    "ContactKey,FirstName,LastName,Email,MobilePhone,StateOrProvince,TimeZone,SmsConsent\n"
    "L-1001,Ana,Diaz,ana.diaz@example.com,+15125550143,TX,America/Chicago,opted_in\n"
)
