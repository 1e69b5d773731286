"""Contacts through the API: created, changed, listed, merged and imported inside the caller's
scope. New leads that match an existing contact of the scope by e-mail or phone are merged
into it, never duplicated; merging cancels the duplicates' live runs so nobody gets the same
drip twice, and an opt-out on either side wins."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from email_validator import EmailNotValidError, validate_email

from leadflow.access import consent, events
from leadflow.access.paging import page_of
from leadflow.access.scope import WRITE_ROLES, require_role, scope_of, visible_contact
from leadflow.addresses import normal_phone
from leadflow.compliance.consent import HISTORY
from leadflow.contacts.duplicates import find_duplicate
from leadflow.definitions.validation import split_problem, valid_zone
from leadflow.engine.control import cancel_run
from leadflow.errors import InvalidInput
from leadflow.model.records import (
    LIVE_STATUSES,
    Contact,
    ContactFilter,
    NewEvent,
    RunStatus,
    Scope,
)
from leadflow.model.vocabulary import canonical, known
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

if TYPE_CHECKING:
    from leadflow.contacts.importer import ImportResult

ATTRS = ("first_name", "last_name", "email", "phone", "time_zone", "state", "owner", "stage")


def new_contact_id() -> str:
    return "c_" + secrets.token_hex(8)


def normal_email(value: str | None, field: str = "email") -> str | None:
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"{field}: {exc}") from None


def _owner(store: Store, principal: Principal, scope: Scope, owner: str | None) -> str | None:
    """The owner a caller may set: an agent's leads are its own; a manager assigns within its
    team; an admin to any agent of the tenant."""
    if principal.role == "agent":
        if owner not in (None, principal.member_key):
            raise InvalidInput("owner: an agent's key can only create its own leads")
        return principal.member_key
    if owner is None:
        return principal.member_key if principal.role == "manager" else None
    if scope.owners is not None and owner not in scope.owners:
        raise InvalidInput(f"owner: {owner!r} is not an agent of your team")
    if store.get_agent(scope.tenant_id, owner) is None:
        raise InvalidInput(f"owner: no agent {owner!r} in this tenant")
    return owner


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The values normalised; InvalidInput naming every bad one at once."""
    out = dict(values)
    problems: list[str] = []
    for name, normal in (("email", normal_email), ("phone", normal_phone)):
        if name in out:
            try:
                out[name] = normal(out[name])
            except InvalidInput as exc:
                problems.append(exc.message)
    if out.get("time_zone") and not valid_zone(out["time_zone"]):
        problems.append(f"time_zone: {out['time_zone']!r} is not an IANA time zone")
    if out.get("state"):
        state = str(out["state"]).upper()
        if len(state) != 2 or not state.isalpha():
            problems.append(f"state: {out['state']!r} is not a 2-letter state code")
        out["state"] = state
    if problems:
        raise InvalidInput("; ".join(problems), [split_problem(p) for p in problems])
    return out


def _fill(target: Contact, values: dict[str, Any]) -> None:
    """Merge new lead data into an existing contact: empty attributes filled, tags and fields
    added, consent merged with opt-outs winning."""
    for name in ATTRS:
        if name != "owner" and values.get(name) and not getattr(target, name):
            setattr(target, name, values[name])
    for tag in values.get("tags") or []:
        if tag not in target.tags:
            target.tags.append(tag)
    for key, value in (values.get("fields") or {}).items():
        target.fields.setdefault(key, value)
    merge_consent(target.consent, values.get("consent") or {})


def new_contact(scope: Scope, values: dict[str, Any]) -> Contact:
    """A new contact of the scope's tenant with a fresh id, from cleaned values."""
    contact = Contact(new_contact_id(), tenant_id=scope.tenant_id)
    for name in ATTRS:
        setattr(contact, name, values.get(name))
    contact.tags = list(dict.fromkeys(values.get("tags") or []))
    contact.fields = dict(values.get("fields") or {})
    contact.consent = dict(values.get("consent") or {})
    return contact


