"""The dashboard at phone width (390x844): every screen fits without sideways scrolling, a
contact's page shows its score, its changes of band and times in both zones, the runs screen
filters and pauses, resumes and cancels a run, and a failing request shows its error; in a real
browser (Debian's Chromium driven by Playwright) against a real ``leadflow serve``."""

from __future__ import annotations

from typing import Any

import httpx
from test_designer import Server, browser, page, pytestmark, server, shot, sign_in

from leadflow.model.playbooks import Task
from leadflow.store.factory import open_store
from support.api_client import admin_key

__all__ = ["browser", "page", "pytestmark", "server"]  # the fixtures and marks, shared

PHONE = {"width": 390, "height": 844}
WAITING = {
    "key": "phone-nurture",
    "name": "Phone nurture",
    "triggers": [{"type": "event", "event": "lead.created"}],
    "start": "pause_a_day",
    "nodes": [
        {"id": "pause_a_day", "kind": "wait", "duration": "1d", "next": "won"},
        {"id": "won", "kind": "goal", "goal": "converted"},
    ],
}


def fits(page: Any) -> None:
    """Nothing wider than the phone: no sideways scrolling of the page or of its screen."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screen = page.evaluate(
        "() => { const s = document.querySelector('.screen');"
        " return [s.scrollWidth, s.clientWidth] }"
    )
    assert screen[0] <= screen[1], screen


def test_the_dashboard_at_phone_width(page: Any, server: Server) -> None:
    key = admin_key(server.db, "phone")
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as api:
        annie = api.post(
            "/contacts",
            json={
                "first_name": "Annie",
                "last_name": "Longname-Withaveryveryverylongsurname",
                "email": "annie.withaveryveryverylongaddress@example.com",
                "time_zone": "America/Chicago",
            },
        ).json()
        api.post("/events", json={"type": "form.submitted", "contact_id": annie["id"]})
        crossed = {"old": 41.2, "new": 71.6, "old_band": "warm", "new_band": "hot"}
        assert (  # a change of band, as the scorer records it
            api.post(
                "/events",
                json={"type": "lead.score_changed", "contact_id": annie["id"], "data": crossed},
            ).status_code
            < 300
        )
        assert api.post("/workflows/phone-nurture/publish", json=WAITING).status_code == 201
        enrolled = api.post(
            "/workflows/phone-nurture/enroll", json={"contact_ids": [annie["id"]]}
        ).json()
        (run_id,) = enrolled["run_ids"]
        store = open_store(server.db)  # a task about Annie, as a notify_agent node makes one
        try:
            store.create_task(
                Task("phone", annie["id"], "ann", "Call Annie back", 4e9, "t-annie", created_at=1)
            )
        finally:
            store.close()
        run = lambda: api.get(f"/runs/{run_id}").json()["status"]  # noqa: E731
        assert run() in ("active", "waiting")

        page.set_viewport_size(PHONE)
        sign_in(page, key)
        fits(page)
        page.get_by_role("link", name="Contacts").click()
        page.get_by_role("link", name="Annie Longname").wait_for()
        fits(page)
        shot(page, "50-phone-contacts")
        page.get_by_role("link", name="Annie Longname").click()
        page.get_by_test_id("score-value").wait_for()
        events = page.get_by_test_id("timeline-events")
        events.get_by_text("form.submitted").wait_for()
        history = page.get_by_test_id("score-history")
        change = history.get_by_text("41 (warm) → 72 (hot)")
        change.wait_for()
        assert change.inner_text().endswith("America/Chicago): 41 (warm) → 72 (hot)")
        when = events.locator("td[data-label=When]").first.inner_text()
        assert when.endswith("America/Chicago)"), when  # the viewer's zone, then the lead's
        tasks = page.get_by_test_id("timeline-tasks")
        tasks.get_by_text("Call Annie back").wait_for()
        assert "for ann, due" in tasks.inner_text() and "America/Chicago)" in tasks.inner_text()
        fits(page)
        shot(page, "51-phone-contact")

        # the runs screen: filtered, then pause, resume and cancel the run
        page.get_by_role("link", name="Runs").click()
        page.get_by_test_id("runs").get_by_label("Workflow", exact=True).fill("phone-nurture")
        page.get_by_role("button", name="Filter").click()
        row = page.locator("tbody tr", has_text="phone-nurture v1").first
        row.wait_for()
        fits(page)
        shot(page, "52-phone-runs")
        for action, status in (("pause", "paused"), ("resume", None), ("cancel", "cancelled")):
            row.get_by_role("button", name=action, exact=True).click()
            page.get_by_role("status").filter(has_text=f"Run {run_id}: {action} done").wait_for()
            if status:
                assert run() == status
            else:
                assert run() in ("active", "waiting")
        page.get_by_label("Status").select_option("cancelled")
        page.get_by_role("button", name="Filter").click()
        page.locator("tbody tr", has_text="cancelled").first.wait_for()
        row.get_by_role("button", name="resume", exact=True).click()  # a finished run: refused
        page.get_by_role("status").filter(has_text=f"Run {run_id}: resume refused").wait_for()

        # a run that failed (its text cannot be rendered) is retried from the runs screen
        failing = {
            **WAITING,
            "key": "phone-fails",
            "start": "hello",
            "nodes": [{"id": "hello", "kind": "send_sms", "body": "Hi {{ 1 // 0 }}"}],
        }
        assert api.post("/workflows/phone-fails/publish", json=failing).status_code == 201
        bob = api.post(
            "/contacts", json={"first_name": "Bob", "phone": "+15125550199", "time_zone": "UTC"}
        ).json()
        (failed_id,) = api.post(
            "/workflows/phone-fails/enroll", json={"contact_ids": [bob["id"]]}
        ).json()["run_ids"]
        worked = server.cli("worker", "--db", server.db, "--virtual-clock")
        assert worked.returncode == 0, (worked.stdout, worked.stderr)
        assert api.get(f"/runs/{failed_id}").json()["status"] == "failed"
        page.get_by_test_id("runs").get_by_label("Workflow", exact=True).fill("phone-fails")
        page.get_by_label("Status").select_option("failed")
        page.get_by_role("button", name="Filter").click()
        failed_row = page.locator("tbody tr", has_text="phone-fails v1").first
        failed_row.get_by_role("button", name="retry", exact=True).click()
        page.get_by_role("status").filter(has_text=f"Run {failed_id}: retry done").wait_for()
        assert api.get(f"/runs/{failed_id}").json()["status"] != "failed"

    for screen, ready in (
        ("Messages", "messages"),
        ("Experiments", "experiments"),
        ("Tasks", None),
        ("Analytics", None),
        ("Templates", None),
    ):
        page.get_by_role("link", name=screen).click()
        if ready:
            page.get_by_test_id(ready).wait_for()
        page.wait_for_function("() => !document.querySelector('.loading')")  # loaded
        assert not page.get_by_role("alert").count(), screen
        fits(page)
        shot(page, f"53-phone-{screen.lower()}")

    # a request that fails says so, on the screen that made it
    page.route(
        "**/api/v1/messages?**",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"title": "Service Unavailable", "status": 503, "detail": "the store is down"}',
        ),
    )
    page.get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="Messages").click()
    failed = "Could not load messages: the store is down"
    page.get_by_role("alert").filter(has_text=failed).wait_for()
    fits(page)
    shot(page, "54-phone-error")
