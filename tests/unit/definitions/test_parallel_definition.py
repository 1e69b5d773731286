"""The ``parallel`` node in the language: validation of its branches, YAML round trip, schema."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.definitions import dump_yaml, load_text, validate, workflow_json_schema
from leadflow.definitions.models import Parallel

from .helpers import errors_of, sms, wait, workflow


def fork(
    *branches: tuple[str, str], node_id: str = "fork", next_: str | None = "after", **extra: Any
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": node_id,
        "kind": "parallel",
        "branches": [{"name": n, "start": s} for n, s in branches],
        **extra,
    }
    if next_ is not None:
        node["next"] = next_
    return node


def good() -> dict[str, Any]:
    return workflow(
        fork(("texts", "t1"), ("mails", "m1"), join="any", timeout="2d"),
        sms("t1", next="t2"),
        wait("t2", "1h", next="after"),
        wait("m1", "2h", next="m2"),
        {"id": "m2", "kind": "send_email", "subject": "Hi", "body": "Hello"},
        sms("after", "Done"),
    )


def test_a_fork_whose_branches_keep_to_their_own_nodes_is_valid() -> None:
    report = validate(good())
    assert report.errors == [] and report.warnings == []
    assert report.definition is not None
    node = report.definition.node_map()["fork"]
    assert isinstance(node, Parallel)
    assert (node.join, node.timeout, node.on_branch_error) == ("any", "2d", "fail")


def test_yaml_round_trip_keeps_the_node() -> None:
    report = validate(good())
    assert report.definition is not None
    text = dump_yaml(report.definition)
    assert "kind: parallel" in text and "join: any" in text
    again = validate(load_text(text))
    assert again.definition == report.definition


def test_json_schema_describes_the_node_for_the_designer_palette() -> None:
    schema = workflow_json_schema()
    mapping = schema["properties"]["nodes"]["items"]["discriminator"]["mapping"]
    assert "parallel" in mapping
    props = schema["$defs"]["Parallel"]["properties"]
    assert props["join"]["enum"] == ["all", "any"]
    assert props["on_branch_error"]["enum"] == ["fail", "continue"]
    assert props["branches"]["minItems"] == 2
    branch = schema["$defs"]["ParallelBranch"]
    assert set(branch["required"]) == {"name", "start"}


@pytest.mark.parametrize(
    ("nodes", "problem"),
    [
        (  # a branch that runs into the other's nodes
            [fork(("a", "a1"), ("b", "b1")), sms("a1", next="b1"), sms("b1"), sms("after")],
            "nodes[0](fork).branches[1]: branch 'b' of parallel 'fork' reaches node 'b1', which "
            "branch 'a' of parallel 'fork' reaches too; branches must not share nodes (only the "
            "join target may be reached by every branch)",
        ),
        (  # a branch that leaves the fork past its join target
            [
                fork(("a", "a1"), ("b", "b1")),
                sms("a1", next="tail"),
                sms("b1"),
                sms("after", next="tail"),
                sms("tail"),
            ],
            "nodes[0](fork).branches[0]: branch 'a' of parallel 'fork' reaches node 'tail', "
            "which is outside the fork (the workflow reaches it without the fork); a branch may "
            "only lead to the join target 'after' or end",
        ),
        (  # a branch that loops back to its own fork
            [fork(("a", "a1"), ("b", "b1")), wait("a1", next="fork"), sms("b1"), sms("after")],
            "nodes[0](fork).branches[0]: branch 'a' of parallel 'fork' reaches the parallel node "
            "'fork'; parallel nodes cannot be nested (put the second fork after the join)",
        ),
        (  # a fork inside a branch
            [
                fork(("a", "a1"), ("b", "b1")),
                fork(("x", "x1"), ("y", "y1"), node_id="a1", next_=None),
                sms("x1"),
                sms("y1"),
                sms("b1"),
                sms("after"),
            ],
            "nodes[0](fork).branches[0]: branch 'a' of parallel 'fork' reaches the parallel node "
            "'a1'; parallel nodes cannot be nested (put the second fork after the join)",
        ),
        (
            [fork(("a", "a1"), ("a", "b1")), sms("a1"), sms("b1"), sms("after")],
            "nodes[0](fork).branches[1].name: duplicate branch name 'a'",
        ),
        (
            [fork(("a", "a1"), ("b", "after")), sms("a1"), sms("after")],
            "nodes[0](fork).branches[1].start: the branch starts at the join target 'after'; "
            "it would do nothing",
        ),
        (
            [fork(("a", "a1"), ("b", "nowhere")), sms("a1"), sms("after")],
            "nodes[0](fork).branches[1].start: edge to missing node 'nowhere'",
        ),
        (
            [fork(("a", "a1"), ("b", "b1"), timeout="soon"), sms("a1"), sms("b1"), sms("after")],
            "nodes[0](fork).timeout: ",
        ),
        (
            [fork(("a", "a1")), sms("a1"), sms("after")],
            "nodes[0](fork).branches: ",
        ),
        (
            [fork(("a", "a1"), ("b", "b1"), join="first"), sms("a1"), sms("b1"), sms("after")],
            "nodes[0](fork).join: ",
        ),
    ],
)
def test_refused_forks_name_the_branch_and_the_node(nodes: list[Any], problem: str) -> None:
    errors = errors_of(workflow(*nodes))
    assert any(e.startswith(problem) for e in errors), errors


def test_a_loop_through_a_fork_after_its_join_is_no_waitless_cycle() -> None:
    """The parent sleeps at the fork; a loop back to it from after the join is allowed."""
    data = workflow(
        fork(("a", "a1"), ("b", "b1")),
        sms("a1"),
        sms("b1"),
        {"id": "after", "kind": "update_contact", "add_tags": ["x"], "next": "fork"},
    )
    assert errors_of(data) == []
