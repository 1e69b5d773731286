"""A tenant's API keys: admins list, create and revoke them; every key may see itself. A key
of another tenant is NotFound as a missing one is."""

from __future__ import annotations

from leadflow.access.scope import ADMIN, require_role
from leadflow.errors import NotFound
from leadflow.model.tenancy import ApiKey
from leadflow.store.contract import Store
from leadflow.tenancy import accounts
from leadflow.tenancy.accounts import Principal


def listed(store: Store, principal: Principal) -> list[ApiKey]:
    """The tenant's keys, revoked ones too."""
    return store.list_api_keys(require_role(principal, ADMIN, "listing keys"))


def current(store: Store, principal: Principal) -> ApiKey:
    found = store.get_api_key(principal.key_id)
    assert found is not None
    return found


def create(
    store: Store, principal: Principal, role: str, now: float, **named: str | None
) -> tuple[ApiKey, str]:
    """A new key (``named``: its agent's ``member_key``, a ``name``): (its record, the key
    itself, shown this once and never stored)."""
    tenant = require_role(principal, ADMIN, "creating keys")
    return accounts.create_key(store, tenant, role, now, **named)


def revoke(store: Store, principal: Principal, key_id: str, now: float) -> tuple[ApiKey, bool]:
    """Revoke one of the tenant's keys at once: (the key as it is now, whether this revoked
    it; False when it was revoked already)."""
    tenant = require_role(principal, ADMIN, "revoking keys")
    found = store.get_api_key(key_id)
    if found is None or found.tenant_id != tenant:
        raise NotFound(f"no key {key_id!r}")
    revoked = store.revoke_api_key(key_id, now)
    after = store.get_api_key(key_id)
    assert after is not None
    return after, revoked
