"""Deals and the analytics reads on SQLite and PostgreSQL: the same SQL, written with ``?``
placeholders and turned into each database's style by its Dialect."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from leadflow.model.deals import DEAL_FIELDS, Deal, DealFilter
from leadflow.model.records import Message, Step
from leadflow.store.codec import (
    MESSAGE_COLS,
    MESSAGE_FROM,
    STEP_COLS,
    message_from_row,
    step_from_row,
)
from leadflow.store.contract_analytics import AnalyticsStore, check_deal
from leadflow.store.funnel_sql import SqlFunnel

_CHUNK = 500  # ids per IN (...) list
_COLS = ", ".join(DEAL_FIELDS)
_UPSERT = (
    f"INSERT INTO deals ({_COLS}) VALUES ({', '.join('?' * len(DEAL_FIELDS))}) "
    "ON CONFLICT (tenant_id, deal_key) DO UPDATE SET "
    + ", ".join(
        f"{c} = excluded.{c}"
        for c in DEAL_FIELDS
        if c not in ("tenant_id", "deal_key", "created_at")
    )
)


def _deal(row: Sequence[Any]) -> Deal:
    values = dict(zip(DEAL_FIELDS, row, strict=True))
    values["close_price"] = int(values["close_price"])
    if values["commission"] is not None:
        values["commission"] = int(values["commission"])
    return Deal(**values)


class SqlAnalytics(SqlFunnel, AnalyticsStore):
    """The deals and analytics reads of the Store contract for the two SQL backends."""

    def save_deals(self, deals: Sequence[Deal], now: float) -> tuple[int, int]:
        for deal in deals:
            check_deal(deal)
        sql = self._dialect.sql
        inserted = updated = 0
        with self._write() as conn:
            for deal in deals:
                found = conn.execute(
                    sql("SELECT created_at FROM deals WHERE tenant_id = ? AND deal_key = ?"),
                    (deal.tenant_id, deal.deal_key),
                ).fetchone()
                created = now if found is None else float(found[0])
                row = tuple(
                    created
                    if name == "created_at"
                    else now
                    if name == "updated_at"
                    else getattr(deal, name)
                    for name in DEAL_FIELDS
                )
                conn.execute(sql(_UPSERT), row)
                inserted += found is None
                updated += found is not None
        return inserted, updated

    def get_deal(self, tenant_id: str, deal_key: str) -> Deal | None:
        row = self._fetch_one(
            f"SELECT {_COLS} FROM deals WHERE tenant_id = ? AND deal_key = ?",
            (tenant_id, deal_key),
        )
        return None if row is None else _deal(row)

    def list_deals(self, flt: DealFilter) -> list[Deal]:
        d = self._dialect
        where: list[str] = ["tenant_id = ?"]
        params: list[Any] = [flt.tenant_id]
        if flt.agents is not None:
            where.append(f"agent_key {d.in_texts.replace('%s', '?')}")
            params.append(d.values(sorted(flt.agents)))
        for text, value in (
            ("closed_at >= ?", flt.since),
            ("closed_at < ?", flt.until),
            ("deal_key > ?", flt.after_key),
        ):
            if value is not None:
                where.append(text)
                params.append(value)
        rows = self._fetch(
            f"SELECT {_COLS} FROM deals WHERE {' AND '.join(where)} ORDER BY deal_key "
            f"LIMIT {max(0, int(flt.limit))}",
            tuple(params),
        )
        return [_deal(r) for r in rows]

    def delete_deal(self, tenant_id: str, deal_key: str) -> bool:
        return (
            self._change(
                "DELETE FROM deals WHERE tenant_id = ? AND deal_key = ?", (tenant_id, deal_key)
            )
            > 0
        )

    def _chunked(self, text: str, ids: list[Any]) -> list[Any]:
        rows: list[Any] = []
        with self._read(snapshot=True) as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                rows.extend(conn.execute(self._dialect.sql(text), (self._dialect.values(chunk),)))
        return rows

    def steps_of_runs(self, run_ids: Iterable[int]) -> list[Step]:
        d = self._dialect
        text = f"SELECT {STEP_COLS} FROM steps WHERE run_id {d.in_ids.replace('%s', '?')}"
        steps = [step_from_row(r) for r in self._chunked(text, sorted(set(run_ids)))]
        return sorted(steps, key=lambda s: (s.run_id, s.id or 0))

    def messages_of_runs(self, run_ids: Iterable[int]) -> list[Message]:
        return self._messages("m.run_id", self._dialect.in_ids, run_ids)

    def messages_of_contacts(self, contact_ids: Iterable[str]) -> list[Message]:
        return self._messages("m.contact_id", self._dialect.in_texts, contact_ids)

    def _messages(self, column: str, in_list: str, keys: Iterable[Any]) -> list[Message]:
        """The messages whose ``column`` is one of ``keys`` (``in_list``: the dialect's list
        parameter for their type), by id."""
        text = (
            f"SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} WHERE {column} {in_list.replace('%s', '?')}"
        )
        found = [message_from_row(r) for r in self._chunked(text, sorted(set(keys)))]
        return sorted(found, key=lambda m: m.id or 0)


__all__ = ["SqlAnalytics"]
