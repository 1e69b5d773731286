"""Node handlers, one per node kind, in a registry keyed by kind.

A handler's ``enter`` runs when a run arrives at the node; ``resume`` runs when a run that slept
at the node wakes (timer or event). Layers above add handlers for their own kinds (score,
match_properties, ai_compose...) and custom actions with a
:class:`~leadflow.engine.plugins.Plugin` (:meth:`Registry.install`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from leadflow.definitions import models as m
from leadflow.engine.baseline import entered
from leadflow.engine.context import Finish, Go, Result, Sleep, StepContext
from leadflow.engine.limits import CHAIN
from leadflow.engine.localtime import (
    date_target,
    first_weekday_of_month,
    hhmm,
    next_time_of_day,
    parse_day,
)
from leadflow.engine.parallel import ParallelHandler
from leadflow.engine.plugins import Registry
from leadflow.engine.ports import Handler, SendTimer
from leadflow.errors import NotFound, PermanentStepError
from leadflow.model.meta import messenger_threads
from leadflow.model.records import (
    CONTACT_SCALARS,
    ContactPatch,
    EnrollRequest,
    RunStatus,
)
from leadflow.model.rules import rate_window_start

SEND_AT = "_send_at"  # run context: the moment chosen for the send node the run waits at


def public_choice(chosen: dict[str, Any]) -> dict[str, Any]:
    """A chosen send time's explanation without internal bookkeeping."""
    return {k: v for k, v in chosen.items() if k != "node"}


class _Instant:
    """A node that does its work on entry and never sleeps."""

    def resume(self, ctx: StepContext, node: Any) -> Result:  # pragma: no cover - never sleeps
        return Go(node.next, outcome="resumed")


VERDICT = "_verdict"  # waiting_for of a send node that awaits its message's dispatch verdict
AWAITING = "_awaiting"  # run context: idempotency key of the message the node waits for
_UNSETTLED = frozenset({"pending", "deferred", "sending"})


class _Send:
    """A send node: outside the recipient's send window the run waits here (so the steps after
    it wait too), then queues the message when the window opens. The dispatcher re-checks.

    A send node with an ``on_error`` edge also waits here for its message's verdict
    (``<channel>.sent|delivered|suppressed`` go on to ``next``, ``<channel>.failed`` takes
    ``on_error``), so a failure can still change the run's path. The verdict is matched by the
    message's idempotency key; a run woken without it (resumed after a pause, say) reads the
    message's status instead and never queues it again.

    ``timing: optimal`` needs a :class:`~leadflow.engine.ports.SendTimer` (the sendtime
    feature installs send handlers with one); without it the node sends as with ``now``."""

    channel = "sms"
    gated = True

    def __init__(self, timer: SendTimer | None = None) -> None:
        self.timer = timer

    def enter(self, ctx: StepContext, node: Any) -> Result:
        if getattr(node, "timing", "now") == "optimal":
            wait = self._optimal(ctx, node)
            if wait is not None:
                return wait
        if self.gated:
            allowed = ctx.allowed_at(self.channel)
            if allowed > ctx.now:
                return Sleep(allowed, outcome="deferred:quiet_hours", data={"until": allowed})
        result = self.send(ctx, node)
        chosen = ctx.context.pop(SEND_AT, None)
        if isinstance(chosen, dict) and chosen.get("node") == node.id and ctx.messages:
            ctx.messages[-1].payload["send_time"] = public_choice(chosen)
        if node.on_error and isinstance(result, Go) and ctx.messages:
            ctx.context[AWAITING] = ctx.messages[-1].idempotency_key
            return Sleep(None, waiting_for=VERDICT, outcome=result.outcome, data=result.data)
        return result

    def resume(self, ctx: StepContext, node: Any) -> Result:
        if ctx.event is not None:
            verdict = str(ctx.event.get("type", "")).rsplit(".", 1)[-1]
            return self._settle(ctx, node, verdict, _error_of(ctx.event))
        awaiting = ctx.context.get(AWAITING)
        if awaiting is None:  # the send window opened
            return self.enter(ctx, node)
        message = ctx.lookup_message(str(awaiting))
        if message is None or message.status in _UNSETTLED:
            return Sleep(None, waiting_for=VERDICT, outcome="waiting:verdict")
        return self._settle(ctx, node, message.status, message.error)

    def _optimal(self, ctx: StepContext, node: Any) -> Sleep | None:
        """``timing: optimal``: choose the moment once per visit (kept in the run context), sleep
        until it; None once it has come. The gate is asked again afterwards: compliance wins."""
        if self.timer is None:
            return None
        chosen = ctx.context.get(SEND_AT)
        if not isinstance(chosen, dict) or chosen.get("node") != node.id:
            chosen = self.timer.choose(ctx, node.id, self.channel, node.max_delay_s())
            chosen["node"] = node.id
            ctx.context[SEND_AT] = chosen
            ctx.remember(node.id, send_time=public_choice(chosen))
        if float(chosen["at"]) > ctx.now:
            return Sleep(
                float(chosen["at"]), outcome="waiting:send_time", data=public_choice(chosen)
            )
        return None

    def _settle(self, ctx: StepContext, node: Any, verdict: str, error: str | None) -> Result:
        ctx.context.pop(AWAITING, None)
        ctx.remember(node.id, verdict=verdict)
        if verdict == "failed":
            return Go(node.on_error, outcome="failed", data={"error": error})
        return Go(node.next, outcome=verdict)

    def send(self, ctx: StepContext, node: Any) -> Result:  # pragma: no cover - abstract
        raise NotImplementedError