def merge_consent(into: dict[str, str], other: dict[str, str]) -> None:
    for channel, state in other.items():
        if state == "opted_out" or into.get(channel) in (None, "unknown"):
            into[channel] = state


def create(
    store: Store, principal: Principal, scope: Scope, values: dict[str, Any], now: float
) -> tuple[Contact, bool]:
    """A new lead, or the scope's existing contact with the same e-mail / phone merged with it
    (second value True)."""
    require_role(principal, frozenset({"admin", "manager", "agent"}), "creating contacts")
    values = _clean(values)
    values["owner"] = _owner(store, principal, scope, values.get("owner"))
    try:
        existing = find_duplicate(store, scope, values.get("email"), values.get("phone"))
    except LookupError:
        contact = new_contact(scope, values)
        consent.apply_changes(contact, {}, "api", now, _by(principal))
        store.upsert_contacts([contact], now)
        return visible_contact(store, scope, contact.id), False
    before = dict(existing.consent)
    _fill(existing, values)
    consent.apply_changes(existing, before, "api", now, _by(principal))
    store.upsert_contacts([existing], now)
    return visible_contact(store, scope, existing.id), True


def event_name(event_type: str) -> str:
    """The vocabulary's name for ``event_type`` (an alias mapped), or InvalidInput naming
    ``query.emit``: checked before anything is saved."""
    name = canonical(event_type)
    if not known(name):
        raise InvalidInput(
            f"emit: {event_type!r} is not an event type of the vocabulary (see docs/events.md)",
            [("query.emit", f"{event_type!r} is not a known event type")],
        )
    return name


def announce(
    store: Store, scope: Scope, contact: Contact, event_type: str, now: float
) -> tuple[int | None, bool]:
    """Record ``event_type`` (e.g. lead.created) for a contact just created or merged through
    the API: once per contact and type (dedupe key ``contact:<type>:<id>``), so a retried
    request, or one that merged into a lead announced before, records nothing new and answers
    with the first event's id. (event id, whether it was there already)."""
    name = event_name(event_type)
    source = str(contact.fields.get("LeadSource") or "api")
    item = (name, contact.id, {"source": source}, f"contact:{name}:{contact.id}", None)
    ids = events.ingest(store, scope, [item], now)
    [(event_id, duplicate)] = events.originals(store, scope, [item], ids)
    return event_id, duplicate


def update(
    store: Store,
    principal: Principal,
    scope: Scope,
    contact_id: str,
    values: dict[str, Any],
    now: float,
) -> Contact:
    """Change the given attributes (None clears one; tags/fields/consent replace)."""
    contact = visible_contact(store, scope, contact_id)
    values = _clean(values)
    if "owner" in values and values["owner"] != contact.owner:
        require_role(principal, WRITE_ROLES, "reassigning a lead")
        values["owner"] = _owner(store, principal, scope, values["owner"])
    for name in ATTRS:
        if name in values:
            setattr(contact, name, values[name])
    if "tags" in values:
        contact.tags = list(dict.fromkeys(values["tags"] or []))
    if "fields" in values:  # replaced, except the consent history: that is only ever added to
        history = contact.fields.get(HISTORY)
        contact.fields = dict(values["fields"] or {})
        contact.fields.pop(HISTORY, None)
        if history is not None:
            contact.fields[HISTORY] = history
    if "consent" in values:
        before = dict(contact.consent)
        contact.consent = dict(values["consent"] or {})
        consent.apply_changes(contact, before, "api", now, _by(principal))
    store.upsert_contacts([contact], now)
    return visible_contact(store, scope, contact_id)


def _by(principal: Principal) -> str:
    return principal.member_key or f"key:{principal.key_id}"


