"""Orchestration's pure parts: the batch check (every problem named with its task, the cycle
spelled out), what a task's end changes for its batch, the claim's limits, the local intent
classifier (opt-outs by the compliance rules first) and its replacement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leadflow.ai.orchestration import intents, kinds
from leadflow.ai.orchestration.spec import check_batch
from leadflow.errors import InvalidInput
from leadflow.model.orchestration import OrchTask, consequences
from leadflow.store.orchestration_claims import pick


def t(tid: str, *deps: str, status: str = "pending", ready: bool | None = None) -> OrchTask:
    return OrchTask(
        "b",
        tid,
        "acme",
        "classify",
        {},
        depends_on=list(deps),
        status=status,
        ready=not deps if ready is None else ready,
    )


def cls(tid: str, *deps: str) -> dict[str, Any]:
    return {"id": tid, "kind": "classify", "input": {"texts": ["x"]}, "depends_on": list(deps)}


def test_a_valid_dag_is_accepted_in_order() -> None:
    specs = check_batch([cls("a"), cls("b", "a"), cls("c", "a", "b", "a")])
    assert [(s.id, s.depends_on) for s in specs] == [("a", ()), ("b", ("a",)), ("c", ("a", "b"))]


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_batch(
            [
                {"id": "a", "kind": "compose", "input": {"brief": "hi", "contact_ids": []}},
                {"id": "b", "kind": "classify", "input": {"texts": ["x"]}, "priority": 1000},
                {"id": "c d", "kind": "classify", "input": {"texts": ["x"]}},
            ]
        )
    assert caught.value.problems == [
        ("tasks[0] ('a').input.contact_ids", "a list of 1 to 50 strings is needed"),
        ("tasks[1] ('b').priority", "an integer from -100 to 100"),
        ("tasks[2].id", "1-64 letters, digits, '_', '.', ':' or '-'"),
    ]


def test_a_cycle_is_spelled_out_even_off_the_first_task() -> None:
    with pytest.raises(
        InvalidInput,
        match=r"tasks\[1\] \('b'\).depends_on: dependency cycle: "
        r"b -> d -> c -> b",
    ):
        check_batch([cls("a"), cls("b", "d"), cls("c", "b"), cls("d", "c", "a")])


def test_readiness_waits_for_every_dependency() -> None:
    batch = [t("a", status="running"), t("b", status="running"), t("c", "a", "b")]
    assert consequences(batch, "a", "done") == ([], {})
    batch[0].status = "done"
    assert consequences(batch, "b", "done") == (["c"], {})


def test_a_failure_skips_downstream_but_not_finished_tasks() -> None:
    batch = [
        t("a", status="running"),
        t("b", "a"),
        t("c", "b"),
        t("d", "a", status="cancelled"),
        t("e"),
    ]
    ready, skipped = consequences(batch, "a", "failed")
    assert ready == []
    assert skipped == {"b": "dependency 'a' failed", "c": "dependency 'b' was skipped"}


def test_pick_keeps_the_limits_and_does_not_count_local_tasks() -> None:
    cands = [t(f"x{i}") for i in range(6)]
    for i, c in enumerate(cands):
        c.server = "llm:1" if i % 2 == 0 else "local"
    chosen = pick([("acme", "llm:1")], cands, 10, per_tenant=4, per_server=2)
    assert [c.task_id for c in chosen] == ["x0", "x1", "x3"]  # x2 over the server's 2


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("STOP", "opt_out"),
        ("please remove me from your list", "opt_out"),
        ("who is this?", "wrong_number"),
        ("Can we schedule a showing Saturday?", "appointment_request"),
        ("not now, maybe next year", "not_now"),
        ("How many bedrooms does it have?", "question"),
        ("yes! 👍", "interested"),
        ("Sí, me interesa", "interested"),
        ("lol", "needs_agent"),
    ],
)
def test_the_keyword_fallback(text: str, intent: str) -> None:
    assert intents.keyword_intent(text)[0] == intent


def test_the_local_classifier_is_one_replaceable_callable() -> None:
    ctx = kinds.TaskContext(
        store=None,  # type: ignore[arg-type]
        tenant_id="acme",
        task_id="t",
        client=None,
        classifier=lambda text: ("interested", 0.91),
    )
    got = kinds.classify(ctx, {"texts": ["whatever", "STOP now"]})
    items = got.result["items"]
    assert [(i["intent"], i["source"]) for i in items] == [
        ("interested", "local"),
        ("opt_out", "compliance_rules"),  # the replacement cannot weaken an opt-out
    ]
    assert got.confidence == round((0.91 + 0.95) / 2, 3)


def test_one_pass_of_the_job_at_a_time_per_process() -> None:
    """In-process workers share the job: a second thread's pass while one runs does nothing
    (and so never releases the running pass's leases as leftovers)."""
    import threading

    from leadflow.ai.orchestration.runner import OrchestrationConfig, OrchestrationJob
    from leadflow.clock import VirtualClock
    from leadflow.model.orchestration import OrchBatch
    from leadflow.model.tenancy import Tenant
    from leadflow.store import open_store

    store = open_store("memory://")
    store.create_tenant(Tenant("acme", "Acme"), 0.0)
    task = t("a")
    task.input = {"texts": ["yes please"]}
    store.create_orch_batch(OrchBatch("b", "acme", 0.0), [task])
    entered, leave = threading.Event(), threading.Event()
    seen: list[int] = []

    class Slow(OrchestrationJob):
        def outcome(self, task: OrchTask) -> Any:
            entered.set()
            leave.wait(10)
            return super().outcome(task)

    job = Slow(store, VirtualClock(1.0), OrchestrationConfig(), lambda: None, owner="w")
    first = threading.Thread(target=lambda: seen.append(job.run(1.0)))
    first.start()
    assert entered.wait(10)
    assert job.run(1.0) == 0  # the second caller returns at once
    assert store.orch_lease_owners() == ["w"]  # and took nothing back
    leave.set()
    first.join(10)
    assert seen == [1]
    assert [x.status for x in store.orch_tasks("acme", "b")] == ["done"]


def test_the_runtime_gives_its_plugin_the_reply_intent_model_and_changes_no_global(
    tmp_path: Path,
) -> None:
    """The runtime's orchestration job reads replies with the trained reply-intent model; a
    plugin built on its own (after a runtime was built) still has the keyword fallback."""
    from leadflow.ai.orchestration.plugin import orchestration_plugin
    from leadflow.clock import VirtualClock
    from leadflow.runtime import local_reply_intent
    from leadflow.settings import Settings
    from support.orchestration import worker_side
    from support.stores import upgraded_db

    settings = Settings(db=upgraded_db(tmp_path / "o.db"))
    with worker_side(settings) as (rt, job):
        assert job.classifier is local_reply_intent
        (own,) = orchestration_plugin(rt.store, settings, VirtualClock(0.0)).jobs
        assert own.classifier is intents.keyword_intent  # type: ignore[attr-defined]
