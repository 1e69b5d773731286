"""Finding the contact a new lead already is: the same e-mail, else the same phone, within a
scope."""

from __future__ import annotations

from leadflow.model.records import Contact, ContactFilter, Scope
from leadflow.store.contract import Store


def find_duplicate(store: Store, scope: Scope, email: str | None, phone: str | None) -> Contact:
    """The first contact of the scope with this e-mail, else this phone (or raise LookupError)."""
    for flt in (
        ContactFilter(scope=scope, email=email, limit=1) if email else None,
        ContactFilter(scope=scope, phone=phone, limit=1) if phone else None,
    ):
        if flt is not None:
            found = store.find_contacts(flt)
            if found:
                return found[0]
    raise LookupError