def merge(
    store: Store,
    principal: Principal,
    scope: Scope,
    contact_id: str,
    duplicate_ids: Sequence[str],
    now: float,
) -> tuple[Contact, list[str], int]:
    """Merge duplicates into ``contact_id``: their data fills the survivor, their live runs
    are cancelled, and each is marked ``merged`` with ``fields.merged_into``."""
    require_role(principal, WRITE_ROLES, "merging contacts")
    survivor = visible_contact(store, scope, contact_id)
    dupes = [visible_contact(store, scope, d) for d in dict.fromkeys(duplicate_ids)]
    if any(d.id == survivor.id for d in dupes):
        raise InvalidInput("duplicate_ids: a contact cannot be merged into itself")
    cancelled = 0
    for d in dupes:
        _fill(survivor, {n: getattr(d, n) for n in ATTRS} | {"tags": d.tags, "fields": d.fields})
        merge_consent(survivor.consent, d.consent)
        for run in store.runs_of_contact(d.id, [*LIVE_STATUSES, RunStatus.PAUSED]):
            cancel_run(store, run.id, now)
            cancelled += 1
        d.stage = "merged"
        d.fields["merged_into"] = survivor.id
    store.upsert_contacts([survivor, *dupes], now)
    return visible_contact(store, scope, survivor.id), [d.id for d in dupes], cancelled


def page(store: Store, scope: Scope, flt: ContactFilter) -> tuple[list[Contact], str | None]:
    """One page of the scope's contacts and the cursor of the next (None at the end)."""
    flt.scope = scope
    return page_of(store.find_contacts, flt, lambda c: c.id)


def every(store: Store, limit: int, offset: int = 0) -> list[Contact]:
    """Every tenant's contacts by id (offset paging): what the operator of the installation
    lists on the command line (not the pseudonymous rows erased contacts leave behind)."""
    from leadflow.model.erasure import ERASED_TENANT

    found = store.list_contacts(limit=limit, offset=offset)
    return [c for c in found if c.tenant_id != ERASED_TENANT]


def import_csv(
    store: Store,
    principal: Principal,
    scope: Scope,
    text: str,
    now: float,
    skip_invalid: bool = False,
    allow_custom_columns: bool = False,
) -> tuple[int, int, list[tuple[int, str]], dict[str, str]]:
    """Import RESO-column CSV text: (inserted, merged, rejected rows, how each column was
    read). Contacts get new ids (a file's ContactKey is kept in ``fields.ContactKey``) and
    merge by e-mail / phone inside the scope. Nothing is written when a row is rejected, unless
    ``skip_invalid``; a column that looks like a known field but is none is refused unless
    ``allow_custom_columns``."""
    import io

    from leadflow.contacts.importer import parse_contacts_csv

    require_role(principal, WRITE_ROLES, "importing contacts")
    parsed = parse_contacts_csv(
        io.StringIO(text), now=now, allow_custom_columns=allow_custom_columns
    )
    rejected = [(r.line, r.reason) for r in parsed.rejected]
    rows: list[dict[str, Any]] = []
    for c, line in zip(parsed.contacts, parsed.lines, strict=True):
        values = {n: getattr(c, n) for n in ATTRS}
        kept = c.fields | ({"ContactKey": c.id} if c.id else {})
        values |= {"tags": c.tags, "fields": kept, "consent": c.consent}
        try:
            values["owner"] = _owner(store, principal, scope, values.get("owner"))
            rows.append(_clean(values))
        except InvalidInput as exc:
            rejected.append((line, exc.message))
    rejected.sort()
    if rejected and not skip_invalid:
        return 0, 0, rejected, parsed.columns
    batch: dict[str, Contact] = {}
    by_key: dict[str, str] = {}
    inserted = merged = 0
    for values in rows:
        keys = [k for k in (values.get("email"), values.get("phone")) if k]
        seen = next((by_key[k] for k in keys if k in by_key), None)
        if seen is None:
            try:
                existing = find_duplicate(store, scope, values.get("email"), values.get("phone"))
                seen = existing.id
                batch.setdefault(seen, existing)
            except LookupError:
                contact = new_contact(scope, values)
                batch[contact.id] = contact
                for k in keys:
                    by_key[k] = contact.id
                inserted += 1
                continue
        _fill(batch[seen], values)
        for k in keys:
            by_key[k] = seen
        merged += 1
    store.upsert_contacts(list(batch.values()), now)
    return inserted, merged, rejected, parsed.columns


