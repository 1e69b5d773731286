"""A loopback stand-in for HighLevel's API v2 (``services.leadconnectorhq.com``), speaking its
documented requests and answers: ``Authorization: Bearer <token>`` and ``Version: 2021-07-28``
on every call (401 / 400 otherwise), ``POST /contacts/upsert`` matching an existing contact of
the location by e-mail or phone (``{"new", "contact"}``), ``GET|PUT /contacts/{id}``
(``{"contact"}`` with ``dateUpdated``), notes, tags and tasks under ``/contacts/{id}/``, and
``/opportunities/`` (search by location, pipeline and contact; create; update the stage).
Faults (a 429 with ``Retry-After``, a 5xx, an answer lost after the change) are scripted with
:meth:`~support.crm_peer_server.PeerBase.fail`.

Webhooks: :func:`sign_rsa` / :func:`sign_ed25519` sign a body as HighLevel does
(``x-wh-signature``: base64 RSA PKCS#1 v1.5 SHA-256; ``X-GHL-Signature``: base64 Ed25519),
with keys the test makes (HighLevel's own private key is, of course, not public)."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from support.crm_peer_server import PeerBase, Request, serve

TOKEN = "pit-peer-token-0123456789abcdef"
LOCATION = "loc_peer_1"
VERSION = "2021-07-28"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class GhlPeer(PeerBase):
    token: str = TOKEN
    location: str = LOCATION
    now: float = 1_700_000_000.0  # the peer's clock (dateUpdated of what it writes)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def answer(self, req: Request) -> tuple[int, Any]:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"statusCode": 401, "message": "Invalid JWT"}
        if req.headers.get("version") != VERSION:
            return 400, {"statusCode": 400, "message": "Version header was not found"}
        parts = [p for p in req.path.split("/") if p]
        m, body = req.method, req.body if isinstance(req.body, dict) else {}
        if parts == ["contacts", "upsert"] and m == "POST":
            return self._upsert(body)
        if parts[:1] == ["contacts"] and len(parts) >= 2:
            contact = self.contacts.get(parts[1])
            if contact is None:
                return 400, {"statusCode": 400, "message": "Contact not found"}
            rest = parts[2:]
            if not rest and m == "GET":
                return 200, {"contact": dict(contact)}
            if not rest and m == "PUT":
                self._write(contact, body, merge_tags=False)  # documented: overwrites tags
                return 200, {"succeded": True, "contact": dict(contact)}
            if rest == ["notes"]:
                notes = self.notes.setdefault(contact["id"], [])
                if m == "GET":
                    return 200, {"notes": list(notes)}
                if not body.get("body"):
                    return 422, {"statusCode": 422, "message": ["body should not be empty"]}
                note = {
                    "id": self._id("note_"),
                    "body": body["body"],
                    "contactId": contact["id"],
                    "dateAdded": iso(self.now),
                }
                notes.append(note)
                return 201, {"note": note}
            if rest == ["tags"] and m == "POST":
                tags = body.get("tags")
                if not isinstance(tags, list):
                    return 422, {"statusCode": 422, "message": ["tags must be an array"]}
                contact["tags"] = list(dict.fromkeys([*contact["tags"], *tags]))
                contact["dateUpdated"] = iso(self.now)
                return 201, {"tags": contact["tags"]}
            if rest == ["tasks"]:
                tasks = self.tasks.setdefault(contact["id"], [])
                if m == "GET":
                    return 200, {"tasks": list(tasks)}
                if not body.get("title") or not body.get("dueDate"):
                    return 422, {"statusCode": 422, "message": ["title and dueDate are required"]}
                task = {
                    "id": self._id("task_"),
                    "title": body["title"],
                    "body": body.get("body"),
                    "dueDate": body["dueDate"],
                    "completed": bool(body.get("completed")),
                    "contactId": contact["id"],
                }
                tasks.append(task)
                return 201, {"task": task}
        if parts[:1] == ["opportunities"]:
            return self._opportunities(m, parts[1:], req.query, body)
        return 404, {"statusCode": 404, "message": f"Cannot {m} {req.path}"}

    def _upsert(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("locationId") != self.location:
            return 403, {"statusCode": 403, "message": "No access to this location"}
        email = (body.get("email") or "").lower() or None
        phone = body.get("phone") or None
        found = next(
            (
                c
                for c in self.contacts.values()
                if (email and c.get("email") == email) or (phone and c.get("phone") == phone)
            ),
            None,
        )
        new = found is None
        if found is None:
            found = {
                "id": self._id("ct_"),
                "locationId": self.location,
                "tags": [],
                "customFields": [],
                "dateAdded": iso(self.now),
            }
            self.contacts[found["id"]] = found
        self._write(found, body, merge_tags=True)
        return (201 if new else 200), {"new": new, "contact": dict(found), "traceId": "t"}

    def _write(self, contact: dict[str, Any], body: dict[str, Any], *, merge_tags: bool) -> None:
        for key in ("firstName", "lastName", "phone", "source"):
            if key in body:
                contact[key] = body[key]
        if "email" in body:
            contact["email"] = (body["email"] or "").lower() or None
        if "tags" in body:
            old = contact["tags"] if merge_tags else []
            contact["tags"] = list(dict.fromkeys([*old, *body["tags"]]))
        for item in body.get("customFields") or []:
            fields = [f for f in contact["customFields"] if f.get("key") != item.get("key")]
            contact["customFields"] = [*fields, dict(item)]
        contact["dateUpdated"] = iso(self.now)

    def edit(self, contact_id: str, **values: Any) -> None:
        """A change made in HighLevel by a person (at the peer's ``now``)."""
        self.contacts[contact_id].update(values)
        self.contacts[contact_id]["dateUpdated"] = iso(self.now)

    def _opportunities(
        self, m: str, rest: list[str], query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, Any]:
        if rest == ["search"] and m == "GET":
            if query.get("location_id") != self.location:
                return 422, {"statusCode": 422, "message": ["location_id is required"]}
            found = [
                o
                for o in self.opportunities.values()
                if o["pipelineId"] == query.get("pipeline_id", o["pipelineId"])
                and o["contactId"] == query.get("contact_id", o["contactId"])
            ]
            return 200, {"opportunities": found, "meta": {"total": len(found)}}
        if not rest and m == "POST":
            missing = [
                k
                for k in ("pipelineId", "locationId", "name", "status", "contactId")
                if not body.get(k)
            ]
            if missing:
                return 422, {"statusCode": 422, "message": [f"{k} is required" for k in missing]}
            opp = {
                "id": self._id("opp_"),
                **{
                    k: body.get(k)
                    for k in ("pipelineId", "pipelineStageId", "name", "status", "contactId")
                },
            }
            self.opportunities[opp["id"]] = opp
            return 201, {"opportunity": opp}
        if len(rest) == 1 and m == "PUT":
            opp = self.opportunities.get(rest[0])
            if opp is None:
                return 404, {"statusCode": 404, "message": "Opportunity not found"}
            kept = ("pipelineStageId", "status", "name")
            opp.update({k: v for k, v in body.items() if k in kept})
            return 200, {"opportunity": opp}
        return 404, {"statusCode": 404, "message": "Not found"}


@contextmanager
def ghl_peer() -> Iterator[GhlPeer]:
    peer = GhlPeer()
    with serve(peer):
        yield peer


# ---------------------------------------------------------------------- webhook signing
def rsa_keys() -> tuple[rsa.RSAPrivateKey, str]:
    """A private key and its public key as PEM (what the connector is configured with)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()


def sign_rsa(key: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def ed25519_keys() -> tuple[ed25519.Ed25519PrivateKey, str]:
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()


def sign_ed25519(key: ed25519.Ed25519PrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body)).decode()
