"""The texts ai_compose steps chose, on every backend: one per step (the first kept wins, so a
step executed again finds the same text), per tenant, a contact's listed oldest first, and no
tenant row needed (as for contacts)."""

from __future__ import annotations

import pytest

from leadflow.model.compose import ComposeDraft
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from support.records import T0


def draft(key: str, body: str, tenant: str = "acme", at: float = T0, **kw: object) -> ComposeDraft:
    values: dict[str, object] = {
        "contact_id": "c1",
        "node": "hello",
        "channel": "sms",
        "source": "model",
    }
    values.update(kw)
    return ComposeDraft(tenant, key, body=body, created_at=at, **values)  # type: ignore[arg-type]


@pytest.fixture
def tenants(store: Store) -> Store:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    return store


def test_the_first_draft_of_a_step_wins(tenants: Store) -> None:
    first = draft("1:hello:1", "Hi Ann, Sam at Acme. Reply STOP to opt out")
    assert tenants.keep_compose_draft(first) == first
    again = draft("1:hello:1", "A different text", at=T0 + 5)
    assert tenants.keep_compose_draft(again) == first
    assert tenants.get_compose_draft("acme", "1:hello:1") == first
    assert tenants.get_compose_draft("zeta", "1:hello:1") is None


def test_reasons_subject_and_refused_draft_come_back(tenants: Store) -> None:
    kept = draft(
        "2:mail:3",
        "Template text",
        channel="email",
        subject="Homes for you",
        source="template",
        reasons=("facts: the price '$1' is not in the data", "length: 900 characters"),
        draft="The refused draft $1",
    )
    tenants.keep_compose_draft(kept)
    assert tenants.get_compose_draft("acme", "2:mail:3") == kept


def test_a_contacts_drafts_oldest_first_and_per_tenant(tenants: Store) -> None:
    tenants.keep_compose_draft(draft("1:b:2", "second", at=T0 + 2))
    tenants.keep_compose_draft(draft("1:a:1", "first", at=T0 + 1))
    tenants.keep_compose_draft(draft("9:a:1", "other lead", contact_id="c2"))
    tenants.keep_compose_draft(draft("1:a:1", "zeta's", tenant="zeta"))
    assert [d.body for d in tenants.compose_drafts("acme", "c1")] == ["first", "second"]
    assert [d.body for d in tenants.compose_drafts("zeta", "c1")] == ["zeta's"]


def test_a_lead_of_the_default_tenant_needs_no_tenant_row(store: Store) -> None:
    """Like contacts: data entered without a tenant belongs to "default", row or not."""
    kept = draft("1:a:1", "x", tenant="default")
    assert store.get_tenant("default") is None
    assert store.keep_compose_draft(kept) == kept
