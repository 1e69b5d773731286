"""The shapes of addresses, checked once for every layer: e-mail mailboxes as they appear in
headers (``Name <local@domain>`` or a bare address), phone numbers in E.164 form, and http(s) base
URLs.

E-mail addresses are checked with :mod:`email_validator` (syntax only: no DNS lookups) and refused
outright when they hold a line break, so nothing read from settings or contacts can add a header
of its own. Phone numbers are parsed with :mod:`phonenumbers`.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from leadflow.errors import InvalidInput


def refuse_line_breaks(what: str, value: str) -> None:
    """Raise ValueError naming ``what`` when ``value`` holds CR, LF or NUL."""
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{what} must not contain line breaks")


def split_mailbox(value: str) -> tuple[str, str]:
    """(display name, address) of ``value``; ValueError saying what is wrong."""
    refuse_line_breaks("an e-mail address", value)
    name, address = parseaddr(value)
    if not address or "@" not in address:
        raise ValueError(f"{value!r} is not an e-mail address (expected name@domain)")
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{address!r} is not a valid e-mail address: {exc}") from None
    return name, checked.normalized


def check_mailbox(value: str) -> str:
    """``value`` checked and written back in its usual form (``Name <addr>`` or ``addr``)."""
    name, address = split_mailbox(value.strip())
    return formataddr((name, address)) if name else address


def header_address(value: str) -> Address:
    """``value`` as a header :class:`~email.headerregistry.Address` (ValueError when bad)."""
    name, address = split_mailbox(value)
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def domain_of(value: str) -> str:
    """The domain part of the mailbox ``value``."""
    return split_mailbox(value)[1].rpartition("@")[2]


def to_e164(
    value: str,
    region: str | None,
    refusals: tuple[str, str],
    error: type[Exception] = InvalidInput,
    *,
    possible: bool = False,
) -> str:
    """``value`` (read as a number of ``region`` when it has no country code) in E.164 form.
    What cannot be read as a number raises ``error(refusals[0])``, ``{reason}`` in it replaced
    by the parser's reason; a number that is not valid (with ``possible``: not even possible)
    raises ``error(refusals[1])``."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise error(refusals[0].replace("{reason}", str(exc))) from None
    fits = phonenumbers.is_possible_number if possible else phonenumbers.is_valid_number
    if not fits(number):
        raise error(refusals[1])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def e164_or_error(value: str, name: str) -> str:
    """``value`` as an E.164 number, or a ValueError naming the setting."""
    refusals = (
        f"{name}: not a phone number in E.164 form (+15551234567)",
        f"{name}: not a possible phone number",
    )
    return to_e164(value, None, refusals, ValueError, possible=True)


def base_url_or_error(value: str, name: str) -> str:
    """``value`` as an http(s) base URL without a trailing slash, or a ValueError."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name}: must be an http(s) URL with a host, e.g. https://example.com")
    if parts.query or parts.fragment:
        raise ValueError(f"{name}: must not carry a query or fragment")
    return value.strip().rstrip("/")


def normal_phone(value: str | None, field: str = "phone", region: str = "US") -> str | None:
    if not value:
        return None
    refusals = (
        f"{field}: {value!r} is not a phone number ({{reason}})",
        f"{field}: {value!r} is not a valid phone number",
    )
    return to_e164(value, region, refusals)


def phone_query(value: str | None) -> str | None:
    """A phone number to search by: as E.164 when it reads as one, else as given (which then
    matches nothing rather than failing the search)."""
    if not value:
        return None
    try:
        return normal_phone(value)
    except InvalidInput:
        return value


# The 50 US states by name (lower case) -> their USPS code: what a person or a geocoder writes.
US_STATE_CODES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS",
    "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV", "new hampshire": "NH",
    "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
}  # fmt: skip


# ---------------------------------------------------------------- WhatsApp addresses (Twilio)
WHATSAPP_PREFIX = "whatsapp:"


def whatsapp_address(phone: str) -> str:
    """``+15551234567`` as Twilio's WhatsApp address ``whatsapp:+15551234567`` (unchanged when
    it already is one)."""
    return phone if phone.startswith(WHATSAPP_PREFIX) else WHATSAPP_PREFIX + phone


def strip_whatsapp(address: str | None) -> tuple[str | None, bool]:
    """A Twilio ``From``/``To`` without its ``whatsapp:`` prefix, and whether it had one."""
    if address is not None and address.lower().startswith(WHATSAPP_PREFIX):
        return address[len(WHATSAPP_PREFIX) :].strip(), True
    return address, False
