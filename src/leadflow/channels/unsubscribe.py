"""Unsubscribe tokens: what an e-mail's unsubscribe link carries.

A token must be unforgeable (only this installation can make one that is accepted) and opaque
(nobody reading a link learns the contact id behind it). A plain signed payload, such as an
``itsdangerous`` token, is only base64: anyone can decode it. So a token here is a Fernet token
(:mod:`cryptography`): the payload is encrypted with AES-128-CBC and the result authenticated
with HMAC-SHA256, both keys derived by HKDF-SHA256 from ``LEADFLOW_UNSUBSCRIBE_SECRET``. A token
that was altered, made up, or made with another secret fails its HMAC check and is refused.

The payload names the contact, its tenant, the channel and the message the link was sent in.
Tokens do not expire: an unsubscribe link must keep working long after the message was sent
(CAN-SPAM asks for at least 30 days). Nothing is stored per token. The padding ``=`` of the
URL-safe base64 text is dropped, so a token is one clean path segment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.fernet import InvalidToken

from leadflow.channels.sealed import Sealer, well_formed

_SALT = b"leadflow.unsubscribe"
_INFO = b"fernet-key-v1"


class BadToken(Exception):
    """The unsubscribe token is malformed, altered or was not made with this secret."""


@dataclass(slots=True, frozen=True)
class Subscriber:
    """Who an unsubscribe link speaks for."""

    tenant_id: str
    contact_id: str
    channel: str = "email"
    message_id: int | None = None


class UnsubscribeTokens:
    """Issues and reads tokens with one secret (never shown by ``repr``)."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the unsubscribe secret must be at least 16 characters long")
        self._sealer = Sealer(secret, salt=_SALT, info=_INFO)

    def __repr__(self) -> str:
        return "UnsubscribeTokens(secret=***)"

    def issue(self, who: Subscriber, now: float) -> str:
        return self._sealer.seal([who.tenant_id, who.contact_id, who.channel, who.message_id], now)

    def read(self, token: str) -> Subscriber:
        """The subscriber of ``token``; :class:`BadToken` when it is not one of ours."""
        if not well_formed(token):
            raise BadToken("the token is empty, too long or not ASCII")
        try:
            payload = self._sealer.open(token)
        except InvalidToken:
            raise BadToken("the token does not verify") from None
        try:
            tenant_id, contact_id, channel, message_id = json.loads(payload)
        except (ValueError, TypeError):
            raise BadToken("the token's payload is malformed") from None
        if not (
            isinstance(tenant_id, str)
            and isinstance(contact_id, str)
            and isinstance(channel, str)
            and (message_id is None or isinstance(message_id, int))
        ):
            raise BadToken("the token's payload is malformed")
        return Subscriber(tenant_id, contact_id, channel, message_id)
