"""prune(): the archive is written durably before anything is deleted, and reads back."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import IO

import pytest

from leadflow.errors import InvalidInput, StoreError
from leadflow.model.records import Advance, Contact, EnrollRequest, Message, NewEvent, Step
from leadflow.store import Store, open_store
from leadflow.store.prune import default_archive_name, prune, read_archive

T0 = 1_700_000_000.0
DAY = 86400.0
CUTOFF = T0 + 30 * DAY


def _finished_store(runs: int = 5) -> Store:
    """``runs`` runs ended at T0 + 1 day (each with 2 steps and a sent message), one waiting
    run, two old processed events and one unprocessed event."""
    store = open_store("memory://")
    ids = [f"c{i}" for i in range(runs + 1)]
    store.upsert_contacts([Contact(i, phone="+15550000000") for i in ids], T0)
    out = store.enroll([EnrollRequest("wf", 1, c, "start") for c in ids], T0)
    for n, rid in enumerate(out.run_ids):
        last = n == runs
        steps = [Step(rid, "start", "send_sms", s, 0, "ok", T0 + s) for s in (1, 2)]
        msg = Message(rid, ids[n], "wf", "start", "sms", "+1555", f"k{rid}", T0, T0)
        msg.status, msg.sent_at = "sent", T0
        advance = Advance(
            rid,
            0,
            "start" if last else "end",
            "waiting" if last else "completed",
            T0 + 90 * DAY if last else None,
            {"n": n},
            2,
            steps=steps,
            messages=[msg],
        )
        assert store.commit_advances("w", [advance], T0 + DAY).applied == 1
    store.append_events(
        [NewEvent("note", "c0", {"i": i}, f"e{i}", T0, processed=True) for i in range(2)], T0
    )
    store.append_events([NewEvent("sms.received", "c0", {}, "unprocessed", T0)], T0)
    return store


def test_archive_round_trips_everything_that_was_deleted(tmp_path: Path) -> None:
    store = _finished_store()
    before = {h.run.id: h for h in store.prunable_runs(CUTOFF)}
    path = tmp_path / "archive.jsonl.gz"
    report = prune(store, CUTOFF, path, now=CUTOFF + 5, batch=2)

    assert (report.runs, report.steps, report.messages, report.events) == (5, 10, 5, 2)
    assert report.bytes == path.stat().st_size > 0 and report.skipped_runs == 0
    # plain gzip, one JSON object per line (what `zcat | jq` reads)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    header, *records = lines
    assert header["type"] == "header" and header["format"] == "leadflow-prune"
    assert header["version"] == 1 and header["cutoff_ts"] == CUTOFF
    assert header["created_ts"] == CUTOFF + 5 and header["database"] == "memory://"
    runs = [r for r in records if r["type"] == "run"]
    assert sorted(r["id"] for r in runs) == sorted(before)
    for r in runs:
        h = before[r["id"]]
        assert r["status"] == "completed" and r["context"] == h.run.context
        assert [s["id"] for s in r["steps"]] == [s.id for s in h.steps]
        assert [m["idempotency_key"] for m in r["messages"]] == [f"k{r['id']}"]
        assert store.get_run(r["id"]) is None
    assert [e["dedupe_key"] for e in records if e["type"] == "event"] == ["e0", "e1"]
    assert list(read_archive(path)) == lines
    # what is left: the waiting run, its step and message, the unprocessed event
    assert store.count_runs() == {"waiting": 1}
    assert [e.dedupe_key for e in store.list_events()] == ["unprocessed"]
    if shutil.which("jq") and shutil.which("zcat"):
        shown = subprocess.run(
            f"zcat {path} | jq -c 'select(.type == \"event\") | .dedupe_key'",
            shell=True,
            capture_output=True,
            text=True,
            check=True,
        )
        assert shown.stdout.split() == ['"e0"', '"e1"']


def test_dry_run_counts_and_writes_nothing(tmp_path: Path) -> None:
    store = _finished_store()
    path = tmp_path / "archive.jsonl.gz"
    report = prune(store, CUTOFF, path, now=CUTOFF, dry_run=True)
    assert (report.runs, report.steps, report.messages, report.events) == (5, 10, 5, 2)
    assert not path.exists() and report.archive is None
    assert store.count_runs() == {"completed": 5, "waiting": 1}
    kept = prune(store, CUTOFF, path, now=CUTOFF, dry_run=True, keep_events=True)
    assert kept.events == 0 and kept.runs == 5


def test_keep_events_leaves_events_alone(tmp_path: Path) -> None:
    store = _finished_store()
    report = prune(store, CUTOFF, tmp_path / "a.gz", now=CUTOFF, keep_events=True)
    assert (report.runs, report.events) == (5, 0)
    assert len(store.list_events()) == 3
    assert {r["type"] for r in read_archive(tmp_path / "a.gz")} == {"header", "run"}


def test_an_existing_archive_is_never_overwritten_unless_asked(tmp_path: Path) -> None:
    store = _finished_store()
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(b"precious")
    with pytest.raises(InvalidInput, match=r"--archive: .*a\.jsonl\.gz exists.*--overwrite"):
        prune(store, CUTOFF, path, now=CUTOFF)
    assert path.read_bytes() == b"precious"
    assert store.count_runs() == {"completed": 5, "waiting": 1}
    assert prune(store, CUTOFF, path, now=CUTOFF, overwrite=True).runs == 5
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzip


class _DiskFullAfterHeader(io.BytesIO):
    """A file that fails like a full disk once the archive header has been made durable (its
    first fsync): the first batch of records is the one that cannot be written."""

    def __init__(self, sink: IO[bytes]) -> None:
        super().__init__()
        self.sink = sink
        self.synced = False

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.synced:
            raise OSError(28, "No space left on device")
        return super().write(data)

    def fileno(self) -> int:
        self.synced = True
        return self.sink.fileno()


def test_a_failed_write_deletes_nothing_of_its_batch(tmp_path: Path) -> None:
    store = _finished_store()
    with (tmp_path / "sink").open("wb") as sink:
        fake = _DiskFullAfterHeader(sink)
        with pytest.raises(StoreError, match=r"--archive: writing .* failed .*nothing of the"):
            prune(store, CUTOFF, tmp_path / "a.gz", now=CUTOFF, batch=2, opener=lambda p, m: fake)
    assert fake.synced
    assert store.count_runs() == {"completed": 5, "waiting": 1}
    assert len(store.list_events()) == 3


class _DiskFullAfterSyncs(io.FileIO):
    """A real file whose writes fail like a full disk after ``syncs`` fsyncs."""

    syncs = 2  # the archive header, then the first batch of runs

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.syncs <= 0:
            raise OSError(28, "No space left on device")
        return super().write(data)

    def fileno(self) -> int:
        self.syncs -= 1
        return super().fileno()


def test_a_write_failing_mid_way_keeps_every_unarchived_run(tmp_path: Path) -> None:
    """The disk fills up after the first batch: that batch was archived (and is readable in the
    partial archive) and deleted; every other run is still in the database."""
    store = _finished_store()
    path = tmp_path / "a.gz"
    with pytest.raises(StoreError, match="No space left"):
        prune(store, CUTOFF, path, now=CUTOFF, batch=2, opener=_DiskFullAfterSyncs)
    archived = []
    # readable up to the last durable batch; no gzip trailer, as the write failed before close
    with gzip.open(path, "rt") as fh, contextlib.suppress(EOFError):
        for line in fh:
            archived.append(json.loads(line))
    runs = [r["id"] for r in archived if r["type"] == "run"]
    assert len(runs) == 2  # the first batch
    assert all(store.get_run(rid) is None for rid in runs)
    assert store.count_runs() == {"completed": 3, "waiting": 1}
    assert len(store.list_events()) == 3


def test_unwritable_archive_directory_is_a_clear_error(tmp_path: Path) -> None:
    store = _finished_store()
    missing = tmp_path / "no-such-dir" / "a.gz"
    with pytest.raises(StoreError, match=r"--archive: cannot create .*no-such-dir"):
        prune(store, CUTOFF, missing, now=CUTOFF)
    assert store.count_runs() == {"completed": 5, "waiting": 1}


def test_the_database_password_never_reaches_the_header(tmp_path: Path) -> None:
    store = _finished_store()
    store.url = "postgresql://lead:s3cret@db.example:5432/leads"
    prune(store, CUTOFF, tmp_path / "a.gz", now=CUTOFF)
    header = next(read_archive(tmp_path / "a.gz"))
    assert header["database"] == "postgresql://lead:***@db.example:5432/leads"
    assert b"s3cret" not in gzip.decompress((tmp_path / "a.gz").read_bytes())


def test_default_archive_name_is_a_utc_timestamp() -> None:
    assert default_archive_name(0.0) == "leadflow-prune-19700101T000000Z.jsonl.gz"
