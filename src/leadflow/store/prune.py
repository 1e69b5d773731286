"""``leadflow db prune``: archive finished runs' history (and processed events) to a gzip JSONL
file, then delete it. Nothing is deleted that was not archived first.

The archive is one JSON object per line (``zcat FILE | jq``): a ``header`` line first (format
version, cutoff, creation time, database URL without its password), then ``run`` lines (the run
with its ``steps`` and ``messages`` nested) and ``event`` lines (the event's own type is
``event_type``). Field names are those of the store records; times are epoch seconds.

Per batch: read, write the lines, flush the gzip stream (``Z_SYNC_FLUSH``) and ``fsync`` the
file, and only then delete exactly the ids just written (a run that changed meanwhile is kept,
see :meth:`~leadflow.store.contract.Store.delete_runs_history`). A failed write deletes nothing of
its batch; a crash after a batch leaves an archive readable up to that batch. At the end the
archive is read back and every deleted id must be found in it.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from leadflow.clock import to_iso
from leadflow.errors import InvalidInput, StoreError
from leadflow.model.records import (
    BRANCH_LINK,
    ENDED_STATUSES,
    FORK_LINK,
    Event,
    Run,
    RunHistory,
)
from leadflow.store.contract import Store

FORMAT = "leadflow-prune"
FORMAT_VERSION = 1

Opener = Callable[[Path, str], IO[bytes]]


@dataclass(slots=True)
class PruneReport:
    """What was archived and deleted (or, in a dry run, what would be)."""

    cutoff: float
    archive: Path | None
    runs: int = 0
    steps: int = 0
    messages: int = 0
    events: int = 0
    skipped_runs: int = 0  # archived, but changed before the delete: kept in the database
    bytes: int = 0
    dry_run: bool = False


def default_archive_name(now: float) -> str:
    """``leadflow-prune-20250101T120000Z.jsonl.gz`` (UTC)."""
    stamp = (to_iso(now) or "").replace("-", "").replace(":", "")
    return f"leadflow-prune-{stamp}.jsonl.gz"


def safe_url(url: str) -> str:
    """The database URL with any password replaced by ``***``."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))
    except (ValueError, IndexError):
        return "(unparsable URL)"


def run_record(history: RunHistory) -> dict[str, Any]:
    return {
        "type": "run",
        **asdict(history.run),
        "steps": [asdict(s) for s in history.steps],
        "messages": [asdict(m) for m in history.messages],
    }


def event_record(event: Event) -> dict[str, Any]:
    """The event's fields, its own ``type`` as ``event_type`` (``type`` is the record's)."""
    fields = asdict(event)
    return {"type": "event", "event_type": fields.pop("type"), **fields}


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _open_file(path: Path, mode: str) -> IO[bytes]:
    return path.open(mode)


class _Archive:
    """The gzip file being written; every batch is made durable before it is deleted."""

    def __init__(self, path: Path, overwrite: bool, opener: Opener) -> None:
        self.path = path
        try:
            self.raw = opener(path, "wb" if overwrite else "xb")
        except FileExistsError as exc:
            raise InvalidInput(f"--archive: {path} exists; pass --overwrite to replace it") from exc
        except OSError as exc:
            raise StoreError(f"--archive: cannot create {path}: {exc.strerror or exc}") from exc
        try:
            self.gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0)
        except OSError as exc:
            self.raw.close()
            raise StoreError(f"--archive: cannot write {path}: {exc.strerror or exc}") from exc

    def write_durably(self, records: list[dict[str, Any]]) -> None:
        """All lines written, flushed and fsync-ed, or an OSError."""
        self.gz.write(b"".join(_line(r) for r in records))
        self.gz.flush(zlib.Z_SYNC_FLUSH)
        self.raw.flush()
        os.fsync(self.raw.fileno())

    def close(self) -> None:
        self.gz.close()  # writes the gzip trailer
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()

    def abandon(self) -> None:
        for closer in (self.gz.close, self.raw.close):
            with suppress(OSError, ValueError):
                closer()


