"""Sealed link tokens: a small JSON payload that only this installation can make and nobody can
read, for the links a message carries (unsubscribe, booking).

A token is a Fernet token (:mod:`cryptography`): the payload encrypted with AES-128-CBC and the
result authenticated with HMAC-SHA256, both keys derived by HKDF-SHA256 from a secret and a salt
of the link's own. A token that was altered, made up or made with another secret fails its HMAC
check. The padding ``=`` of the URL-safe base64 text is dropped, so a token is one clean path
segment; a token is read in that one spelling only.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAX_TOKEN_CHARS = 1024  # a token read is at most this long (those made are far shorter)


def _fernet_key(secret: str, salt: bytes, info: bytes) -> bytes:
    """The Fernet key HKDF-SHA256 derives from ``secret`` with ``salt`` and ``info``."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(derived)


def well_formed(token: str) -> bool:
    """Whether ``token`` may be a sealed token at all: not empty, ASCII, not too long."""
    return bool(token) and len(token) <= MAX_TOKEN_CHARS and token.isascii()


class Sealer:
    """Seals and opens JSON payloads with one secret (never shown by ``repr``)."""

    def __init__(self, secret: str, *, salt: bytes, info: bytes) -> None:
        self._fernet = Fernet(_fernet_key(secret, salt, info))

    def __repr__(self) -> str:
        return "Sealer(secret=***)"

    def seal(self, payload: Sequence[Any], now: float) -> str:
        """``payload`` as compact JSON, sealed at ``now``, without base64 padding."""
        raw = json.dumps(list(payload), separators=(",", ":")).encode()
        return self._fernet.encrypt_at_time(raw, int(now)).decode("ascii").rstrip("=")

    def open(self, token: str) -> bytes:
        """The payload bytes sealed in ``token``; :class:`InvalidToken` when it does not verify."""
        padded = token + "=" * (-len(token) % 4)
        try:
            raw = base64.urlsafe_b64decode(padded.encode("ascii"))
            # One spelling per token: base64 ignores the low bits of the last character, so
            # without this check a token altered there would still read.
            if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != token:
                raise InvalidToken
            return self._fernet.decrypt(padded.encode("ascii"))
        except (binascii.Error, ValueError):
            raise InvalidToken from None
