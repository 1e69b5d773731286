"""Which listings were sent to which contact: one row per (tenant, contact, ListingKey), so a
``match_properties`` node never picks a listing twice for the same lead. The store methods of the
memory and SQL backends (the record is :class:`leadflow.model.listings.ListingMatch`)."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.errors import StoreError
from leadflow.model.listings import ListingMatch
from leadflow.store.contract_listings import ListingStore
from leadflow.store.parts import MemoryPart, SqlPart


def _key(m: ListingMatch) -> tuple[str, str, str]:
    return (m.tenant_id, m.contact_id, m.listing_key)


def _checked(matches: Sequence[ListingMatch]) -> list[ListingMatch]:
    for m in matches:
        if not (m.tenant_id and m.contact_id and m.listing_key and m.step_key):
            raise StoreError(
                "listing matches: tenant_id, contact_id, listing_key and step_key must not be empty"
            )
    return list(matches)


class MemoryListingMatches(MemoryPart, ListingStore):
    def _matches(self) -> dict[tuple[str, str, str], ListingMatch]:
        return self._table("_listing_matches", dict)

    def record_listing_matches(self, matches: Sequence[ListingMatch]) -> int:
        ready = _checked(matches)
        with self._lock:
            tenants = self._tenancy().tenants
            if any(m.tenant_id not in tenants for m in ready):
                raise StoreError("FOREIGN KEY constraint failed: listing_matches.tenant_id")
            stored = self._matches()
            added = 0
            for m in ready:
                if _key(m) not in stored:
                    stored[_key(m)] = m
                    added += 1
            return added

    def listing_matches(self, tenant_id: str, contact_id: str) -> list[ListingMatch]:
        with self._lock:
            found = [
                m
                for key, m in self._matches().items()
                if key[0] == tenant_id and key[1] == contact_id
            ]
        return sorted(found, key=lambda m: (m.matched_at, m.listing_key))


_COLS = "tenant_id, contact_id, listing_key, score, step_key, matched_at"
_INSERT = (
    f"INSERT INTO listing_matches ({_COLS}) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant_id, contact_id, listing_key) DO NOTHING"
)
_OF_CONTACT = (
    f"SELECT {_COLS} FROM listing_matches WHERE tenant_id = ? AND contact_id = ? "
    "ORDER BY matched_at, listing_key"
)


class SqlListingMatches(SqlPart, ListingStore):
    def record_listing_matches(self, matches: Sequence[ListingMatch]) -> int:
        ready = _checked(matches)
        added = 0
        if not ready:
            return 0
        sql = self._dialect.sql(_INSERT)
        with self._write() as conn:
            for m in ready:
                cur = conn.execute(sql, (*_key(m), m.score, m.step_key, m.matched_at))
                added += max(0, cur.rowcount)
        return added

    def listing_matches(self, tenant_id: str, contact_id: str) -> list[ListingMatch]:
        with self._read() as conn:
            rows = conn.execute(self._dialect.sql(_OF_CONTACT), (tenant_id, contact_id))
            return [
                ListingMatch(r[0], r[1], r[2], float(r[3]), r[4], float(r[5]))
                for r in rows.fetchall()
            ]


__all__ = ["ListingMatch", "MemoryListingMatches", "SqlListingMatches"]
