"""Promise 9: failing steps retry with backoff, then take on_error, else fail the run."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.definitions.io import load_text
from leadflow.engine.context import Go, Result, StepContext
from leadflow.engine.ports import SendResult
from leadflow.engine.workflows import publish
from leadflow.errors import PermanentStepError, ProviderError, StepError, WorkflowInvalid
from leadflow.model.records import ContactPatch, Message, NewEvent
from support.engine_kit import DAY, HOUR, T0, Kit, ScriptedHandler

CUSTOM = """
key: custom
name: Custom
start: u
nodes:
  - {{id: u, kind: update_contact, add_tags: [x], next: after{on_error}}}
  - {{id: after, kind: send_sms, body: "Done"}}
{extra}"""


def _custom_yaml(on_error: bool) -> str:
    if on_error:
        fallback = '  - {id: fallback, kind: send_sms, body: "Fallback"}\n'
        return CUSTOM.format(on_error=", on_error: fallback", extra=fallback)
    return CUSTOM.format(on_error="", extra="")


def _custom(kit: Kit, handler: ScriptedHandler, *, on_error: bool) -> int:
    kit.publish(_custom_yaml(on_error))
    kit.runtime.engine.registry.register("update_contact", handler)
    kit.add_contact("c1")
    (rid,) = kit.enroll("custom", "c1")
    return rid


def test_retryable_error_retries_with_growing_delays_then_succeeds(kit: Kit) -> None:
    handler = ScriptedHandler(StepError("CRM busy"), StepError("CRM busy"))
    rid = _custom(kit, handler, on_error=False)

    kit.settle(T0)
    run = kit.run(rid)
    assert (run.status, run.node, run.attempt, run.error) == ("active", "u", 1, "CRM busy")
    assert run.wake_at is not None and run.wake_at > T0

    kit.run_until(T0 + HOUR)
    first, second = handler.calls[1] - handler.calls[0], handler.calls[2] - handler.calls[1]
    assert 24 <= first <= 36  # 30 s +- 20 % jitter
    assert 48 <= second <= 72  # doubled
    assert second > first
    steps = kit.steps(rid)
    assert [(s.node, s.outcome, s.attempt, s.error) for s in steps[:2]] == [
        ("u", "retry", 1, "CRM busy"),
        ("u", "retry", 2, "CRM busy"),
    ]
    assert [s.started_at for s in steps[:3]] == handler.calls
    # Attempts are 1-based for every step: the success after two failures is attempt 3, and the
    # next node starts again at 1.
    assert (steps[2].node, steps[2].outcome, steps[2].attempt) == ("u", "custom", 3)
    assert (steps[3].node, steps[3].outcome, steps[3].attempt) == ("after", "queued", 1)
    assert kit.run(rid).status == "completed"
    assert [m.body for m in kit.messages()] == ["Done"]


def test_retries_are_bounded_then_the_run_fails_with_the_error(make_kit: Any) -> None:
    kit: Kit = make_kit(retry_max_attempts=3)
    handler = ScriptedHandler(*[StepError("still down") for _ in range(10)])
    rid = _custom(kit, handler, on_error=False)
    kit.run_until(T0 + DAY)
    assert [(s.outcome, s.attempt) for s in kit.steps(rid)] == [
        ("retry", 1),
        ("retry", 2),
        ("failed", 3),
    ]
    run = kit.run(rid)
    assert (run.status, run.error) == ("failed", "u: still down")
    assert len(handler.calls) == 3
    assert kit.messages() == []


def test_exhausted_retries_follow_on_error(make_kit: Any) -> None:
    kit: Kit = make_kit(retry_max_attempts=2)
    rid = _custom(kit, ScriptedHandler(*[StepError("down") for _ in range(5)]), on_error=True)
    kit.run_until(T0 + DAY)
    assert [o for _, o in kit.outcomes(rid)] == ["retry", "on_error", "queued"]
    assert [m.body for m in kit.messages()] == ["Fallback"]
    assert kit.run(rid).status == "completed"


def test_permanent_error_takes_on_error_at_once(kit: Kit) -> None:
    rid = _custom(kit, ScriptedHandler(PermanentStepError("bad data")), on_error=True)
    kit.run_until(T0 + DAY)
    steps = kit.steps(rid)
    assert (steps[0].outcome, steps[0].attempt, steps[0].error) == ("on_error", 1, "bad data")
    assert [m.body for m in kit.messages()] == ["Fallback"]
    assert kit.run(rid).status == "completed"


def test_permanent_error_without_on_error_fails_the_run(kit: Kit) -> None:
    rid = _custom(kit, ScriptedHandler(PermanentStepError("bad data")), on_error=False)
    kit.run_until(T0 + DAY)
    run = kit.run(rid)
    assert (run.status, run.error, run.ended_at) == ("failed", "u: bad data", T0)
    assert kit.outcomes(rid) == [("u", "failed")]


def test_missing_custom_field_in_a_template_fails_the_step_permanently(kit: Kit) -> None:
    kit.publish(
        """