def read_archive(path: Path) -> Iterator[dict[str, Any]]:
    """The records of an archive, header first."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            record: dict[str, Any] = json.loads(line)
            yield record


def prune(
    store: Store,
    before: float,
    archive_path: Path,
    *,
    now: float,
    batch: int = 1000,
    keep_events: bool = False,
    overwrite: bool = False,
    dry_run: bool = False,
    opener: Opener = _open_file,
) -> PruneReport:
    """Archive then delete finished runs (ended before ``before``) with their steps and
    messages, and (unless ``keep_events``) processed events older than ``before``. ``now`` is
    the creation time written in the header. A dry run only counts and writes nothing."""
    if batch < 1:
        raise InvalidInput(f"batch: must be at least 1, not {batch}")
    report = PruneReport(before, None if dry_run else archive_path, dry_run=dry_run)
    if dry_run:
        _count(store, before, batch, keep_events, report)
        return report
    archive = _Archive(archive_path, overwrite, opener)
    deleted_runs: list[int] = []
    deleted_events: list[int] = []
    try:
        header = {
            "type": "header",
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "cutoff": to_iso(before),
            "cutoff_ts": before,
            "created_at": to_iso(now),
            "created_ts": now,
            "database": safe_url(store.url),
            "events": not keep_events,
        }
        _write(archive, [header], report)
        after = 0
        while found := store.prunable_runs(before, after, batch):
            after = found[-1].run.id
            if not (histories := without_joined_branches(store, found)):
                continue
            _write(archive, [run_record(h) for h in histories], report)
            gone = set(store.delete_runs_history({h.run.id: h.run.seq for h in histories}, before))
            deleted_runs += sorted(gone)
            for h in histories:
                if h.run.id in gone:
                    report.runs += 1
                    report.steps += len(h.steps)
                    report.messages += len(h.messages)
                else:
                    report.skipped_runs += 1
        after = 0
        while not keep_events and (events := store.prunable_events(before, after, batch)):
            after = events[-1].id
            _write(archive, [event_record(e) for e in events], report)
            gone_events = store.delete_events([e.id for e in events], before)
            deleted_events += gone_events
            report.events += len(gone_events)
        archive.close()
    except BaseException:
        archive.abandon()
        raise
    _verify(archive_path, deleted_runs, deleted_events)
    report.bytes = archive_path.stat().st_size
    return report


def without_joined_branches(store: Store, histories: list[RunHistory]) -> list[RunHistory]:
    """``histories`` without the branch runs of a ``parallel`` node whose parent may still join
    them: the parent exists and has not ended, or (a failed parent that ``runs retry`` may
    revive) still holds the fork they were started by. The join reads its branch runs from the
    store, so a pruned branch would never be seen ending. A parent only ends once (a retried one
    that let go of its fork forks anew), so a branch found prunable here stays so until the
    delete; a parent already pruned joins nothing."""
    links = {
        h.run.id: link
        for h in histories
        if isinstance(link := h.run.context.get(BRANCH_LINK), dict)
    }
    if not links:
        return histories
    parents = store.get_runs({int(link["parent"]) for link in links.values() if "parent" in link})
    return [h for h in histories if h.run.id not in links or not _joins(parents, links[h.run.id])]


def _joins(parents: dict[int, Run], link: dict[str, Any]) -> bool:
    parent = parents.get(int(link.get("parent", 0)))
    if parent is None:
        return False
    fork = parent.context.get(FORK_LINK)
    holds = (
        isinstance(fork, dict)
        and fork.get("node") == link.get("node")
        and fork.get("visit") == link.get("visit")
    )
    return parent.status not in ENDED_STATUSES or holds


def _write(archive: _Archive, records: list[dict[str, Any]], report: PruneReport) -> None:
    try:
        archive.write_durably(records)
    except OSError as exc:
        done = (
            f"{report.runs} runs and {report.events} events"
            if report.runs or report.events
            else "nothing"
        )
        raise StoreError(
            f"--archive: writing {archive.path} failed ({exc.strerror or exc}); nothing of the "
            f"unwritten batch was deleted ({done} archived there and deleted before the failure)"
        ) from exc


def _count(store: Store, before: float, batch: int, keep_events: bool, report: PruneReport) -> None:
    after = 0
    while found := store.prunable_runs(before, after, batch):
        after = found[-1].run.id
        histories = without_joined_branches(store, found)
        report.runs += len(histories)
        report.steps += sum(len(h.steps) for h in histories)
        report.messages += sum(len(h.messages) for h in histories)
    after = 0
    while not keep_events and (events := store.prunable_events(before, after, batch)):
        after = events[-1].id
        report.events += len(events)


def _verify(path: Path, runs: list[int], events: list[int]) -> None:
    """Every deleted id is in the archive, which reads back whole."""
    found: dict[str, set[int]] = {"run": set(), "event": set()}
    try:
        records = iter(read_archive(path))
        header = next(records)
        if header.get("format") != FORMAT:
            raise StoreError(f"--archive: {path} does not start with a {FORMAT} header")
        for record in records:
            found.setdefault(record["type"], set()).add(int(record["id"]))
    except (OSError, EOFError, ValueError, KeyError, StopIteration) as exc:
        raise StoreError(f"--archive: {path} does not read back: {exc}") from exc
    missing = (set(runs) - found["run"]) | (set(events) - found["event"])
    if missing:
        raise StoreError(f"--archive: {path} lacks {len(missing)} deleted records")


__all__ = ["PruneReport", "default_archive_name", "prune", "read_archive"]
