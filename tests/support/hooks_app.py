"""Shared by the webhook API tests: an app on a virtual clock, signed requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.webhooks import signing
from support.api_client import ApiClient, admin_key

T0 = 1_750_000_000.0


@dataclass
class Hooks:
    client: ApiClient  # sends tenant acme's admin key
    runtime: Runtime
    clock: VirtualClock
    secret: str  # acme's inbound secret

    def signed(
        self,
        path: str,
        body: bytes | dict[str, Any],
        *,
        at: float | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> httpx.Response:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        sig = signing.sign(secret or self.secret, self.clock.now() if at is None else at, raw)
        sent = {"Content-Type": content_type, signing.HEADER: sig, "Authorization": ""}
        return self.client.post(path, content=raw, headers=sent | (headers or {}))


@contextmanager
def hooks_app(db_url: str, **settings: Any) -> Iterator[Hooks]:
    token = admin_key(db_url, "acme")
    clock = VirtualClock(T0)
    rt = build_runtime(Settings(db=db_url, **settings), clock=clock)
    try:
        app = create_app(runtime=rt)
        with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            got = client.post("/api/v1/webhooks/secret")
            assert got.status_code == 200, got.text
            yield Hooks(client, rt, clock, got.json()["secret"])
    finally:
        rt.close()
