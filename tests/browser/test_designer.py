"""The web app in a real browser (Debian's Chromium driven by Playwright) against a real
``leadflow serve`` on loopback: sign in, build a workflow by drag and drop, see a validation
error on its node and fix it, auto-layout, undo and redo, export YAML that the CLI validates,
publish. Screenshots of each step go to ``build/screenshots/``."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadflow.store.factory import open_store
from support.api_client import admin_key, member_key
from support.stores import upgraded_db

CHROMIUM = Path(os.environ.get("LEADFLOW_CHROMIUM", "/usr/bin/chromium"))
CONSOLE_SCRIPT = Path(sys.executable).with_name("leadflow")
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="console script not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, url: str, db: str, workdir: Path) -> None:
        self.url, self.db, self.workdir = url, db, workdir

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CONSOLE_SCRIPT), *args],
            cwd=self.workdir,
            env=_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("web")
    db = upgraded_db(workdir / "web.db")
    port = _free_port()
    proc = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--db", db, "--port", str(port), "--no-worker"],
        cwd=workdir,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "leadflow serve did not come up"
            time.sleep(0.1)
        yield Server(url, db, workdir)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
        # the keys signed in with never reach the server's log
        for token in _TOKENS:
            assert token not in output


_TOKENS: list[str] = []


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, accept_downloads=True, base_url=server.url
    )
    # nothing from anywhere but this server
    outside: list[str] = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(server.url) or route.request.url.startswith("blob:")
            else (outside.append(route.request.url), route.abort())
        ),
    )
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()
    assert outside == []


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def sign_in(page: Any, key: str) -> None:
    _TOKENS.append(key)
    page.goto("/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("who").wait_for()


def drop(page: Any, kind: str, x: float, y: float) -> None:
    page.get_by_test_id(f"palette-{kind}").drag_to(
        page.get_by_test_id("canvas"), target_position={"x": x, "y": y}
    )


def link(page: Any, source: str, handle: str, target: str) -> None:
    """Drag from ``source``'s port to ``target``'s input, as a person does."""
    start = page.get_by_test_id(f"port-{source}-{handle}").bounding_box()
    end = page.locator(f'.react-flow__node[data-id="{target}"] .react-flow__handle-top')
    box = end.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 2, box["y"] + 2, steps=8)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=2)
    page.mouse.up()


def positions(page: Any) -> dict[str, tuple[float, float]]:
    found = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.react-flow__node')]
             .map(n => { const m = new DOMMatrixReadOnly(getComputedStyle(n).transform);
                         return [n.dataset.id, [m.m41, m.m42]]; }))"""
    )
    return {k: (v[0], v[1]) for k, v in found.items()}


