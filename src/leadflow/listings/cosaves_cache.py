"""Each tenant's :class:`~leadflow.listings.collaborative.CoSaves`, read from the store's events
and kept between visits of the ``match_properties`` node.

The first visit for a tenant notes the newest event id stored (``Store.event_marks``: the mark)
and reads the tenant's saves and tours up to it (``Store.list_events`` scoped to the tenant:
only events whose contact is in it, so one tenant's leads never count for another's; the store
finds them through the tenant's contacts and the (contact, type) index). A later visit reads
only the events stored after the mark (a primary-key range, whatever their tenant), keeps the
saves and tours whose contact is in the tenant (``Store.contacts_in_scope``), and moves the mark
on: its cost follows the events stored since the last visit, not the tenant's size. (Finding
the newest id starts from the newest any tenant's read saw, so only the process's first read
walks them all.) The structure is rebuilt from scratch every :data:`REBUILD_S` seconds of the
clock, so events erased or pruned since -- or committed late under an id below the mark --
are counted right within that time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadflow.listings.collaborative import RECENT, SIGNAL_EVENTS, CoSaves
from leadflow.model.records import Event, Scope

if TYPE_CHECKING:
    from leadflow.store.contract import Store

REBUILD_S = 3600.0
PAGE = 5000
MARKS_PAGE = 50_000


@dataclass(slots=True)
class _Entry:
    cosaves: CoSaves
    built_at: float
    mark: int = 0  # every event up to this id has been read


class CoSavesCache:
    """Per-tenant co-saves over one store (see the module)."""

    def __init__(self, store: Store, *, rebuild_s: float = REBUILD_S, recent: int = RECENT) -> None:
        self.store = store
        self.rebuild_s = rebuild_s
        self.recent = recent
        self._entries: dict[str, _Entry] = {}
        self._newest_seen = 0  # of all tenants: where looking for the newest id starts
        self._lock = threading.Lock()

    def get(self, tenant_id: str, now: float) -> CoSaves:
        """The tenant's co-saves, up to the events stored by now."""
        with self._lock:
            entry = self._entries.get(tenant_id)
            if entry is None or not 0 <= now - entry.built_at < self.rebuild_s:
                entry = _Entry(CoSaves(self.recent), now)
                self._entries[tenant_id] = entry
                fresh = self._first(tenant_id, entry)
            else:
                fresh = self._since(tenant_id, entry)
            for event in sorted(fresh, key=lambda e: (e.occurred_at, e.id)):
                key = event.data.get("listing_key") if isinstance(event.data, dict) else None
                if event.contact_id and isinstance(key, str) and key and event.error is None:
                    entry.cosaves.add(event.contact_id, key)
            return entry.cosaves

    def _newest(self, after: int) -> int:
        """The newest event id stored (``after`` when none is newer), looked for from the
        newest any tenant's read saw: only the first read of the process walks every id."""
        after = max(after, self._newest_seen)
        while True:
            marks = self.store.event_marks(after, MARKS_PAGE)
            if marks:
                after = marks[-1][0]
            if len(marks) < MARKS_PAGE:
                self._newest_seen = after
                return after

    def _up_to(self, kind: str, after: int, upto: int, scope: Scope | None) -> list[Event]:
        """The events of ``kind`` with ids in (``after``, ``upto``], of contacts in ``scope``
        when given (the store's scoped query), else of any tenant."""
        out: list[Event] = []
        while True:
            page = self.store.list_events(scope=scope, type=kind, after_id=after, limit=PAGE)
            out += [e for e in page if e.id <= upto]
            if len(page) < PAGE or page[-1].id >= upto:
                return out
            after = page[-1].id

    def _first(self, tenant_id: str, entry: _Entry) -> list[Event]:
        """Every save and tour of the tenant's contacts, through the scoped query."""
        upto = self._newest(0)
        out = [e for k in SIGNAL_EVENTS for e in self._up_to(k, 0, upto, Scope(tenant_id))]
        entry.mark = upto
        return out

    def _since(self, tenant_id: str, entry: _Entry) -> list[Event]:
        """The saves and tours of the tenant's contacts stored after the mark."""
        upto = self._newest(entry.mark)
        found = [e for k in SIGNAL_EVENTS for e in self._up_to(k, entry.mark, upto, None)]
        entry.mark = upto
        ours = self.store.contacts_in_scope(
            Scope(tenant_id), {e.contact_id for e in found if e.contact_id}
        )
        return [e for e in found if e.contact_id in ours]


__all__ = ["REBUILD_S", "CoSavesCache"]
