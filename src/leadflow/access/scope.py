"""From who is calling (an API key's :class:`Principal`) to what it may see (a :class:`Scope`)."""

from __future__ import annotations

from leadflow.errors import Forbidden, NotFound
from leadflow.model.records import Contact, Scope
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

WRITE_ROLES = frozenset({"admin", "manager"})


def scope_of(store: Store, principal: Principal) -> Scope:
    """Admins see the whole tenant; a manager the leads owned by its team's agents (and its
    own); an agent only the leads it owns. A manager without a team sees its own leads."""
    if principal.role == "admin":
        return Scope(principal.tenant_id)
    own = {principal.member_key} if principal.member_key else set()
    if principal.role == "manager" and principal.team_key:
        team = store.list_agents(principal.tenant_id, principal.team_key)
        own |= {a.member_key for a in team}
    return Scope(principal.tenant_id, frozenset(own))


def require_role(principal: Principal, roles: frozenset[str], action: str) -> None:
    """Forbidden (403) unless the caller's role is one of ``roles``."""
    if principal.role not in roles:
        allowed = " or ".join(sorted(roles))
        raise Forbidden(f"{action} needs an {allowed} key; this key's role is {principal.role}")


def visible_contact(store: Store, scope: Scope, contact_id: str) -> Contact:
    """The contact when it is in scope; NotFound otherwise -- the same answer whether it does
    not exist or belongs to someone else, so ids of other tenants' leads leak nothing."""
    found = store.get_contact(contact_id)
    if found is None or not scope.allows(found):
        raise NotFound(f"no contact {contact_id!r}")
    return found
