"""Shared by the Twilio API tests: the app on a virtual clock with Twilio configured (its REST
API a loopback peer when given), requests signed as Twilio signs them, and a worker to drive."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from leadflow.api.app import create_app
from leadflow.channels.twilio_signature import HEADER, FormParams, sign
from leadflow.clock import VirtualClock
from leadflow.engine.worker import Worker
from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import Event, Message, MessageFilter
from leadflow.model.senders import PHONE, Sender
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key
from support.twilio_peer import ACCOUNT_SID, AUTH_TOKEN, TwilioPeer

T0 = 1_750_000_000.0  # Sunday 15 June 2025, 11:06 in New York
PUBLIC = "https://leads.example.com"
SENDER = "+12125550100"
LEAD = "+12125550123"

Params = list[tuple[str, str]] | dict[str, str]


@dataclass
class TwilioApp:
    client: ApiClient
    runtime: Runtime
    clock: VirtualClock
    worker: Worker

    def post(
        self,
        path: str,
        params: Params,
        *,
        signed_url: str | None = None,
        token: str = AUTH_TOKEN,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST ``params`` form-encoded to ``path``, signed over ``signed_url`` (default: the
        public URL of ``path``) unless ``signature`` is given."""
        pairs = list(params.items()) if isinstance(params, dict) else list(params)
        url = signed_url or PUBLIC + path
        sent = {"Content-Type": "application/x-www-form-urlencoded"} | (headers or {})
        if signature is None:
            signature = sign(token, url, FormParams(pairs))
        if signature:
            sent[HEADER] = signature
        return self.client.post(path, content=urlencode(pairs).encode(), headers=sent)

    def tick(self, at: float | None = None) -> int:
        if at is not None:
            self.clock.set(at)
        return self.worker.tick(self.clock.now())

    def settle(self) -> None:
        for _ in range(20):
            if not self.tick():
                return

    def events(self, type_: str | None = None) -> list[Event]:
        return self.runtime.store.list_events(type=type_)


@contextmanager
def twilio_app(db_url: str, peer: TwilioPeer | None = None, **settings: Any) -> Iterator[TwilioApp]:
    """The app with Twilio's webhooks configured; with ``peer``, texts and calls go to it."""
    admin_key(db_url, "acme")
    clock = VirtualClock(T0)
    values: dict[str, Any] = {
        "db": db_url,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": SENDER,
        "public_url": PUBLIC,
    }
    if peer is not None:
        values |= {"sms_provider": "twilio", "voice_provider": "twilio"}
        values["twilio_api_base"] = peer.base_url
    rt = build_runtime(Settings(**(values | settings)), clock=clock)
    # The operator gives the installation's number to acme (inbound texts to it reach acme).
    rt.store.add_sender(Sender("acme", PHONE, SENDER), T0)
    try:
        with ApiClient(create_app(runtime=rt)) as client:
            yield TwilioApp(client, rt, clock, rt.worker())
    finally:
        rt.close()


def text_flow(
    key: str = "hello", *, pause_on_reply: bool = True, then: str | None = None
) -> dict[str, Any]:
    """A workflow that texts once (and, with ``then``, again after an hour)."""
    nodes: list[dict[str, Any]] = [
        {"id": "hi", "kind": "send_sms", "body": "Hi {{ contact.first_name }}, Jo from Acme."}
    ]
    if then:
        nodes[0]["next"] = "pause"
        nodes += [
            {"id": "pause", "kind": "wait", "duration": "1h", "next": "again"},
            {"id": "again", "kind": "send_sms", "body": then},
        ]
    return {
        "key": key,
        "name": key.title(),
        "start": "hi",
        "settings": {"pause_on_reply": pause_on_reply},
        "nodes": nodes,
    }


def call_flow(mode: str = "voicemail_drop", key: str = "ring") -> dict[str, Any]:
    node = {"id": "ring", "kind": "voice_call", "mode": mode, "say": "Hi {{ contact.first_name }}"}
    if mode == "voicemail_drop":
        node["audio_url"] = "https://cdn.example.com/vm.mp3"
    return {"key": key, "name": key.title(), "start": "ring", "nodes": [node]}


def start(tw: TwilioApp, definition: dict[str, Any], *contact_ids: str) -> None:
    """Publish ``definition`` for tenant acme and enroll the contacts."""
    rt = tw.runtime
    publish(rt.store, rt.engine.catalog, definition, tw.clock.now(), tenant_id="acme")
    key, now = definition["key"], tw.clock.now()
    enroll(rt.store, rt.engine.catalog, key, now, contact_ids=contact_ids, tenant_id="acme")


def messages(tw: TwilioApp, contact_id: str) -> list[Message]:
    return tw.runtime.store.list_messages(MessageFilter(contact_id=contact_id))
