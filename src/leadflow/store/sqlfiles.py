"""Versioned SQL migrations shipped inside the package (``store/sql/<dialect>/NNNN_name.sql``)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[A-Za-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        return split_statements(self.sql)


@cache
def _load(dialect: str) -> tuple[Migration, ...]:
    folder = resources.files("leadflow.store").joinpath("sql").joinpath(dialect)
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    # Numbers are unique and start at 1; a gap is allowed (branches reserve numbers ahead), and
    # each migration is applied when its own number is missing from schema_migrations.
    if len(set(versions)) != len(versions) or (versions and versions[0] != 1):
        raise RuntimeError(f"{dialect} migrations are not numbered uniquely from 1: {versions}")
    return tuple(found)


def migrations(dialect: str) -> list[Migration]:
    """All migrations of ``dialect``, in version order."""
    return list(_load(dialect))


def latest_version(dialect: str = "sqlite") -> int:
    found = _load(dialect)
    return found[-1].version if found else 0


def effective_version(applied: Iterable[int], known: Sequence[int]) -> int:
    """The schema version of a database that has ``applied`` these migrations, for code that
    knows ``known`` (in order): the last of ``known`` up to which every one is applied, so a
    migration skipped by a gap left earlier still counts as pending; a database that has a
    version newer than any known one reports that version (it is newer than the code)."""
    done = set(applied)
    if not done:
        return 0
    if not known or max(done) > known[-1]:
        return max(done)
    version = 0
    for v in known:
        if v not in done:
            break
        version = v
    return version


@cache
def query(dialect: str, name: str, **fragments: str) -> str:
    """The named statement ``store/sql/<dialect>/queries/<name>.sql`` on one line (comment
    lines dropped), each ``{{NAME}}`` in it replaced by ``fragments[NAME]`` (SQL shared by
    both dialects, e.g. a column list)."""
    folder = resources.files("leadflow.store").joinpath("sql").joinpath(dialect)
    text = folder.joinpath("queries").joinpath(f"{name}.sql").read_text("utf-8")
    lines = [line.strip() for line in text.splitlines()]
    sql = " ".join(line for line in lines if line and not line.startswith("--")).rstrip(";")
    return _FRAGMENT.sub(lambda m: fragments[m.group(1)], sql)


_FRAGMENT = re.compile(r"\{\{([A-Z_]+)\}\}")


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (comments and blank lines dropped)."""
    out: list[str] = []
    buf: list[str] = []
    for line in sql.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf.append(line)
        text = "\n".join(buf)
        if sqlite3.complete_statement(text):
            out.append(text.strip())
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        out.append(rest)
    return out


__all__ = [
    "Migration",
    "effective_version",
    "latest_version",
    "migrations",
    "query",
    "split_statements",
]
