"""API keys: ``lf_<id>_<secret>``. The id is public (it names the key in lists and logs); only a
SHA-256 digest of the secret is stored, so the key is shown once, at creation. Secrets are 256
random bits, so a fast digest is enough (no password stretching needed), and they are compared in
constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "lf"
_KEY = re.compile(r"^lf_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class NewKey:
    id: str
    secret: str

    @property
    def token(self) -> str:
        """What the client sends: ``Authorization: Bearer <token>``."""
        return f"{PREFIX}_{self.id}_{self.secret}"


def new_key() -> NewKey:
    return NewKey(secrets.token_hex(8), secrets.token_urlsafe(32))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed token, else None (never raises, never echoes it)."""
    match = _KEY.match(token.strip())
    return None if match is None else (match.group(1), match.group(2))


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def key_id_of(token: str) -> str | None:
    """The public id of a token (for logs), or None."""
    parsed = parse(token)
    return None if parsed is None else parsed[0]


__all__ = ["NewKey", "digest", "key_id_of", "matches", "new_key", "parse"]
