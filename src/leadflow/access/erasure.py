"""The right to erasure through the API and the CLI: an admin (or a manager, for the leads of
its team) erases a contact of its scope; the contact's live runs are cancelled, its pending
messages suppressed and its personal data removed from every table in one transaction, and an
audit line without personal data is kept (see :mod:`leadflow.model.erasure`)."""

from __future__ import annotations

from leadflow.access.scope import ADMIN, WRITE_ROLES, require_role, visible_contact
from leadflow.errors import NotFound
from leadflow.model.erasure import Erasure
from leadflow.model.records import Scope
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal


def erased_by(principal: Principal) -> str:
    """Who asked, as the audit keeps it: the API key's id (``key:<id>``) or the command line's
    operator (``cli`` or ``cli:<user>``)."""
    key = principal.key_id
    return key if key.startswith("cli") else f"key:{key}"


def erase(store: Store, principal: Principal, scope: Scope, contact_id: str, now: float) -> Erasure:
    """Erase ``contact_id``: NotFound when it is not a contact of the caller's scope (the same
    answer for another tenant's lead and for none), Forbidden for an agent's key."""
    require_role(principal, WRITE_ROLES, "erasing a contact")
    visible_contact(store, scope, contact_id)
    done = store.erase_contact(scope.tenant_id, contact_id, erased_by(principal), now)
    if done is None:  # erased (or moved) between the check and the transaction
        raise NotFound(f"no contact {contact_id!r}")
    return done


def audit(store: Store, principal: Principal, limit: int = 100) -> list[Erasure]:
    """The tenant's erasures, newest first (admins only)."""
    tenant_id = require_role(principal, ADMIN, "reading the erasure audit")
    return store.list_erasures(tenant_id, limit)


__all__ = ["audit", "erase", "erased_by"]
