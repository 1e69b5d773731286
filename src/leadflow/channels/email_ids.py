"""The ``Message-ID`` of an e-mail leadflow sends, and finding the message again from a reply's
``In-Reply-To`` / ``References``.

The id is deterministic per outbox message: ``<lf.{id}.{tag}@{sender's domain}>``, the tag being
the first 12 hex digits of SHA-256 over the message's idempotency key. A resend of the same
message (a retry after a time-out) carries the same id, so the lead's mail client threads it as
one; a reply names it, and the tag checks that the number was not made up: a header naming
``lf.7.<wrong tag>`` matches nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_OURS = re.compile(r"^<?lf\.(\d{1,18})\.([0-9a-f]{12})@[^<>\s]+>?$")
_ANGLED = re.compile(r"<[^<>\s]+>")


def tag_of(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:12]


def outgoing_message_id(message_id: int, idempotency_key: str, domain: str) -> str:
    """The ``Message-ID`` header (with its angle brackets) of outbox message ``message_id``."""
    return f"<lf.{message_id}.{tag_of(idempotency_key)}@{domain}>"


@dataclass(slots=True, frozen=True)
class OurId:
    message_id: int  # the outbox message's id
    tag: str

    def matches(self, idempotency_key: str) -> bool:
        return tag_of(idempotency_key) == self.tag


def parse_ours(value: str) -> OurId | None:
    """The outbox message a ``Message-ID`` of ours names; None for anyone else's."""
    found = _OURS.match(value.strip())
    return OurId(int(found.group(1)), found.group(2)) if found else None


def referenced_ids(in_reply_to: str | None, references: str | None) -> list[str]:
    """The message ids a reply names, the one it answers first (``In-Reply-To``, then
    ``References`` from the newest, which RFC 5322 puts last)."""
    out: list[str] = []
    for value in [in_reply_to or "", *reversed(_ANGLED.findall(references or ""))]:
        for found in _ANGLED.findall(value) or ([value.strip()] if value.strip() else []):
            if found not in out:
                out.append(found)
    return out


__all__ = ["OurId", "outgoing_message_id", "parse_ours", "referenced_ids", "tag_of"]
