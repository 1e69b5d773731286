"""Fixtures of the CRM connector tests: a SQLite store with two tenants, a virtual clock, a
sleeper that moves it (nothing here waits for real), the peers with acme's connectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow.clock import VirtualClock
from leadflow.integrations.operations import CrmLink
from leadflow.integrations.ratelimit import Buckets
from leadflow.model.crm import CrmConnector
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from support import fub_peer as fp
from support import ghl_peer as gp
from support.crm_kit import Sleeper
from support.records import T0
from support.stores import make_store


@pytest.fixture
def crm_store(tmp_path: Path) -> Iterator[Store]:
    store = make_store("sqlite", tmp_path)
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    yield store
    store.close()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def sleeper(clock: VirtualClock) -> Sleeper:
    return Sleeper(clock)


@pytest.fixture
def link(crm_store: Store, clock: VirtualClock, sleeper: Sleeper) -> CrmLink:
    return CrmLink(crm_store, clock, Buckets(), sleeper)


@pytest.fixture
def ghl(crm_store: Store) -> Iterator[gp.GhlPeer]:
    with gp.ghl_peer() as peer:
        crm_store.put_crm_connector(
            CrmConnector(
                "acme",
                "ghl",
                {
                    "api_key": gp.TOKEN,
                    "location_id": gp.LOCATION,
                    "base_url": peer.base_url,
                    "pipeline_id": "pipe_1",
                },
            ),
            T0,
        )
        yield peer


@pytest.fixture
def fub(crm_store: Store) -> Iterator[fp.FubPeer]:
    with fp.fub_peer() as peer:
        crm_store.put_crm_connector(
            CrmConnector(
                "acme",
                "fub",
                {
                    "api_key": fp.API_KEY,
                    "system": fp.SYSTEM,
                    "system_key": fp.SYSTEM_KEY,
                    "base_url": peer.base_url + "/v1",
                },
            ),
            T0,
        )
        yield peer
