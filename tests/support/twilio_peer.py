"""A loopback stand-in for Twilio's REST API (``/2010-04-01/Accounts/{sid}/...``), speaking its
documented protocol: HTTP Basic auth with the Account SID and Auth Token, form-encoded requests
(repeated fields such as ``MediaUrl`` kept), JSON answers with ``sid``/``status``/``to``/``from``
/``body``, and Twilio's error document ``{"code", "message", "more_info", "status"}``.

WhatsApp goes through the same Messages endpoint: ``To`` and ``From`` carry the ``whatsapp:``
prefix (both, or a Messaging Service: mixing a WhatsApp ``To`` with a plain ``From`` is error
21910), and a message is either free-form (``Body``/``MediaUrl``) or a template: ``ContentSid``
(``HX`` + 32 hex digits; one the peer does not know is error 21655 when approved templates are
registered with :meth:`TwilioPeer.approve`) with ``ContentVariables``, a JSON object of strings
(anything else is error 21656); the peer fills the template's ``{{1}}`` placeholders into the
answer's ``body`` as Twilio does.

Tests point ``LEADFLOW_TWILIO_API_BASE`` at :attr:`TwilioPeer.base_url`, then read what arrived
from :attr:`TwilioPeer.requests` and script refusals with :meth:`TwilioPeer.refuse`.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "peer-auth-token-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
WHATSAPP = "whatsapp:"
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<kind>Messages|Calls)\.json$")


@dataclass
class Received:
    """One request the peer answered."""

    kind: str  # "Messages" or "Calls"
    account: str
    form: list[tuple[str, str]]
    status: int  # what the peer answered
    sid: str | None = None  # the sid it gave (when it accepted)

    def get(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.form if k == name]


@dataclass
class Refusal:
    status: int
    code: int
    message: str
    times: int | None  # None: every time


@dataclass
class TwilioPeer:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    requests: list[Received] = field(default_factory=list)
    refusals: dict[str, Refusal] = field(default_factory=dict)
    base_url: str = ""
    templates: dict[str, str] = field(default_factory=dict)  # approved: ContentSid -> text
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(
        self, to: str, status: int, code: int, message: str, *, times: int | None = None
    ) -> None:
        """Answer requests for ``to`` with this error (``times`` times, or always)."""
        self.refusals[to] = Refusal(status, code, message, times)

    def approve(self, content_sid: str, text: str) -> None:
        """Register an approved WhatsApp template (its text with ``{{1}}`` placeholders)."""
        self.templates[content_sid] = text

    def accepted(self, kind: str = "Messages") -> list[Received]:
        return [r for r in self.requests if r.kind == kind and r.status == 201]

    # ------------------------------------------------------------------ protocol
    def answer(self, path: str, auth: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        match = PATH.match(path)
        if match is None:
            return 404, error(404, 20404, "The requested resource was not found")
        if not self._authorised(auth, match["account"]):
            return 401, error(401, 20003, "Authenticate")
        form = parse_qsl(body.decode(), keep_blank_values=True)
        got = Received(match["kind"], match["account"], form, 0)
        with self._lock:
            status, doc = self._create(got)
            got.status, got.sid = status, doc.get("sid")
            self.requests.append(got)
        return status, doc

    def _authorised(self, auth: str | None, account: str) -> bool:
        if not auth or not auth.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid == account and password == self.auth_token

    def _create(self, got: Received) -> tuple[int, dict[str, Any]]:
        to = got.get("To")
        if not to:
            return 400, error(400, 21604, "A 'To' phone number is required.")
        sender = got.get("From")
        service = got.get("MessagingServiceSid")
        if not sender and not service:
            return 400, error(400, 21603, "A 'From' phone number is required.")
        refusal = self.refusals.get(to)
        if refusal is not None:
            if refusal.times is not None:
                refusal.times -= 1
                if refusal.times <= 0:
                    del self.refusals[to]
            return refusal.status, error(refusal.status, refusal.code, refusal.message)
        n = next(self._ids)
        now = formatdate(usegmt=True)
        if got.kind == "Calls":
            if not (got.get("Url") or got.get("Twiml")):
                return 400, error(400, 21205, "Url parameter is required.")
            sid = f"CA{n:032x}"
            return 201, {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": to,
                "from": sender,
                "status": "queued",
                "direction": "outbound-api",
                "date_created": now,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
            }
        body = got.get("Body")
        media = got.all("MediaUrl")
        content_sid = got.get("ContentSid")
        if to.startswith(WHATSAPP) and not service and not (sender or "").startswith(WHATSAPP):
            return 400, error(400, 21910, "Invalid From and To pair.")
        if content_sid:
            rendered = self._template(content_sid, got.get("ContentVariables"))
            if isinstance(rendered, tuple):
                return rendered
            body = rendered
        elif not body and not media:
            return 400, error(400, 21602, "Message body is required.")
        sid = f"SM{n:032x}"
        return 201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "messaging_service_sid": service,
            "to": to,
            "from": sender,
            "body": body or "",
            "num_media": str(len(media)),
            "num_segments": "1",
            "status": "accepted" if service else "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def _template(
        self, content_sid: str, variables: str | None
    ) -> str | tuple[int, dict[str, Any]]:
        """The template's text with its variables filled in, or Twilio's error answer."""
        if not CONTENT_SID.match(content_sid) or (
            self.templates and content_sid not in self.templates
        ):
            return 400, error(400, 21655, "The ContentSid is Invalid.")
        values: Any = {}
        if variables:
            try:
                values = json.loads(variables)
            except ValueError:
                values = None
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            return 400, error(400, 21656, "The ContentVariables Parameter is invalid.")
        text = self.templates.get(content_sid, "")
        return PLACEHOLDER.sub(lambda m: str(values.get(m[1], m[0])), text)


def error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@contextmanager
def twilio_peer() -> Iterator[TwilioPeer]:
    """A peer listening on 127.0.0.1 (a free port) until the block ends."""
    peer = TwilioPeer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, doc = peer.answer(
                self.path, self.headers.get("Authorization"), self.rfile.read(length)
            )
            raw = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    peer.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
