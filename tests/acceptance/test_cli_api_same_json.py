"""One vocabulary across the doors: the CLI's ``--json`` and the API name the same objects
(runs, their steps, messages) with the same keys and show the same values, times in ISO 8601."""

from __future__ import annotations

from typing import Any

from leadflow.api.app import create_app
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key
from support.cli import Leadflow, zone_at_local_hour


def _same(cli: dict[str, Any], api: dict[str, Any], what: str) -> None:
    assert set(cli) == set(api), (what, set(cli) ^ set(api))
    for key in cli:
        assert cli[key] == api[key], (what, key, cli[key], api[key])


def test_runs_steps_and_messages_read_the_same_from_the_cli_and_the_api(ready: Leadflow) -> None:
    zone = zone_at_local_hour(12)
    ready.import_contacts(
        [
            ["c1", "Ann", "Lee", "ann@example.com", "+1 800 555 0101", zone, ""],
            ["c2", "Bob", "Ray", "bob@example.com", "(800) 555-0102", zone, ""],
        ]
    )
    ready.ok("enroll", "new-lead-welcome", "--all")
    ready.ok("worker", "--until-idle")
    cli_runs = {r["id"]: r for r in ready.json("runs", "list")}
    cli_messages = {m["id"]: m for m in ready.json("messages", "list")}
    assert cli_runs and cli_messages
    token = admin_key(ready.db, tenant="default")
    with ApiClient(
        create_app(Settings(db=ready.db)), headers={"Authorization": f"Bearer {token}"}
    ) as api:
        api_runs = {r["id"]: r for r in api.get("/api/v1/runs").json()["items"]}
        api_messages = {m["id"]: m for m in api.get("/api/v1/messages").json()["items"]}
        assert set(api_runs) == set(cli_runs) and set(api_messages) == set(cli_messages)
        for run_id, run in cli_runs.items():
            _same(run, api_runs[run_id], f"run {run_id}")
            shown = ready.json("runs", "show", str(run_id))
            history = api.get(f"/api/v1/runs/{run_id}/history").json()
            _same(
                {k: v for k, v in shown.items() if k not in ("steps", "messages")},
                history["run"],
                "run",
            )
            assert len(shown["steps"]) == len(history["steps"]) > 0
            for cli_step, api_step in zip(shown["steps"], history["steps"], strict=True):
                _same(cli_step, api_step, f"run {run_id} step {cli_step['step_seq']}")
            for cli_msg, api_msg in zip(shown["messages"], history["messages"], strict=True):
                _same(cli_msg, api_msg, f"run {run_id} message {cli_msg['id']}")
        for message_id, message in cli_messages.items():
            _same(message, api_messages[message_id], f"message {message_id}")
    waits = [
        s
        for r in cli_runs
        for s in ready.json("runs", "show", str(r))["steps"]
        if s["kind"] == "wait"
    ]
    assert waits and all(str(s["data"]["until"]).endswith("Z") for s in waits)  # no raw epoch
