"""Diffs, migrations and node counts as the API shows them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from leadflow.api.data.shape import Record
from leadflow.definitions.diff import DefinitionDiff
from leadflow.engine.migrate import MigrationPlan, MigrationResult
from leadflow.model.records import NodeCount

MAX_INT = 2**31 - 1


class NodeChangeOut(Record):
    id: str
    fields: list[str] = Field(description="The node's fields that differ.")


class DiffOut(Record):
    key: str
    from_version: int
    to_version: int
    same: bool
    nodes_added: list[str]
    nodes_removed: list[str]
    nodes_changed: list[NodeChangeOut]
    settings_changed: list[str] = Field(description="The settings fields that differ.")
    triggers_changed: bool
    fields_changed: list[str] = Field(description="Other top-level fields: name, start ...")
    text: str = Field(description="A unified diff of the canonical YAML of the two versions.")


class MigrateIn(BaseModel):
    to_version: int = Field(gt=0, le=MAX_INT)
    from_version: int | None = Field(
        default=None, gt=0, le=MAX_INT, description="Only runs on this version (all when null)."
    )
    mapping: dict[str, str] = Field(
        default_factory=dict,
        description="Old node id -> new node id; a node not mapped keeps its id.",
    )
    dry_run: bool = Field(default=True, description="Count who would move where; move nobody.")
    skip_unmapped: bool = Field(
        default=False, description="Leave runs at unmapped nodes where they are (else 422)."
    )


class MoveOut(Record):
    from_version: int
    from_node: str
    to_node: str | None = Field(description="null: no node of the target version matches.")
    runs: int
    timing: str = Field(
        default="",
        description="kept (same kind and timer), 're-planned: 1d -> 3d' (a wait of another "
        "length: woken as if it had entered the new one when it entered the old), restarted "
        "(another kind: entered now), or empty (unmapped). A parallel node's parent adds "
        "'; branches kept' or '; branches cancelled', and its branch runs say 'branch cancelled' "
        "(docs/parallel.md, Migration).",
    )


class MigrateOut(BaseModel):
    key: str
    to_version: int
    dry_run: bool
    moves: list[MoveOut]
    total: int = Field(description="Open runs considered.")
    unmapped: int = Field(description="Runs at nodes with no counterpart in the target version.")
    moved: int = Field(description="Runs moved (0 in a dry run).")
    conflicts: int = Field(description="Runs that advanced meanwhile and were left in place.")
    skipped: int = Field(description="Unmapped runs left in place.")


class NodeCountOut(Record):
    version: int
    node: str
    entered: int
    sent: int
    delivered: int
    replied: int
    exited: int
    current: int


class NodeCounts(BaseModel):
    key: str
    items: list[NodeCountOut] = Field(description="Per version and node, over visible leads.")


class RunsSummary(BaseModel):
    key: str
    by_status: dict[str, int] = Field(description="Runs per status (active, waiting, ...).")
    total: int


def diff_out(key: str, old: int, new: int, d: DefinitionDiff) -> DiffOut:
    return DiffOut.of(d, key=key, from_version=old, to_version=new)


def migrate_out(plan: MigrationPlan, result: MigrationResult | None) -> MigrateOut:
    done = result or MigrationResult()
    return MigrateOut(
        key=plan.workflow_key,
        to_version=plan.to_version,
        dry_run=result is None,
        moves=[MoveOut.of(m) for m in plan.moves],
        total=plan.total,
        unmapped=sum(m.runs for m in plan.unmapped),
        moved=done.moved,
        conflicts=done.conflicts,
        skipped=done.skipped,
    )


def node_counts_out(key: str, counts: list[NodeCount]) -> NodeCounts:
    return NodeCounts(
        key=key,
        items=[NodeCountOut.of(c) for c in counts],
    )
