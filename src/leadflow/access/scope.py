"""From who is calling (an API key's :class:`Principal`, or the command line acting for a
tenant) to what it may see (a :class:`Scope`), and the one check of what it may do."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from leadflow.errors import Forbidden, NotFound
from leadflow.model.records import DEFAULT_TENANT, Contact, Scope
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

WRITE_ROLES = frozenset({"admin", "manager"})
ADMIN = frozenset({"admin"})
ANY_ROLE = frozenset({"admin", "manager", "agent"})
OPERATOR = "cli"  # the key id of the command line's principal (API key ids are hex)

P = ParamSpec("P")
R = TypeVar("R")


def operator(tenant_id: str) -> Principal:
    """The command line as an admin of ``tenant_id``: the same operations, checks and errors as
    an admin key; what it changes is recorded as ``cli:<operating-system user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        return Principal(tenant_id, "admin", OPERATOR)
    return Principal(tenant_id, "admin", f"{OPERATOR}:{user}")


def operator_of(store: Store, contact_id: str | None) -> tuple[Principal, Scope]:
    """The command line addressing a lead (or its run, its message) by id, whatever its tenant:
    an admin of the lead's tenant, and that tenant as its scope (the default tenant's when there
    is no such lead: it is then not found there either)."""
    found = None if contact_id is None else store.get_contact(contact_id)
    tenant = DEFAULT_TENANT if found is None else found.tenant_id
    return operator(tenant), Scope(tenant)


def is_operator(principal: Principal) -> bool:
    return principal.key_id.partition(":")[0] == OPERATOR


def actor(principal: Principal) -> str:
    """Who a manual change is recorded as: ``key:<key id>``, or ``cli[:<user>]``."""
    return principal.key_id if is_operator(principal) else f"key:{principal.key_id}"


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


def for_principal(
    over_scope: Callable[Concatenate[Store, Scope, P], R],
) -> Callable[Concatenate[Store, Principal, P], R]:
    """A function of a store and a :class:`Scope` (a report of :mod:`leadflow.analytics`), taking
    the caller's principal instead: it runs over what the caller may see (:func:`scope_of`)."""

    @functools.wraps(over_scope)
    def in_callers_scope(store: Store, principal: Principal, /, *args: P.args, **kw: P.kwargs) -> R:
        return over_scope(store, scope_of(store, principal), *args, **kw)

    return in_callers_scope


def require_role(
    principal: Principal, roles: frozenset[str], action: str, refusal: str | None = None
) -> str:
    """The caller's tenant when its role is one of ``roles``; Forbidden (403) otherwise, saying
    ``refusal`` when given."""
    if principal.role not in roles:
        allowed = " or ".join(sorted(roles))
        raise Forbidden(
            refusal or f"{action} needs an {allowed} key; this key's role is {principal.role}"
        )
    return principal.tenant_id


def visible_contact(store: Store, scope: Scope, contact_id: str) -> Contact:
    """The contact when it is in scope; NotFound otherwise -- the same answer whether it does
    not exist or belongs to someone else, so ids of other tenants' leads leak nothing."""
    found = store.get_contact(contact_id)
    if found is None or not scope.allows(found):
        raise NotFound(f"no contact {contact_id!r}")
    return found