def test_build_validate_layout_undo_export_and_publish(page: Any, server: Server) -> None:
    key = admin_key(server.db)
    sign_in(page, key)
    assert key not in page.url
    assert page.evaluate("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)") == (
        "{}{}"
    )
    assert "leadflow_session" not in page.evaluate("() => document.cookie")  # HttpOnly
    page.get_by_test_id("palette-goal").wait_for()
    shot(page, "01-designer-empty")

    page.get_by_label("Workflow key").fill("web-welcome")
    page.get_by_label("Workflow name").fill("Web Welcome")
    for n, kind in enumerate(["send_sms", "wait", "send_email", "wait_for_event", "goal"]):
        drop(page, kind, 140 + 260 * (n % 2), 50 + 130 * n)
    nodes = ["send_sms_1", "wait_1", "send_email_1", "wait_for_event_1", "goal_1"]
    for node in nodes:
        page.get_by_test_id(f"node-{node}").wait_for()
    link(page, "send_sms_1", "next", "wait_1")
    link(page, "wait_1", "next", "send_email_1")
    link(page, "send_email_1", "next", "wait_for_event_1")
    link(page, "wait_for_event_1", "on_event", "goal_1")
    link(page, "wait_for_event_1", "on_timeout", "goal_1")
    shot(page, "02-five-nodes")
    assert page.locator(".react-flow__edge").count() == 5

    # the empty text is an error the API finds, shown on its node; publish waits for a fix
    page.get_by_test_id("validation").filter(has_text="3 errors").wait_for()
    page.get_by_test_id("errors-send_sms_1").filter(has_text="body: must not be empty").wait_for()
    assert page.get_by_role("button", name="Publish").is_disabled()
    shot(page, "03-validation-error")
    for node, fields in {
        "send_sms_1": {"body": "Hi {{ contact.first_name }}, thanks for reaching out!"},
        "send_email_1": {"subject": "Welcome", "body": "Glad to help you find a home."},
    }.items():
        page.get_by_test_id(f"node-{node}").click()
        for field, text in fields.items():
            page.locator(f"#f_{node}_{field}").fill(text)
        if node == "send_sms_1":  # rendered by the server for its sample lead
            preview = page.get_by_test_id("preview-body")
            preview.filter(has_text="Hi Alex, thanks for reaching out!").wait_for()
            assert "segment" in page.get_by_test_id("sms-segments").inner_text()
    page.get_by_test_id("validation").filter(has_text="Valid").wait_for()
    assert page.get_by_test_id("errors-send_sms_1").count() == 0
    assert page.get_by_role("button", name="Publish").is_enabled()

    # auto-layout: the chain reads top to bottom; undo puts the nodes back, redo again
    before = positions(page)
    page.get_by_role("button", name="Auto-layout").click()
    page.wait_for_function(
        "(b) => { const n = document.querySelector('.react-flow__node[data-id=\"goal_1\"]');"
        " return new DOMMatrixReadOnly(getComputedStyle(n).transform).m42 !== b; }",
        arg=before["goal_1"][1],
    )
    laid = positions(page)
    ys = [laid[n][1] for n in nodes]
    assert ys == sorted(ys) and len(set(ys)) == 5, laid
    shot(page, "04-auto-layout")
    page.get_by_role("button", name="Undo").click()
    page.wait_for_function(
        "(y) => new DOMMatrixReadOnly(getComputedStyle(document.querySelector("
        "'.react-flow__node[data-id=\"goal_1\"]')).transform).m42 === y",
        arg=before["goal_1"][1],
    )
    assert positions(page) == before
    page.get_by_role("button", name="Redo").click()
    page.wait_for_function(
        "(y) => new DOMMatrixReadOnly(getComputedStyle(document.querySelector("
        "'.react-flow__node[data-id=\"goal_1\"]')).transform).m42 === y",
        arg=laid["goal_1"][1],
    )
    assert positions(page) == laid

    # export YAML; the command line's validator takes it
    with page.expect_download() as download:
        page.get_by_role("button", name="Export YAML").click()
    exported = server.workdir / "web-welcome.yaml"
    download.value.save_as(exported)
    checked = server.cli("workflows", "validate", str(exported), "--json")
    assert checked.returncode == 0, (checked.stdout, checked.stderr, exported.read_text())
    assert "x:" not in exported.read_text() and "position" not in exported.read_text()

    page.get_by_role("button", name="Publish").click()
    page.get_by_test_id("notice").filter(has_text="Published version 1").wait_for()
    shot(page, "05-published")
    live = httpx.get(
        f"{server.url}/api/v1/workflows/web-welcome", headers={"Authorization": f"Bearer {key}"}
    ).json()
    assert [n["id"] for n in live["definition"]["nodes"]] == nodes
    assert live["definition"]["nodes"][3]["on_event"] == "goal_1"

    # three leads go through it on the worker's virtual clock; the designer shows the counts
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        web_leads = []
        for n in range(3):
            lead = api.post(
                "/contacts",
                json={"first_name": f"Web{n}", "phone": f"+1512555010{n}", "time_zone": "UTC"},
            ).json()
            web_leads.append(lead["id"])
            made = api.post("/events", json={"type": "lead.created", "contact_id": lead["id"]})
            assert made.status_code < 300, made.text
    worked = server.cli("worker", "--db", server.db, "--virtual-clock")
    assert worked.returncode == 0, (worked.stdout, worked.stderr)
    page.get_by_label("Open a workflow").select_option("published:web-welcome")
    page.get_by_test_id("count-send_sms_1").filter(has_text="in 3").wait_for()
    assert "in 3" in page.get_by_test_id("count-goal_1").inner_text()
    # and the goal rate, from the analytics funnel of the same runs
    rate = re.compile(r"goal \(all versions, 30 days\): [0-3] of 3 converted \(\d")
    page.get_by_test_id("goal-rate").filter(has_text=rate).wait_for()
    shot(page, "05b-counts")
    # a node's live count opens the contacts behind it
    page.get_by_test_id("node-send_sms_1").click()
    page.get_by_role("button", name="in 3: the contacts").click()
    behind = page.get_by_test_id("drill").get_by_role("link")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=drill] li').length === 3")
    assert sorted(behind.all_inner_texts()) == sorted(web_leads)
    shot(page, "05e-node-contacts")

    # two more leads stop at the one-day wait; a changed text is compared with v1, published as
    # v2, and their runs moved there after a dry run says who goes where
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        for n in range(2):
            lead = api.post(
                "/contacts", json={"first_name": f"Later{n}", "phone": f"+1512555011{n}"}
            ).json()
            api.post("/events", json={"type": "lead.created", "contact_id": lead["id"]})
    worked = server.cli("worker", "--db", server.db, "--until-idle")
    assert worked.returncode == 0, (worked.stdout, worked.stderr)
    page.get_by_test_id("node-send_sms_1").click()
    page.locator("#f_send_sms_1_body").fill("Hello {{ contact.first_name }}, welcome!")
    changes = page.get_by_test_id("changes")
    changes.get_by_role("button", name="Compare with v1").click()
    changes.get_by_test_id("diff").filter(has_text="changed send_sms_1: body").wait_for()
    page.get_by_test_id("validation").filter(has_text="Valid").wait_for()
    page.get_by_role("button", name="Publish").click()
    page.get_by_test_id("notice").filter(has_text="Published version 2").wait_for()
    changes.get_by_role("button", name="Runs in flight: dry run to v2").click()
    plan = changes.get_by_test_id("migration")
    plan.filter(has_text="Dry run: 2 open runs").wait_for()
    # held back by the quiet hours or waiting a day, as the clock has it: moved to the same node
    assert re.search(r"v1 (send_sms_1|wait_1)\t\1\t2", plan.inner_text()), plan.inner_text()
    shot(page, "05c-migration-dry-run")
    plan.get_by_role("button", name="Move them to v2").click()
    plan.filter(has_text="2 moved").wait_for()
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        runs = api.get("/runs", params={"workflow_key": "web-welcome"}).json()["items"]
        open_runs = [r for r in runs if r["status"] not in ("completed", "exited", "failed")]
        assert sorted(r["version"] for r in open_runs) == [2, 2], runs

    # the runs screen pauses and resumes one of them
    page.get_by_role("link", name="Runs").click()
    page.get_by_test_id("runs").get_by_label("Workflow", exact=True).fill("web-welcome")
    page.get_by_role("button", name="Filter").click()
    target = page.locator("tbody tr", has_text="web-welcome v2").first
    run_id = target.locator("td").first.inner_text()
    target.get_by_role("button", name="pause").click()
    page.get_by_role("status").filter(has_text=f"Run {run_id}: pause done").wait_for()
    page.locator("tbody tr", has_text="paused").first.wait_for()
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        assert api.get(f"/runs/{run_id}").json()["status"] == "paused"
    shot(page, "05d-runs")


