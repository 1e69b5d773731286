"""Import listings from CSV (RESO column names) or JSON (a list of objects, or a RESO Web API
answer ``{"value": [...]}``).

Every row is checked with :class:`~leadflow.listings.model.ListingRow`; a rejected row is
reported with where it is (``line 4`` of a CSV, the header being line 1; ``item 3`` of a JSON
list, from 0) and one reason per problem, naming the field (``ListPrice: ...``). A ListingKey
given twice in one file is rejected the second time. Nothing is imported while any row is
rejected unless ``skip_invalid`` is set. Problems with the file as a whole (not UTF-8, bad JSON,
no ListingKey column) raise :class:`~leadflow.errors.InvalidInput`.

CSV specifics: headers match RESO names case-insensitively; cells are stripped and an empty cell
is absent; cells stay text (PostalCode "02134" keeps its zero; numbers and Y/N/true/false flags
are read by the model); ``Photos`` holds URLs separated by ``|`` or spaces; any other column is
kept in ``Listing.extra`` as text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from leadflow.errors import InvalidInput, NotFound
from leadflow.listings.events import record_listing_events
from leadflow.listings.model import RESO_NAMES, ListingRow, error_reasons, to_listing
from leadflow.model.listings import Listing, ListingChanges
from leadflow.store.contract import Store

_CANONICAL = {name.lower(): name for name in RESO_NAMES.values()}


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not imported: ``where`` is ``line N`` (CSV) or ``item N`` (JSON)."""

    where: str
    reasons: tuple[str, ...]
    line: int | None = None
    index: int | None = None

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass(slots=True)
class ParsedListings:
    listings: list[Listing] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def parse_rows(
    rows: Iterable[tuple[Mapping[str, Any], int]], tenant_id: str, *, csv_rows: bool
) -> ParsedListings:
    """Check ``(row, position)`` pairs: position is a line (CSV) or an index (JSON)."""
    out = ParsedListings()
    seen: dict[str, str] = {}
    for row, pos in rows:
        where = f"line {pos}" if csv_rows else f"item {pos}"
        spot = {"line": pos} if csv_rows else {"index": pos}
        try:
            model = ListingRow.model_validate(row)
        except ValidationError as exc:
            out.rejected.append(RejectedRow(where, tuple(error_reasons(exc)), **spot))
            continue
        first = seen.setdefault(model.listing_key, where)
        if first != where:
            reason = f"ListingKey: {model.listing_key!r} appears again (first at {first})"
            out.rejected.append(RejectedRow(where, (reason,), **spot))
            continue
        out.listings.append(to_listing(model, tenant_id))
    return out


def _csv_rows(fh: TextIO) -> Iterator[tuple[dict[str, Any], int]]:
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("file: empty, expected a header line with ListingKey") from None
    except csv.Error as exc:
        raise InvalidInput(f"file: not a readable CSV ({exc})") from exc
    names = [_CANONICAL.get(h.strip().lower(), h.strip()) for h in header]
    if "ListingKey" not in names:
        raise InvalidInput("file: no ListingKey column in the header")
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(f"line {line}: not a readable CSV row ({exc})") from exc
        row: dict[str, Any] = {}
        for name, cell in zip(names, cells, strict=False):
            value = cell.strip()
            if not name or not value:
                continue
            row[name] = value.replace("|", " ").split() if name == "Photos" else value
        if row:
            yield row, line


def parse_csv(fh: TextIO, tenant_id: str) -> ParsedListings:
    return parse_rows(_csv_rows(fh), tenant_id, csv_rows=True)


def parse_json(text: str, tenant_id: str) -> ParsedListings:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"file: not valid JSON ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        data = data["value"]
    if not isinstance(data, list):
        raise InvalidInput('file: expected a JSON list of listings or {"value": [...]}')
    out = ParsedListings()
    objects: list[tuple[Mapping[str, Any], int]] = []
    for i, item in enumerate(data):
        if isinstance(item, dict):
            objects.append((item, i))
        else:
            out.rejected.append(RejectedRow(f"item {i}", ("row: must be an object",), index=i))
    parsed = parse_rows(objects, tenant_id, csv_rows=False)
    parsed.rejected = sorted([*out.rejected, *parsed.rejected], key=lambda r: r.index or 0)
    return parsed


def parse_file(path: Path, tenant_id: str) -> ParsedListings:
    """A ``.json`` file as JSON, anything else as CSV."""
    try:
        if path.suffix.lower() == ".json":
            return parse_json(path.read_text(encoding="utf-8-sig"), tenant_id)
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return parse_csv(fh, tenant_id)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"file: {path} is not UTF-8 text") from exc


def import_listings(
    store: Store, tenant_id: str, parsed: ParsedListings, now: float, *, skip_invalid: bool = False
) -> ListingChanges:
    """Store the parsed listings in one transaction. InvalidInput (nothing stored) when a row
    was rejected and ``skip_invalid`` is not set; NotFound for an unknown tenant. The listing
    events follow (:mod:`leadflow.listings.events`)."""
    if store.get_tenant(tenant_id) is None:
        raise NotFound(
            f"tenant: no tenant {tenant_id!r} (create it with `leadflow tenants create`)"
        )
    if parsed.rejected and not skip_invalid:
        raise InvalidInput(
            f"{len(parsed.rejected)} row(s) rejected, nothing imported "
            "(fix them, or pass --skip-invalid)"
        )
    changes = store.upsert_listings(parsed.listings, now)
    record_listing_events(store, changes, now)
    return changes


__all__ = [
    "ParsedListings",
    "RejectedRow",
    "import_listings",
    "parse_csv",
    "parse_file",
    "parse_json",
    "parse_rows",
]
