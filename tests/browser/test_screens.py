"""The web app's message editor for every message kind and the agent's task inbox, in a real
browser (Debian's Chromium driven by Playwright) against a real ``leadflow serve``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
from test_designer import (
    Server,
    browser,
    drop,
    page,
    positions,
    pytestmark,
    server,
    shot,
    sign_in,
)

from leadflow.model.playbooks import Task
from leadflow.store.factory import open_store
from support.api_client import admin_key, member_key

__all__ = ["browser", "page", "pytestmark", "server"]  # the fixtures and marks, shared


def test_message_editor_of_the_new_kinds_completes_variables_and_counts_segments(
    page: Any, server: Server
) -> None:
    sign_in(page, admin_key(server.db))
    page.get_by_test_id("palette-ai_compose").wait_for()
    for n, kind in enumerate(["ai_compose", "notify_agent", "send_whatsapp", "send_messenger"]):
        drop(page, kind, 160 + 260 * (n % 2), 60 + 150 * (n // 2))
        page.get_by_test_id(f"node-{kind}_1").wait_for()

    # ai_compose's fallback text: "{{ contact.fi" offers the contact's fields; Enter takes one
    page.get_by_test_id("node-ai_compose_1").click()
    body = page.locator("#f_ai_compose_1_body")
    body.click()
    body.press_sequentially("Hi {{ contact.fi")
    options = page.get_by_test_id("completions").get_by_role("option")
    options.first.wait_for()
    assert options.all_inner_texts() == ["contact.fields", "contact.first_name"]
    body.press("ArrowDown")
    body.press("Enter")
    assert body.input_value() == "Hi {{ contact.first_name"
    body.press_sequentially(" }}, a home in Austin? Reply STOP to opt out")
    assert page.get_by_test_id("completions").count() == 0
    page.get_by_test_id("preview-body").filter(
        has_text="Hi Alex, a home in Austin? Reply STOP to opt out"
    ).wait_for()
    typed = "Hi {{ contact.first_name }}, a home in Austin? Reply STOP to opt out"
    assert body.input_value() == typed
    segments = page.get_by_test_id("sms-segments")
    # 68 characters; GSM-7 sends each of the four braces as two septets
    assert segments.inner_text().startswith("72 characters (GSM-7): 1 segment"), len(typed)
    page.locator("#f_ai_compose_1_brief").fill("Ask whether they want to see homes this week.")
    shot(page, "20-ai-compose-editor")
    # as an e-mail it has a subject and no segment counter
    page.locator("#f_ai_compose_1_channel").select_option("email")
    segments.wait_for(state="detached")
    page.locator("#f_ai_compose_1_subject").fill("Homes for {{ contact.first_name }}")
    page.get_by_test_id("preview-subject").filter(has_text="Homes for Alex").wait_for()

    # notify_agent's title: the other nodes under steps, and what ai_compose records there
    page.get_by_test_id("node-notify_agent_1").click()
    title = page.locator("#f_notify_agent_1_title")
    title.click()
    title.press_sequentially("Call {{ contact.first_name }} ({{ steps.")
    assert options.all_inner_texts() == [
        "steps.ai_compose_1",
        "steps.send_whatsapp_1",
        "steps.send_messenger_1",
    ]
    options.first.click()  # a click takes it too
    title.press_sequentially(".")
    assert options.all_inner_texts() == ["steps.ai_compose_1.source", "steps.ai_compose_1.reason"]
    title.press("Escape")
    assert page.get_by_test_id("completions").count() == 0
    title.press_sequentially("source }})")
    assert title.input_value() == "Call {{ contact.first_name }} ({{ steps.ai_compose_1.source }})"
    assert page.get_by_test_id("sms-segments").count() == 0
    shot(page, "21-notify-agent-editor")

    # WhatsApp and Messenger texts: completion and the server's preview, no SMS counter
    for kind in ("send_whatsapp", "send_messenger"):
        page.get_by_test_id(f"node-{kind}_1").click()
        text = page.locator(f"#f_{kind}_1_body")
        text.click()
        text.press_sequentially("Hello {{ ag")
        assert options.all_inner_texts() == ["agent"]
        text.press("Tab")
        text.press_sequentially(".")
        assert options.all_inner_texts() == ["agent.id"]
        text.press("Enter")
        text.press_sequentially(" }} here, {{ contact.first_name }}")
        page.get_by_test_id("preview-body").filter(has_text="here, Alex").wait_for()
        assert page.get_by_test_id("sms-segments").count() == 0
    shot(page, "22-messenger-editor")

    # the server's validator agrees with the four texts: the only problems left are edges
    page.get_by_test_id("validation").wait_for()
    problems = page.get_by_test_id("validation").inner_text()
    assert "body" not in problems and "title" not in problems, problems


def _task(store: Any, tenant: str, contact: str, who: str, title: str, due: float) -> int:
    made, _ = store.create_task(
        Task(tenant, contact, who, title, due, f"web:{title}", created_at=time.time())
    )
    return int(made.id)


def test_an_agents_task_inbox_completes_and_snoozes_only_its_tasks(
    page: Any, server: Server
) -> None:
    ann = member_key(server.db, "agent", "ann", tenant="inbox")
    member_key(server.db, "agent", "bob", tenant="inbox")
    admin = admin_key(server.db, "inbox")
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {admin}"}
    ) as api:
        lead = api.post("/contacts", json={"first_name": "Dana", "owner": "ann"}).json()["id"]
    now = time.time()
    store = open_store(server.db)
    try:
        late = _task(store, "inbox", lead, "ann", "Call Dana back", now - 3600)
        later = _task(store, "inbox", lead, "ann", "Send Dana a CMA", now + 7200)
        bobs = _task(store, "inbox", lead, "bob", "Bob's showing", now + 7200)
    finally:
        store.close()

    sign_in(page, ann)
    page.get_by_role("link", name="Tasks").click()
    page.get_by_test_id(f"task-{late}").wait_for()
    assert "overdue" in page.get_by_test_id(f"task-{late}").inner_text()
    assert page.get_by_test_id(f"task-{bobs}").count() == 0  # another agent's task
    shot(page, "23-task-inbox")

    page.get_by_test_id(f"task-{late}").get_by_role("button", name="Complete").click()
    page.get_by_test_id("task-notice").filter(has_text="Done: Call Dana back").wait_for()
    page.get_by_label("Snooze Send Dana a CMA").select_option(label="1 week")
    page.get_by_test_id("task-notice").filter(has_text="Snoozed for 1 week").wait_for()
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {ann}"}
    ) as api:
        done = api.get(f"/tasks/{late}").json()
        moved = api.get(f"/tasks/{later}").json()
    assert done["status"] == "done" and done["completed_by"] == "ann"
    due = moved["due_at"]
    assert due.startswith(time.strftime("%Y-%m-%d", time.gmtime(now + 7 * 86400))), due

    # the done list has the completed task; the lead's link opens its page
    page.get_by_label("Status").select_option("done")
    page.get_by_test_id(f"task-{late}").filter(has_text="done").wait_for()
    assert page.get_by_test_id(f"task-{later}").count() == 0
    shot(page, "24-task-inbox-done")
    page.get_by_test_id(f"task-{late}").get_by_role("link", name=lead).click()
    page.wait_for_url(f"**/#/contacts/{lead}")


def test_the_version_picker_opens_an_older_version_with_its_counts(
    page: Any, server: Server
) -> None:
    key = admin_key(server.db, "versions")
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        for text in ("Version one", "Version two"):
            definition = {
                "key": "picked",
                "name": "Picked",
                "triggers": [{"type": "event", "event": "lead.created"}],
                "start": "hello",
                "nodes": [{"id": "hello", "kind": "send_sms", "body": text}],
            }
            made = api.post("/workflows/picked/publish", json=definition)
            assert made.status_code == 201, made.text
            if text == "Version one":  # one lead goes through v1
                lead = api.post("/contacts", json={"first_name": "Vee", "phone": "+15125550190"})
                api.post("/events", json={"type": "lead.created", "contact_id": lead.json()["id"]})
                worked = server.cli("worker", "--db", server.db, "--until-idle")
                assert worked.returncode == 0, (worked.stdout, worked.stderr)

    sign_in(page, key)
    page.get_by_label("Open a workflow").select_option("published:picked")
    picker = page.get_by_label("Version")
    picker.wait_for()
    assert picker.locator("option").all_inner_texts() == ["v1", "v2 (latest)"]
    assert picker.input_value() == "2"
    page.get_by_test_id("node-hello").click()
    assert page.locator("#f_hello_body").input_value() == "Version two"
    assert page.get_by_test_id("count-hello").count() == 0  # no run on v2

    picker.select_option("1")
    page.get_by_test_id("notice").filter(has_text="Opened picked, version 1").wait_for()
    page.get_by_test_id("node-hello").click()
    assert page.locator("#f_hello_body").input_value() == "Version one"
    page.get_by_test_id("count-hello").filter(has_text="in 1").wait_for()
    shot(page, "25-version-picker")


def test_node_positions_come_back_with_the_saved_draft(
    page: Any, server: Server, browser: Any
) -> None:
    key = admin_key(server.db, "layout")
    sign_in(page, key)
    source = Path(__file__).resolve().parents[2] / "examples" / "new-lead-welcome.yaml"
    page.get_by_test_id("import-file").set_input_files(str(source))
    page.get_by_test_id("notice").filter(has_text="5 nodes").wait_for()
    laid = positions(page)
    first = next(iter(laid))
    node = page.locator(f'.react-flow__node[data-id="{first}"]')
    box = None
    while box != (box := node.bounding_box()):  # until the zoom to fit has ended
        page.wait_for_timeout(50)
    page.mouse.move(box["x"] + 60, box["y"] + 30)
    page.mouse.down()
    page.mouse.move(box["x"] + 160, box["y"] + 60, steps=10)
    page.mouse.move(box["x"] + 260, box["y"] + 90, steps=10)
    page.mouse.up()
    moved = positions(page)
    assert moved[first] != laid[first]
    page.get_by_role("button", name="Save draft").click()
    page.get_by_test_id("notice").filter(has_text="Draft saved").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export YAML").click()
    exported_first = Path(download.value.path()).read_text()
    # the layout went to the server, with the draft; nothing is kept in this browser
    assert page.evaluate("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)") == (
        "{}{}"
    )
    draft = httpx.get(
        f"{server.url}/api/v1/workflows/new-lead-welcome/draft",
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    assert set(draft["layout"]) == set(laid) and "layout" not in json.dumps(draft["definition"])

    # another browser (a fresh context: no storage, no cookie) shows the same places
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server.url)
    other = context.new_page()
    other.set_default_timeout(10_000)
    try:
        sign_in(other, key)
        other.get_by_label("Open a workflow").select_option("draft:new-lead-welcome")
        other.locator(f'.react-flow__node[data-id="{first}"]').wait_for()
        other.wait_for_function(
            "([id, x]) => new DOMMatrixReadOnly(getComputedStyle(document.querySelector("
            '`.react-flow__node[data-id="${id}"]`)).transform).m41 === x',
            arg=[first, moved[first][0]],
        )
        assert positions(other) == moved
        shot(other, "26-positions-restored")
        # the layout is not in the definition: the YAML exported is the one exported before
        with other.expect_download() as download:
            other.get_by_role("button", name="Export YAML").click()
        assert Path(download.value.path()).read_text() == exported_first
        # publishing the draft deletes it; the published version opens with the same places
        published = httpx.post(
            f"{server.url}/api/v1/workflows/new-lead-welcome/publish",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert published.status_code == 201, published.text
        other.reload()
        picker = other.get_by_label("Open a workflow")
        picker.locator('option[value="published:new-lead-welcome"]').wait_for(state="attached")
        assert picker.locator('option[value="draft:new-lead-welcome"]').count() == 0
        picker.select_option("published:new-lead-welcome")
        other.get_by_test_id("notice").filter(has_text="Opened new-lead-welcome").wait_for()
        other.wait_for_function(
            "([id, x]) => new DOMMatrixReadOnly(getComputedStyle(document.querySelector("
            '`.react-flow__node[data-id="${id}"]`)).transform).m41 === x',
            arg=[first, moved[first][0]],
        )
        assert positions(other) == moved
        shot(other, "26b-positions-after-publish")
    finally:
        context.close()


def test_the_funnel_chart_and_the_contacts_behind_its_numbers(page: Any, server: Server) -> None:
    key = admin_key(server.db, "funnel")
    leads = []
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        definition = {
            "key": "nurture",
            "name": "Nurture",
            "triggers": [{"type": "event", "event": "lead.created"}],
            "start": "hello",
            "nodes": [
                {
                    "id": "hello",
                    "kind": "send_sms",
                    "body": "Hi {{ contact.first_name }}",
                    "next": "pause",
                },
                {"id": "pause", "kind": "wait", "duration": "3d"},
            ],
        }
        made = api.post("/workflows/nurture/publish", json=definition)
        assert made.status_code == 201, made.text
        for n in range(3):
            lead = api.post(
                "/contacts", json={"first_name": f"Fun{n}", "phone": f"+1512555020{n}"}
            ).json()
            leads.append(lead["id"])
            api.post("/events", json={"type": "lead.created", "contact_id": lead["id"]})
    worked = server.cli("worker", "--db", server.db, "--virtual-clock")
    assert worked.returncode == 0, (worked.stdout, worked.stderr)

    sign_in(page, key)
    page.get_by_role("link", name="Analytics").click()
    page.get_by_test_id("funnel-summary").filter(has_text="Entered 3").wait_for()
    chart = page.get_by_test_id("funnel-chart")
    assert chart.get_attribute("aria-label") == "Funnel of nurture v1: hello 3, pause 3"
    assert chart.locator(".recharts-bar-rectangle").count() >= 2  # drawn, not only described
    row = page.get_by_test_id("funnel-pause")
    assert row.locator("td").nth(1).inner_text() == "100%"
    shot(page, "27-analytics-funnel")

    # the 3 that went through the pause are the three leads; one opens its page
    row.get_by_role("button", name="3 entered at pause: the contacts").click()
    drill = page.get_by_test_id("drill")
    drill.get_by_role("link").first.wait_for()
    assert sorted(drill.get_by_role("link").all_inner_texts()) == sorted(leads)
    shot(page, "28-analytics-contacts")
    drill.get_by_role("link", name=leads[0]).click()
    page.wait_for_url(f"**/#/contacts/{leads[0]}")


def test_installing_a_template_as_a_draft(page: Any, server: Server) -> None:
    key = admin_key(server.db, "playbooks")
    sign_in(page, key)
    page.get_by_role("link", name="Templates").click()
    card = page.get_by_test_id("template-first-time-buyer-education")
    card.get_by_role("button", name="Install…").click()
    name = card.get_by_label("agent_name")
    assert name.input_value() == "your agent"  # the default
    name.fill("A" * 61)
    card.get_by_role("button", name="Install as a draft").click()
    card.get_by_role("alert").filter(has_text="agent_name").wait_for()
    shot(page, "29-template-refused")
    name.fill("Jordan Lee")
    card.get_by_role("button", name="Install as a draft").click()
    card.get_by_test_id("installed").filter(
        has_text="Installed first-time-buyer-education as a draft"
    ).wait_for()
    shot(page, "30-template-installed")
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        draft = api.get("/workflows/first-time-buyer-education/draft")
        assert draft.status_code == 200, draft.text
        assert "Jordan Lee" in str(draft.json()["definition"])
        assert api.get("/workflows/first-time-buyer-education").status_code == 404

    # an agent reads the templates and their parameters, and has nothing to install with
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, member_key(server.db, "agent", "amy", tenant="playbooks"))
    page.get_by_role("link", name="Templates").click()
    card.get_by_role("button", name="Parameters").click()
    card.get_by_text("Admins and managers install templates.").wait_for()
    assert card.get_by_role("button", name="Install as a draft").count() == 0


def test_a_published_branch_shows_the_runs_that_took_each_edge(page: Any, server: Server) -> None:
    key = admin_key(server.db, "edges")
    definition = {
        "key": "forked",
        "name": "Forked",
        "triggers": [{"type": "event", "event": "lead.created"}],
        "start": "fork",
        "nodes": [
            {
                "id": "fork",
                "kind": "branch",
                "cases": [
                    {
                        "when": {"field": "contact.first_name", "op": "eq", "value": "Ann"},
                        "next": "a",
                    }
                ],
                "default": "b",
            },
            {"id": "a", "kind": "goal", "goal": "converted"},
            {"id": "b", "kind": "goal", "goal": "converted"},
        ],
    }
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        made = api.post("/workflows/forked/publish", json=definition)
        assert made.status_code == 201, made.text
        for name in ("Ann", "Bo", "Cy"):
            lead = api.post("/contacts", json={"first_name": name}).json()
            api.post("/events", json={"type": "lead.created", "contact_id": lead["id"]})
    worked = server.cli("worker", "--db", server.db, "--until-idle")
    assert worked.returncode == 0, (worked.stdout, worked.stderr)

    sign_in(page, key)
    page.get_by_label("Open a workflow").select_option("published:forked")
    edges = page.locator(".react-flow__edge-text")
    edges.filter(has_text="else · 2 runs").wait_for()
    assert sorted(edges.all_text_contents()) == [
        "else · 2 runs",
        "if contact.first_name eq Ann · 1 run",
    ]
    shot(page, "31-edge-counts")


def test_a_branch_condition_picks_its_field(page: Any, server: Server) -> None:
    sign_in(page, admin_key(server.db, "conditions"))
    page.get_by_test_id("palette-branch").wait_for()
    drop(page, "notify_agent", 160, 60)
    drop(page, "branch", 160, 260)
    page.get_by_test_id("node-branch_1").click()
    field = page.locator("#f_branch_1_cases_0_when_field")
    assert field.input_value() == "contact.stage"  # a new branch's first case
    field.fill("")
    field.press_sequentially("contact.sc")
    options = page.get_by_test_id("completions").get_by_role("option")
    options.first.wait_for()
    assert options.all_inner_texts() == ["contact.score", "contact.score_band"]
    field.press("ArrowDown")
    field.press("Enter")
    assert field.input_value() == "contact.score_band"
    field.fill("steps.")
    assert options.all_inner_texts() == ["steps.notify_agent_1"]
    field.press("Enter")
    field.press_sequentially(".")
    assert options.all_inner_texts() == ["steps.notify_agent_1.task_id"]
    field.press("Enter")
    # the branch's port says the new condition
    page.get_by_test_id("node-branch_1").locator(".lf-port-label").filter(
        has_text="if steps.notify_agent_1.task_id eq"
    ).wait_for()
    # the value is typed as JSON where it reads as JSON: a number here
    field.fill("contact.score")
    page.locator("#f_branch_1_cases_0_when_op").select_option("gt")
    page.locator("#f_branch_1_cases_0_when_value").fill("50")
    page.get_by_test_id("node-branch_1").locator(".lf-port-label").filter(
        has_text="if contact.score gt 50"
    ).wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export YAML").click()
    exported = Path(download.value.path()).read_text()
    assert "field: contact.score\n" in exported and "value: 50\n" in exported, exported
    shot(page, "32-condition-field")
