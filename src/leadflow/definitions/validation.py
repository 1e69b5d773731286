"""Validate a workflow definition and report every problem at once.

:func:`validate` never raises. Each error and warning is ``"<path>: <problem>"`` with paths like
``key``, ``triggers[0].cron``, ``settings.reentry.days``, ``nodes[3].kind``,
``nodes[2](wait_reply).timeout`` (a node is labelled with its id when it has one) or
``nodes[1](welcome).cases[0].when.all[1].value``.

Order of work: the top-level fields, the settings, each trigger and each node are checked on
their own, field by field, so one mistake does not hide the next. Then the graph (ids, edges,
reachability, loops without a wait) is checked on the raw nodes, so a node with a shape error
still counts as a target. Then durations, templates, conditions and the remaining rules.

Edges and fall-backs, as the engine follows them: ``wait_for_event`` goes to ``on_event`` when
the event comes and to ``on_timeout`` when the timeout passes, and each falls back to ``next``;
a ``branch`` with no matching case goes to ``default``, falling back to ``next``. A node with
nowhere to go completes the run.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from croniter import croniter
from pydantic import BaseModel, ValidationError

from leadflow.definitions import graph, shape
from leadflow.definitions.conditions import (
    changed_fields,
    condition_fields,
    condition_problems,
)
from leadflow.definitions.durations import parse_duration
from leadflow.definitions.experiment_model import ExperimentSpec, experiment_problems
from leadflow.definitions.forks import ForkNode, fork_problems
from leadflow.definitions.models import (
    NODE_KINDS,
    GoalSpec,
    Node,
    Settings,
    Trigger,
    WorkflowDefinition,
)
from leadflow.definitions.templates import template_problems
from leadflow.model import segments

SMS_WARN_SEGMENTS = 2  # a text past two concatenated segments gets a warning
_TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    "send_sms": ("body",),
    "send_whatsapp": ("body",),
    "send_email": ("subject", "body", "html"),
    "voice_call": ("say",),
    "webhook": ("url", "body"),
    "notify_agent": ("title", "body"),
    "ai_compose": ("brief", "subject", "body"),
    "send_messenger": ("body",),
    "crm": ("body", "title", "name"),
}
_KINDS = ", ".join(NODE_KINDS)


def _node_classes() -> dict[str, type[BaseModel]]:
    """kind -> model class, read from the ``Node`` union."""
    union, *_ = get_args(Node)
    out: dict[str, type[BaseModel]] = {}
    for cls in get_args(union):
        (kind,) = get_args(cls.model_fields["kind"].annotation)
        out[kind] = cls
    return out


_NODE_CLASSES = _node_classes()


@dataclass
class Report:
    """The outcome of :func:`validate`; ``definition`` is set only when there are no errors."""

    definition: WorkflowDefinition | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Node:
    label: str
    raw: Mapping[Any, Any]
    id: str | None
    kind: str | None
    values: dict[str, Any]


def valid_zone(name: Any) -> bool:
    """Whether ``name`` is a time zone zoneinfo knows."""
    try:
        zoneinfo.ZoneInfo(name)
    except Exception:
        return False
    return True


def _zone_problem(path: str, name: str) -> str:
    return f"{path}: unknown time zone {name!r}; use an IANA name such as America/New_York"


def _valid_cron(expr: str) -> bool:
    try:
        return bool(croniter.is_valid(expr))
    except Exception:
        return False


class _Validator:
    def __init__(self, data: Any) -> None:
        self.data = data
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.nodes: list[_Node] = []
        self.ids: set[str] = set()

    # ---------------------------------------------------------------- shape
    def run(self) -> None:
        data = self.data
        if not isinstance(data, Mapping):
            self.errors.append(
                "(root): expected a mapping with key, name, start and nodes; "
                f"got {shape.describe(data)}"
            )
            return
        top, _ = shape.parse_fields(
            WorkflowDefinition,
            data,
            "",
            self.errors,
            exclude=frozenset({"triggers", "settings", "nodes"}),
        )
        nodes = data.get("nodes")
        if isinstance(nodes, list):  # known early, for the steps.<node> warnings
            self.ids = {
                n["id"] for n in nodes if isinstance(n, Mapping) and isinstance(n.get("id"), str)
            }
        self._triggers(data.get("triggers"))
        self._settings(data.get("settings"))
        self._parse_nodes(data)
        self._graph(top.get("start") if isinstance(data.get("start"), str) else None)
        for node in self.nodes:
            self._node_rules(node)

    def _list(self, raw: Any, path: str) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.errors.append(f"{path}: expected a list, got {shape.describe(raw)}")
            return []
        return raw

    def _item(self, cls: type[BaseModel], raw: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(raw, Mapping):
            self.errors.append(f"{path}: expected a mapping, got {shape.describe(raw)}")
            return None
        values, _ = shape.parse_fields(cls, raw, path, self.errors)
        return values

    def _triggers(self, raw: Any) -> None:
        for i, item in enumerate(self._list(raw, "triggers")):
            path = f"triggers[{i}]"
            values = self._item(Trigger, item, path)
            if values is not None:
                self._trigger_rules(values, path)

    def _settings(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            self.errors.append(f"settings: expected a mapping, got {shape.describe(raw)}")
            return
        values, _ = shape.parse_fields(
            Settings, raw, "settings", self.errors, exclude=frozenset({"goals"})
        )
        for i, item in enumerate(self._list(raw.get("goals"), "settings.goals")):
            path = f"settings.goals[{i}]"
            goal = self._item(GoalSpec, item, path)
            if goal is None:
                continue
            if all(item.get(k) is None for k in ("event", "when")):
                self.errors.append(f"{path}: a goal needs event or when (or both)")
            if goal.get("when") is not None:
                self._condition(goal["when"], f"{path}.when")
        reentry = values.get("reentry")
        if reentry is not None:
            if reentry.policy == "after" and reentry.days is None:
                self.errors.append("settings.reentry.days: policy 'after' needs days (e.g. 30)")
            elif reentry.policy != "after" and reentry.days is not None:
                self.warnings.append("settings.reentry.days: ignored unless policy is 'after'")
        zone = values.get("default_timezone")
        if zone is not None and not valid_zone(zone):
            self.errors.append(_zone_problem("settings.default_timezone", zone))
        window = values.get("send_window")
        if window is not None and window.start >= window.end:
            self.errors.append(
                f"settings.send_window: start {window.start} must be before end {window.end}"
            )

    def _parse_nodes(self, data: Mapping[Any, Any]) -> None:
        if "nodes" not in data:
            self.errors.append("nodes: field required")
            return
        raw_nodes = data["nodes"]
        if not isinstance(raw_nodes, list):
            self.errors.append(f"nodes: expected a list of nodes, got {shape.describe(raw_nodes)}")
            return
        if not raw_nodes:
            self.errors.append("nodes: at least one node is required")
        classes = _NODE_CLASSES
        for i, raw in enumerate(raw_nodes):
            if not isinstance(raw, Mapping):
                self.errors.append(
                    f"nodes[{i}]: expected a mapping with id and kind, got {shape.describe(raw)}"
                )
                continue
            node_id = raw.get("id") if isinstance(raw.get("id"), str) else None
            label = f"nodes[{i}]({node_id[:64]})" if node_id else f"nodes[{i}]"
            kind = raw.get("kind")
            values: dict[str, Any] = {}
            if "kind" not in raw:
                self.errors.append(f"{label}.kind: field required; expected one of {_KINDS}")
            elif not isinstance(kind, str) or kind not in classes:
                self.errors.append(
                    f"{label}.kind: unknown node kind {kind!r}; expected one of {_KINDS}"
                )
            if isinstance(kind, str) and kind in classes:
                values, _ = shape.parse_fields(
                    classes[kind],
                    raw,
                    label,
                    self.errors,
                    lists=frozenset({"cases", "arms", "branches"}),
                )
            else:  # still check what every node has
                values, _ = shape.parse_fields(
                    classes["exit"],
                    raw,
                    label,
                    self.errors,
                    check_unknown=False,
                    exclude=frozenset({"kind", "reason"}),
                )
            known_kind = kind if isinstance(kind, str) and kind in classes else None
            self.nodes.append(_Node(label, raw, node_id, known_kind, values))

    # ---------------------------------------------------------------- graph
    def _graph(self, start: str | None) -> None:
        first: dict[str, _Node] = {}
        for node in self.nodes:
            if node.id is None:
                continue
            if node.id in first:
                self.errors.append(
                    f"{node.label}.id: duplicate node id {node.id!r} (also {first[node.id].label})"
                )
            else:
                first[node.id] = node
        self.ids = set(first)
        edges: dict[str, list[str]] = {i: [] for i in first}
        for node in self.nodes:
            for name, target in graph.raw_edges(node.raw):
                if target not in self.ids:
                    self.errors.append(
                        f"{node.label}.{name}: edge to missing node {target!r}{self._hint(target)}"
                    )
                elif node.id is not None:
                    edges[node.id].append(target)
        if start is not None and start not in self.ids:
            self.errors.append(f"start: start node {start!r} does not exist{self._hint(start)}")
        elif start is not None:
            seen = graph.reachable(start, edges)
            for node_id, node in first.items():
                if node_id not in seen:
                    self.errors.append(f"{node.label}: not reachable from start {start!r}")
        forks = [ForkNode(n.label, i, n.kind, n.raw) for i, n in first.items()]
        self.errors.extend(fork_problems(forks, start if start in self.ids else None, edges))
        kinds = {i: n.kind or "" for i, n in first.items()}
        for cycle in graph.waitless_cycles(kinds, edges):
            self.errors.append(
                f"{first[cycle[0]].label}: cycle with no wait node: {' -> '.join(cycle)} "
                "(a run would loop without pausing; add a wait, wait_until or wait_for_event)"
            )

    def _hint(self, target: str) -> str:
        close = difflib.get_close_matches(target, sorted(self.ids), n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""

    # ---------------------------------------------------------------- rules
    def _condition(self, cond: Any, path: str) -> None:
        self.errors.extend(condition_problems(cond, path))
        for name in sorted(condition_fields(cond)):
            parts = name.split(".")
            if parts[0] == "steps" and len(parts) > 1 and parts[1] not in self.ids:
                self.warnings.append(f"{path}: {name!r} refers to no node of this workflow")

    def _trigger_rules(self, values: dict[str, Any], path: str) -> None:
        kind = values.get("type")
        if kind == "event" and not values.get("event"):
            self.errors.append(f"{path}.event: an event trigger needs event (e.g. lead.created)")
        if kind == "schedule":
            cron = values.get("cron")
            if cron is None:
                self.errors.append(f"{path}.cron: a schedule trigger needs cron (e.g. '0 9 * * 1')")
            elif not _valid_cron(cron):
                self.errors.append(f"{path}.cron: invalid cron expression {cron!r}")
        elif kind is not None and values.get("cron") is not None:
            self.warnings.append(f"{path}.cron: ignored unless type is 'schedule'")
        zone = values.get("timezone")
        if zone is not None and not valid_zone(zone):
            self.errors.append(_zone_problem(f"{path}.timezone", zone))
        if values.get("filter") is not None:
            self._condition(values["filter"], f"{path}.filter")
            for name in sorted(changed_fields(values["filter"])):
                self.errors.append(
                    f"{path}.filter: 'changed' on {name!r} cannot be used in a trigger filter: it "
                    "compares with the value when the run entered the workflow, and a trigger "
                    "decides before there is a run (use it in a branch, a wait_for_event match "
                    "or a goal)"
                )

    def _sms_length(self, body: str, path: str) -> None:
        """Warn past SMS_WARN_SEGMENTS segments (counted on the template text; what a variable
        adds is not known yet), naming what forced UCS-2 when something did."""
        found = segments.count(body)
        if found.segments <= SMS_WARN_SEGMENTS:
            return
        why = ""
        if found.encoding == segments.UCS2:
            why = f"; UCS-2 because of {', '.join(repr(c) for c in found.non_gsm[:5])}"
        self.warnings.append(
            f"{path}: SMS body is {found.units} {found.encoding} units, more than "
            f"{SMS_WARN_SEGMENTS} segments: it is sent and billed as {found.segments} SMS{why}"
        )

    def _whatsapp(self, raw: Mapping[Any, Any], label: str) -> None:
        """send_whatsapp: a free-form body or a template, and the template's variables."""
        body, template = raw.get("body"), raw.get("template")
        if (body is None) == (template is None):
            self.errors.append(
                f"{label}: give either body (free-form) or template, not both nor neither"
            )
        elif template is not None and raw.get("media_urls"):
            self.errors.append(
                f"{label}.media_urls: media go with a free-form body (a template has its own)"
            )
        variables = template.get("variables") if isinstance(template, Mapping) else None
        for key, value in variables.items() if isinstance(variables, Mapping) else ():
            if isinstance(value, str):
                where = shape.join(label, ["template", "variables", str(key)])
                self.errors.extend(template_problems(value, where, frozenset(self.ids)))

    def _node_rules(self, node: _Node) -> None:
        label, v, raw = node.label, node.values, node.raw
        kind = node.kind
        for name in _TEMPLATE_FIELDS.get(kind or "", ()):
            if isinstance(v.get(name), str):
                self.errors.extend(
                    template_problems(v[name], f"{label}.{name}", frozenset(self.ids))
                )
        if kind == "send_sms" and isinstance(v.get("body"), str):
            self._sms_length(v["body"], f"{label}.body")
        elif kind == "send_whatsapp":
            self._whatsapp(raw, label)
        elif kind == "update_contact":
            for key, value in (v.get("set") or {}).items():
                if isinstance(value, str):
                    where = shape.join(label, ["set", key])
                    self.errors.extend(template_problems(value, where, frozenset(self.ids)))
        elif kind == "start_workflow" and v.get("workflow") == self.data.get("key"):
            self._self_start(f"{label}.workflow")
        elif kind == "wait" and isinstance(v.get("duration"), str):
            self._duration(v["duration"], f"{label}.duration")
        elif kind == "parallel" and isinstance(v.get("timeout"), str):
            self._duration(v["timeout"], f"{label}.timeout")
        elif kind == "notify_agent" and isinstance(v.get("due_in"), str):
            self._duration(v["due_in"], f"{label}.due_in")
        elif kind == "crm":
            self._crm(v, label)
        elif kind == "wait_for_event":
            self._wait_for_event(node)
        elif kind == "branch":
            for i, case in enumerate(v.get("cases") or []):
                self._condition(case.when, f"{label}.cases[{i}].when")
        elif kind == "split":
            seen: set[str] = set()
            for i, arm in enumerate(v.get("arms") or []):
                if arm.name in seen:
                    self.errors.append(f"{label}.arms[{i}].name: duplicate arm name {arm.name!r}")
                seen.add(arm.name)
            experiment = v.get("experiment")
            if isinstance(experiment, ExperimentSpec) or experiment is None:
                arms = [a for a in v.get("arms") or [] if hasattr(a, "holdout")]
                self.errors.extend(experiment_problems(arms, experiment, label))
        elif kind == "ai_compose":
            self._ai_compose(node)
        elif kind == "voice_call" and not raw.get("audio_url") and not raw.get("say"):
            self.errors.append(f"{label}: a voice_call needs audio_url or say")
        elif (
            kind == "webhook"
            and isinstance(url := v.get("url"), str)
            and not re.match(r"^https?://", url, re.IGNORECASE)
        ):
            self.errors.append(f"{label}.url: must start with http:// or https://, got {url!r}")

    def _ai_compose(self, node: _Node) -> None:
        """The fallback text of an SMS ai_compose: its length, and a warning when it carries no
        opt-out wording (it is what a first text to a contact sends when the draft fails)."""
        label, v, raw = node.label, node.values, node.raw
        channel = raw.get("channel", "sms")
        if channel == "email" and not raw.get("subject"):
            self.errors.append(f"{label}.subject: required when channel is email")
        elif channel == "sms" and raw.get("subject"):
            self.errors.append(f"{label}.subject: applies only to channel email")
        if channel != "sms" or not isinstance(v.get("body"), str):
            return
        self._sms_length(v["body"], f"{label}.body")
        if not re.search(r"\bstop\b", v["body"], re.IGNORECASE):
            self.warnings.append(
                f"{label}.body: the fallback text has no opt-out wording (e.g. 'Reply STOP to "
                "opt out'); it is what a first text to a contact sends when the draft fails"
            )

    def _crm(self, v: dict[str, Any], label: str) -> None:
        """What each CRM operation needs (the rest of the node is the model's to check)."""
        needs = {
            "add_note": "body",
            "add_tag": "tags",
            "create_task": "title",
            "move_stage": "stage",
        }.get(str(v.get("operation")))
        if needs is not None and not v.get(needs):
            self.errors.append(f"{label}.{needs}: required by operation {v['operation']!r}")
        if v.get("operation") == "create_task" and isinstance(v.get("due_in"), str):
            self._duration(v["due_in"], f"{label}.due_in")

    def _self_start(self, path: str) -> None:
        settings = self.data.get("settings")
        reentry = settings.get("reentry") if isinstance(settings, Mapping) else None
        policy = reentry.get("policy") if isinstance(reentry, Mapping) else None
        if policy in ("always", "after"):
            self.warnings.append(
                f"{path}: starts this workflow again, and re-entry ({policy}) lets it: every "
                "run starts another until LEADFLOW_MAX_WORKFLOW_DEPTH or "
                "LEADFLOW_MAX_ENROLLMENTS_PER_HOUR stops the chain with a failed step"
            )

    def _duration(self, text: str, path: str) -> None:
        try:
            parse_duration(text)
        except ValueError as exc:
            self.errors.append(f"{path}: {exc}")

    def _wait_for_event(self, node: _Node) -> None:
        label, v, raw = node.label, node.values, node.raw
        if v.get("match") is not None:
            self._condition(v["match"], f"{label}.match")
        if raw.get("timeout") is None:
            self.errors.append(
                f"{label}.timeout: a wait_for_event needs a timeout (e.g. 3d), "
                "or runs whose event never comes would wait forever"
            )
            return
        if isinstance(v.get("timeout"), str):
            self._duration(v["timeout"], f"{label}.timeout")
        if not raw.get("on_timeout") and not raw.get("next"):
            self.errors.append(
                f"{label}.on_timeout: when the timeout passes the run has nowhere to go and "
                "would complete here; set on_timeout (or next: on_timeout falls back to next)"
            )


def validate(data: Any) -> Report:
    """Check a loaded definition (any value); never raises. See the module docstring."""
    report = Report()
    checker = _Validator(data)
    try:
        checker.run()
        if not checker.errors:
            report.definition = WorkflowDefinition.model_validate(data)
    except ValidationError as exc:  # a rule the field-by-field checks missed
        checker.errors.extend(shape.messages(exc, data, ""))
    except RecursionError:
        checker.errors.append("(root): the definition is nested too deeply")
    except Exception as exc:  # never let a bad definition take the caller down
        checker.errors.append(f"(root): could not validate: {type(exc).__name__}: {exc}")
    report.errors = list(dict.fromkeys(checker.errors))
    report.warnings = list(dict.fromkeys(checker.warnings))
    if report.errors:
        report.definition = None
    return report


def split_problem(message: str) -> tuple[str, str]:
    """``"nodes[1](hi).body: unknown variable"`` -> ``("nodes[1](hi).body", "unknown variable")``;
    the path is ``""`` for a problem of the whole definition (``(root)``) or one without a path."""
    path, sep, problem = message.partition(": ")
    if not sep or not path or " " in path.replace("(root)", ""):
        return "", message
    return ("" if path == "(root)" else path), problem
