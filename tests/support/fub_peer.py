"""A loopback stand-in for Follow Up Boss's API (``api.followupboss.com/v1``), speaking its
documented requests and answers: HTTP Basic auth with the API key as user name and an empty
password, the ``X-System`` / ``X-System-Key`` headers (401 / 403 otherwise); ``/people``
(search by ``email`` / ``phone`` answering ``{"_metadata", "people"}``, create, read, update,
``mergeTags``), ``/notes``, ``/tasks`` and ``/deals`` (listed by ``personId``), people carrying
``emails`` / ``phones`` as ``[{"value"}]`` and ``updated`` times. Faults (429 with
``Retry-After``, 5xx, an answer lost after the change) are scripted with
:meth:`~support.crm_peer_server.PeerBase.fail`.

Webhooks: :func:`sign` makes ``FUB-Signature`` as Follow Up Boss does -- the hex HMAC-SHA256,
keyed with the system key, of the base64 of the raw body -- and :func:`event_body` the body
of an event notification (``eventId``, ``eventCreated``, ``event``, ``resourceIds``, ``uri``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from support.crm_peer_server import PeerBase, Request, serve

API_KEY = "fka_peer_0123456789abcdef"
SYSTEM = "leadflow-test"
SYSTEM_KEY = "sys-key-0123456789abcdef"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FubPeer(PeerBase):
    api_key: str = API_KEY
    system: str = SYSTEM
    system_key: str = SYSTEM_KEY
    now: float = 1_700_000_000.0
    people: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    deals: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, dict[str, Any]] = field(default_factory=dict)  # what /v1/events holds
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(101))

    def _auth_ok(self, req: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()
        return req.headers.get("authorization") == expected

    def answer(self, req: Request) -> tuple[int, Any]:
        if not self._auth_ok(req):
            return 401, {"errorMessage": "Access denied: invalid API key"}
        if (req.headers.get("x-system"), req.headers.get("x-system-key")) != (
            self.system,
            self.system_key,
        ):
            return 403, {"errorMessage": "Unregistered system"}
        parts = [p for p in req.path.split("/") if p]
        if parts[:1] != ["v1"]:
            return 404, {"errorMessage": "Not found"}
        parts = parts[1:]
        m, q = req.method, req.query
        body = req.body if isinstance(req.body, dict) else {}
        if parts == ["people"]:
            if m == "GET":
                found = [p for p in self.people.values() if _matches(p, q)]
                limit = int(q.get("limit", 25))
                meta = {"collection": "people", "offset": 0, "limit": limit, "total": len(found)}
                return 200, {"_metadata": meta, "people": found[:limit]}
            if m == "POST":
                person = {
                    "id": next(self._ids),
                    "created": iso(self.now),
                    "tags": [],
                    "emails": [],
                    "phones": [],
                    "stage": "Lead",
                }
                self._write(person, body, merge_tags=False)
                self.people[person["id"]] = person
                return 201, dict(person)
        if parts[:1] == ["people"] and len(parts) == 2:
            person = self.people.get(int(parts[1])) if parts[1].isdigit() else None
            if person is None:
                return 404, {"errorMessage": "Person not found"}
            if m == "GET":
                return 200, dict(person)
            if m == "PUT":
                self._write(person, body, merge_tags=q.get("mergeTags") == "true")
                return 200, dict(person)
        if parts[:1] in (["events"], ["notes"]) and len(parts) == 2 and m == "GET":
            table = self.events if parts[0] == "events" else {n["id"]: n for n in self.notes}
            found = table.get(int(parts[1])) if parts[1].isdigit() else None
            if found is None:
                return 404, {"errorMessage": f"{parts[0][:-1].title()} not found"}
            return 200, dict(found)
        if parts == ["notes"] or parts == ["tasks"]:
            items = self.notes if parts == ["notes"] else self.tasks
            if m == "GET":
                found = [x for x in items if str(x["personId"]) == q.get("personId")]
                return 200, {"_metadata": {"total": len(found)}, parts[0]: found}
            if body.get("personId") not in self.people:
                return 400, {"errorMessage": "personId is not a valid person"}
            needed = "body" if parts == ["notes"] else "name"
            if not body.get(needed):
                return 400, {"errorMessage": f"{needed} is required"}
            item = {"id": next(self._ids), **body, "created": iso(self.now)}
            items.append(item)
            return 201, item
        if parts == ["deals"]:
            if m == "GET":
                found = [
                    d
                    for d in self.deals.values()
                    if str(d["pipelineId"]) == q.get("pipelineId", str(d["pipelineId"]))
                    and q.get("personId") in {str(p) for p in d["peopleIds"]}
                ]
                return 200, {"_metadata": {"total": len(found)}, "deals": found}
            deal = {"id": next(self._ids), **body}
            self.deals[deal["id"]] = deal
            return 201, deal
        if parts[:1] == ["deals"] and len(parts) == 2 and m == "PUT":
            deal = self.deals.get(int(parts[1]))
            if deal is None:
                return 404, {"errorMessage": "Deal not found"}
            deal.update(body)
            return 200, deal
        return 404, {"errorMessage": "Not found"}

    def _write(self, person: dict[str, Any], body: dict[str, Any], *, merge_tags: bool) -> None:
        for key, value in body.items():
            if key == "tags":
                person["tags"] = (
                    list(dict.fromkeys([*person["tags"], *value])) if merge_tags else list(value)
                )
            elif key in ("emails", "phones"):
                person[key] = [dict(x) for x in value]
            else:
                person[key] = value
        person["updated"] = iso(self.now)

    def add_person(self, **values: Any) -> int:
        """A person made in Follow Up Boss by someone else."""
        pid = next(self._ids)
        self.people[pid] = {
            "id": pid,
            "tags": [],
            "emails": [],
            "phones": [],
            "stage": "Lead",
            "created": iso(self.now),
            "updated": iso(self.now),
            **values,
        }
        return pid

    def add_event(self, person_id: int, **values: Any) -> int:
        """An event (a lead's activity) recorded in Follow Up Boss."""
        eid = next(self._ids)
        self.events[eid] = {"id": eid, "personId": person_id, "created": iso(self.now), **values}
        return eid

    def edit(self, person_id: int, **values: Any) -> None:
        """A change made in Follow Up Boss by a person (at the peer's ``now``)."""
        self.people[person_id].update(values)
        self.people[person_id]["updated"] = iso(self.now)


def _matches(person: dict[str, Any], query: dict[str, str]) -> bool:
    if "email" in query:
        return query["email"].lower() in {e["value"].lower() for e in person["emails"]}
    if "phone" in query:
        return query["phone"] in {p["value"] for p in person["phones"]}
    return True


@contextmanager
def fub_peer() -> Iterator[FubPeer]:
    peer = FubPeer()
    with serve(peer):
        yield peer


def sign(system_key: str, body: bytes) -> str:
    encoded = base64.b64encode(body)
    return hmac.new(system_key.encode(), encoded, hashlib.sha256).hexdigest()


def event_body(event: str, ids: list[int], event_id: str, created: float, base: str) -> bytes:
    uri = f"{base}/v1/people?id={','.join(str(i) for i in ids)}"
    return json.dumps(
        {
            "eventId": event_id,
            "eventCreated": iso(created),
            "event": event,
            "resourceIds": ids,
            "uri": uri,
        }
    ).encode()
