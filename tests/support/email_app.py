"""Shared by the e-mail API tests: the app on a virtual clock with e-mail settings, a contact,
and readers for what the tests check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.model.records import Contact, Event
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key
from support.email_peers import email_settings

T0 = 1_750_000_000.0


@dataclass
class EmailApp:
    client: ApiClient  # no API key: these routes take none
    runtime: Runtime
    clock: VirtualClock

    def contact(self, cid: str) -> Contact:
        found = self.runtime.store.get_contact(cid)
        assert found is not None
        return found

    def events(self, type_: str | None = None) -> list[Event]:
        return self.runtime.store.list_events(limit=10_000, type=type_)


@contextmanager
def email_app(db_url: str, **settings: Any) -> Iterator[EmailApp]:
    admin_key(db_url, "acme")  # the tenant
    clock = VirtualClock(T0)
    rt = build_runtime(Settings(db=db_url, **email_settings(**settings)), clock=clock, seed=1)
    rt.store.upsert_contacts(
        [
            Contact("jane", first_name="Jane", email="jane@example.com", tenant_id="acme"),
            Contact("omar", first_name="Omar", email="omar@example.com", tenant_id="acme"),
        ],
        T0,
    )
    try:
        with ApiClient(create_app(runtime=rt)) as client:
            yield EmailApp(client, rt, clock)
    finally:
        rt.close()
