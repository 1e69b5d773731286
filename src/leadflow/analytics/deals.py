"""Closed deals in, from an API body or a CSV file (RESO-style names: DealKey, ContactKey,
MemberKey, ListingKey, Side, ClosePrice, CloseDate, Commission).

Every row is checked by :class:`DealRow`; a rejected row is named by where it is (``line 4`` of
a CSV, the header being line 1; ``item 3`` of a list, from 0) with one reason per problem,
naming the field. A ContactKey or MemberKey must exist in the importing tenant. Nothing is
saved while any row is rejected. Saved deals raise one ``deal.closed`` event each for their
contact (dedupe key ``deal.closed:<tenant>:<DealKey>``, so a re-import raises none again).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from leadflow.errors import InvalidInput
from leadflow.model.deals import Deal, money
from leadflow.model.records import NewEvent, Scope
from leadflow.store.contract import Store

DEAL_EVENT = "deal.closed"
ORIGIN = "leadflow.deals"  # the data["origin"] of the events leadflow raises for saved deals
_SIDES = {"buy": "buy", "buyer": "buy", "sell": "sell", "seller": "sell", "listing": "sell"}
_MAX_CENTS = 10**15  # ten trillion: no house costs more


def _blank_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def cents(value: Any) -> int:
    """Money as exact integer cents ("450000", "450,000.50", 450000.5); at most 2 decimals."""
    if isinstance(value, bool):
        raise ValueError("not an amount")
    text = str(value).strip().replace(",", "").removeprefix("$")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError("not an amount") from None
    if not amount.is_finite():
        raise ValueError("not a finite amount")
    if amount < 0:
        raise ValueError("must not be negative")
    hundredths = amount * 100
    if hundredths != hundredths.to_integral_value():
        raise ValueError("more than 2 decimal places")
    if hundredths >= _MAX_CENTS:
        raise ValueError("too large")
    return int(hundredths)


def _plain_amount(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().replace(",", "").removeprefix("$")
        return text
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_plain_amount),
    Field(ge=0, lt=10**13, decimal_places=2, allow_inf_nan=False),
]
Text = Annotated[
    Annotated[str, Field(min_length=1, max_length=200)] | None, BeforeValidator(_blank_none)
]


class DealRow(BaseModel):
    """One deal as a CSV row, JSON item or API body (RESO PascalCase names)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    deal_key: str = Field(alias="DealKey", min_length=1, max_length=200)
    contact_id: Text = Field(default=None, alias="ContactKey")
    agent_key: Text = Field(default=None, alias="MemberKey")
    listing_key: Text = Field(default=None, alias="ListingKey")
    side: str = Field(alias="Side")
    close_price: Money = Field(alias="ClosePrice")
    close_date: dt.date = Field(alias="CloseDate")
    commission: Annotated[Money | None, BeforeValidator(_blank_none)] = Field(
        default=None, alias="Commission"
    )

    @field_validator("side", mode="before")
    @classmethod
    def _side(cls, value: Any) -> str:
        found = _SIDES.get(str(value).strip().lower())
        if found is None:
            raise ValueError("must be buy or sell")
        return found

    @field_validator("close_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip()[:10])
            except ValueError:
                raise ValueError("not a date (YYYY-MM-DD)") from None
        return value


def to_deal(row: DealRow, tenant_id: str) -> Deal:
    closed = dt.datetime.combine(row.close_date, dt.time(), tzinfo=dt.UTC)
    return Deal(
        tenant_id=tenant_id,
        deal_key=row.deal_key,
        side=row.side,
        close_price=cents(row.close_price),
        close_date=row.close_date.isoformat(),
        closed_at=closed.timestamp(),
        contact_id=row.contact_id,
        agent_key=row.agent_key,
        listing_key=row.listing_key,
        commission=None if row.commission is None else cents(row.commission),
    )


def deal_json(deal: Deal) -> dict[str, Any]:
    """A deal as the API shows it (money in currency units as exact decimal strings)."""
    return {
        "DealKey": deal.deal_key,
        "ContactKey": deal.contact_id,
        "MemberKey": deal.agent_key,
        "ListingKey": deal.listing_key,
        "Side": deal.side,
        "ClosePrice": money(deal.close_price),
        "CloseDate": deal.close_date,
        "Commission": None if deal.commission is None else money(deal.commission),
    }


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row not imported: ``where`` is ``line N`` or ``item N``; one reason per problem."""

    where: str
    reasons: tuple[str, ...]
    field_names: tuple[str, ...] = ()


@dataclass(slots=True)
class ParsedDeals:
    deals: list[Deal] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def _reasons(exc: ValidationError) -> tuple[list[str], list[str]]:
    reasons, names = [], []
    for err in exc.errors(include_input=False, include_url=False):
        name = ".".join(str(p) for p in err["loc"]) or "row"
        names.append(name)
        reasons.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
    return reasons, names


def parse_deals(
    store: Store, scope: Scope, rows: Iterable[tuple[Mapping[str, Any], str]]
) -> ParsedDeals:
    """Check ``(row, where)`` pairs in the tenant of ``scope``: the model, a DealKey given
    twice, a ContactKey outside the scope, a MemberKey that is no agent of the tenant."""
    out = ParsedDeals()
    seen: dict[str, str] = {}
    checked: list[tuple[DealRow, str]] = []
    for row, where in rows:
        try:
            model = DealRow.model_validate(row)
        except ValidationError as exc:
            reasons, names = _reasons(exc)
            out.rejected.append(Rejected(where, tuple(reasons), tuple(names)))
            continue
        first = seen.setdefault(model.deal_key, where)
        if first != where:
            why = f"DealKey: {model.deal_key!r} appears again (first at {first})"
            out.rejected.append(Rejected(where, (why,), ("DealKey",)))
            continue
        checked.append((model, where))
    contacts = {m.contact_id for m, _ in checked if m.contact_id}
    visible = store.contacts_in_scope(scope, contacts) if contacts else set()
    agents: dict[str, bool] = {}
    for model, where in checked:
        reasons, names = [], []
        if model.contact_id and model.contact_id not in visible:
            reasons.append(f"ContactKey: no contact {model.contact_id!r} in this tenant")
            names.append("ContactKey")
        if model.agent_key:
            known = agents.get(model.agent_key)
            if known is None:
                known = store.get_agent(scope.tenant_id, model.agent_key) is not None
                agents[model.agent_key] = known
            if not known:
                reasons.append(f"MemberKey: no agent {model.agent_key!r} in this tenant")
                names.append("MemberKey")
        if reasons:
            out.rejected.append(Rejected(where, tuple(reasons), tuple(names)))
        else:
            out.deals.append(to_deal(model, scope.tenant_id))
    return out


def csv_rows(text: str) -> list[tuple[dict[str, Any], str]]:
    """A CSV's rows with their line numbers (header = line 1; header names matched
    case-insensitively to the RESO names; empty cells are absent)."""
    names = {f.alias.lower(): f.alias for f in DealRow.model_fields.values() if f.alias}
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise InvalidInput("file: the CSV file is empty")
    columns = [names.get(h.strip().lower(), h.strip()) for h in header]
    if "DealKey" not in columns:
        raise InvalidInput("file: the CSV file has no DealKey column")
    out = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: v for c, v in zip(columns, row, strict=False) if v.strip()}
        out.append((cells, f"line {reader.line_num}"))
    return out


def deal_events(deals: Sequence[Deal], now: float) -> list[NewEvent]:
    """One ``deal.closed`` event per deal with a contact (occurred at its close date)."""
    return [
        NewEvent(
            DEAL_EVENT,
            d.contact_id,
            {**deal_json(d), "origin": ORIGIN},
            f"{DEAL_EVENT}:{d.tenant_id}:{d.deal_key}",
            min(d.closed_at, now),
        )
        for d in deals
        if d.contact_id
    ]


def save_deals(store: Store, deals: Sequence[Deal], now: float) -> tuple[int, int]:
    """Save the deals in one transaction, then raise their ``deal.closed`` events (deduped:
    saving the same deal again raises none)."""
    counts = store.save_deals(deals, now)
    events = deal_events(deals, now)
    if events:
        store.append_events(events, now)
    return counts


__all__ = [
    "DEAL_EVENT",
    "DealRow",
    "ParsedDeals",
    "Rejected",
    "cents",
    "csv_rows",
    "deal_json",
    "parse_deals",
    "save_deals",
    "to_deal",
]
