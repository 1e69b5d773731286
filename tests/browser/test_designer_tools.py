"""The designer's simulation drawn on the canvas, the runs screen's rewind, the nested condition
builder and the event-type pickers, in a real browser (Debian's Chromium driven by Playwright)
against a real ``leadflow serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml
from test_designer import (
    Server,
    browser,
    drop,
    page,
    pytestmark,
    server,
    shot,
    sign_in,
)

from support.api_client import admin_key, member_key

__all__ = ["browser", "page", "pytestmark", "server"]  # the fixtures and marks, shared

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "new-lead-welcome.yaml"


def test_simulate_draws_the_funnel_on_the_canvas_and_lists_failures(
    page: Any, server: Server
) -> None:
    sign_in(page, admin_key(server.db, "simulate"))
    page.get_by_test_id("import-file").set_input_files(str(EXAMPLE))
    page.get_by_test_id("notice").filter(has_text="5 nodes").wait_for()
    page.get_by_test_id("validation").filter(has_text="Valid").wait_for()
    nodes = [n["id"] for n in yaml.safe_load(EXAMPLE.read_text())["nodes"]]
    start = nodes[0]

    # a bound the server would refuse is said before asking
    page.get_by_label("Simulated leads").fill("501")
    page.get_by_role("button", name="Simulate").click()
    page.get_by_test_id("simulation").get_by_role("alert").filter(has_text="Leads").wait_for()
    page.get_by_label("Simulated leads").fill("40")
    page.get_by_label("Virtual days").fill("10")
    page.get_by_role("button", name="Simulate").click()
    result = page.get_by_test_id("sim-result")
    # the first simulation of a server loads the engine's features: on a shared machine, slow
    result.filter(has_text="40 synthetic leads over 10 virtual days").wait_for(timeout=90_000)
    first = page.get_by_test_id(f"sim-{start}")
    first.filter(has_text="simulated: in").wait_for()
    entered = int(first.inner_text().split("in ")[1].split(" ")[0])
    assert 0 < entered <= 40
    # every node has its simulated line; none is a live count (nothing is published)
    for node in nodes:
        assert page.get_by_test_id(f"sim-{node}").count() == 1
    assert page.locator("[data-testid^='count-']").count() == 0
    labels = page.locator(".react-flow__edge.simulated").evaluate_all(
        "es => es.map(e => e.textContent)"
    )  # SVG: no innerText
    assert len(labels) == 4 and all("simulated" in t for t in labels), labels
    assert result.get_by_text("None.").count() == 1  # no failure
    shot(page, "40-simulated-funnel")

    # a text that fails when rendered: the failures say where and why, the canvas how many
    page.get_by_test_id(f"node-{start}").click()
    page.locator(f"#f_{start}_body").fill("Hi {{ 1 // 0 }}")
    page.get_by_text("The canvas changed since").wait_for()  # the old numbers are not drawn
    assert page.get_by_test_id(f"sim-{start}").count() == 0
    page.get_by_test_id("validation").filter(has_text="Valid").wait_for()
    page.get_by_role("button", name="Simulate").click()
    failures = page.get_by_test_id("sim-failures")
    failures.filter(has_text="ZeroDivisionError").wait_for(timeout=60_000)
    assert failures.get_by_role("button", name=start).count() == 1
    page.get_by_test_id(f"sim-{start}").filter(has_text="failed").wait_for()
    shot(page, "41-simulated-failures")


def test_rewinding_a_run_shows_the_dry_run_then_applies_it(page: Any, server: Server) -> None:
    tenant = "rewind"
    key = admin_key(server.db, tenant)
    ann = member_key(server.db, "agent", "ann", tenant=tenant)
    definition = {
        "key": "rewind-me",
        "name": "Rewind me",
        "triggers": [{"type": "event", "event": "lead.created"}],
        "start": "hello",
        "nodes": [
            {
                "id": "hello",
                "kind": "send_sms",
                "body": "Hi {{ contact.first_name }}",
                "next": "pause",
            },
            {"id": "pause", "kind": "wait", "duration": "1h", "next": "bye"},
            {"id": "bye", "kind": "exit", "reason": "done"},
        ],
    }
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        assert api.post("/workflows/rewind-me/publish", json=definition).status_code == 201
        lead = api.post(
            "/contacts",
            json={
                "first_name": "Rita",
                "phone": "+15125550199",
                "time_zone": "UTC",
                "owner": "ann",
            },
        ).json()
        assert api.post(
            "/events", json={"type": "lead.created", "contact_id": lead["id"]}
        ).is_success
    worked = server.cli("worker", "--db", server.db, "--virtual-clock")
    assert worked.returncode == 0, (worked.stdout, worked.stderr)
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        (run,) = api.get("/runs", params={"workflow_key": "rewind-me"}).json()["items"]
    assert run["status"] == "exited", run

    sign_in(page, key)
    page.get_by_role("link", name="Runs").click()
    page.get_by_role("button", name=f"rewind run {run['id']}").click()
    panel = page.get_by_test_id("rewind")
    panel.get_by_label("Rewind to node").select_option("hello")
    panel.get_by_role("button", name="Dry run").click()
    plan = panel.get_by_test_id("rewind-plan")
    plan.filter(has_text="from bye (exited) to hello (active)").wait_for()
    assert plan.get_by_test_id("rewind-resend").inner_text() == "hello (send_sms, sms)"
    shot(page, "42-rewind-dry-run")
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        assert api.get(f"/runs/{run['id']}").json()["status"] == "exited"  # a dry run only
    plan.get_by_role("button", name="Apply the rewind to hello").click()
    page.get_by_role("status").filter(has_text=f"Run {run['id']} rewound to hello").wait_for()
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        now = api.get(f"/runs/{run['id']}").json()
    assert (now["status"], now["node"]) == ("active", "hello")
    shot(page, "43-rewound")

    # an agent (whose lead it is) has no rewind, as the API refuses it one
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, ann)
    page.get_by_role("link", name="Runs").click()
    page.get_by_test_id("runs").locator("tbody tr").first.wait_for()
    assert page.get_by_role("button", name=f"rewind run {run['id']}").count() == 0


def test_a_nested_condition_and_the_event_pickers(page: Any, server: Server) -> None:
    sign_in(page, admin_key(server.db, "nested"))
    page.get_by_test_id("palette-branch").wait_for()
    drop(page, "branch", 160, 60)
    drop(page, "wait_for_event", 160, 300)
    page.get_by_test_id("node-branch_1").click()
    root = "#f_branch_1_cases_0_when"
    assert page.locator(f"{root}_field").input_value() == "contact.stage"

    # all( the first comparison, any( a second one, not( a third ) ) ), built from the keyboard
    page.locator(f"{root}_kind").select_option("all")
    page.locator(f"{root}_all_0_field").fill("contact.state")
    page.locator(f"{root}_all_0_op").select_option("in")
    page.locator(f"{root}_all_0_value").fill('["TX", "OK"]')
    page.get_by_role("button", name="Add a group to the condition").click()
    group = f"{root}_all_1"
    assert page.locator(f"{group}_kind").input_value() == "any"
    field = page.locator(f"{group}_any_0_field")
    field.fill("")
    field.press_sequentially("contact.sc")  # the fields come from the server's contact schema
    options = page.get_by_test_id("completions").get_by_role("option")
    options.first.wait_for()
    assert options.all_inner_texts() == ["contact.score", "contact.score_band"]
    field.press("Enter")
    page.locator(f"{group}_any_0_op").select_option("gt")
    page.locator(f"{group}_any_0_value").fill("50")
    page.get_by_role("button", name="Add a comparison to condition 2").click()
    page.locator(f"{group}_any_1_kind").select_option("not")
    page.locator(f"{group}_any_1_not_0_field").fill("contact.stage")
    page.locator(f"{group}_any_1_not_0_value").fill("lost")
    label = "if all(contact.state in TX,OK, any(contact.score gt 50, not(contact.stage eq lost)))"
    page.get_by_test_id("node-branch_1").locator(".lf-port-label").filter(has_text=label).wait_for()
    shot(page, "44-nested-condition")
    # a member removed, then the tree exported as the CLI reads it
    page.get_by_role("button", name="Add a comparison to the condition").click()
    page.locator(f"{root}_all_2_field").wait_for()
    page.get_by_role("button", name="Remove condition 3").click()
    assert page.locator(f"{root}_all_2_field").count() == 0

    # the awaited event and the trigger: picked from the vocabulary, or a tenant's own
    page.get_by_test_id("node-wait_for_event_1").click()
    event = page.locator("#f_wait_for_event_1_event")
    assert event.get_attribute("list") == "lf-event-types"
    offered = page.locator("#lf-event-types option").evaluate_all("os => os.map(o => o.value)")
    assert offered[0] == "lead.created" and "appointment.booked" in offered
    event.fill("appointment.booked")
    page.get_by_test_id("node-wait_for_event_1").locator(".lf-port-label").filter(
        has_text="on appointment.booked"
    ).wait_for()
    trigger = page.get_by_label("Trigger event")
    assert trigger.input_value() == "lead.created"
    assert trigger.get_attribute("list") == "lf-event-types"
    trigger.fill("quote.requested")  # free text: a tenant's own event type
    shot(page, "45-event-pickers")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export YAML").click()
    exported = yaml.safe_load(Path(download.value.path()).read_text())
    assert exported["triggers"] == [{"type": "event", "event": "quote.requested"}]
    branch, wait = exported["nodes"]
    assert branch["cases"][0]["when"] == {
        "all": [
            {"field": "contact.state", "op": "in", "value": ["TX", "OK"]},
            {
                "any": [
                    {"field": "contact.score", "op": "gt", "value": 50},
                    {"not": {"field": "contact.stage", "op": "eq", "value": "lost"}},
                ]
            },
        ]
    }
    assert wait["event"] == "appointment.booked"
    # the API finds nothing wrong with the condition itself
    problems = page.get_by_role("region", name="Problems")
    problems.wait_for()
    assert "cases[0].when" not in problems.inner_text(), problems.inner_text()


def test_goal_and_experiment_events_use_the_event_picker(page: Any, server: Server) -> None:
    sign_in(page, admin_key(server.db, "goals"))
    page.get_by_test_id("import-file").set_input_files(str(EXAMPLE))
    page.get_by_test_id("notice").filter(has_text="5 nodes").wait_for()
    goals = page.get_by_test_id("goals")  # nothing selected: the workflow's goals
    first = page.locator("#f_settings_goals_0_event")
    assert first.input_value() == "sms.received"
    assert first.get_attribute("list") == "lf-event-types"
    assert page.locator("#f_settings_goals_1_event").input_value() == "email.received"
    first.fill("appointment.booked")
    page.locator("#f_settings_goals_0_name").fill("booked")
    shot(page, "46-goal-event-picker")
    # a split's experiment: the metric's event offers the vocabulary too
    drop(page, "split", 600, 420)
    page.get_by_test_id("node-split_1").click()
    metric = page.locator("#f_split_1_experiment_metric_event")
    assert metric.get_attribute("list") == "lf-event-types"
    metric.fill("appointment.booked, sms.received")  # any of several converts
    assert goals.count() == 0  # a node selected: its inspector instead
    with page.expect_download() as download:
        page.get_by_role("button", name="Export YAML").click()
    exported = yaml.safe_load(Path(download.value.path()).read_text())
    assert exported["settings"]["goals"] == [
        {"name": "booked", "event": "appointment.booked"},
        {"name": "replied", "event": "email.received"},
    ]
    assert list(exported["settings"]) == ["reentry", "pause_on_reply", "goals"]
    split = next(n for n in exported["nodes"] if n["id"] == "split_1")
    assert split["experiment"]["metric"]["event"] == ["appointment.booked", "sms.received"]


def test_multi_select_copy_paste_delete_fit_and_minimap(page: Any, server: Server) -> None:
    sign_in(page, admin_key(server.db, "clipboard"))
    page.get_by_test_id("import-file").set_input_files(str(EXAMPLE))
    page.get_by_test_id("notice").filter(has_text="5 nodes").wait_for()
    nodes = page.locator(".react-flow__node")
    assert nodes.count() == 5
    assert page.locator(".react-flow__minimap").is_visible()
    page.get_by_test_id("node-welcome_sms").click()
    page.get_by_test_id("node-wait_2h").click(modifiers=["Shift"])
    page.keyboard.press("Control+c")
    page.get_by_test_id("notice").filter(has_text="Copied 2 nodes").wait_for()
    page.keyboard.press("Control+v")
    page.wait_for_function("() => document.querySelectorAll('.react-flow__node').length === 7")
    ids = set(nodes.evaluate_all("ns => ns.map(n => n.dataset.id)"))
    copies = ids - {"welcome_sms", "wait_2h", "welcome_email", "wait_next_morning", "second_sms"}
    assert len(copies) == 2, ids
    page.get_by_role("button", name="fit view").click()
    shot(page, "47-pasted")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export YAML").click()
    exported = {
        n["id"]: n for n in yaml.safe_load(Path(download.value.path()).read_text())["nodes"]
    }
    pasted_sms = next(exported[c] for c in copies if exported[c]["kind"] == "send_sms")
    assert pasted_sms["next"] in copies  # the edge between the two copies is kept
    page.keyboard.press("Delete")  # the pasted copies are the selection
    page.wait_for_function("() => document.querySelectorAll('.react-flow__node').length === 5")
    assert set(nodes.evaluate_all("ns => ns.map(n => n.dataset.id)")) == ids - copies
