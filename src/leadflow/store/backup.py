"""Online backups of a database, whatever its backend.

SQLite uses its online backup API: a consistent copy taken while workers keep writing (WAL).
PostgreSQL is dumped with ``pg_dump`` (custom format) when it is installed; without it the error
says what to install. The destination is never overwritten unless asked.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from leadflow.errors import InvalidInput, StoreError


@dataclass(slots=True, frozen=True)
class BackupResult:
    path: Path
    bytes: int
    method: str


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def backup(url: str, dest: Path, *, overwrite: bool = False) -> BackupResult:
    if dest.exists() and not overwrite:
        raise InvalidInput(f"PATH: {dest} exists; pass --overwrite to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite:///"):
        return _sqlite(sqlite_path(url), dest)
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url, dest)
    raise InvalidInput("--db: backups are supported for sqlite:/// and postgresql:// URLs")


def _sqlite(source: Path, dest: Path) -> BackupResult:
    if not source.is_file():
        raise InvalidInput(f"--db: database file {source} does not exist")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            out = sqlite3.connect(partial)
            try:
                src.backup(out, pages=4096)
            finally:
                out.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {source} failed: {exc}") from exc
    partial.replace(dest)  # only a complete copy ever carries the requested name
    return BackupResult(dest, dest.stat().st_size, "sqlite-online-backup")


def _postgres(url: str, dest: Path) -> BackupResult:
    tool = shutil.which("pg_dump")
    if tool is None:
        raise StoreError(
            "pg_dump is not installed; install the PostgreSQL client tools "
            "(e.g. `apt-get install postgresql-client`) to back up a PostgreSQL database"
        )
    partial = dest.with_name(dest.name + ".partial")
    done = subprocess.run(
        [tool, "--format=custom", f"--file={partial}", f"--dbname={url}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        # pg_dump's message names the problem; the URL (with any password) is not repeated.
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise StoreError(f"pg_dump failed: {reason}")
    partial.replace(dest)
    return BackupResult(dest, dest.stat().st_size, "pg_dump")