key: budget
name: Budget
start: a
nodes:
  - {id: a, kind: send_sms, body: "Homes under {{ contact.fields.budget }}"}
"""
    )
    kit.add_contact("rich", fields={"budget": "900k"})
    kit.add_contact("unknown")
    rich, unknown = kit.enroll("budget", "rich", "unknown")
    kit.run_until(T0 + DAY)
    assert kit.run(rich).status == "completed"
    assert [m.body for m in kit.messages()] == ["Homes under 900k"]
    run = kit.run(unknown)
    assert run.status == "failed"
    assert run.error is not None
    assert "template error" in run.error and "budget" in run.error
    (step,) = kit.steps(unknown)
    assert (step.outcome, step.attempt) == ("failed", 1)  # no retries for a permanent error


class Refusing:
    """A provider that refuses every message (permanently or not)."""

    name = "refusing"

    def __init__(self, retryable: bool, fail_times: int = 1_000) -> None:
        self.retryable = retryable
        self.fail_times = fail_times
        self.calls: list[float] = []

    def send(self, message: Message, now: float) -> SendResult:
        self.calls.append(now)
        if len(self.calls) <= self.fail_times:
            raise ProviderError("carrier rejected the number", retryable=self.retryable)
        return SendResult(provider_id=f"R{len(self.calls)}", status="delivered")

    def lookup(self, idempotency_key: str) -> SendResult | None:
        return None


REFUSED = """
key: refused
name: Refused
start: a
nodes:
  - {{id: a, kind: send_sms, body: "Hello", next: w{on_error}}}
  - {{id: w, kind: wait, duration: 1d, next: b}}
  - {{id: b, kind: send_sms, body: "Day two"}}
{extra}"""
MAIL = '  - {id: mail, kind: send_email, subject: "We could not text you", body: "Hello by mail"}\n'


def test_permanently_refused_message_sends_the_run_down_on_error(kit: Kit) -> None:
    kit.publish(REFUSED.format(on_error=", on_error: mail", extra=MAIL))
    kit.runtime.providers["sms"] = Refusing(retryable=False)
    kit.add_contact("c1")
    (rid,) = kit.enroll("refused", "c1")
    kit.worker.advancer.advance_due(T0)
    run = kit.run(rid)
    # A send node with on_error waits at the node for its message's dispatch verdict.
    assert (run.status, run.node, run.waiting_for, run.wake_at) == (
        "waiting",
        "a",
        "_verdict",
        None,
    )
    kit.run_until(T0 + 3 * DAY)
    sms = kit.messages(channel="sms")
    assert [(m.status, m.error) for m in sms] == [("failed", "carrier rejected the number")]
    assert [m.body for m in kit.messages(channel="email")] == ["Hello by mail"]
    # The verdict resumed the node down on_error: the wait and "Day two" never happened.
    assert kit.outcomes(rid) == [("a", "queued"), ("a", "failed"), ("mail", "queued")]
    failed = kit.steps(rid)[1]
    assert (failed.kind, failed.data) == ("send_sms", {"error": "carrier rejected the number"})
    run = kit.run(rid)
    assert (run.status, run.node, run.ended_at) == ("completed", "mail", T0)


def test_send_node_with_on_error_goes_on_when_its_message_is_delivered(kit: Kit) -> None:
    kit.publish(REFUSED.format(on_error=", on_error: mail", extra=MAIL))
    kit.add_contact("c1")
    (rid,) = kit.enroll("refused", "c1")
    kit.run_until(T0 + 3 * DAY)
    assert kit.outcomes(rid) == [
        ("a", "queued"),
        ("a", "delivered"),
        ("w", "waiting"),
        ("w", "timer"),
        ("b", "queued"),
    ]
    assert [m.body for m in kit.messages()] == ["Hello", "Day two"]
    assert kit.steps(rid)[2].started_at == T0  # the wait starts once the verdict is in
    assert kit.run(rid).status == "completed"


def test_send_node_with_on_error_goes_on_when_its_message_is_suppressed(kit: Kit) -> None:
    kit.publish(REFUSED.format(on_error=", on_error: mail", extra=MAIL))
    kit.add_contact("c1", consent={"sms": "opted_out"})
    (rid,) = kit.enroll("refused", "c1")
    kit.run_until(T0 + 3 * DAY)
    assert kit.outcomes(rid)[:3] == [("a", "queued"), ("a", "suppressed"), ("w", "waiting")]
    assert kit.messages(channel="email") == []  # suppressed is not an error
    assert [m.status for m in kit.messages()] == ["suppressed", "suppressed"]
    assert kit.run(rid).status == "completed"


def test_permanently_refused_message_without_on_error_fails_the_run(kit: Kit) -> None:
    kit.publish(REFUSED.format(on_error="", extra=""))
    kit.runtime.providers["sms"] = Refusing(retryable=False)
    kit.add_contact("c1")
    (rid,) = kit.enroll("refused", "c1")
    kit.run_until(T0 + 3 * DAY)
    run = kit.run(rid)
    assert (run.status, run.error) == ("failed", "a: carrier rejected the number")
    assert len(kit.messages()) == 1
    # Without on_error the node does not wait: the run went on to the wait, and the failure
    # verdict then failed the still live run with a "dispatch" step.
    assert kit.outcomes(rid) == [("a", "queued"), ("w", "waiting"), ("a", "failed")]
    step = kit.steps(rid)[-1]
    assert (step.kind, step.error) == ("dispatch", "carrier rejected the number")


def test_permanently_refused_last_message_leaves_a_completed_run_completed(kit: Kit) -> None:
    kit.publish(
        """