class SendSmsHandler(_Send):
    channel = "sms"

    def send(self, ctx: StepContext, node: m.SendSms) -> Result:
        body = ctx.render(node.body, ctx.limits.sms_body)
        to = ctx.contact.phone if ctx.contact else None
        payload = {"media_urls": list(node.media_urls)} if node.media_urls else None
        ctx.add_message(node.id, "sms", to, body, payload=payload)
        return Go(node.next, outcome="queued")


class SendWhatsAppHandler(_Send):
    """``send_whatsapp``: free-form text or an approved template (Content SID and variables);
    the dispatcher's policy enforces WhatsApp's opt-in and 24-hour window."""

    channel = "whatsapp"

    def send(self, ctx: StepContext, node: m.SendWhatsApp) -> Result:
        to = ctx.contact.phone if ctx.contact else None
        payload: dict[str, Any] = {}
        body: str | None = None
        if node.template is not None:
            payload["content_sid"] = node.template.content_sid
            payload["content_variables"] = {
                key: ctx.render(value, ctx.limits.sms_body)
                for key, value in node.template.variables.items()
            }
        else:
            assert node.body is not None
            body = ctx.render(node.body, ctx.limits.sms_body)
            if node.media_urls:
                payload["media_urls"] = list(node.media_urls)
        ctx.add_message(node.id, "whatsapp", to, body, payload=payload or None)
        return Go(node.next, outcome="queued")


class SendEmailHandler(_Send):
    channel = "email"

    def send(self, ctx: StepContext, node: m.SendEmail) -> Result:
        subject = ctx.render(node.subject, ctx.limits.email_subject)
        body = ctx.render(node.body, ctx.limits.email_body)
        payload: dict[str, Any] = {"marketing": node.marketing}
        if node.html:
            payload["html"] = ctx.render(node.html, ctx.limits.email_body)
        to = ctx.contact.email if ctx.contact else None
        ctx.add_message(node.id, "email", to, body, subject=subject, payload=payload)
        return Go(node.next, outcome="queued")


class VoiceCallHandler(_Send):
    channel = "voice"

    def send(self, ctx: StepContext, node: m.VoiceCall) -> Result:
        say = ctx.render(node.say) if node.say else None
        payload = {"mode": node.mode, "audio_url": node.audio_url, "say": say}
        to = ctx.contact.phone if ctx.contact else None
        ctx.add_message(node.id, "voice", to, say, payload=payload)
        return Go(node.next, outcome="queued")


class SendMessengerHandler(_Send):
    """A Messenger message to the lead's PSID with the node's page (default: the page the lead
    last wrote to); no thread with it: no recipient, and dispatch suppresses the message."""

    channel = "messenger"

    def send(self, ctx: StepContext, node: m.SendMessenger) -> Result:
        body = ctx.render(node.body, ctx.limits.sms_body)
        threads = messenger_threads(ctx.contact.fields) if ctx.contact else {}
        page_id = node.page_id
        if page_id is None and threads:
            page_id = max(threads, key=lambda p: float(threads[p].get("last_inbound_at") or 0))
        thread = threads.get(page_id) if page_id else None
        to = str(thread["psid"]) if thread else None
        payload: dict[str, Any] = {"page_id": page_id, "messaging_type": node.messaging_type}
        if node.tag:
            payload["tag"] = node.tag
        ctx.add_message(node.id, "messenger", to, body, payload=payload)
        return Go(node.next, outcome="queued")


def _error_of(event: dict[str, Any]) -> str | None:
    data = event.get("data")
    return str(data.get("error")) if isinstance(data, dict) and data.get("error") else None


class WebhookHandler(_Send):
    channel = "webhook"
    gated = False

    def send(self, ctx: StepContext, node: m.Webhook) -> Result:
        url = ctx.render(node.url)
        body = ctx.render(node.body) if node.body else None
        payload = {"method": node.method, "headers": dict(node.headers)}
        ctx.add_message(node.id, "webhook", url, body, payload=payload)
        return Go(node.next, outcome="queued")


