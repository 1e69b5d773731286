"""One way to plug into the engine: plugins install handlers, actions, observers, jobs and publish
hooks; the engine imports none of the layers above it."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from leadflow.definitions.models import WorkflowDefinition
from leadflow.engine.catalog import Catalog
from leadflow.engine.context import Go, Result, StepContext
from leadflow.engine.handlers import default_registry
from leadflow.engine.jobs import DueJobs
from leadflow.engine.plugins import Plugin, Registry
from leadflow.engine.ports import EventBatch
from leadflow.engine.workflows import publish
from leadflow.errors import PermanentStepError
from leadflow.model.records import WorkflowVersion
from leadflow.store.factory import open_store

ENGINE = Path(__file__).parents[3] / "src" / "leadflow" / "engine"
ABOVE = (
    "access",
    "api",
    "channels",
    "cli",
    "compliance",
    "experiments",
    "listings",
    "runtime",
    "scoring",
    "sendtime",
    "settings",
    "simulate",
    "webhooks",
)


class _Noop:
    def enter(self, ctx: StepContext, node: Any) -> Result:
        return Go(node.next)

    def resume(self, ctx: StepContext, node: Any) -> Result:
        return Go(node.next)


class _Seen:
    def __init__(self, types: frozenset[str], log: list[str], name: str) -> None:
        self.event_types = types
        self.log = log
        self.name = name

    def observe(self, batch: EventBatch) -> None:
        self.log.append(self.name)


class _Job:
    name = "count"

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.runs: list[float] = []

    def run(self, now: float) -> int:
        self.runs.append(now)
        return 2


def test_install_adds_everything_a_plugin_names_in_order() -> None:
    registry = Registry()
    log: list[str] = []
    first, second = _Seen(frozenset({"a"}), log, "1"), _Seen(frozenset({"b"}), log, "2")
    split = _Noop()
    registry.install(Plugin("one", handlers={"split": split}, observers=[first]))
    registry.install(Plugin("two", actions={"tag": _Noop()}, observers=[second]))
    assert registry.get("split") is split
    assert registry.actions() == ["tag"]
    assert registry.observers == [first, second]
    assert registry.observed == frozenset({"a", "b"})
    assert registry.plugins == ["one", "two"]
    with pytest.raises(PermanentStepError, match="no handler registered for node kind 'x'"):
        registry.get("x")


def test_a_plugin_handler_replaces_a_built_in_kind() -> None:
    registry = default_registry()
    built_in = registry.get("split")
    mine = _Noop()
    registry.install(Plugin("mine", handlers={"split": mine}))
    assert registry.get("split") is mine is not built_in
    assert "send_sms" in registry.kinds()


def test_due_jobs_run_at_the_first_look_then_once_per_interval() -> None:
    job = _Job(60.0)
    jobs = DueJobs([job])
    done: dict[str, int] = {}
    assert jobs.run_due(100.0, done) == 2
    assert jobs.run_due(159.0, done) == 0
    assert jobs.run_due(160.0, done) == 2
    assert job.runs == [100.0, 160.0]
    assert done == {"count": 4}


class _Bookkeeping(_Job):
    name = "fold"
    background = True


def test_a_background_job_waits_for_an_idle_pass_and_a_busy_worker_runs_it_at_last() -> None:
    job = _Bookkeeping(60.0)
    jobs = DueJobs([job])
    assert jobs.run_due(100.0, busy=True) == 0  # the first look starts its count, nothing runs
    assert jobs.run_due(130.0) == 0  # idle, but not an interval since
    assert jobs.run_due(200.0, busy=True) == 0  # due, but leads are waiting
    assert jobs.run_due(210.0) == 2  # the first idle pass after its interval
    assert jobs.run_due(300.0, busy=True) == 0
    assert jobs.run_due(210.0 + 6 * 60.0 - 1, busy=True) == 0
    assert jobs.run_due(210.0 + 6 * 60.0, busy=True) == 2  # busy for six intervals: runs anyway
    assert job.runs == [210.0, 570.0]


def test_a_busy_worker_never_holds_back_an_ordinary_job() -> None:
    job = _Job(60.0)
    jobs = DueJobs([job])
    assert jobs.run_due(100.0, busy=True) == 2
    assert jobs.run_due(160.0, busy=True) == 2
    assert job.runs == [100.0, 160.0]


def test_publishing_with_a_registry_runs_its_publish_hooks() -> None:
    store = open_store("memory://")
    seen: list[tuple[str, int, float]] = []

    def hook(version: WorkflowVersion, definition: WorkflowDefinition, now: float) -> None:
        seen.append((definition.key, version.version, now))

    registry = default_registry()
    registry.install(Plugin("hooked", publish_hooks=[hook]))
    data = {"key": "k", "name": "K", "start": "a", "nodes": [{"id": "a", "kind": "exit"}]}
    publish(store, Catalog(store), data, 5.0, registry)
    publish(store, Catalog(store), data, 6.0)  # no registry: nothing installed to call
    assert seen == [("k", 1, 5.0)]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_engine_imports_nothing_above_it() -> None:
    """Top-level, lazy and TYPE_CHECKING imports alike."""
    wrong = sorted(
        f"{path.name} -> {module}"
        for path in ENGINE.glob("*.py")
        for module in _imports(path)
        if module.split(".")[:2] in (["leadflow", name] for name in ABOVE)
    )
    assert wrong == []


class _EntryPoint:
    def __init__(self, name: str, target: object) -> None:
        self.name = name
        self.target = target

    def load(self) -> object:
        return self.target


def test_an_entry_point_gives_an_action_or_a_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadflow import runtime

    tagged = _Noop()
    points = [
        _EntryPoint("tag", _Noop),  # a factory of a handler, as before
        _EntryPoint("pack", Plugin("pack", actions={"tag_more": tagged})),
    ]
    monkeypatch.setattr(runtime, "entry_points", lambda group: points)
    registry = Registry()
    runtime.load_actions(registry)
    assert registry.actions() == ["tag", "tag_more"]
    assert registry.action("tag_more") is tagged
    assert registry.plugins == ["tag", "pack"]
