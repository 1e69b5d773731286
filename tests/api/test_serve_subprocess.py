"""``leadflow serve`` as a real process on loopback: the API answers, the in-process worker
delivers a message, secrets stay out of its output, and SIGTERM ends it cleanly with exit 0."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from leadflow.model.records import MessageFilter
from leadflow.store.factory import open_store

CONSOLE_SCRIPT = Path(sys.executable).with_name("leadflow")
pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="console script not installed"),
]
T = TypeVar("T")

ONE_TEXT = """\
key: one-text
name: One Text
start: hello
nodes:
  - id: hello
    kind: send_sms
    body: "Hi {{ contact.first_name }}, welcome!"
"""


def zone_at_local_hour(hour: int) -> str:
    """An ``Etc/GMT±N`` zone where it is now about ``hour`` o'clock (clear of quiet hours)."""
    offset = (hour - datetime.now(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}


def leadflow(*args: str, cwd: Path) -> str:
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        cwd=cwd,
        env=env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc.stdout


def poll(what: str, probe: Callable[[], T | None], proc: subprocess.Popen[str]) -> T:
    """Look until ``probe`` returns something (a deadline, not a timer the test waits for)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, ("leadflow serve exited", proc.communicate())
        found = probe()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_answers_processes_work_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    (tmp_path / "one.yaml").write_text(ONE_TEXT, encoding="utf-8")
    (tmp_path / "leads.csv").write_text(
        "ContactKey,FirstName,LastName,Email,MobilePhone,TimeZone,StateOrProvince\n"
        f"c1,Pat,One,p1@example.com,+1 800 555 0101,{zone_at_local_hour(12)},\n",
        encoding="utf-8",
    )
    leadflow("init", "--db", db, cwd=tmp_path)
    leadflow("workflows", "publish", "one.yaml", "--tenant", "acme", "--db", db, cwd=tmp_path)
    leadflow("contacts", "import", "leads.csv", "--tenant", "acme", "--db", db, cwd=tmp_path)
    leadflow("enroll", "one-text", "--contact", "c1", "--tenant", "acme", "--db", db, cwd=tmp_path)
    leadflow("tenants", "create", "acme", "--name", "Acme Realty", "--db", db, cwd=tmp_path)
    made = leadflow(
        "keys", "create", "--tenant", "acme", "--role", "admin", "--json", "--db", db, cwd=tmp_path
    )
    key = json.loads(made)["key"]
    auth = {"Authorization": f"Bearer {key}"}

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--port", str(port), "--db", db],
        cwd=tmp_path,
        env=env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    store = open_store(db)
    try:

        def healthy() -> httpx.Response | None:
            try:
                response = httpx.get(f"{base}/healthz", timeout=1)
            except httpx.TransportError:
                return None
            return response

        assert poll("/healthz", healthy, proc).json() == {"status": "ok"}
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
        assert httpx.get(f"{base}/api/v1/workflows").status_code == 401  # no key
        listed = httpx.get(f"{base}/api/v1/workflows", headers=auth).json()["items"]
        assert [w["key"] for w in listed] == ["one-text"]
        forged = httpx.get(f"{base}/api/v1/workflows", headers={"Authorization": "Bearer sekrit"})
        assert forged.status_code == 401
        secret = httpx.get(f"{base}/api/v1/workflows/one-text?token=sekrit", headers=auth)
        assert secret.status_code == 200

        def delivered() -> str | None:
            for message in store.list_messages(MessageFilter()):
                if message.status in ("sent", "delivered"):
                    return message.body
            return None

        assert poll("the in-process worker to send", delivered, proc) == "Hi Pat, welcome!"
        metrics = httpx.get(f"{base}/metrics").text
        assert 'leadflow_worker_messages_total{worker="' in metrics

        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
        assert time.monotonic() - sent < 10
    finally:
        store.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, (out, err)
    assert "Traceback" not in err
    assert '"GET /api/v1/workflows/one-text?token=***" 200' in err  # the access log
    assert "sekrit" not in out + err
    assert key not in out + err and key.split("_", 2)[2] not in out + err


def test_serve_refuses_an_out_of_date_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    (tmp_path / "empty.db").touch()
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), "serve", "--port", str(free_port()), "--db", db],
        cwd=tmp_path,
        env=env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert f"leadflow db upgrade --db {db}" in " ".join(proc.stderr.split())


def test_serve_with_two_processes_shares_the_port_and_stops_cleanly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'lf.db'}"
    leadflow("init", "--db", db, cwd=tmp_path)
    leadflow("tenants", "create", "acme", "--name", "Acme Realty", "--db", db, cwd=tmp_path)
    made = leadflow(
        "keys", "create", "--tenant", "acme", "--role", "admin", "--json", "--db", db, cwd=tmp_path
    )
    auth = {"Authorization": f"Bearer {json.loads(made)['key']}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--port", str(port), "--db", db, "--processes", "2"],
        cwd=tmp_path,
        env=env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def ready() -> httpx.Response | None:
            try:
                return httpx.get(f"{base}/readyz", timeout=1)
            except httpx.TransportError:
                return None

        assert poll("/readyz", ready, proc).json()["status"] == "ready"
        ids = set()
        for i in range(20):  # keep-alive off: each request may land on either process
            made = httpx.post(
                f"{base}/api/v1/contacts",
                headers=auth | {"Connection": "close"},
                json={"first_name": f"L{i}", "email": f"l{i}@example.com"},
            )
            assert made.status_code == 201, made.text
            ids.add(made.json()["id"])
        assert len(ids) == 20
        listed = httpx.get(f"{base}/api/v1/contacts", headers=auth, params={"limit": 50})
        assert len(listed.json()["items"]) == 20
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert out.count("Application shutdown complete") == 2  # both processes stopped gracefully
