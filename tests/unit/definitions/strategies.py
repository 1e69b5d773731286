"""Hypothesis strategies: junk, workflow-shaped junk, and valid workflow definitions."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from leadflow.definitions.models import NODE_KINDS

# ---------------------------------------------------------------- junk

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "next", "kind", "send_sms", "1h", "{{", "{% if %}", "P", "-1d"])
)
JSON_LIKE = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)
FIELD_NAMES = st.sampled_from(
    [
        "id",
        "kind",
        "next",
        "on_error",
        "body",
        "subject",
        "html",
        "say",
        "audio_url",
        "duration",
        "time",
        "weekdays",
        "offset_days",
        "event",
        "match",
        "timeout",
        "on_event",
        "on_timeout",
        "cases",
        "default",
        "arms",
        "set",
        "add_tags",
        "url",
        "headers",
        "method",
        "workflow",
        "goal",
        "reason",
        "media_urls",
        "when",
        "field",
        "op",
        "value",
        "all",
        "any",
        "not",
        "name",
        "weight",
    ]
)
KINDISH = st.sampled_from([*NODE_KINDS, "send_fax", ""]) | JSON_LIKE


@st.composite
def junk_node(draw: st.DrawFn) -> Any:
    node = draw(st.dictionaries(FIELD_NAMES, JSON_LIKE, max_size=6))
    if draw(st.booleans()):
        node["kind"] = draw(KINDISH)
    if draw(st.booleans()):
        node["id"] = draw(st.sampled_from(["a", "b", "c", "d"]) | JSON_LIKE)
    return node if draw(st.integers(0, 9)) else draw(JSON_LIKE)


WORKFLOW_SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "key": st.sampled_from(["k", "Bad Key"]) | JSON_LIKE,
        "name": st.just("n") | JSON_LIKE,
        "start": st.sampled_from(["a", "b", "zz"]) | JSON_LIKE,
        "triggers": st.lists(
            st.dictionaries(
                st.sampled_from(["type", "event", "cron", "timezone", "filter", "x"]),
                st.sampled_from(["event", "schedule", "manual", "0 9 * * *", "UTC"]) | JSON_LIKE,
            )
            | JSON_LIKE,
            max_size=3,
        )
        | JSON_LIKE,
        "settings": st.dictionaries(
            st.sampled_from(["reentry", "goals", "pause_on_reply", "send_window", "priority"]),
            JSON_LIKE,
        )
        | JSON_LIKE,
        "nodes": st.lists(junk_node(), max_size=6) | JSON_LIKE,
        "extra": JSON_LIKE,
    },
)

# ---------------------------------------------------------------- valid definitions

SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="{}%#"),
    min_size=1,
    max_size=40,
)
PIECES = st.sampled_from(
    [
        "{{ contact.first_name }}",
        "{{ contact.first_name or 'there' }}",
        "{{ contact.fields.city }}",
        "{{ event.data.source }}",
        "{{ context.offer }}",
        "{{ workflow.name }}",
        "{{ now.year }}",
        "{% if contact.state == 'FL' %}sunny{% endif %}",
        "{{ contact.phone | phone_pretty }}",
        "\n",
    ]
)
TEMPLATE = st.lists(SAFE_TEXT | PIECES, min_size=1, max_size=4).map("".join).filter(str.strip)
DURATION = st.sampled_from(["90s", "30m", "2h", "1d12h", "1w", "PT2H", "P1DT2H30M", "PT0S"]) | (
    st.builds(lambda n, u: f"{n}{u}", st.integers(1, 500), st.sampled_from("smhdw"))
)
ZONES = st.sampled_from(["UTC", "America/New_York", "America/Los_Angeles", "Europe/Paris"])
CRONS = st.sampled_from(["0 9 * * *", "*/15 * * * *", "0 10 * * mon-fri", "30 8 1 * *"])
HHMM = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)
NUMBER = st.integers(-(10**6), 10**6) | FINITE
WORD = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
SCALAR = st.none() | st.booleans() | NUMBER | SAFE_TEXT
PATHS = st.sampled_from(
    [
        "contact.state",
        "contact.tags",
        "contact.fields.budget",
        "event.type",
        "event.data.text",
        "context.score",
        "steps.n0.sent",
    ]
)


def _leaf_value(op: str) -> st.SearchStrategy[Any]:
    if op in ("eq", "ne", "contains"):
        return SCALAR
    if op in ("gt", "gte", "lt", "lte"):
        return NUMBER | SAFE_TEXT
    if op == "in":
        return st.lists(SCALAR, max_size=4)
    if op == "exists":
        return st.none() | st.booleans()
    return st.tuples(NUMBER, NUMBER).map(list) | st.tuples(SAFE_TEXT, SAFE_TEXT).map(list)


LEAF = st.sampled_from(
    ["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "exists", "between"]
).flatmap(
    lambda op: st.builds(
        lambda field, value: {"field": field, "op": op, "value": value}, PATHS, _leaf_value(op)
    )
)
CONDITION = st.recursive(
    LEAF,
    lambda inner: (
        st.builds(lambda c: {"all": c}, st.lists(inner, max_size=3))
        | st.builds(lambda c: {"any": c}, st.lists(inner, max_size=3))
        | st.builds(lambda c: {"not": c}, inner)
    ),
    max_leaves=6,
)

TERMINAL = ["exit", "goal"]
SIMPLE = [
    "send_sms",
    "send_email",
    "voice_call",
    "wait",
    "wait_until",
    "update_contact",
    "start_workflow",
    "webhook",
]


def _maybe(draw: st.DrawFn, node: dict[str, Any], key: str, strategy: Any) -> None:
    if draw(st.booleans()):
        node[key] = draw(strategy)


def _fields(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """Valid non-edge fields of a node of ``kind``."""
    node: dict[str, Any] = {}
    if kind == "send_sms":
        node["body"] = draw(TEMPLATE)
        _maybe(draw, node, "media_urls", st.lists(st.just("https://cdn.example/a.jpg"), max_size=2))
    elif kind == "send_email":
        node["subject"] = draw(TEMPLATE)
        node["body"] = draw(TEMPLATE)
        _maybe(draw, node, "html", TEMPLATE)
        _maybe(draw, node, "marketing", st.booleans())
    elif kind == "voice_call":
        _maybe(draw, node, "mode", st.sampled_from(["voicemail_drop", "live"]))
        if draw(st.booleans()):
            node["audio_url"] = "https://cdn.example/vm.mp3"
        else:
            node["say"] = draw(TEMPLATE)
    elif kind == "wait":
        node["duration"] = draw(DURATION)
    elif kind == "wait_until":
        node["time"] = draw(HHMM)
        _maybe(
            draw, node, "weekdays", st.lists(st.sampled_from(["mon", "wed", "sat"]), unique=True)
        )
        _maybe(draw, node, "offset_days", st.integers(0, 366))
    elif kind == "wait_for_event":
        node["event"] = draw(st.sampled_from(["sms.received", "email.opened"]))
        node["timeout"] = draw(DURATION)
        _maybe(draw, node, "match", CONDITION)
    elif kind == "update_contact":
        _maybe(
            draw, node, "set", st.dictionaries(WORD, TEMPLATE | NUMBER | st.booleans(), max_size=3)
        )
        _maybe(draw, node, "add_tags", st.lists(SAFE_TEXT, max_size=2))
        _maybe(draw, node, "remove_tags", st.lists(SAFE_TEXT, max_size=2))
        _maybe(draw, node, "stage", SAFE_TEXT)
        _maybe(draw, node, "owner", SAFE_TEXT)
    elif kind == "start_workflow":
        node["workflow"] = draw(WORD)
    elif kind == "webhook":
        node["url"] = "https://crm.example/hook/" + draw(st.sampled_from(["", "{{ contact.id }}"]))
        _maybe(draw, node, "method", st.sampled_from(["POST", "PUT", "PATCH", "GET"]))
        _maybe(draw, node, "headers", st.dictionaries(WORD, SAFE_TEXT, max_size=2))
        _maybe(draw, node, "body", TEMPLATE)
    elif kind == "exit":
        _maybe(draw, node, "reason", SAFE_TEXT)
    elif kind == "goal":
        node["goal"] = draw(WORD)
    return node


@st.composite
def valid_workflow(draw: st.DrawFn) -> dict[str, Any]:
    """A valid definition: a random DAG whose edges only go forward, all reachable from start."""
    ids = draw(
        st.lists(
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,10}", fullmatch=True),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    n = len(ids)
    parents = [draw(st.integers(0, j - 1)) for j in range(1, n)]
    children: list[list[str]] = [[] for _ in ids]
    for j, p in enumerate(parents, start=1):
        children[p].append(ids[j])
    nodes: list[dict[str, Any]] = []
    for i, node_id in enumerate(ids):
        later = ids[i + 1 :]
        mine = children[i]
        kinds = ["branch", "split"] if len(mine) > 2 else list(SIMPLE)
        if later and len(mine) <= 3:
            kinds += ["wait_for_event", "branch", "split"]
        if not mine:
            kinds += TERMINAL
        kind = draw(st.sampled_from(kinds))
        node: dict[str, Any] = {"id": node_id, "kind": kind, **_fields(draw, kind)}
        _maybe(draw, node, "name", SAFE_TEXT)
        extra = st.sampled_from(later) if later else st.nothing()
        targets = list(mine)
        if kind in SIMPLE:
            slots = ["next", "on_error"]
        elif kind == "wait_for_event":
            slots = ["next", "on_event", "on_timeout"]
            if not targets:
                targets = [draw(extra)]
        elif kind == "branch":
            slots = ["default", "next"]
            cases = [t for t in targets[2:]] or [draw(extra)]
            targets = targets[:2]
            cases += draw(st.lists(extra, max_size=2))
            node["cases"] = [{"when": draw(CONDITION), "next": t} for t in cases]
        elif kind == "split":
            slots = []
            arm_targets = targets + draw(st.lists(extra, max_size=2)) or [draw(extra)]
            names = draw(
                st.lists(WORD, min_size=len(arm_targets), max_size=len(arm_targets), unique=True)
            )
            weights = st.floats(min_value=0.01, max_value=100, allow_nan=False)
            node["arms"] = [
                {"name": nm, "weight": draw(weights), "next": t}
                for nm, t in zip(names, arm_targets, strict=True)
            ]
            targets = []
        else:
            slots = []
        order = draw(st.permutations(slots)) if slots else []
        for slot, target in zip(order, targets, strict=False):
            node[slot] = target
        for slot in order[len(targets) :]:
            if later:
                _maybe(draw, node, slot, extra)
        if kind == "wait_for_event" and "next" not in node and "on_timeout" not in node:
            node["next"] = node.pop("on_event")
        nodes.append(node)
    data: dict[str, Any] = {
        "key": draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)),
        "name": draw(SAFE_TEXT),
        "start": ids[0],
        "nodes": nodes,
    }
    _maybe(draw, data, "description", TEMPLATE)
    _maybe(draw, data, "triggers", st.lists(TRIGGER, max_size=3))
    _maybe(draw, data, "settings", SETTINGS)
    return data


TRIGGER = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("event"), "event": st.sampled_from(["lead.created", "tag.added"])},
        optional={"filter": CONDITION},
    ),
    st.fixed_dictionaries(
        {"type": st.just("schedule"), "cron": CRONS},
        optional={"timezone": ZONES, "filter": CONDITION},
    ),
    st.fixed_dictionaries({"type": st.just("manual")}),
)
REENTRY = st.one_of(
    st.fixed_dictionaries({"policy": st.sampled_from(["never", "always"])}),
    st.fixed_dictionaries({"policy": st.just("after"), "days": st.integers(1, 400)}),
)
GOAL = st.one_of(
    st.fixed_dictionaries(
        {"name": WORD, "event": st.sampled_from(["sms.received", "booked"])},
        optional={"when": CONDITION},
    ),
    st.fixed_dictionaries({"name": WORD, "when": CONDITION}),
)
WINDOW = (
    st.tuples(HHMM, HHMM).filter(lambda t: t[0] < t[1]).map(lambda t: {"start": t[0], "end": t[1]})
)
SETTINGS = st.fixed_dictionaries(
    {},
    optional={
        "reentry": REENTRY,
        "goals": st.lists(GOAL, max_size=2),
        "pause_on_reply": st.booleans(),
        "send_window": WINDOW,
        "default_timezone": ZONES,
        "priority": st.integers(-10, 10),
    },
)
