"""Meta's webhook signatures: ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw
request body keyed with the app secret, and the GET verification handshake
(``hub.mode=subscribe``, ``hub.verify_token``, ``hub.challenge``)."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


class BadSignature(Exception):
    """The request is not signed by the app (missing, malformed or forged signature)."""


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends with ``body``."""
    return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(app_secret: str | None, header: str | None, body: bytes) -> str:
    """The hex digest of a valid signature; BadSignature otherwise (compared in constant time
    over the raw bytes, before anything is parsed)."""
    if not app_secret:
        raise BadSignature("no app secret configured (LEADFLOW_META_APP_SECRET)")
    if not header:
        raise BadSignature(f"no {HEADER} header")
    if not header.startswith(PREFIX) or len(header) != len(PREFIX) + 64:
        raise BadSignature(f"malformed {HEADER} header")
    expected = sign(app_secret, body)
    if not hmac.compare_digest(header.lower().encode(), expected.encode()):
        raise BadSignature("signature does not match the body")
    return expected[len(PREFIX) :]


def replay_digest(signature_hex: str) -> str:
    """What the replay guard remembers of a signed body (the same body signs the same)."""
    return "meta:" + hashlib.sha256(signature_hex.encode()).hexdigest()[:48]


def challenge(
    verify_token: str | None, mode: str | None, token: str | None, given: str | None
) -> str | None:
    """The challenge to echo when Meta's subscription check is right, else None."""
    if not verify_token or mode != "subscribe" or token is None or given is None:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return given
