"""Listings on SQLite and PostgreSQL: the same SQL, written with ``?`` placeholders and turned
into each database's style by its :class:`~leadflow.store.sql_common.Dialect`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.listings import (
    FLAG_FIELDS,
    LISTING_COLS,
    LISTING_FIELDS,
    Listing,
    ListingChanges,
    ListingFilter,
    change_of,
    filter_where,
    prepared,
)
from leadflow.store.contract_listings import ListingStore
from leadflow.store.parts import SqlPart

_UPDATE = ", ".join(
    f"{c} = excluded.{c}"
    for c in LISTING_FIELDS
    if c not in ("tenant_id", "listing_key", "created_at")
)
_UPSERT = (
    f"INSERT INTO listings ({LISTING_COLS}) VALUES ({', '.join('?' * len(LISTING_FIELDS))}) "
    f"ON CONFLICT (tenant_id, listing_key) DO UPDATE SET {_UPDATE}"
)
_BY_KEY = f"SELECT {LISTING_COLS} FROM listings WHERE tenant_id = ? AND listing_key = ?"


def listing_row(listing: Listing, created: float, now: float) -> tuple[Any, ...]:
    """The listing as the row written (photos and extra as JSON text)."""
    values = []
    for name in LISTING_FIELDS:
        value = getattr(listing, name)
        if name in ("photos", "extra"):
            value = dumps(value)
        elif name == "created_at":
            value = created
        elif name == "updated_at":
            value = now
        values.append(value)
    return tuple(values)


def listing_from_row(row: Sequence[Any]) -> Listing:
    """A fetched row as a Listing (flags as bools whatever the database returns)."""
    values = dict(zip(LISTING_FIELDS, row, strict=True))
    for name in FLAG_FIELDS:
        if values[name] is not None:
            values[name] = bool(values[name])
    values["photos"] = loads(values["photos"])
    values["extra"] = loads(values["extra"])
    return Listing(**values)


class SqlListings(SqlPart, ListingStore):
    """The listing methods of the Store contract for the two SQL backends."""

    def upsert_listings(self, listings: Sequence[Listing], now: float) -> ListingChanges:
        ready = [prepared(x) for x in listings]  # a bad one raises before anything is written
        if not ready:
            return ListingChanges()
        sql = self._dialect.sql
        changes = []
        with self._write() as conn:
            for listing in ready:
                found = conn.execute(
                    sql(_BY_KEY), (listing.tenant_id, listing.listing_key)
                ).fetchone()
                old = None if found is None else listing_from_row(found)
                created = now if old is None else old.created_at
                conn.execute(sql(_UPSERT), listing_row(listing, created, now))
                changes.append(change_of(old, listing))
        return ListingChanges(tuple(changes))

    def get_listing(self, tenant_id: str, listing_key: str) -> Listing | None:
        return self._fetch_one_as(listing_from_row, _BY_KEY, (tenant_id, listing_key))

    def list_listings(self, flt: ListingFilter) -> list[Listing]:
        where, params = filter_where(flt)
        text = f"SELECT {LISTING_COLS} FROM listings{where} ORDER BY listing_key LIMIT ?"
        return self._fetch_as(listing_from_row, text, (*params, max(0, flt.limit)))

    def count_listings(self, tenant_id: str) -> int:
        rows = self._fetch("SELECT count(*) FROM listings WHERE tenant_id = ?", (tenant_id,))
        return int(rows[0][0])

    def delete_listing(self, tenant_id: str, listing_key: str) -> bool:
        with self._write() as conn:
            cur = conn.execute(
                self._dialect.sql("DELETE FROM listings WHERE tenant_id = ? AND listing_key = ?"),
                (tenant_id, listing_key),
            )
            deleted: int = cur.rowcount
        return deleted == 1


__all__ = ["SqlListings", "listing_from_row", "listing_row"]
