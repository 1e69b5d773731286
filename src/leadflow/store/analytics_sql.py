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
from leadflow.store.lead_facts import LeadCounts, LeadEvents, LeadSelection

_CHUNK = 500  # ids per IN (...) list
_LEAD_CHUNK = 10_000  # contact ids per statement of an explicit lead selection
# A lead's time: its first lead.created event at or after the epoch (contact_events reads from
# 0.0), or else when the contact was made; one seek of events_type_contact. (A contact id ''
# has no events: the Python rules skip rows without a contact.) ``{id}``: the contact's id in
# the collation of the events' and messages' indexes (PostgreSQL's contacts.id is "C").
_T0 = (
    "coalesce((SELECT min(e0.occurred_at) FROM events e0 WHERE e0.type = ? "
    "AND e0.contact_id = {id} AND e0.occurred_at >= 0 AND c.id <> ''), c.created_at)"
)
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

        def row(deal: Deal, found: Any | None) -> tuple[Any, ...]:
            created = now if found is None else float(found[0])
            return tuple(
                created
                if name == "created_at"
                else now
                if name == "updated_at"
                else getattr(deal, name)
                for name in DEAL_FIELDS
            )

        return self._upsert_each(
            deals,
            "SELECT created_at FROM deals WHERE tenant_id = ? AND deal_key = ?",
            lambda deal: (deal.tenant_id, deal.deal_key),
            _UPSERT,
            row,
        )

    def get_deal(self, tenant_id: str, deal_key: str) -> Deal | None:
        return self._fetch_one_as(
            _deal,
            f"SELECT {_COLS} FROM deals WHERE tenant_id = ? AND deal_key = ?",
            (tenant_id, deal_key),
        )

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
        return self._fetch_as(
            _deal,
            f"SELECT {_COLS} FROM deals WHERE {' AND '.join(where)} ORDER BY deal_key "
            f"LIMIT {max(0, int(flt.limit))}",
            tuple(params),
        )

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

    def lead_counts(self, sel: LeadSelection, kinds: LeadEvents) -> LeadCounts:
        out = LeadCounts()
        if not sel.owners:
            return out
        chunks: list[list[str] | None] = [None]
        if sel.contact_ids is not None:
            ids = sorted(sel.contact_ids)
            chunks = [ids[i : i + _LEAD_CHUNK] for i in range(0, len(ids), _LEAD_CHUNK)]
        with self._read(snapshot=True) as conn:
            for chunk in chunks:
                out.add(self._lead_counts(conn, sel, kinds, chunk))
        return out

    def _lead_counts(
        self, conn: Any, sel: LeadSelection, kinds: LeadEvents, chunk: list[str] | None
    ) -> LeadCounts:
        """Three grouped statements: per owner and minutes to the first message sent (every
        lead: a seek of its first lead event and one of its messages), to the first human
        touch and the appointments (from the few events of those types, each joined to its
        contact by key). Subqueries stay apart (``fence``) so a lead's time is found once."""
        d = self._dialect
        fence = "LIMIT -1 OFFSET 0" if d.json_lists else "OFFSET 0"
        as_indexed = "" if d.json_lists else ' COLLATE "default"'
        t0 = _T0.format(id=f"c.id{as_indexed}")
        scope = [
            "c.tenant_id = ?",
            f"c.owner {d.in_texts.replace('%s', '?')}",
        ]
        scope_args: list[Any] = [sel.tenant_id, d.values(sorted(sel.owners))]
        if chunk is not None:
            scope.append(f"c.id {d.in_texts.replace('%s', '?')}")
            scope_args.append(d.values(chunk))
        in_range: list[str] = []
        range_args: list[Any] = []
        for text, value in (("{} >= ?", sel.since), ("{} < ?", sel.until)):
            if value is not None:
                in_range.append(text)
                range_args.append(value)

        def within(column: str) -> str:
            return "".join(f" AND {t.format(column)}" for t in in_range)

        out = LeadCounts()
        auto = (
            "SELECT owner, (a - t0) / 60.0, count(*) FROM ("
            "SELECT x.owner, x.t0, (SELECT min(m.sent_at) FROM messages m "
            f"WHERE m.contact_id = x.id{as_indexed} AND m.sent_at >= x.t0 AND x.id <> '') AS a "
            f"FROM (SELECT c.id, c.owner, {t0} AS t0 FROM contacts c WHERE {' AND '.join(scope)} "
            f"{fence}) x WHERE 1 = 1{within('x.t0')} {fence}) y GROUP BY owner, (a - t0) / 60.0"
        )
        args = (kinds.created, *scope_args, *range_args)
        for owner, minutes, n in conn.execute(d.sql(auto), args):
            out.leads[owner] = out.leads.get(owner, 0) + int(n)
            if minutes is not None:
                out.to_auto.setdefault(owner, {})[float(minutes)] = int(n)
        # SQLite: the contact by its key (the unary + keeps the planner off the owner index,
        # which it would search once per owner for each event).
        keyed = " AND ".join(("+" if d.json_lists else "") + s for s in scope)
        joined = (
            f"SELECT c.id, c.owner, e.occurred_at, {t0} AS t0 FROM events e CROSS JOIN "
            f"contacts c WHERE e.type {{}} AND e.occurred_at >= 0 AND e.contact_id <> '' "
            f"AND c.id = e.contact_id AND {keyed}{{}} {fence}"
        )
        human = (
            "SELECT owner, (h - t0) / 60.0, count(*) FROM ("
            "SELECT z.id, z.owner, z.t0, min(z.occurred_at) AS h FROM ("
            + joined.format(d.in_texts.replace("%s", "?"), "")
            + f") z WHERE z.occurred_at >= z.t0{within('z.t0')} GROUP BY z.id, z.owner, z.t0"
            ") w GROUP BY owner, (h - t0) / 60.0"
        )
        args = (kinds.created, d.values(sorted(set(kinds.touches))), *scope_args, *range_args)
        for owner, minutes, n in conn.execute(d.sql(human), args):
            out.to_human.setdefault(owner, {})[float(minutes)] = int(n)
        booked = (
            "SELECT owner, count(*) FROM ("
            + joined.format("= ?", within("e.occurred_at"))
            + f") z WHERE 1 = 1{within('z.t0')} GROUP BY owner"
        )
        args = (kinds.created, kinds.appointment, *scope_args, *range_args, *range_args)
        for owner, n in conn.execute(d.sql(booked), args):
            out.appointments[owner] = int(n)
        return out


__all__ = ["SqlAnalytics"]