def test_import_sign_out_and_an_agents_read_only_designer(
    page: Any, server: Server, tmp_path: Path
) -> None:
    page.goto("/")
    page.get_by_label("API key").fill("lf_0000000000000000_wrong")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="not accepted").wait_for()
    shot(page, "06-sign-in-refused")

    sign_in(page, admin_key(server.db))
    source = Path(__file__).resolve().parents[2] / "examples" / "new-lead-welcome.yaml"
    page.get_by_test_id("import-file").set_input_files(str(source))
    page.get_by_test_id("notice").filter(has_text="5 nodes").wait_for()
    page.get_by_test_id("validation").filter(has_text="Valid").wait_for()
    assert page.get_by_label("Workflow key").input_value() == "new-lead-welcome"
    assert page.locator(".react-flow__edge").count() == 4
    shot(page, "07-imported")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API key").wait_for()
    page.reload()  # the session is gone on the server, not only in the page
    page.get_by_label("API key").wait_for()

    sign_in(page, member_key(server.db, "agent", "ann"))
    assert "agent · ann" in page.get_by_test_id("who").inner_text()
    assert page.get_by_test_id("palette-send_sms").is_disabled()
    assert page.get_by_role("button", name="Publish").is_disabled()
    shot(page, "08-agent-read-only")


