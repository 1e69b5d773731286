"""``leadflow db copy``: move a whole installation from SQLite to PostgreSQL.

Every table of the schema is copied in foreign-key order (a table after the tables it refers
to), in batches read by key from SQLite and written with PostgreSQL's ``COPY``; ids are kept as
they are and each identity sequence is then moved past the largest id (and past SQLite's
``sqlite_sequence``, so an id once handed out is never handed out again). Each batch and the
table's progress marker (the last key copied, in ``leadflow_copy_progress``) commit in one
transaction, so a copy that is interrupted resumes (``resume=True``) exactly after the last
batch that committed. At the end the rows of every table are counted on both sides and must
agree; then the progress table is dropped.

The target must be empty (a fresh database, or one made by ``leadflow db upgrade`` and left
unused) unless a copy into it is being resumed. The source is read in one snapshot (one read
transaction), so the copy is consistent with itself; still, stop the workers and the API
first: what they write to the source after the copy began is not copied.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadflow.errors import InvalidInput, StoreError
from leadflow.store.factory import open_store
from leadflow.store.sqlite import path_from_url

PROGRESS_TABLE = "leadflow_copy_progress"
SKIPPED = {"schema_migrations", PROGRESS_TABLE}
# The funnel's per-run summary (migration 0220) is made again from the copied rows: the
# target's triggers mark every copied run, and its first report folds them.
SKIPPED |= {"run_facts", "funnel_paths", "funnel_dirty"}
# SQLite's own id bookkeeping (the highest id per table before a prune): it sets the target's
# sequences instead of being copied
HIGH_WATER = "id_high_water"
DEFAULT_BATCH = 2000
_INT_TYPES = {"bigint", "integer", "smallint"}


@dataclass(slots=True)
class TableCount:
    table: str
    source_rows: int
    target_rows: int
    copied_now: int  # rows this invocation copied (less than source_rows after a resume)


@dataclass(slots=True)
class CopyReport:
    source: str
    target: str
    schema_version: int
    resumed: bool
    tables: list[TableCount] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.target_rows for t in self.tables)


@dataclass(slots=True)
class _Table:
    name: str
    columns: list[str]  # target column names, in the order selected from the source
    source_exprs: list[str]  # what to select from SQLite for each column
    key_exprs: list[str]  # the SQLite key the batches are read by (rowid or the primary key)
    pg_types: list[str]


BatchHook = Callable[[str, int], None]  # (table, rows copied so far in it): after each batch


def copy_database(
    source_url: str,
    target_url: str,
    *,
    resume: bool = False,
    batch_size: int = DEFAULT_BATCH,
    after_batch: BatchHook | None = None,
) -> CopyReport:
    """Copy the SQLite installation at ``source_url`` into the PostgreSQL one at ``target_url``."""
    if batch_size < 1:
        raise InvalidInput(f"--batch-size: must be at least 1, not {batch_size}")
    if not source_url.startswith("sqlite:"):
        raise InvalidInput(
            f"--from: the source must be a SQLite URL (sqlite:///PATH), not {source_url!r}"
        )
    if not target_url.startswith(("postgresql://", "postgres://")):
        raise InvalidInput(
            "--to: the target must be a PostgreSQL URL (postgresql://USER@HOST/DB), "
            f"not {target_url!r}"
        )
    path = path_from_url(source_url)
    if not Path(path).is_file():
        raise InvalidInput(f"--from: no SQLite database at {path!r}")
    version = _source_version(source_url)

    import psycopg

    try:
        pg = psycopg.connect(target_url, autocommit=True)
    except psycopg.Error as exc:
        raise StoreError(f"--to: cannot connect to {_safe_url(target_url)}: {exc}") from exc
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    src.execute("BEGIN")  # one snapshot of the source for every table and the counts
    try:
        resumed = _check_target(pg, target_url, resume=resume)
        _upgrade_target(target_url, version)
        pg.execute(
            f"CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (table_name TEXT PRIMARY KEY, "
            "last_key TEXT, rows_copied BIGINT NOT NULL, done BOOLEAN NOT NULL)"
        )
        tables = _plan(src, pg)
        report = CopyReport(_safe_url(source_url), _safe_url(target_url), version, resumed)
        copied: dict[str, int] = {}
        for table in tables:
            copied[table.name] = _copy_table(src, pg, table, batch_size, after_batch)
        _move_sequences(src, pg)
        mismatched = []
        for table in tables:
            s = _count(src.execute(f'SELECT COUNT(*) FROM "{table.name}"').fetchone())
            t = _count(pg.execute(f'SELECT COUNT(*) FROM "{table.name}"').fetchone())
            report.tables.append(TableCount(table.name, s, t, copied[table.name]))
            if s != t:
                mismatched.append(f"{table.name}: {s} in the source, {t} in the target")
        if mismatched:
            raise StoreError(
                "the copy's counts do not match (was the source written to during the copy?): "
                + "; ".join(mismatched)
            )
        pg.execute(f"DROP TABLE {PROGRESS_TABLE}")
        return report
    finally:
        src.close()
        pg.close()


def _count(row: Sequence[Any] | None) -> int:
    return int(row[0]) if row else 0


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{netloc}", parts.path, parts.query, ""))


def _source_version(source_url: str) -> int:
    store = open_store(source_url, check_schema=True)  # an out-of-date source: upgrade it first
    try:
        return store.schema_version()
    finally:
        store.close()


def _check_target(pg: Any, target_url: str, *, resume: bool) -> bool:
    """Refuse a target holding data unless resuming a copy into it; whether this resumes."""
    has_progress = pg.execute("SELECT to_regclass(%s) IS NOT NULL", (PROGRESS_TABLE,)).fetchone()[0]
    busy = []
    for (name,) in pg.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall():
        if name in SKIPPED:
            continue
        if pg.execute(f'SELECT EXISTS (SELECT 1 FROM "{name}")').fetchone()[0]:
            busy.append(name)
    if has_progress:
        if not resume:
            raise InvalidInput(
                f"--to: {_safe_url(target_url)} holds an interrupted copy; "
                "pass --resume to continue it (or copy into a fresh database)"
            )
        return True
    if busy:
        raise InvalidInput(
            f"--to: {_safe_url(target_url)} is not empty ({', '.join(busy[:5])} hold rows); "
            "copy into a fresh database"
            + ("" if not resume else " (--resume: no interrupted copy to continue there)")
        )
    return False


def _upgrade_target(target_url: str, version: int) -> None:
    store = open_store(target_url, check_schema=False)
    try:
        store.upgrade()
        latest = store.schema_version()
    finally:
        store.close()
    if latest != version:
        raise InvalidInput(
            f"--to: the target's schema is at version {latest}, the source's at {version}; "
            "both must be at the same version (run `leadflow db upgrade` on the source)"
        )


def _plan(src: sqlite3.Connection, pg: Any) -> list[_Table]:
    """The tables to copy, in foreign-key order, each with its columns and batch key."""
    source_tables = (
        {
            name
            for (name,) in src.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        - SKIPPED
        - {HIGH_WATER}
    )
    target_columns: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, data_type, is_identity in pg.execute(
        "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_generated = 'NEVER' "
        "ORDER BY table_name, ordinal_position"
    ).fetchall():
        if table not in SKIPPED:
            target_columns.setdefault(table, []).append((column, data_type, is_identity == "YES"))
    if set(target_columns) != source_tables:
        missing = sorted(source_tables - set(target_columns))
        extra = sorted(set(target_columns) - source_tables)
        raise StoreError(
            "the source and target schemas differ: "
            + "; ".join(
                part
                for part in (
                    f"only in the source: {', '.join(missing)}" if missing else "",
                    f"only in the target: {', '.join(extra)}" if extra else "",
                )
                if part
            )
        )
    deps: dict[str, set[str]] = {name: set() for name in source_tables}
    for child, parent in pg.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
    ).fetchall():
        child, parent = child.strip('"'), parent.strip('"')
        if child in deps and parent in deps and child != parent:
            deps[child].add(parent)
    return [_table(src, name, target_columns[name]) for name in _topological(deps)]


def _topological(deps: dict[str, set[str]]) -> list[str]:
    order: list[str] = []
    placed: set[str] = set()
    remaining = dict(deps)
    while remaining:
        ready = sorted(name for name, parents in remaining.items() if parents <= placed)
        if not ready:  # a cycle: copy the rest by name (COPY checks each row's references)
            ready = sorted(remaining)
        for name in ready:
            order.append(name)
            placed.add(name)
            del remaining[name]
    return order


def _table(src: sqlite3.Connection, name: str, target: list[tuple[str, str, bool]]) -> _Table:
    info = src.execute(f'PRAGMA table_info("{name}")').fetchall()  # cid, name, type, nn, dflt, pk
    source_cols = [row[1] for row in info]
    pk = [row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5])]
    without_rowid = bool(
        src.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? "
            "AND upper(sql) LIKE '%WITHOUT ROWID%'",
            (name,),
        ).fetchone()
    )
    target_names = {c for c, _, _ in target}
    unknown = [c for c in source_cols if c not in target_names]
    if unknown:
        raise StoreError(f"the target's table {name} has no column {', '.join(unknown)}")
    columns, exprs, types = [], [], []
    for column, data_type, identity in target:
        if column in source_cols:
            exprs.append(f'"{column}"')
        elif identity and not without_rowid:
            exprs.append("rowid")  # an identity kept by SQLite as its rowid (insertion order)
        else:
            continue  # the target's default fills it
        columns.append(column)
        types.append(data_type)
    key = [f'"{c}"' for c in pk] if without_rowid else ["rowid"]
    return _Table(name, columns, exprs, key, types)


def _convert(value: Any, pg_type: str) -> Any:
    if value is None:
        return None
    if pg_type in _INT_TYPES and isinstance(value, float) and value.is_integer():
        return int(value)
    if pg_type == "boolean" and isinstance(value, int | float):
        return bool(value)
    if pg_type == "double precision" and isinstance(value, int):
        return float(value)
    if pg_type == "text" and isinstance(value, int | float):
        return str(value)
    return value


def _copy_table(
    src: sqlite3.Connection,
    pg: Any,
    table: _Table,
    batch_size: int,
    after_batch: BatchHook | None,
) -> int:
    row = pg.execute(
        f"SELECT last_key, rows_copied, done FROM {PROGRESS_TABLE} WHERE table_name = %s",
        (table.name,),
    ).fetchone()
    last_key: list[Any] | None = json.loads(row[0]) if row and row[0] else None
    rows_copied = int(row[1]) if row else 0
    if row and row[2]:
        return 0
    nkey = len(table.key_exprs)
    key_list = ", ".join(table.key_exprs)
    select = f'SELECT {", ".join([*table.source_exprs, *table.key_exprs])} FROM "{table.name}"'
    where = f" WHERE ({key_list}) > ({', '.join('?' * nkey)})"
    tail = f" ORDER BY {key_list} LIMIT {batch_size}"
    column_list = ", ".join(f'"{c}"' for c in table.columns)
    copy_sql = f'COPY "{table.name}" ({column_list}) FROM STDIN'
    copied_now = 0
    while True:
        if last_key is None:
            batch = src.execute(select + tail).fetchall()
        else:
            batch = src.execute(select + where + tail, last_key).fetchall()
        done = len(batch) < batch_size
        with pg.transaction(), pg.cursor() as cur:
            if batch:
                with cur.copy(copy_sql) as copy:
                    for values in batch:
                        copy.write_row(
                            [_convert(v, t) for v, t in zip(values, table.pg_types, strict=False)]
                        )
                last_key = list(batch[-1][-nkey:])
                rows_copied += len(batch)
            cur.execute(
                f"INSERT INTO {PROGRESS_TABLE} (table_name, last_key, rows_copied, done) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (table_name) DO UPDATE SET "
                "last_key = EXCLUDED.last_key, rows_copied = EXCLUDED.rows_copied, "
                "done = EXCLUDED.done",
                (table.name, None if last_key is None else json.dumps(last_key), rows_copied, done),
            )
        copied_now += len(batch)
        if after_batch is not None and batch:
            after_batch(table.name, rows_copied)
        if done:
            return copied_now


def _move_sequences(src: sqlite3.Connection, pg: Any) -> None:
    """Each identity sequence past the largest id copied (and past SQLite's own counter)."""
    counters: dict[str, int] = {}
    for name, top in _sqlite_sequences(src):
        counters[name] = max(top, counters.get(name, 0))
    for table, column in pg.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall():
        if table in SKIPPED:
            continue
        top = pg.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"').fetchone()[0]
        nxt = max(int(top), int(counters.get(table, 0))) + 1
        pg.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), %s, false)",
            (f'"{table}"', column, nxt),
        )


def _sqlite_sequences(src: sqlite3.Connection) -> Iterable[tuple[str, int]]:
    exists = src.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
    ).fetchone()
    found = []
    if exists:
        found += [(str(n), int(s)) for n, s in src.execute("SELECT name, seq FROM sqlite_sequence")]
    if src.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (HIGH_WATER,)).fetchone():
        found += [(str(n), int(i)) for n, i in src.execute(f"SELECT name, id FROM {HIGH_WATER}")]
    return found
