"""Which runs and contacts a report counts: entry date range, agents (an agent, or a team's
agents), lead source, tag."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadflow.model.records import Contact, Run, RunFilter, Scope
from leadflow.store.contract import Store

SOURCE_FIELDS = ("source", "lead_source", "LeadSource")
_PAGE = 5000


@dataclass(frozen=True, slots=True)
class Filters:
    """``since``/``until``: when the run entered (or the lead was created), [since, until);
    ``agents``: contact owners (None: everyone in scope); ``source``: the lead's source field;
    ``tag``: one of the contact's tags."""

    since: float | None = None
    until: float | None = None
    agents: frozenset[str] | None = None
    source: str | None = None
    tag: str | None = None

    def in_range(self, at: float) -> bool:
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)

    def allows(self, contact: Contact | None) -> bool:
        if contact is None:
            return False
        if self.agents is not None and contact.owner not in self.agents:
            return False
        if self.tag is not None and self.tag not in contact.tags:
            return False
        return self.source is None or source_of(contact) == self.source


def source_of(contact: Contact) -> str | None:
    """The lead's source (the first of its ``source`` / ``lead_source`` / ``LeadSource``
    fields), as text."""
    for name in SOURCE_FIELDS:
        value = contact.fields.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def runs_in(
    store: Store, scope: Scope, workflow_key: str | None, flt: Filters
) -> tuple[list[Run], dict[str, Contact]]:
    """The runs (of one workflow, or all) in ``scope`` that entered in the filter's range and
    whose contact passes it, by id; and those contacts."""
    runs: list[Run] = []
    after = 0
    while True:
        page = store.list_runs(
            RunFilter(workflow_key=workflow_key, scope=scope, after_id=after, limit=_PAGE)
        )
        runs += [r for r in page if flt.in_range(r.created_at)]
        if len(page) < _PAGE:
            break
        after = page[-1].id
    contacts = contacts_of(store, (r.contact_id for r in runs))
    kept = [r for r in runs if flt.allows(contacts.get(r.contact_id))]
    return kept, {c: contacts[c] for c in {r.contact_id for r in kept}}


def contacts_of(store: Store, ids: Iterable[str]) -> dict[str, Contact]:
    return store.get_contacts(set(ids))


__all__ = ["SOURCE_FIELDS", "Filters", "contacts_of", "runs_in", "source_of"]