def read_keyed(
    store: Store,
    principal: Principal,
    stream: TextIO,
    now: float,
    allow_custom_columns: bool = False,
) -> ImportResult:
    """Read RESO-column CSV for :func:`save_keyed`, which keeps each row's ``ContactKey`` as
    the contact's id (the command line's import: a file imported again updates the same leads),
    in the caller's tenant. A key another tenant holds is a rejected row (an import never moves
    or overwrites another tenant's lead). Nothing is written."""
    from leadflow.contacts.importer import parse_contacts_csv

    tenant = require_role(principal, WRITE_ROLES, "importing contacts")
    result = parse_contacts_csv(stream, now=now, allow_custom_columns=allow_custom_columns)
    _make_keys(store, scope_of(store, principal), result)
    _keep_in_tenant(store, result, tenant)
    return result


def _make_keys(store: Store, scope: Scope, result: ImportResult) -> None:
    """Keys for a file without ``ContactKey``: the id of the tenant's contact with the row's
    e-mail (else phone), so a file imported again updates the same leads, or a new id. Rows of
    one file sharing an e-mail or a phone are one lead, merged as the API merges (empty
    attributes filled, tags and fields added, opt-outs winning)."""
    made: dict[str, Contact] = {}
    kept: list[tuple[Contact, int]] = []
    for c, line in zip(result.contacts, result.lines, strict=True):
        keys = [k for k in ((c.email or "").casefold(), c.phone) if k]
        first = next((made[k] for k in keys if k in made), None) if not c.id else None
        if first is not None:
            later = {n: getattr(c, n) for n in ATTRS}
            _fill(first, later | {"tags": c.tags, "fields": c.fields, "consent": c.consent})
            made.update(dict.fromkeys(keys, first))
            continue
        if not c.id:
            try:
                c.id = find_duplicate(store, scope, c.email, c.phone).id
            except LookupError:
                c.id = new_contact_id()
            made.update(dict.fromkeys(keys, c))
        kept.append((c, line))
    result.contacts = [c for c, _ in kept]
    result.lines = [line for _, line in kept]


def save_keyed(
    store: Store, principal: Principal, read: ImportResult, emit: str | None, now: float
) -> tuple[int, int]:
    """Write the contacts :func:`read_keyed` read (the rows it rejected are left out): how
    many are new, how many updated. With ``emit``, that event is recorded for every new one."""
    require_role(principal, WRITE_ROLES, "importing contacts")
    existing = store.get_contacts([c.id for c in read.contacts])
    inserted, updated = store.upsert_contacts(read.contacts, now)
    if emit:
        new = [c for c in read.contacts if c.id not in existing]
        store.append_events(
            [NewEvent(emit, c.id, {"source": "import"}, f"import:{emit}:{c.id}", now) for c in new],
            now,
        )
    return inserted, updated


def _keep_in_tenant(store: Store, result: ImportResult, tenant: str) -> None:
    """Put the parsed contacts in ``tenant``; a row whose ContactKey another tenant holds is
    rejected. Contact ids are one namespace for the installation, so the rejection says only
    that the key is in use: never whose it is."""
    from leadflow.contacts.importer import RejectedRow

    taken = store.get_contacts([c.id for c in result.contacts])
    kept: list[Contact] = []
    for c, line in zip(result.contacts, result.lines, strict=True):
        other = taken.get(c.id)
        if other is not None and other.tenant_id != tenant:
            result.rejected.append(
                RejectedRow(line, f"ContactKey: {c.id!r} is already in use; choose another")
            )
        else:
            c.tenant_id = tenant
            kept.append(c)
    result.contacts = kept
    result.rejected.sort(key=lambda r: r.line)
