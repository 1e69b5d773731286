"""SendGrid Inbound Parse: the ``multipart/form-data`` post SendGrid makes for each e-mail
received at a parse domain, read into its fields.

SendGrid posts, in the default ("parsed") mode, ``headers`` (the raw header block), ``from``,
``to``, ``cc``, ``subject``, ``text``, ``html``, ``envelope`` (JSON: ``to`` and ``from``),
``charsets`` (JSON: each field's character set), ``attachments`` (a count), ``attachment-info``,
``sender_ip``, ``spam_score``, ``SPF``, ``dkim`` and one file part per attachment; with "POST the
raw, full MIME message" it posts ``email`` (the whole message) instead of the parsed parts.

The body is read with :mod:`email`'s MIME parser (a form-data body is a MIME multipart), so
each field's bytes are decoded with the character set ``charsets`` names for it (UTF-8 when it
names none; bytes that do not decode become U+FFFD); file parts (attachments) are skipped, the
raw ``email`` field is kept as bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

from leadflow.channels.email_inbound import (
    InboundEmail,
    MalformedEmail,
    envelope_recipients,
    from_mime,
    from_parse_fields,
)
from leadflow.store.contract import Store


@dataclass(slots=True, frozen=True)
class ParsePost:
    fields: dict[str, str]
    raw_email: bytes | None  # the "raw" mode's whole message
    attachments: int


def _charsets(raw: bytes | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        value = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        raise MalformedEmail("charsets: not JSON") from None
    if not isinstance(value, dict):
        raise MalformedEmail("charsets: must be a JSON object")
    return {str(k): str(v) for k, v in value.items()}


def _decode(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", "replace")
    except LookupError:  # a character set Python does not know
        return data.decode("utf-8", "replace")


def read_post(content_type: str | None, body: bytes) -> ParsePost:
    """The fields of an Inbound Parse post; :class:`MalformedEmail` naming what is wrong."""
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise MalformedEmail("content-type: Inbound Parse posts multipart/form-data")
    if "\r" in content_type or "\n" in content_type:
        raise MalformedEmail("content-type: has a line break")
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode()
    doc = message_from_bytes(head + body, policy=policy.compat32)
    if not doc.is_multipart():
        raise MalformedEmail("body: not a multipart/form-data body (no boundary)")
    raw: dict[str, bytes] = {}
    files = 0
    for part in doc.get_payload():
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        if part.get_param("filename", header="content-disposition") is not None:
            files += 1
            continue
        payload = part.get_payload(decode=True)
        raw[name] = payload if isinstance(payload, bytes) else b""
    if not raw:
        raise MalformedEmail("body: no form fields")
    charsets = _charsets(raw.get("charsets"))
    fields = {k: _decode(v, charsets.get(k)) for k, v in raw.items() if k != "email"}
    try:
        count = int(fields.get("attachments") or files)
    except ValueError:
        raise MalformedEmail("attachments: not a number") from None
    return ParsePost(fields, raw.get("email"), count)


def inbound_email(post: ParsePost) -> InboundEmail:
    """The e-mail a post carries (its raw message when there is one, else its parsed fields)."""
    if post.raw_email is not None:
        return from_mime(post.raw_email, "sendgrid", envelope_recipients(post.fields))
    return from_parse_fields(post.fields)


# ---------------------------------------------------------------------------- per-tenant secrets
# A tenant's own hook (/hooks/sendgrid/inbound/{tenant}/{secret}): only the secret's SHA-256 is
# kept, in the store's meta, so a copy of the database does not give the URL away.
SECRET_META = "sendgrid_inbound_secret:"


def new_tenant_secret(store: Store, tenant_id: str) -> str:
    """A new secret for the tenant's hook (the old one stops working); shown once."""
    secret = secrets.token_urlsafe(32)
    store.set_meta(SECRET_META + tenant_id, hashlib.sha256(secret.encode()).hexdigest())
    return secret


def tenant_secret_ok(store: Store, tenant_id: str, secret: str) -> bool:
    """Whether ``secret`` is the tenant's current hook secret (False without one)."""
    kept = store.get_meta(SECRET_META + tenant_id)
    given = hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()
    return kept is not None and hmac.compare_digest(kept, given)


__all__ = [
    "ParsePost",
    "inbound_email",
    "new_tenant_secret",
    "read_post",
    "tenant_secret_ok",
]