class WaitHandler:
    def enter(self, ctx: StepContext, node: m.Wait) -> Result:
        wake = ctx.now + ctx.workflow.durations[node.id]
        return Sleep(wake, outcome="waiting", data={"until": wake})

    def resume(self, ctx: StepContext, node: m.Wait) -> Result:
        return Go(node.next, outcome="timer")


class WaitUntilHandler:
    def enter(self, ctx: StepContext, node: m.WaitUntil) -> Result:
        tz, minute = ctx.local_zone(), hhmm(node.time)
        if node.field is not None:
            return self._date_field(ctx, node, tz, minute)
        if node.month_day == "first_weekday":
            wake = first_weekday_of_month(ctx.now, tz, minute)
        else:
            wake = next_time_of_day(ctx.now, tz, minute, list(node.weekdays), node.offset_days)
        return Sleep(wake, outcome="waiting", data={"until": wake, "zone": ctx.local_zone_name()})

    def _date_field(self, ctx: StepContext, node: m.WaitUntil, tz: Any, minute: int) -> Result:
        assert node.field is not None
        contact = ctx.contact
        raw: Any = None
        if contact is not None:
            name = node.field.removeprefix("fields.")
            raw = contact.fields.get(name)
            if raw is None and name in CONTACT_SCALARS:
                raw = getattr(contact, name, None)
        day = parse_day(raw)
        if day is None:
            ctx.remember(node.id, missing=node.field)  # no date, no on_missing: the run ends
            return Go(node.on_missing, outcome="missing", data={"field": node.field})
        wake = date_target(ctx.now, tz, minute, day, node.offset, node.repeat == "yearly")
        if wake is None:  # a one-off date already past: on_missing, else on at once
            target = node.on_missing or node.next
            return Go(target, outcome="passed", data={"date": day.isoformat()})
        data = {"until": wake, "zone": ctx.local_zone_name(), "date": day.isoformat()}
        return Sleep(wake, outcome="waiting", data=data)

    def resume(self, ctx: StepContext, node: m.WaitUntil) -> Result:
        return Go(node.next, outcome="timer")


class WaitForEventHandler:
    def enter(self, ctx: StepContext, node: m.WaitForEvent) -> Result:
        timeout = ctx.workflow.durations.get(node.id)
        wake = ctx.now + timeout if timeout is not None else None
        return Sleep(wake, waiting_for=node.event, outcome="waiting", data={"event": node.event})

    def resume(self, ctx: StepContext, node: m.WaitForEvent) -> Result:
        if ctx.event is not None:
            ctx.remember(node.id, received=True, event_type=ctx.event.get("type"))
            return Go(node.on_event or node.next, outcome="event")
        ctx.remember(node.id, received=False)
        return Go(node.on_timeout or node.next, outcome="timeout")


class BranchHandler(_Instant):
    def enter(self, ctx: StepContext, node: m.Branch) -> Result:
        scope = ctx.scope()
        for i, predicate in enumerate(ctx.workflow.case_predicates[node.id]):
            if predicate(scope):
                return Go(node.cases[i].next, outcome=f"case:{i}")
        return Go(node.default or node.next, outcome="default")