@pytest.fixture(autouse=True, scope="module")
def _clean_shots() -> None:
    if SHOTS.exists():
        shutil.rmtree(SHOTS)


def test_dashboard_pages_on_the_server_and_an_agent_sees_only_its_leads(
    page: Any, server: Server
) -> None:
    # a tenant of its own: the other tests' leads are not in its lists
    ann, bob = (member_key(server.db, "agent", name, tenant="dash") for name in ("ann", "bob"))
    key = admin_key(server.db, "dash")
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers) as api:
        bobs = [
            api.post("/contacts", json={"first_name": f"Lead{n:02d}", "owner": "bob"}).json()
            for n in range(26)
        ]
        annie = api.post(
            "/contacts",
            json={"first_name": "Annie", "owner": "ann", "time_zone": "America/Chicago"},
        ).json()
        sent = api.post("/events", json={"type": "form.submitted", "contact_id": annie["id"]})
        assert sent.status_code in (200, 201, 202), sent.text
    assert bob and all("id" in c for c in bobs)

    sign_in(page, key)
    page.get_by_role("link", name="Contacts").click()
    rows = page.get_by_test_id("contacts").locator("tbody tr")
    page.get_by_text("Page 1").wait_for()
    assert rows.count() == 25
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Page 2").wait_for()
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 2")
    assert page.get_by_role("button", name="Next").is_disabled()
    shot(page, "09-contacts-page-2")
    page.get_by_label("Search").fill("Annie")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 1")
    page.get_by_role("link", name="Annie").click()
    timeline = page.get_by_test_id("timeline-events")
    timeline.get_by_text("form.submitted").wait_for()
    assert "America/Chicago" in page.get_by_test_id("contact").inner_text()
    shot(page, "10-contact-timeline")
    for screen in ("Runs", "Messages"):
        page.get_by_role("link", name=screen).click()
        page.get_by_test_id(screen.lower()).locator("table").wait_for()
    page.set_viewport_size({"width": 390, "height": 800})
    page.get_by_role("link", name="Contacts").click()
    page.get_by_test_id("contacts").locator("tbody tr").first.wait_for()
    shot(page, "11-contacts-phone-width")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, ann)
    page.get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="Annie").wait_for()
    assert page.get_by_test_id("contacts").locator("tbody tr").count() == 1
    page.goto(f"/#/contacts/{bobs[0]['id']}")
    page.get_by_role("alert").filter(has_text="no contact").wait_for()
    assert "Lead00" not in page.content()
    shot(page, "12-agent-cannot-see-another-agents-lead")


def test_an_experiment_report_and_applying_its_winner(page: Any, server: Server) -> None:
    from api.test_experiments_api import KEY, seed_experiment  # the API tests' own experiment

    store = open_store(server.db)
    try:
        seed_experiment(store, "lab")
    finally:
        store.close()
    page.on("dialog", lambda dialog: dialog.accept())  # "Apply listings?"
    sign_in(page, admin_key(server.db, "lab"))
    page.get_by_role("link", name="Experiments").click()
    page.get_by_role("link", name=KEY).click()
    arms = page.get_by_test_id("arms")
    arms.get_by_text("+150.0%").wait_for()  # listings 25% against friendly's 10%
    assert "(holdout)" in arms.inner_text() and "(control)" in arms.inner_text()
    assert "keep" in page.get_by_test_id("decisions").inner_text()
    shot(page, "13-experiment")
    page.get_by_role("button", name="Apply listings").click()
    page.get_by_role("status").filter(has_text="Apply listings: done").wait_for()
    page.get_by_test_id("experiment").get_by_text("(applied)").wait_for()
    assert "manual_apply" in page.get_by_test_id("decisions").inner_text()
