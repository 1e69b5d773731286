"""Shared by the Meta API tests: the app on a virtual clock with Meta configured (the Graph API
a loopback peer), two tenants each with an admin key and a Facebook page, page webhook posts
signed as Meta signs them, and a worker to drive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from leadflow.api.app import create_app
from leadflow.channels.meta_signature import HEADER, sign
from leadflow.clock import VirtualClock
from leadflow.engine.worker import Worker
from leadflow.model.records import Contact, Event, Message, MessageFilter
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key
from support.meta_peer import VERSION, MetaPeer, meta_peer

T0 = 1_750_000_000.0
APP_SECRET = "meta-app-secret-0123456789abcdef"
VERIFY_TOKEN = "verify-me-please"
ACME_PAGE, ACME_TOKEN = "1111111111", "EAAacmePageToken0001"
BETA_PAGE, BETA_TOKEN = "2222222222", "EAAbetaPageToken0002"
PAGES = "/api/v1/tenants/current/meta/pages"


@dataclass
class MetaApp:
    client: ApiClient  # sends acme's admin key
    beta_key: str
    runtime: Runtime
    clock: VirtualClock
    worker: Worker
    peer: MetaPeer

    def post(
        self, doc: dict[str, Any] | bytes, *, secret: str = APP_SECRET, signature: str | None = None
    ) -> httpx.Response:
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        headers = {"Content-Type": "application/json"}
        sig = sign(secret, body) if signature is None else signature
        if sig:
            headers[HEADER] = sig
        return self.client.post("/webhooks/meta", content=body, headers=headers)

    def message(self, page: str, psid: str, mid: str, text: str) -> httpx.Response:
        """The user ``psid`` writes ``text`` to ``page`` now (Meta's peer learns it too)."""
        at = self.clock.now()
        self.peer.last_inbound[(page, psid)] = at
        return self.post(message_post(page, psid, mid, text, at))

    def beta(self, method: str, url: str, **kw: Any) -> httpx.Response:
        """A request with beta's admin key."""
        headers = {"Authorization": f"Bearer {self.beta_key}"} | kw.pop("headers", {})
        return self.client.request(method, url, headers=headers, **kw)

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

    def contacts(self, tenant: str) -> list[Contact]:
        return [c for c in self.runtime.store.list_contacts() if c.tenant_id == tenant]

    def messages(self, contact_id: str) -> list[Message]:
        return self.runtime.store.list_messages(MessageFilter(contact_id=contact_id))


def message_post(page: str, psid: str, mid: str, text: str, at: float) -> dict[str, Any]:
    ms = int(at * 1000)
    return {
        "object": "page",
        "entry": [
            {
                "id": page,
                "time": ms,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": page},
                        "timestamp": ms,
                        "message": {"mid": mid, "text": text},
                    }
                ],
            }
        ],
    }


def leadgen_post(page: str, *leadgen_ids: str, at: float = T0) -> dict[str, Any]:
    return {
        "object": "page",
        "entry": [
            {
                "id": page,
                "time": int(at),
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {
                            "ad_id": "444",
                            "form_id": "555",
                            "leadgen_id": leadgen_id,
                            "created_time": int(at),
                            "page_id": page,
                            "adgroup_id": "444",
                        },
                    }
                    for leadgen_id in leadgen_ids
                ],
            }
        ],
    }


def field_data(**answers: str) -> list[dict[str, Any]]:
    return [{"name": name, "values": [value]} for name, value in answers.items()]


@contextmanager
def meta_app(db_url: str, **settings: Any) -> Iterator[MetaApp]:
    acme_key = admin_key(db_url, "acme")
    beta_key = admin_key(db_url, "beta")
    clock = VirtualClock(T0)
    with meta_peer(clock.now) as peer:
        peer.pages = {ACME_PAGE: ACME_TOKEN, BETA_PAGE: BETA_TOKEN}
        values: dict[str, Any] = {
            "db": db_url,
            "messenger_provider": "meta",
            "meta_app_secret": APP_SECRET,
            "meta_verify_token": VERIFY_TOKEN,
            "meta_graph_base": peer.base_url,
            "meta_graph_version": VERSION,
        }
        rt = build_runtime(Settings(**(values | settings)), clock=clock)
        try:
            app = create_app(runtime=rt)
            with ApiClient(app, headers={"Authorization": f"Bearer {acme_key}"}) as client:
                made = MetaApp(client, beta_key, rt, clock, rt.worker(), peer)
                answer = client.post(PAGES, json={"page_id": ACME_PAGE, "access_token": ACME_TOKEN})
                assert answer.status_code == 201, answer.text
                answer = made.beta(
                    "POST", PAGES, json={"page_id": BETA_PAGE, "access_token": BETA_TOKEN}
                )
                assert answer.status_code == 201, answer.text
                yield made
        finally:
            rt.close()