def split_bucket(salt: str, contact_id: str) -> float:
    """A stable number in [0, 1) for (salt, contact): the same contact always lands alike."""
    digest = hashlib.blake2b(f"{salt}\x00{contact_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class SplitHandler(_Instant):
    def enter(self, ctx: StepContext, node: m.Split) -> Result:
        total = sum(arm.weight for arm in node.arms)
        point = split_bucket(f"{ctx.workflow.key}:{node.id}", ctx.run.contact_id) * total
        chosen = node.arms[-1]
        for arm in node.arms:
            if point < arm.weight:
                chosen = arm
                break
            point -= arm.weight
        ctx.remember(node.id, arm=chosen.name)
        return Go(chosen.next, outcome=f"arm:{chosen.name}")


class UpdateContactHandler(_Instant):
    def enter(self, ctx: StepContext, node: m.UpdateContact) -> Result:
        values = {k: ctx.render(v) if isinstance(v, str) else v for k, v in node.set.items()}
        if node.stage is not None:
            values["stage"] = node.stage
        if node.owner is not None:
            values["owner"] = node.owner
        patch = ContactPatch(
            ctx.run.contact_id,
            set=values,
            add_tags=list(node.add_tags),
            remove_tags=list(node.remove_tags),
        )
        ctx.patches.append(patch)
        if ctx.contact is not None:  # later steps in this advance see the change
            _apply_locally(ctx, patch)
        return Go(node.next, outcome="updated")


def _apply_locally(ctx: StepContext, patch: ContactPatch) -> None:
    contact = ctx.contact
    assert contact is not None
    for key, value in patch.set.items():
        if key in CONTACT_SCALARS:
            setattr(contact, key, value)
        else:
            contact.fields[key] = value
    contact.tags = [t for t in contact.tags if t not in patch.remove_tags]
    contact.tags += [t for t in patch.add_tags if t not in contact.tags]
    ctx.invalidate()


class StartWorkflowHandler(_Instant):
    """Enrolls the contact in the target's latest version. The new run's context carries the
    chain of workflows that led to it (``_chain``): a chain deeper than ``limits.max_depth``
    is refused, and so is a start when the contact already has ``limits.enrollments_per_hour``
    runs of the target from the past hour (the store enforces that cap again when it commits).
    A refusal fails the step with the reason (``on_error`` applies)."""

    def enter(self, ctx: StepContext, node: m.StartWorkflow) -> Result:
        try:
            # Only ever a workflow of the run's own tenant (keys are per tenant).
            target = ctx.catalog.latest(ctx.workflow.tenant_id, node.workflow)
        except NotFound as exc:
            raise PermanentStepError(
                f"start_workflow: no workflow {node.workflow!r} in this tenant"
            ) from exc
        chain = [str(k) for k in ctx.context.get(CHAIN) or []] + [ctx.workflow.key]
        limits = ctx.limits
        if len(chain) > limits.max_depth:
            path = " -> ".join([*chain, target.key])
            raise PermanentStepError(
                f"start_workflow: {target.key!r} not started: the chain {path} is deeper than "
                f"{limits.max_depth} (LEADFLOW_MAX_WORKFLOW_DEPTH)"
            )
        cap = limits.per_hour()
        if cap is not None and ctx.runs_since is not None:
            recent = ctx.runs_since(ctx.run.contact_id, target.key, rate_window_start(ctx.now))
            if recent >= cap:
                raise PermanentStepError(
                    f"start_workflow: {target.key!r} not started: the contact has had {recent} "
                    f"runs of it in the past hour, the most allowed is {cap} "
                    "(LEADFLOW_MAX_ENROLLMENTS_PER_HOUR)"
                )
        reentry = target.definition.settings.reentry
        ctx.enrollments.append(
            EnrollRequest(
                workflow_key=target.key,
                version=target.version,
                contact_id=ctx.run.contact_id,
                start_node=target.start,
                context={
                    "trigger": {
                        "type": "workflow.started",
                        "data": {"from_workflow": ctx.workflow.key, "from_run": ctx.run.id},
                    },
                    CHAIN: chain,
                    **entered(target, ctx.contact),
                },
                reentry=reentry.policy,
                reentry_days=reentry.days,
                max_per_hour=cap,
            )
        )
        return Go(node.next, outcome="started", data={"workflow": target.key})


class ExitHandler(_Instant):
    def enter(self, ctx: StepContext, node: m.Exit) -> Result:
        return Finish(RunStatus.EXITED, node.reason, outcome=f"exit:{node.reason}")


class ActionHandler(_Instant):
    """The ``action`` node: runs the custom action registered under ``node.action``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def enter(self, ctx: StepContext, node: m.Action) -> Result:
        return self.registry.action(node.action).enter(ctx, node)

    def resume(self, ctx: StepContext, node: m.Action) -> Result:
        return self.registry.action(node.action).resume(ctx, node)


class GoalHandler(_Instant):
    def enter(self, ctx: StepContext, node: m.Goal) -> Result:
        return Finish(RunStatus.EXITED, node.goal, outcome=f"goal:{node.goal}")


def default_registry(timer: SendTimer | None = None) -> Registry:
    """The built-in handlers; ``timer`` chooses the moment of send nodes with ``timing:
    optimal``. Features add their own with :meth:`Registry.install`."""
    registry = Registry()
    for kind, handler in (
        ("send_sms", SendSmsHandler(timer)),
        ("send_whatsapp", SendWhatsAppHandler(timer)),
        ("send_email", SendEmailHandler(timer)),
        ("voice_call", VoiceCallHandler(timer)),
        ("send_messenger", SendMessengerHandler(timer)),
        ("webhook", WebhookHandler()),
        ("wait", WaitHandler()),
        ("wait_until", WaitUntilHandler()),
        ("wait_for_event", WaitForEventHandler()),
        ("branch", BranchHandler()),
        ("split", SplitHandler()),
        ("update_contact", UpdateContactHandler()),
        ("start_workflow", StartWorkflowHandler()),
        ("exit", ExitHandler()),
        ("goal", GoalHandler()),
        ("action", ActionHandler(registry)),
        ("parallel", ParallelHandler()),
    ):
        registry.register(kind, handler)
    return registry


__all__ = [
    "SEND_AT",
    "VERDICT",
    "Handler",
    "Registry",
    "default_registry",
    "public_choice",
    "split_bucket",
]
