"""Pausing, resuming and cancelling runs by hand (seq-guarded like every other change)."""

from __future__ import annotations

from leadflow.engine import forks
from leadflow.engine.advance import end, new_advance
from leadflow.engine.branches import open_branches, with_cancels
from leadflow.errors import Conflict, InvalidInput, NotFound
from leadflow.model.records import (
    ENDED_STATUSES,
    LIVE_STATUSES,
    Advance,
    Run,
    RunStatus,
    Step,
)
from leadflow.store.contract import Store

OWNER = "control"


def _load(store: Store, run_id: int) -> Run:
    run = store.get_run(run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    return run


def _control_step(run: Run, outcome: str, now: float) -> Advance:
    """The run's advance with one ``control`` step of ``outcome`` recorded."""
    adv = new_advance(run)
    adv.step_seq += 1
    adv.steps.append(Step(run.id, run.node or "", "control", adv.step_seq, 1, outcome, now))
    return adv


def _commit(store: Store, run: Run, adv_status: str, now: float, outcome: str) -> Run:
    adv = _control_step(run, outcome, now)
    if adv_status == RunStatus.CANCELLED:
        end(adv, RunStatus.CANCELLED, now, "cancelled")
    elif adv_status == RunStatus.FAILED:  # retry: the failed node runs again, from a fresh attempt
        adv.status, adv.wake_at, adv.attempt, adv.waiting_for = RunStatus.ACTIVE, now, 0, None
    elif adv_status == RunStatus.PAUSED:
        _pause(run, adv)
    else:
        _unpause(adv, now)
        if forks.fork_of(adv.context) is not None:  # a parallel's parent looks at its branches
            adv.wake_at = now
    advances = [
        *with_cancels(store, [(run, adv)], now),
        *_resumed_branches(store, run, adv, now),
        *_paused_branches(store, run, adv, now),
    ]
    result = store.commit_advances(OWNER, advances, now)
    if run.id in result.conflicted_run_ids:
        raise Conflict(f"run {run.id} changed meanwhile; try again")
    return _load(store, run.id)


def _pause(run: Run, adv: Advance) -> None:
    """Paused, remembering the status and wake time to go back to."""
    adv.context["_paused"] = {"status": run.status, "wake_at": run.wake_at}
    adv.status = RunStatus.PAUSED


def _paused_branches(store: Store, run: Run, adv: Advance, now: float) -> list[Advance]:
    """A parent paused by hand pauses its live branch runs in the same commit (as a reply
    pauses them all), so no branch acts while the parent is paused."""
    if adv.status != RunStatus.PAUSED or run.status == RunStatus.PAUSED:
        return []
    if forks.fork_of(adv.context) is None:
        return []
    out = []
    for branch in open_branches(store, run):
        if branch.status not in LIVE_STATUSES:
            continue
        paused = _control_step(branch, "paused:parent", now)
        _pause(branch, paused)
        out.append(paused)
    return out


def _unpause(adv: Advance, now: float) -> None:
    """The status and wake time the run had before it was paused (a time past: now)."""
    before = adv.context.pop("_paused", None) or {}
    adv.status = before.get("status") or RunStatus.ACTIVE
    wake = before.get("wake_at")
    adv.wake_at = max(float(wake), now) if wake is not None else now
    if adv.status not in (RunStatus.ACTIVE, RunStatus.WAITING):
        adv.status = RunStatus.ACTIVE


def _resumed_branches(store: Store, run: Run, adv: Advance, now: float) -> list[Advance]:
    """A parent resumed by hand resumes its paused branch runs (a reply paused them all)."""
    if run.status != RunStatus.PAUSED or adv.status == RunStatus.PAUSED:
        return []
    if forks.fork_of(adv.context) is None or adv.status in ENDED_STATUSES:
        return []
    out = []
    for branch in open_branches(store, run):
        if branch.status != RunStatus.PAUSED:
            continue
        resumed = _control_step(branch, "resumed", now)
        _unpause(resumed, now)
        out.append(resumed)
    return out


def pause_run(store: Store, run_id: int, now: float) -> Run:
    run = _load(store, run_id)
    if run.status not in LIVE_STATUSES:
        raise Conflict(f"run {run_id} is {run.status}; only active or waiting runs pause")
    return _commit(store, run, RunStatus.PAUSED, now, "paused:manual")


def resume_run(store: Store, run_id: int, now: float) -> Run:
    run = _load(store, run_id)
    if run.status != RunStatus.PAUSED:
        raise Conflict(f"run {run_id} is {run.status}; only paused runs resume")
    return _commit(store, run, RunStatus.ACTIVE, now, "resumed")


def cancel_run(store: Store, run_id: int, now: float) -> Run:
    run = _load(store, run_id)
    if run.status in ENDED_STATUSES:
        raise Conflict(f"run {run_id} already ended ({run.status})")
    return _commit(store, run, RunStatus.CANCELLED, now, "cancelled")


def retry_run(store: Store, run_id: int, now: float) -> Run:
    """Run a failed run's failed node again (attempts start over; the node's message, if any,
    gets a new idempotency key, so the failed send is not mistaken for this one)."""
    run = _load(store, run_id)
    if run.status != RunStatus.FAILED:
        raise Conflict(f"run {run_id} is {run.status}; only failed runs are retried")
    if not run.node:
        raise InvalidInput(f"run {run_id} failed before its first node; enroll the contact again")
    return _commit(store, run, RunStatus.FAILED, now, "retried")
