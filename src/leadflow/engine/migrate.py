"""Moving in-flight runs to another version of their workflow: explicit, with a dry run.

Publishing never touches a run in flight (runs are pinned to their version). A migration moves
the live and paused runs of a workflow to a target version with a node mapping: each run's current
node maps to ``mapping[node]`` if given, else to the node with the same id in the target version.
A run whose node maps nowhere blocks the migration (nothing is moved) unless ``skip_unmapped``.

A run keeps its place in time when its new node is of the same kind as the old one: a run two
hours into a ``wait 1d`` moved to a ``wait 3d`` wakes as if it had entered the new wait when it
entered the old one (its timer is re-planned by the difference of the two durations, never
before now), and the same for a ``wait_for_event``'s time-out; other nodes of the same kind keep
their wake time. A run moved to a node of another kind enters it fresh, now. The dry run says
which of the three each move does (``timing``). Every moved run records a ``migrated`` step,
and moves are seq-guarded like every other change, so a run that advanced meanwhile is counted as
a conflict and left where it is.

A ``parallel`` node's parent waiting at its fork *keeps* the fork only when it maps to the node
of the same id, still a ``parallel`` node with the same branch names: its branch runs go on
(they are open runs of the workflow, moved by the same migration like any other). Moved
anywhere else, the parent lets go of the fork and its open branch runs are cancelled in the
same commit (``parallel:cancelled``); a parent moved to that parallel node with other branches
enters it afresh and forks again. The dry run's ``timing`` says so: ``...; branches kept`` or
``...; branches cancelled`` for the parents, ``branch cancelled`` for their branch runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from leadflow.definitions import models as m
from leadflow.definitions.durations import parse_duration
from leadflow.engine import forks
from leadflow.engine.advance import new_advance
from leadflow.engine.baseline import fill_missing
from leadflow.engine.branches import with_cancels
from leadflow.engine.catalog import Catalog
from leadflow.engine.compiled import CompiledWorkflow
from leadflow.errors import InvalidInput
from leadflow.model.records import (
    DEFAULT_TENANT,
    Advance,
    Run,
    RunFilter,
    RunStatus,
    Scope,
    Step,
)
from leadflow.store.contract import Store

OWNER = "migration"
_OPEN = (RunStatus.ACTIVE, RunStatus.WAITING, RunStatus.PAUSED)
PAGE = 5000


@dataclass(slots=True)
class Move:
    from_version: int
    from_node: str
    to_node: str | None  # None: unmapped
    runs: int
    # "kept" (same kind, same timer), "re-planned: 1d -> 3d" (a timed wait of another length),
    # "restarted" (another kind: enters the node now), or "" (unmapped)
    timing: str = ""


@dataclass(slots=True)
class MigrationPlan:
    workflow_key: str
    to_version: int
    mapping: dict[str, str]
    moves: list[Move] = field(default_factory=list)
    tenant_id: str = DEFAULT_TENANT  # whose workflow ``workflow_key`` is (keys are per tenant)

    @property
    def unmapped(self) -> list[Move]:
        return [m for m in self.moves if m.to_node is None]

    @property
    def total(self) -> int:
        return sum(m.runs for m in self.moves)


@dataclass(slots=True)
class MigrationResult:
    moved: int = 0
    conflicts: int = 0
    skipped: int = 0


def _target(wf: CompiledWorkflow, node: str | None, mapping: dict[str, str]) -> str | None:
    if node is None:
        return None
    wanted = mapping.get(node, node)
    return wanted if wanted in wf.nodes else None


def _open_runs(
    store: Store, tenant_id: str, key: str, to_version: int, from_version: int | None
) -> list[Run]:
    """Open runs of the tenant's workflow ``key``: runs of that key whose contact is in the
    tenant (another tenant's runs of a workflow with the same key are not its runs)."""
    runs: list[Run] = []
    scope = Scope(tenant_id)
    for status in _OPEN:
        offset = 0
        while True:
            page = store.list_runs(
                RunFilter(workflow_key=key, status=status, limit=PAGE, offset=offset, scope=scope)
            )
            runs += [
                r
                for r in page
                if r.version != to_version and (from_version is None or r.version == from_version)
            ]
            if len(page) < PAGE:
                break
            offset += PAGE
    return runs


def plan_migration(
    store: Store,
    catalog: Catalog,
    key: str,
    to_version: int,
    mapping: dict[str, str] | None = None,
    from_version: int | None = None,
    *,
    tenant_id: str = DEFAULT_TENANT,
) -> MigrationPlan:
    """Count who would move where (the dry run) among the runs of ``tenant_id``'s workflow
    ``key``; changes nothing."""
    mapping = dict(mapping or {})
    target = catalog.get(tenant_id, key, to_version)
    for new in mapping.values():
        if new not in target.nodes:
            raise InvalidInput(f"--map: node {new!r} does not exist in {key} version {to_version}")
    runs = _open_runs(store, tenant_id, key, to_version, from_version)
    by_id = {run.id: run for run in runs}
    counts = Counter(
        (
            run.version,
            run.node or "",
            to_node := _target(target, run.node, mapping),
            _fork_fate(catalog, tenant_id, run, target, to_node, by_id, mapping),
        )
        for run in runs
    )
    plan = MigrationPlan(key, to_version, mapping, tenant_id=tenant_id)
    for (version, node, to_node, fate), n in sorted(counts.items(), key=lambda kv: kv[0][:2]):
        timing = ""
        if to_node is not None:
            old = catalog.get(tenant_id, key, version).nodes.get(node)
            timing = _timing(old, target.nodes[to_node])
            if fate == _RESTARTED:
                timing = f"restarted; {_BRANCHES_CANCELLED}"
            elif fate:
                timing = fate if fate == _BRANCH_CANCELLED else f"{timing}; {fate}"
        plan.moves.append(Move(version, node, to_node, n, timing))
    return plan


_BRANCHES_KEPT = "branches kept"
_BRANCHES_CANCELLED = "branches cancelled"
_RESTARTED = "restarted: forks again"  # moved to the parallel node, whose branches changed
_BRANCH_CANCELLED = "branch cancelled"  # a branch run whose parent lets go of its fork


def _keeps_fork(
    catalog: Catalog, tenant_id: str, run: Run, target: CompiledWorkflow, to_node: str | None
) -> bool | None:
    """None: ``run`` holds no fork; else whether moving it to ``to_node`` keeps the fork (the
    same parallel node id, still a parallel node with the same branch names)."""
    fork = forks.fork_of(run.context)
    if fork is None or run.node != fork.get("node"):
        return None
    new = target.nodes.get(to_node or "")
    old = catalog.get(tenant_id, run.workflow_key, run.version).nodes.get(run.node or "")
    return (
        to_node == run.node
        and isinstance(old, m.Parallel)
        and isinstance(new, m.Parallel)
        and {b.name for b in old.branches} == {b.name for b in new.branches}
    )


def _fork_fate(
    catalog: Catalog,
    tenant_id: str,
    run: Run,
    target: CompiledWorkflow,
    to_node: str | None,
    runs: dict[int, Run],
    mapping: dict[str, str],
) -> str:
    """What the move does to a fork: for a parent, whether its branches are kept or cancelled
    (or it forks again); for a branch run whose parent moves too and lets go, that it is
    cancelled; else empty."""
    if to_node is None:
        return ""
    kept = _keeps_fork(catalog, tenant_id, run, target, to_node)
    if kept is not None:
        if kept:
            return _BRANCHES_KEPT
        new = target.nodes.get(to_node)
        return _RESTARTED if isinstance(new, m.Parallel) else _BRANCHES_CANCELLED
    parent = runs.get(forks.parent_id(run) or 0)
    if parent is None:
        return ""
    to_parent = _target(target, parent.node, mapping)
    if to_parent is None:
        return ""
    if _keeps_fork(catalog, tenant_id, parent, target, to_parent) is False:
        return _BRANCH_CANCELLED
    return ""


def _timer(node: object) -> str | None:
    """The duration a node's timer runs for: a wait's, a wait_for_event's time-out."""
    kind = getattr(node, "kind", None)
    if kind == "wait":
        return str(getattr(node, "duration", "")) or None
    if kind == "wait_for_event":
        timeout = getattr(node, "timeout", None)
        return str(timeout) if timeout else None
    return None


def _timing(old: object | None, new: object) -> str:
    if old is None or getattr(old, "kind", None) != getattr(new, "kind", None):
        return "restarted"
    before, after = _timer(old), _timer(new)
    if before and after and parse_duration(before) != parse_duration(after):
        return f"re-planned: {before} -> {after}"
    return "kept"


def _replanned(wake_at: float | None, old: object | None, new: object, now: float) -> float | None:
    """The wake time of a run moved between two timed waits of one kind: as if it had entered
    the new one when it entered the old (never before ``now``); the old one otherwise."""
    before, after = _timer(old), _timer(new)
    if wake_at is None or not before or not after:
        return wake_at
    return max(now, wake_at - parse_duration(before) + parse_duration(after))


def apply_migration(
    store: Store,
    catalog: Catalog,
    plan: MigrationPlan,
    now: float,
    *,
    skip_unmapped: bool = False,
    from_version: int | None = None,
) -> MigrationResult:
    if plan.unmapped and not skip_unmapped:
        where = ", ".join(f"v{m.from_version}:{m.from_node} ({m.runs})" for m in plan.unmapped)
        raise InvalidInput(
            f"runs at nodes with no counterpart in version {plan.to_version}: {where}; "
            "map them with --map OLD=NEW or pass --skip-unmapped"
        )
    target = catalog.get(plan.tenant_id, plan.workflow_key, plan.to_version)
    result = MigrationResult()
    pairs: list[tuple[Run, Advance]] = []
    runs = _open_runs(store, plan.tenant_id, plan.workflow_key, plan.to_version, from_version)
    for run in runs:
        to_node = _target(target, run.node, plan.mapping)
        if to_node is None:
            result.skipped += 1
            continue
        pairs.append((run, _move(catalog, plan.tenant_id, run, target, to_node, now)))
        if len(pairs) >= 500:
            _commit(store, target, pairs, now, result)
            pairs = []
    _commit(store, target, pairs, now, result)
    return result


def _with_baselines(
    store: Store, target: CompiledWorkflow, advances: list[Advance], owners: dict[int, str]
) -> list[Advance]:
    """Moved runs get the baseline of each ``changed`` path of the target version they lack
    (the contact as it is now: the run entered before that path was compared)."""
    if not target.changed_paths or not advances:
        return advances
    contacts = store.get_contacts(sorted(set(owners.values())))
    for adv in advances:
        fill_missing(target, adv.context, contacts.get(owners[adv.run_id]))
    return advances


def _commit(
    store: Store,
    target: CompiledWorkflow,
    pairs: list[tuple[Run, Advance]],
    now: float,
    result: MigrationResult,
) -> None:
    """Commit the moves, with the cancellations of the branch runs of the parents that let go
    of their fork (and of moved branch runs whose parent no longer holds theirs)."""
    if not pairs:
        return
    owners = {run.id: run.contact_id for run, _ in pairs}
    _with_baselines(store, target, [adv for _, adv in pairs], owners)
    advances = with_cancels(store, pairs, now)
    out = store.commit_advances(OWNER, advances, now)
    extra = len(advances) - len(pairs)  # branch runs cancelled, not moved
    result.moved += max(out.applied - extra, 0)
    result.conflicts += out.conflicts


def _move(
    catalog: Catalog, tenant_id: str, run: Run, target: CompiledWorkflow, to_node: str, now: float
) -> Advance:
    source = catalog.get(tenant_id, run.workflow_key, run.version)
    old = source.nodes.get(run.node or "")
    new = target.nodes[to_node]
    adv = new_advance(run)
    adv.version = target.version
    adv.node = to_node
    same_kind = old is not None and old.kind == new.kind
    if _keeps_fork(catalog, tenant_id, run, target, to_node) is False:
        adv.context.pop(forks.FORK, None)  # lets go of the fork: its branches are cancelled
        same_kind = False  # a parallel node with other branches is entered afresh
    if same_kind:
        paused = adv.context.get("_paused")
        if isinstance(paused, dict) and paused.get("wake_at") is not None:
            paused["wake_at"] = _replanned(paused["wake_at"], old, new, now)
        else:
            adv.wake_at = _replanned(run.wake_at, old, new, now)
    else:
        if run.status == RunStatus.PAUSED:
            adv.context["_paused"] = {"status": RunStatus.ACTIVE, "wake_at": now}
        else:
            adv.status, adv.wake_at = RunStatus.ACTIVE, now
        adv.waiting_for = None
    adv.step_seq += 1
    adv.steps.append(
        Step(
            run.id,
            to_node,
            "migrate",
            adv.step_seq,
            1,
            "migrated",
            now,
            None,
            None,
            {
                "from_version": run.version,
                "from_node": run.node,
                "to_version": target.version,
                "kept_timing": same_kind,
                "timing": _timing(old, new),
            },
        )
    )
    return adv