key: last
name: Last text
start: a
nodes:
  - {id: a, kind: send_sms, body: "Bye"}
"""
    )
    kit.runtime.providers["sms"] = Refusing(retryable=False)
    kit.add_contact("c1")
    (rid,) = kit.enroll("last", "c1")
    kit.run_until(T0 + DAY)
    assert [m.status for m in kit.messages()] == ["failed"]
    run = kit.run(rid)
    assert (run.status, run.error, run.ended_at) == ("completed", None, T0)
    assert kit.outcomes(rid) == [("a", "queued")]
    assert kit.store.pending_events_count() == 0


def test_transient_provider_errors_are_retried_with_backoff(kit: Kit) -> None:
    kit.publish(REFUSED.format(on_error="", extra=""))
    provider = Refusing(retryable=True, fail_times=2)
    kit.runtime.providers["sms"] = provider
    kit.add_contact("c1")
    kit.enroll("refused", "c1")
    kit.run_until(T0 + HOUR)
    (msg,) = kit.messages()
    assert (msg.status, msg.attempts, msg.sent_at) == ("delivered", 3, provider.calls[2])
    gaps = [b - a for a, b in zip(provider.calls, provider.calls[1:], strict=False)]
    assert 24 <= gaps[0] <= 36 and 48 <= gaps[1] <= 72


def test_transient_provider_errors_give_up_after_the_limit(make_kit: Any) -> None:
    kit: Kit = make_kit(retry_max_attempts=3)
    kit.publish(REFUSED.format(on_error=", on_error: mail", extra=MAIL))
    provider = Refusing(retryable=True)
    kit.runtime.providers["sms"] = provider
    kit.add_contact("c1")
    kit.enroll("refused", "c1")
    (rid,) = kit.runs("refused")
    kit.run_until(T0 + 3 * DAY)
    assert len(provider.calls) == 3
    sms = kit.messages(channel="sms")
    assert [(m.status, m.attempts) for m in sms] == [("failed", 3)]
    assert [m.body for m in kit.messages(channel="email")] == ["Hello by mail"]
    # The run waited at the node through the message's retries, then took on_error.
    assert kit.outcomes(rid.id) == [("a", "queued"), ("a", "failed"), ("mail", "queued")]
    (failed,) = [s for s in kit.steps(rid.id) if s.outcome == "failed"]
    assert failed.started_at == provider.calls[-1]


def test_unexpected_handler_exception_only_affects_its_own_run(kit: Kit) -> None:
    class Buggy(ScriptedHandler):
        def enter(self, ctx: Any, node: Any) -> Any:
            if ctx.run.contact_id == "c2":
                raise KeyError("missing CRM id")
            return super().enter(ctx, node)

    kit.publish(_custom_yaml(False))
    kit.runtime.engine.registry.register("update_contact", Buggy())
    for cid in ("c1", "c2", "c3"):
        kit.add_contact(cid)
    r1, r2, r3 = kit.enroll("custom", "c1", "c2", "c3")
    try:
        kit.run_until(T0 + DAY)
    finally:
        statuses = [kit.run(r).status for r in (r1, r2, r3)]
    assert statuses[0] == statuses[2] == "completed"
    assert statuses[1] == "failed"
    # The unexpected exception is a retryable step error of that run only.
    outcomes = [(s.outcome, s.attempt, s.error) for s in kit.steps(r2)]
    error = "unexpected KeyError: 'missing CRM id'"
    assert outcomes == [("retry", n, error) for n in range(1, 5)] + [("failed", 5, error)]
    assert kit.run(r2).error == f"u: {error}"
    assert sorted(str(m.contact_id) for m in kit.messages()) == ["c1", "c3"]


class ScoreAction:
    """A custom action: scores the lead with ``params.points`` and announces it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def enter(self, ctx: StepContext, node: Any) -> Result:
        self.calls.append(dict(node.params))
        points = int(node.params["points"])
        cid = ctx.run.contact_id
        ctx.patches.append(ContactPatch(cid, set={"score": points}, add_tags=["scored"]))
        if ctx.contact is not None:  # as update_contact does: later steps see the change
            ctx.contact.fields["score"] = points
            ctx.invalidate()
        ctx.events.append(
            NewEvent("lead.scored", cid, {"points": points}, f"scored:{cid}", ctx.now)
        )
        return Go(node.next, outcome="scored", data={"points": points})

    def resume(self, ctx: StepContext, node: Any) -> Result:  # pragma: no cover - never sleeps
        return self.enter(ctx, node)


