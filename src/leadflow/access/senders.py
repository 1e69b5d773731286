"""A tenant's senders (phone numbers, Messaging Services, e-mail from-addresses; see
:mod:`leadflow.channels.senders`), managed by its admins. The command line, being the
installation's operator, may also give a tenant one of the configured senders of the settings."""

from __future__ import annotations

from typing import Literal

from leadflow.access.scope import ADMIN, is_operator, require_role
from leadflow.channels import senders
from leadflow.model.senders import Sender
from leadflow.settings import Settings
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

Source = Literal["registered", "settings"]


def listed(store: Store, settings: Settings, principal: Principal) -> list[tuple[Sender, Source]]:
    """The tenant's registered senders, then the configured ones of the settings it owns (the
    ``default`` tenant's, unless registered for it)."""
    tenant = require_role(principal, ADMIN, "listing senders")
    found: list[tuple[Sender, Source]] = [(s, "registered") for s in store.list_senders(tenant)]
    for (kind, address), owner in senders.configured(settings).items():
        if owner == tenant and store.sender_owner(kind, address) is None:
            found.append((Sender(tenant, kind, address), "settings"))
    return found


def add(
    store: Store,
    settings: Settings,
    principal: Principal,
    kind: str,
    address: str,
    now: float,
    label: str | None = None,
) -> Sender:
    tenant = require_role(principal, ADMIN, "registering senders")
    operator = is_operator(principal)
    return senders.add(store, settings, tenant, kind, address, now, label=label, operator=operator)


def remove(store: Store, principal: Principal, kind: str, address: str) -> None:
    senders.remove(store, require_role(principal, ADMIN, "removing senders"), kind, address)
