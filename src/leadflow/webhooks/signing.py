"""The ``Leadflow-Signature`` scheme, for both directions.

``Leadflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>``.
A receiver recomputes the HMAC over the raw body bytes, compares it in constant time, and
refuses a timestamp more than :data:`TOLERANCE_S` away from its clock. leadflow's inbound routes
also refuse a signature seen before (the replay guard, kept in the store).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Leadflow-Signature"
TOLERANCE_S = 300.0


class BadSignature(Exception):
    """The request's signature is missing, malformed, wrong or too old (the reason is for the
    log; callers answer every case the same way)."""


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def compute(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def sign(secret: str, timestamp: float, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    t = int(timestamp)
    return f"t={t},v1={compute(secret, t, body)}"


def parse(header: str | None) -> tuple[int, list[str]]:
    """(timestamp, v1 signatures) of a header value; BadSignature when malformed."""
    if not header:
        raise BadSignature("no signature header")
    t: int | None = None
    sigs: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise BadSignature("malformed signature header")
        if key == "t":
            try:
                t = int(value)
            except ValueError:
                raise BadSignature("malformed signature timestamp") from None
        elif key == "v1":
            sigs.append(value.strip().lower())
    if t is None or not sigs:
        raise BadSignature("signature header lacks t= or v1=")
    return t, sigs


def verify(
    secret: str, header: str | None, body: bytes, now: float, tolerance_s: float = TOLERANCE_S
) -> str:
    """Check ``header`` against ``body`` at ``now``; return the matched signature (for the
    replay guard) or raise BadSignature."""
    t, sigs = parse(header)
    if abs(now - t) > tolerance_s:
        raise BadSignature("signature timestamp outside the tolerance")
    expected = compute(secret, t, body)
    for sig in sigs:
        if hmac.compare_digest(sig, expected):
            return sig
    raise BadSignature("signature does not match")


def replay_digest(tenant_id: str, signature: str) -> str:
    """What the replay guard stores: a digest of tenant and signature, never the body."""
    return hashlib.sha256(f"{tenant_id}:{signature}".encode()).hexdigest()
