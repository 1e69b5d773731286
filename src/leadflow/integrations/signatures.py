"""Checking the CRMs' webhook signatures, as each documents them.

* **HighLevel** signs the raw body with its private key: ``x-wh-signature`` is the base64 RSA
  (PKCS#1 v1.5, SHA-256) signature, checked with the public key HighLevel publishes (the
  connector's ``webhook_public_key``); the newer ``X-GHL-Signature`` is a base64 Ed25519
  signature (``webhook_ed25519_key``). Replays: the body's ``timestamp`` must be within 5
  minutes of our clock and a ``webhookId`` is accepted once.
* **Follow Up Boss** sends ``FUB-Signature``: the hex HMAC-SHA256, keyed with the system key
  (``X-System-Key``), of the base64 encoding of the raw body. Replays: an ``eventId`` is
  accepted once, and ``eventCreated`` must be within 12 hours (FUB retries a failed delivery
  for up to 8 hours).

Every refusal is a :class:`~leadflow.webhooks.signing.BadSignature` whose reason is for the
log only; the route answers each the same way."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from leadflow.integrations.api import epoch
from leadflow.integrations.config import FubConfig, GhlConfig
from leadflow.webhooks.signing import BadSignature

GHL_TOLERANCE_S = 300.0
FUB_TOLERANCE_S = 12 * 3600.0
GHL_RSA_HEADER = "x-wh-signature"
GHL_ED25519_HEADER = "x-ghl-signature"
FUB_HEADER = "fub-signature"


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("signature is not base64") from None


def _public_key(pem: str) -> Any:
    try:
        return serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise BadSignature("the configured public key cannot be read") from None


def _verify_with(
    pem: str, kind: type, not_kind: str, mismatch: str, check: Callable[[Any], None]
) -> None:
    """Read the public key ``pem`` (BadSignature ``not_kind`` unless it is a ``kind``) and
    ``check`` the signature with it (BadSignature ``mismatch`` when it does not match)."""
    key = _public_key(pem)
    if not isinstance(key, kind):
        raise BadSignature(not_kind)
    try:
        check(key)
    except InvalidSignature:
        raise BadSignature(mismatch) from None


def verify_ghl(config: GhlConfig, headers: dict[str, str], body: bytes) -> str:
    """The header that verified (its name), or BadSignature. ``headers`` lower-cased."""
    ed = headers.get(GHL_ED25519_HEADER)
    if ed and config.webhook_ed25519_key:
        _verify_with(
            config.webhook_ed25519_key,
            ed25519.Ed25519PublicKey,
            "webhook_ed25519_key is not an Ed25519 key",
            "X-GHL-Signature does not match",
            lambda key: key.verify(_b64(ed), body),
        )
        return GHL_ED25519_HEADER
    signed = headers.get(GHL_RSA_HEADER)
    if signed and config.webhook_public_key:
        _verify_with(
            config.webhook_public_key,
            rsa.RSAPublicKey,
            "webhook_public_key is not an RSA key",
            "x-wh-signature does not match",
            lambda key: key.verify(_b64(signed), body, padding.PKCS1v15(), hashes.SHA256()),
        )
        return GHL_RSA_HEADER
    if not (config.webhook_public_key or config.webhook_ed25519_key):
        raise BadSignature("no webhook key is configured for this connector")
    raise BadSignature("no signature header")


def _check_age(payload: dict[str, Any], key: str, tolerance_s: float, now: float) -> None:
    """BadSignature when the body's ISO time ``key`` is missing, unreadable or more than
    ``tolerance_s`` from ``now`` (a replayed delivery)."""
    at = epoch(payload.get(key))
    if at is None:
        raise BadSignature(f"no readable {key} in the body")
    if abs(now - at) > tolerance_s:
        raise BadSignature(f"{key} outside the tolerance")


def ghl_replay_key(payload: dict[str, Any], body: bytes, now: float) -> str:
    """What makes this delivery unique (its ``webhookId``); BadSignature when its
    ``timestamp`` is missing or more than 5 minutes from ``now``."""
    _check_age(payload, "timestamp", GHL_TOLERANCE_S, now)
    found = payload.get("webhookId")
    return f"ghl:{found}" if found else "ghl-body:" + hashlib.sha256(body).hexdigest()


def fub_signature(system_key: str, body: bytes) -> str:
    return hmac.new(system_key.encode(), base64.b64encode(body), hashlib.sha256).hexdigest()


def verify_fub(config: FubConfig, headers: dict[str, str], body: bytes) -> None:
    given = (headers.get(FUB_HEADER) or "").strip().lower()
    if not given:
        raise BadSignature("no FUB-Signature header")
    if not hmac.compare_digest(given, fub_signature(config.system_key, body)):
        raise BadSignature("FUB-Signature does not match")


def fub_replay_key(payload: dict[str, Any], now: float) -> str:
    _check_age(payload, "eventCreated", FUB_TOLERANCE_S, now)
    event_id = payload.get("eventId")
    if not isinstance(event_id, str | int) or event_id == "":
        raise BadSignature("no eventId in the body")
    return f"fub:{event_id}"


__all__ = [
    "FUB_TOLERANCE_S",
    "GHL_TOLERANCE_S",
    "fub_replay_key",
    "fub_signature",
    "ghl_replay_key",
    "verify_fub",
    "verify_ghl",
]
