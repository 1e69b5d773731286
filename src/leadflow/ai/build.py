"""A :class:`~leadflow.ai.plan.Plan` -> a workflow definition (plain data, validated by the
caller). Nodes are listed in reading order; every open end of a structure goes on to the step
after it, and a wait for an event with a timeout always has somewhere to go."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from leadflow.ai import phrases, texts
from leadflow.ai.plan import Branch, Plan, SplitPlan, Step, WaitFor
from leadflow.ai.plays import play

Setter = Callable[[str], None]
MAX_WAIT_S = 3650 * 86400  # the language's limit: 10 years
_IDS = {
    "sms": "text",
    "email": "email",
    "call": "call",
    "voicemail": "voicemail",
    "notify": "notify_agent",
    "update": "update_contact",
    "start": "start_workflow",
    "match": "match_listings",
    "wait": "wait",
    "wait_until": "wait_until",
    "exit": "exit",
}


class _Emitter:
    def __init__(self, plan: Plan, first_event: str | None) -> None:
        self.plan = plan
        self.nodes: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.ids: dict[int, str] = {}
        self.first_event = first_event
        self.first_message = True

    def new_id(self, stem: str) -> str:
        self.counts[stem] += 1
        return f"{stem}_{self.counts[stem]}"

    def _add(self, node: dict[str, Any]) -> tuple[str, list[Setter]]:
        self.nodes.append(node)

        def link(target: str) -> None:
            node["next"] = target

        return node["id"], [link]

    def purpose(self, step: Step, channel: str) -> str | None:
        purpose = step.args.get("purpose")
        if purpose is None and self.first_message:
            event = self.first_event or ""
            purpose = {"lead.created": "welcome", "appointment.booked": "confirmation"}.get(event)
            purpose = purpose or {
                "deal.closed": "thanks",
                "listing.price_changed": "price_drop",
            }.get(event)
            purpose = purpose or {
                "lead.score_changed": "hot" if channel == "sms" else "follow_up"
            }.get(event)
            purpose = purpose or {"lead.seller_inquiry": "cma"}.get(event)
        if channel == "sms" and purpose not in texts.SMS:
            purpose = "listings" if purpose in ("market", "education") else purpose
        return purpose

    def simple(self, step: Step) -> tuple[str, list[Setter]]:
        node_id = self.new_id(_IDS[step.kind])
        self.ids[id(step)] = node_id
        node: dict[str, Any] = {"id": node_id}
        args = step.args
        if step.kind == "sms":
            node.update(kind="send_sms", body=texts.sms_body(self.purpose(step, "sms")))
        elif step.kind == "email":
            subject, body = texts.email_parts(self.purpose(step, "email"), args.get("series"))
            if args.get("variant"):
                subject = f"{subject} [version {args['variant']}]"
            node.update(kind="send_email", subject=subject, body=body)
        elif step.kind in ("call", "voicemail"):
            mode = "live" if step.kind == "call" else "voicemail_drop"
            node.update(kind="voice_call", mode=mode, say=texts.VOICEMAIL)
        elif step.kind == "notify":
            node.update(kind="notify_agent", title=texts.NOTIFY, priority="high", due_in="1h")
        elif step.kind == "update":
            node.update(kind="update_contact", **args)
        elif step.kind == "start":
            node.update(kind="start_workflow", workflow=args["workflow"])
        elif step.kind == "match":
            node.update(kind="match_properties", top=5, min_score=60)
        elif step.kind == "wait":
            seconds = int(args["seconds"])
            if seconds > MAX_WAIT_S:
                self.plan.notes.append(
                    f"a wait of {phrases.fmt_duration(seconds)} was cut to 10 years"
                )
                seconds = MAX_WAIT_S
            node.update(kind="wait", duration=phrases.fmt_duration(max(60, seconds)))
        elif step.kind == "wait_until":
            node.update(kind="wait_until", time=args["time"], weekdays=args.get("weekdays") or [])
            if args.get("offset_days"):
                node["offset_days"] = args["offset_days"]
        else:
            node.update(kind="exit", reason=args.get("reason", "done"))
        if step.kind in ("sms", "email", "call", "voicemail"):
            self.first_message = False
            if self.plan.optimal:
                node["timing"] = "optimal"
        return self._add(node)

    def chain(self, steps: list[Any]) -> tuple[str | None, list[Setter]]:
        first: str | None = None
        dangling: list[Setter] = []
        for step in steps:
            node_id, new = self.one(step)
            first = first or node_id
            for setter in dangling:
                setter(node_id)
            dangling = new
        return first, dangling

    def one(self, step: Any) -> tuple[str, list[Setter]]:
        if isinstance(step, Step):
            return self.simple(step)
        if isinstance(step, WaitFor):
            return self.wait_for(step)
        if isinstance(step, Branch):
            return self.branch(step)
        assert isinstance(step, SplitPlan)
        return self.split(step)

    def wait_for(self, step: WaitFor) -> tuple[str, list[Setter]]:
        node: dict[str, Any] = {
            "id": self.new_id("wait_for_" + step.event.split(".")[-1]),
            "kind": "wait_for_event",
            "event": step.event,
        }
        # a reply awaited without a stated limit waits a day: never forever
        node["timeout"] = phrases.fmt_duration(min(step.timeout or 86400, MAX_WAIT_S))
        node_id, dangling = self._add(node)
        out: list[Setter] = []
        for name, sub in (("on_event", step.on_event), ("on_timeout", step.on_timeout)):
            if sub:
                first, tails = self.chain(sub)
                node[name] = first
                out += tails
        if not step.on_event or not step.on_timeout:
            out += dangling
        return node_id, out

    def branch(self, step: Branch) -> tuple[str, list[Setter]]:
        node: dict[str, Any] = {"id": self.new_id("branch"), "kind": "branch", "cases": []}
        node_id, _ = self._add(node)
        out: list[Setter] = []
        for leaf, sub in step.cases:
            when = {k: v for k, v in leaf.items() if k != "ref"}
            if "ref" in leaf:
                when["field"] = when["field"].replace(
                    "{ref}", self.ids.get(id(leaf["ref"]), "email_1")
                )
            if sub:
                first, tails = self.chain(sub)
                out += tails
            else:
                first, _ = self.simple(Step("exit", {"reason": "condition_met"}))
            node["cases"].append({"when": when, "next": first})
        if step.default:
            first, tails = self.chain(step.default)
            node["default"] = first
            out += tails
        else:
            out.append(lambda target: node.__setitem__("default", target))
        return node_id, out

    def split(self, step: SplitPlan) -> tuple[str, list[Setter]]:
        node: dict[str, Any] = {"id": self.new_id("split"), "kind": "split", "arms": []}
        node_id, _ = self._add(node)
        out: list[Setter] = []
        weight = round((100.0 - (step.holdout or 0)) / len(step.arms), 2)
        for i, arm in enumerate(step.arms):
            first, tails = self.chain(arm)
            node["arms"].append({"name": chr(ord("a") + i), "weight": weight, "next": first})
            out += tails
        if step.holdout:
            node["arms"].append({"name": "holdout", "weight": step.holdout, "holdout": True})
        node["experiment"] = {"metric": {**step.metric, "within": "14d"}, "decide": "manual"}
        return node_id, out


def _close_waits(emitter: _Emitter) -> None:
    for node in list(emitter.nodes):
        timed = node["kind"] == "wait_for_event" and node.get("timeout")
        if timed and not node.get("next") and not node.get("on_timeout"):
            end_id, _ = emitter.simple(Step("exit", {"reason": "no_response"}))
            node["on_timeout"] = end_id


def _key(plan: Plan, from_play: bool, nodes: list[dict[str, Any]]) -> str:
    """From the play it is, else from the first words; never a workflow it starts."""
    key = phrases.slug(plan.play if from_play and plan.play else " ".join(plan.prompt.split()[:6]))
    key = key[:48].strip("-") or "workflow"
    started = {n.get("workflow") for n in nodes if n["kind"] == "start_workflow"}
    return f"{key}-flow" if key in started else key


def _name(plan: Plan) -> str:
    words = " ".join(plan.prompt.split()).rstrip(".")
    if len(words) > 80:
        words = words[:80].rsplit(" ", 1)[0].rstrip(" ,;:") + "..."
    return words[:1].upper() + words[1:] if words else "Drafted workflow"


def build(plan: Plan, key: str | None = None) -> dict[str, Any]:
    """The definition (plain data) for ``plan``; a named play fills in what the words leave out."""
    trigger, filters, steps, goals = dict(plan.trigger), list(plan.filters), plan.steps, plan.goals
    from_play = False
    if plan.play:
        p_trigger, p_filters, p_steps, p_goals = play(plan.play)
        acts = [s for s in steps if not (isinstance(s, Step) and s.kind in ("wait", "wait_until"))]
        if not acts:
            steps, goals = p_steps, goals or p_goals
            from_play = True
        if trigger.get("type") == "manual":
            trigger = p_trigger
        filters = filters or p_filters
    if not steps:
        steps = [Step("email", {"purpose": None})]
        plan.notes.append("no action recognised: drafted a single follow-up e-mail")
    emitter = _Emitter(plan, trigger.get("event"))
    emitter.chain(steps)
    _close_waits(emitter)
    if filters:
        trigger["filter"] = filters[0] if len(filters) == 1 else {"all": filters}
    settings: dict[str, Any] = {}
    if plan.reentry:
        settings["reentry"] = plan.reentry
    if goals:
        settings["goals"] = [{"name": name, "event": ev} for name, events in goals for ev in events]
    if plan.send_window:
        settings["send_window"] = plan.send_window
    definition: dict[str, Any] = {
        "key": key or _key(plan, from_play, emitter.nodes),
        "name": _name(plan),
        "description": f"Drafted from: {plan.prompt.strip()[:300]}",
        "triggers": [trigger],
        "start": emitter.nodes[0]["id"],
        "nodes": emitter.nodes,
    }
    if settings:
        definition["settings"] = settings
    return definition
