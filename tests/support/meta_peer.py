"""A loopback stand-in for Meta's Graph API, speaking the documented requests and answers of
the two calls leadflow makes:

* the Send API, ``POST /{version}/{page-id}/messages`` (or ``/{version}/me/messages``) with a page
  access token (``Authorization: Bearer``, or ``access_token`` in the query or JSON body) and a
  JSON body ``{"recipient": {"id": PSID}, "messaging_type": ..., "message": {"text": ...},
  "tag": ...}``, answered ``{"recipient_id", "message_id"}``;
* a Lead Ads lead, ``GET /{version}/{leadgen-id}?fields=...`` with the token of the lead's page,
  answered ``{"id", "created_time", "form_id", "ad_id", "field_data": [{"name", "values"}]}``.

Errors are Graph's error document ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``: 190 for a bad token, 100 for a bad parameter or unknown object, 10/2018278
for a send outside the standard messaging window (the peer keeps its own record of when each
user last wrote to each page, judged on the test's clock), 551 for a person who is not
available, and any error a test scripts with :meth:`MetaPeer.fail_next`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

VERSION = "v21.0"
TAGS = {"HUMAN_AGENT", "ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE"}
SEND = re.compile(r"^/(?P<version>v\d+\.\d+)/(?P<page>[^/]+)/messages$")
OBJECT = re.compile(r"^/(?P<version>v\d+\.\d+)/(?P<id>[0-9A-Za-z_]+)$")


@dataclass
class Received:
    method: str
    path: str
    token: str | None
    body: dict[str, Any] | None
    query: dict[str, str]
    status: int


@dataclass
class MetaPeer:
    now: Callable[[], float]
    pages: dict[str, str] = field(default_factory=dict)  # page id -> page access token
    leads: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # id -> (page, lead)
    last_inbound: dict[tuple[str, str], float] = field(default_factory=dict)  # (page, psid)
    unavailable: set[str] = field(default_factory=set)  # PSIDs that blocked the page
    requests: list[Received] = field(default_factory=list)
    scripted: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    base_url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, code: int, message: str, subcode: int | None = None) -> None:
        """Answer the next request with this Graph error."""
        self.scripted.append((status, error(code, message, subcode)))

    def sends(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST" and r.status == 200]

    # ------------------------------------------------------------------ protocol
    def answer(
        self, method: str, url: str, auth: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body: dict[str, Any] | None = None
        if method == "POST":
            try:
                loaded = json.loads(raw or b"{}")
            except ValueError:
                loaded = None
            body = loaded if isinstance(loaded, dict) else None
        token = None
        if auth and auth.startswith("Bearer "):
            token = auth[len("Bearer ") :]
        token = token or query.get("access_token") or (body or {}).get("access_token")
        with self._lock:
            if self.scripted:
                status, doc = self.scripted.pop(0)
            elif method == "POST":
                status, doc = self._send(parts.path, token, body)
            else:
                status, doc = self._object(parts.path, token)
            self.requests.append(Received(method, parts.path, token, body, query, status))
        return status, doc

    def _page_of(self, token: str | None) -> str | None:
        return next((p for p, t in self.pages.items() if token and t == token), None)

    def _send(
        self, path: str, token: str | None, body: dict[str, Any] | None
    ) -> tuple[int, dict[str, Any]]:
        match = SEND.match(path)
        if match is None:
            return 404, error(803, "Some of the aliases you requested do not exist")
        page = self._page_of(token)
        if page is None or match["page"] not in ("me", page):
            return 400, error(190, "Invalid OAuth access token - Cannot parse access token")
        if body is None:
            return 400, error(100, "(#100) The request body must be JSON")
        recipient = body.get("recipient")
        psid = recipient.get("id") if isinstance(recipient, dict) else None
        if not isinstance(psid, str):
            return 400, error(100, "(#100) The parameter recipient is required")
        kind = body.get("messaging_type")
        if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return 400, error(100, "(#100) Param messaging_type must be one of {RESPONSE, ...}")
        tag = body.get("tag")
        if kind == "MESSAGE_TAG" and tag not in TAGS:
            return 400, error(100, "(#100) Param tag must be one of the message tags")
        message = body.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("text"), str):
            return 400, error(100, "(#100) param message must be non-empty")
        if psid in self.unavailable:
            return 400, error(551, "This person isn't available right now.", 1545041)
        last = self.last_inbound.get((page, psid))
        age = None if last is None else self.now() - last
        allowed = age is not None and age <= 24 * 3600
        if not allowed and kind == "MESSAGE_TAG":  # HUMAN_AGENT: 7 days; the others: always
            allowed = tag != "HUMAN_AGENT" or (age is not None and age <= 7 * 24 * 3600)
        if not allowed:
            return 400, error(10, "(#10) This message is sent outside of allowed window.", 2018278)
        return 200, {"recipient_id": psid, "message_id": f"m_peer{next(self._ids):06d}"}

    def _object(self, path: str, token: str | None) -> tuple[int, dict[str, Any]]:
        match = OBJECT.match(path)
        if match is None:
            return 404, error(803, "Some of the aliases you requested do not exist")
        page = self._page_of(token)
        if page is None:
            return 400, error(190, "Invalid OAuth access token - Cannot parse access token")
        found = self.leads.get(match["id"])
        if found is None or found[0] != page:
            return 400, error(
                100,
                f"Unsupported get request. Object with ID '{match['id']}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this operation",
                33,
            )
        return 200, dict(found[1])


def error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGh123",
    }
    if subcode is not None:
        doc["error_subcode"] = subcode
    return {"error": doc}


@contextmanager
def meta_peer(now: Callable[[], float]) -> Iterator[MetaPeer]:
    peer = MetaPeer(now)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, doc = peer.answer(method, self.path, self.headers.get("Authorization"), raw)
            out = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_POST(self) -> None:
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    peer.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