ACTION = """
key: notify
name: Notify
start: s
nodes:
  - {id: s, kind: action, action: score, params: {points: 42}, next: a}
  - {id: a, kind: send_sms, body: "Your score is {{ contact.fields.score }}"}
"""


def test_custom_action_registered_in_the_registry_runs_in_an_action_node(kit: Kit) -> None:
    action = ScoreAction()
    kit.runtime.engine.registry.register_action("score", action)
    kit.publish(ACTION)
    kit.add_contact("c1")
    (rid,) = kit.enroll("notify", "c1")
    kit.settle()
    assert action.calls == [{"points": 42}]
    assert kit.outcomes(rid)[:2] == [("s", "scored"), ("a", "queued")]
    step = kit.steps(rid)[0]
    assert (step.kind, step.attempt, step.data) == ("action", 1, {"points": 42})
    # The action's products committed with its step; later steps already see its change.
    contact = kit.contact("c1")
    assert (contact.fields.get("score"), contact.tags) == (42, ["scored"])
    assert [e.type for e in kit.store.list_events("c1")][:1] == ["lead.scored"]
    assert [m.body for m in kit.messages()] == ["Your score is 42"]
    assert kit.run(rid).status == "completed"


def test_publishing_an_unregistered_action_is_refused(kit: Kit) -> None:
    kit.runtime.engine.registry.register_action("other", ScoreAction())
    with pytest.raises(WorkflowInvalid) as info:
        kit.publish(ACTION)
    (error,) = info.value.errors
    assert error.startswith("nodes[0](s).action: ") and "'score'" in error
    assert kit.store.list_workflows() == []


def test_action_unregistered_at_run_time_fails_the_step_permanently(kit: Kit) -> None:
    """Published without a registry to check against (another process registered it)."""
    publish(kit.store, kit.runtime.engine.catalog, load_text(ACTION), kit.now)
    kit.add_contact("c1")
    (rid,) = kit.enroll("notify", "c1")
    kit.run_until(T0 + DAY)
    run = kit.run(rid)
    assert run.status == "failed"
    assert run.error == "s: no custom action registered as 'score'"
    assert [(s.outcome, s.attempt) for s in kit.steps(rid)] == [("failed", 1)]  # not retried
    assert kit.messages() == []
