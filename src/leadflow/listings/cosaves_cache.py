"""Each tenant's :class:`~leadflow.listings.collaborative.CoSaves`, read from the store's events
and kept between visits of the ``match_properties`` node.

The first visit for a tenant reads its saves and tours (``Store.list_events`` scoped to the
tenant: only events whose contact is in it, so one tenant's leads never count for another's);
later visits read only the events stored since (ids above the last one read, per type) and keep
those whose contact is in the tenant. The
structure is rebuilt from scratch every :data:`REBUILD_S` seconds of the clock, so events
erased or pruned since stop counting within that time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leadflow.listings.collaborative import RECENT, SIGNAL_EVENTS, CoSaves
from leadflow.model.records import Event, Scope

if TYPE_CHECKING:
    from leadflow.store.contract import Store

REBUILD_S = 3600.0
PAGE = 5000


@dataclass(slots=True)
class _Entry:
    cosaves: CoSaves
    built_at: float
    cursors: dict[str, int] = field(default_factory=dict)


class CoSavesCache:
    """Per-tenant co-saves over one store (see the module)."""

    def __init__(self, store: Store, *, rebuild_s: float = REBUILD_S, recent: int = RECENT) -> None:
        self.store = store
        self.rebuild_s = rebuild_s
        self.recent = recent
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: str, now: float) -> CoSaves:
        """The tenant's co-saves, up to the events stored by now."""
        with self._lock:
            entry = self._entries.get(tenant_id)
            if entry is None or now - entry.built_at >= self.rebuild_s or now < entry.built_at:
                entry = _Entry(CoSaves(self.recent), now)
                self._entries[tenant_id] = entry
            fresh: list[Event] = []
            for kind in SIGNAL_EVENTS:
                fresh += self._read(tenant_id, kind, entry)
            for event in sorted(fresh, key=lambda e: (e.occurred_at, e.id)):
                key = event.data.get("listing_key") if isinstance(event.data, dict) else None
                if event.contact_id and isinstance(key, str) and key and event.error is None:
                    entry.cosaves.add(event.contact_id, key)
            return entry.cosaves

    def _read(self, tenant_id: str, kind: str, entry: _Entry) -> list[Event]:
        """The tenant's events of ``kind`` after the cursor. The first read goes through the
        tenant's contacts (the store's scoped query, an index per contact); later ones read
        the few events stored since by id, whatever their tenant, and keep those whose contact
        is in the tenant (``Store.contacts_in_scope``) -- a scoped query would walk every
        contact of the tenant again on each visit."""
        scope = Scope(tenant_id)
        warm = kind in entry.cursors
        out: list[Event] = []
        while True:
            after = entry.cursors.get(kind, 0)
            if warm:
                page = self.store.list_events(type=kind, after_id=after, limit=PAGE)
                ours = self.store.contacts_in_scope(
                    scope, {e.contact_id for e in page if e.contact_id}
                )
                out += [e for e in page if e.contact_id in ours]
            else:
                page = self.store.list_events(scope=scope, type=kind, after_id=after, limit=PAGE)
                out += page
            entry.cursors[kind] = page[-1].id if page else after
            if len(page) < PAGE:
                return out


__all__ = ["REBUILD_S", "CoSavesCache"]
