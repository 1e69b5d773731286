"""A tenant's inbound e-mail hook: its own SendGrid Inbound Parse URL, for admins only. The
secret in it is given once, when made or rotated (rotation retires the old one); only its digest
is kept (:mod:`leadflow.channels.sendgrid_inbound`)."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.access.scope import ADMIN, require_role
from leadflow.channels.sendgrid_inbound import new_tenant_secret
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

HOOK_PATH = "/hooks/sendgrid/inbound"


@dataclass(slots=True, frozen=True)
class InboundHook:
    tenant_id: str
    secret: str
    path: str  # the URL's path: /hooks/sendgrid/inbound/{tenant}/{secret}


def rotate_sendgrid_secret(store: Store, principal: Principal) -> InboundHook:
    """A new secret for the tenant's Inbound Parse URL."""
    tenant = require_role(principal, ADMIN, "setting up inbound e-mail")
    secret = new_tenant_secret(store, tenant)
    return InboundHook(tenant, secret, f"{HOOK_PATH}/{tenant}/{secret}")


__all__ = ["HOOK_PATH", "InboundHook", "rotate_sendgrid_secret"]
