"""E-mail addresses as they appear in headers: ``Name <local@domain>`` or a bare address.

Checked with :mod:`email_validator` (syntax only: no DNS lookups), and refused outright when they
hold a line break, so nothing read from settings or contacts can add a header of its own.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import formataddr, parseaddr

from email_validator import EmailNotValidError, validate_email


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
