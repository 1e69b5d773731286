"""Options, output and error handling shared by every command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from leadflow.clock import to_iso
from leadflow.errors import LeadflowError, NotFound
from leadflow.settings import Settings

if TYPE_CHECKING:
    from leadflow.model.records import Scope
    from leadflow.runtime import Runtime
    from leadflow.store.contract import Store
    from leadflow.tenancy.accounts import Principal

T = TypeVar("T")

console = Console(soft_wrap=True)
# Errors are never wrapped: a command to copy must stay on one line.
err_console = Console(stderr=True, soft_wrap=True)


def require_db(db: str) -> None:
    """A command other than init/upgrade never creates a database file by accident."""
    if db.startswith("sqlite:///"):
        path = Path(db.removeprefix("sqlite:///"))
        if not path.exists():
            raise NotFound(
                f"--db: database file {path} does not exist; create it with "
                f"`leadflow init --db {db}`"
            )


@contextmanager
def runtime(db: str, *, check_schema: bool = True, **overrides: Any) -> Iterator[Runtime]:
    require_db(db)
    settings = Settings(db=db, **overrides)
    from leadflow.runtime import build_runtime  # the engine and its features: not for --help

    rt = build_runtime(settings, check_schema=check_schema)
    try:
        yield rt
    finally:
        rt.close()


@contextmanager
def store_of(db: str) -> Iterator[Store]:
    """The database alone, for commands that only read it (no engine, providers or features
    to build: they start faster)."""
    require_db(db)
    from leadflow.store.factory import open_store

    store = open_store(db)
    try:
        yield store
    finally:
        store.close()


def read_workflow_file(path: str | Path) -> Any:
    """A workflow file's data, read within the ``LEADFLOW_MAX_DEFINITION_BYTES`` /
    ``LEADFLOW_MAX_YAML_*`` limits."""
    from leadflow.definitions.io import YamlLimits, load_file  # the workflow language: when read

    settings = Settings()
    limits = YamlLimits(
        settings.max_definition_bytes, settings.max_yaml_aliases, settings.max_yaml_nodes
    )
    return load_file(path, limits=limits)


@contextmanager
def missing_as(message: str) -> Iterator[None]:
    """A NotFound from the service layer, said as the command line names what is missing."""
    try:
        yield
    except NotFound:
        raise NotFound(message) from None


@contextmanager
def contact_runtime(db: str, contact_id: str) -> Iterator[tuple[Runtime, Scope]]:
    """A runtime, and the scope of the lead ``contact_id`` whatever its tenant (see
    :func:`leadflow.access.scope.operator_of`); a NotFound inside is said as CONTACT_ID."""
    from leadflow.access.scope import operator_of

    with runtime(db) as rt, missing_as(f"CONTACT_ID: no contact {contact_id!r}"):
        _, scope = operator_of(rt.store, contact_id)
        yield rt, scope


@contextmanager
def options_for(options: Mapping[str, str]) -> Iterator[None]:
    """An error of the service layer that starts with the field it is about (``mapping: ...``),
    said with the command line's option for that field (``--map: ...``)."""
    try:
        yield
    except LeadflowError as exc:
        field, sep, rest = exc.message.partition(": ")
        if sep and field in options:
            exc.args = (f"{options[field]}: {rest}",)
        raise


def record_json(record: object, fields: str) -> dict[str, Any]:
    """The attributes ``fields`` names (space-separated; ``name=attribute`` renames one) of a
    record, as JSON: times (attributes ``at`` and ``*_at``) in ISO 8601."""
    out: dict[str, Any] = {}
    for field in fields.split():
        name, _, attribute = field.partition("=")
        attribute = attribute or name
        value = getattr(record, attribute)
        out[name] = to_iso(value) if attribute == "at" or attribute.endswith("_at") else value
    return out


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table that fits the terminal: the first column (the id) is never cut, the others wrap
    between words and end a word too long for them with an ellipsis (``--json`` has it all)."""
    t = Table(title=title, show_lines=False)
    for i, col in enumerate(columns):
        t.add_column(col, overflow="ellipsis", no_wrap=i == 0)
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    console.print(t)


def print_dicts(
    rows: Sequence[dict[str, Any]],
    json_out: bool,
    title: str,
    headers: Sequence[str] | None = None,
    *,
    empty: str = "id",
) -> None:
    """``rows`` (dicts with the same keys) as JSON, or as a table titled ``title``: their values
    under ``headers``, or under their own keys (the one header ``empty`` when there is no row)."""
    if json_out:
        print_json(rows)
        return
    columns = headers or (list(rows[0]) if rows else [empty])
    table(title, columns, [list(r.values()) for r in rows])


def print_rows(rows: Sequence[dict[str, Any]], json_out: bool, title: str, columns: str) -> None:
    """``rows`` as JSON, or as a table titled ``<title> (<count>)`` with the ``columns``
    (space-separated; ``header=field`` shows a field under another header, ``a|b`` field a, or
    b when a is empty; ``_`` in a header reads as a space)."""
    if json_out:
        print_json(rows)
        return
    headers: list[str] = []
    fields: list[list[str]] = []
    for column in columns.split():
        header, _, field = column.partition("=")
        headers.append(header.replace("_", " "))
        fields.append((field or header).split("|"))

    def cell(row: dict[str, Any], names: list[str]) -> Any:
        value = row[names[0]]
        for name in names[1:]:
            value = value or row[name]
        return value

    cells = [[cell(row, names) for names in fields] for row in rows]
    table(f"{title} ({len(rows)})", headers, cells)


def print_answer(
    db: str,
    tenant: str,
    call: Callable[[Runtime, Principal], T],
    json_out: bool,
    show: Callable[[T], None],
) -> T:
    """What most commands do: open the runtime, call ``call`` (an access function) with it and
    the tenant's operator, then print the answer, as JSON with ``--json``, else with ``show``
    (e.g. :func:`rows_table`); the answer."""
    from leadflow.access.scope import operator

    with runtime(db) as rt:
        out = call(rt, operator(tenant))
    if json_out:
        print_json(out)
    else:
        show(out)
    return out


def rows_table(title: str, columns: str) -> Callable[[Sequence[dict[str, Any]]], None]:
    """:func:`print_answer`'s ``show`` for rows: :func:`print_rows`' table."""
    return lambda rows: print_rows(rows, False, title, columns)


def print_records(
    db: str,
    tenant: str,
    fetch: Callable[[Runtime, Principal], Iterable[object]],
    fields: str,
    json_out: bool,
    title: str,
    columns: str,
) -> None:
    """:func:`print_answer` of a list: the records ``fetch`` answers, each as
    :func:`record_json` of ``fields``, printed as JSON or :func:`print_rows`' table."""
    print_answer(
        db,
        tenant,
        lambda rt, who: [record_json(r, fields) for r in fetch(rt, who)],
        json_out,
        rows_table(title, columns),
    )


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code)
