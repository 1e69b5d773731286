"""The AI-call ledger in every backend: recorded per tenant, listed newest first and by time,
tokens summed for the monthly budget, the tenant foreign key and unique ids."""

from __future__ import annotations

import pytest

from leadflow.errors import StoreError
from leadflow.model.ai import AiCall
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from support.records import T0


def call(id: str, tenant: str = "acme", at: float = T0, **kw: object) -> AiCall:
    values: dict[str, object] = {
        "purpose": "workflow",
        "model": "m-1",
        "tokens_in": 100,
        "tokens_out": 40,
        "latency_ms": 12.5,
        "cache_hit": False,
        "outcome": "ok",
        "mode": "json_schema",
    }
    values.update(kw)
    return AiCall(id=id, tenant_id=tenant, at=at, **values)  # type: ignore[arg-type]


@pytest.fixture
def tenants(store: Store) -> Store:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    return store


def test_calls_are_listed_newest_first_per_tenant(tenants: Store) -> None:
    tenants.record_ai_call(call("c1", at=T0 + 1))
    tenants.record_ai_call(call("c2", at=T0 + 3, cache_hit=True, tokens_in=0, tokens_out=0))
    tenants.record_ai_call(call("c3", at=T0 + 2, outcome="timeout", mode="tool"))
    tenants.record_ai_call(call("z1", tenant="zeta", at=T0 + 5))
    listed = tenants.list_ai_calls("acme")
    assert [c.id for c in listed] == ["c2", "c3", "c1"]
    assert listed[0].cache_hit is True and listed[0].tokens_in == 0
    assert listed[1] == call("c3", at=T0 + 2, outcome="timeout", mode="tool")
    assert [c.id for c in tenants.list_ai_calls("acme", since=T0 + 2)] == ["c2", "c3"]
    assert [c.id for c in tenants.list_ai_calls("acme", limit=1)] == ["c2"]
    assert [c.id for c in tenants.list_ai_calls("zeta")] == ["z1"]


def test_tokens_used_sums_a_tenant_since_a_moment(tenants: Store) -> None:
    tenants.record_ai_call(call("c1", at=T0 + 1, tokens_in=1000, tokens_out=200))
    tenants.record_ai_call(call("c2", at=T0 + 10, tokens_in=300, tokens_out=50))
    tenants.record_ai_call(call("z1", tenant="zeta", at=T0 + 10, tokens_in=9999))
    assert tenants.ai_tokens_used("acme", T0) == 1550
    assert tenants.ai_tokens_used("acme", T0 + 5) == 350
    assert tenants.ai_tokens_used("acme", T0 + 11) == 0
    assert tenants.ai_tokens_used("nobody", T0) == 0


def test_unknown_tenant_and_duplicate_id_are_refused(tenants: Store) -> None:
    with pytest.raises(StoreError):
        tenants.record_ai_call(call("x", tenant="ghost"))
    tenants.record_ai_call(call("c1"))
    with pytest.raises(StoreError):
        tenants.record_ai_call(call("c1"))
    assert [c.id for c in tenants.list_ai_calls("acme")] == ["c1"]
