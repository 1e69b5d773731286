"""Portal lead e-mails carrying Real Estate Lead Metadata 1.0: ``<meta name="lead_*"
content="...">`` tags anywhere in the HTML body (Zillow, Realtor.com, IDX sites).

The raw RFC 822 message is parsed with :mod:`email`; each text part is read with
:class:`html.parser.HTMLParser` and the ``lead_*`` meta tags collected (the first value of a
name wins). The lead becomes a ``lead.created`` event.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from leadflow.errors import InvalidInput
from leadflow.webhooks.crm import reso_property
from leadflow.webhooks.leads import Lead, email_of, phone_of, text

LEAD_TYPES = ("Buyer", "Seller", "Renter")

_PROPERTY_TAGS = {
    "lead_property_address": "street",
    "lead_property_city": "city",
    "lead_property_state": "state",
    "lead_property_zip": "code",
    "lead_mls": "mlsNumber",
}
_DATA_TAGS = {
    "lead_max_price": "max_price",
    "lead_primary_zip": "primary_zip",
    "lead_time_frame": "time_frame",
    "lead_financing": "financing",
    "lead_assigned_agent": "assigned_agent",
    "lead_assigned_agent_email": "assigned_agent_email",
    "lead_assigned_agent_phone": "assigned_agent_phone",
    "lead_information_version": "lead_information_version",
}


class _MetaTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {k.lower(): v for k, v in attrs}
        name = (values.get("name") or "").strip().lower()
        content = values.get("content")
        if name.startswith("lead_") and content is not None:
            self.found.setdefault(name, content.strip())

    handle_startendtag = handle_starttag


def meta_tags(html: str) -> dict[str, str]:
    """The ``lead_*`` meta tags of an HTML document (names lower-cased)."""
    parser = _MetaTags()
    parser.feed(html)
    parser.close()
    return parser.found


def parse_message(raw: bytes) -> tuple[EmailMessage, dict[str, str]]:
    """The message and the lead tags of its HTML (and plain text) parts."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    tags: dict[str, str] = {}
    parts = msg.walk() if msg.is_multipart() else iter([msg])
    for part in parts:
        if part.get_content_maintype() != "text" or part.is_attachment():
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            continue
        if isinstance(content, str):
            for name, value in meta_tags(content).items():
                tags.setdefault(name, value)
    return msg, tags


def _split_name(full: str | None) -> tuple[str | None, str | None]:
    if not full:
        return None, None
    first, _, last = full.partition(" ")
    return first or None, last.strip() or None


def from_email(raw: bytes) -> Lead:
    if not raw.strip():
        raise InvalidInput("the body must be an RFC 822 e-mail message")
    msg, tags = parse_message(raw)
    if not tags:
        raise InvalidInput('the e-mail carries no lead metadata (<meta name="lead_*">)')
    email = email_of(tags.get("lead_email") or None, "lead_email")
    phone = phone_of(tags.get("lead_phone") or None, "lead_phone")
    if email is None and phone is None:
        raise InvalidInput("the lead metadata has neither lead_email nor lead_phone")
    first, last = _split_name(text(tags.get("lead_name"), "lead_name", 400))
    lead_type = (tags.get("lead_type") or "Buyer").strip().title()
    if lead_type not in LEAD_TYPES:
        lead_type = "Buyer"
    prop = reso_property({v: tags[k] for k, v in _PROPERTY_TAGS.items() if tags.get(k)})
    data: dict[str, Any] = {
        "lead_type": lead_type,
        "message": text(tags.get("lead_message"), "lead_message", 10000),
        "subject": text(msg.get("Subject"), "Subject", 1000),
    }
    data |= {key: tags[tag] for tag, key in _DATA_TAGS.items() if tags.get(tag)}
    if "max_price" in data:
        data["max_price"] = reso_property({"price": data["max_price"]}).get("ListPrice")
    if prop:
        data["property"] = prop
    source = text(tags.get("lead_source"), "lead_source", 200)
    return Lead(
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        source=source,
        tags=[lead_type.lower()],
        event_type="lead.created",
        data={k: v for k, v in data.items() if v is not None} | {"source": source},
        ref=text(msg.get("Message-ID"), "Message-ID", 500),
    )
