"""Helpers shared by the acceptance tests: drive the ``leadflow`` CLI the way a user does,
in-process through Typer's CliRunner or as a real subprocess of the console script."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from typer.testing import CliRunner, Result

from leadflow.cli.app import app
from leadflow.errors import LeadflowError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "new-lead-welcome.yaml"
PACKAGED_EXAMPLE = REPO / "src" / "leadflow" / "simulate" / "new-lead-welcome.yaml"
WELCOME_KEY = "new-lead-welcome"
WELCOME_NODES = ["welcome_sms", "wait_2h", "welcome_email", "wait_next_morning", "second_sms"]
RUN_STATUSES = {"active", "waiting", "paused", "completed", "exited", "failed", "cancelled"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
RESO_HEADER = [
    "ContactKey",
    "FirstName",
    "LastName",
    "Email",
    "MobilePhone",
    "TimeZone",
    "StateOrProvince",
]
CONSOLE_SCRIPT = Path(sys.executable).with_name("leadflow")
# Environment variables that would change what the CLI does or prints.
_SCRUB = ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"  # path is absolute, so this is sqlite:////abs/path


def parse_iso(text: str) -> datetime:
    assert ISO_Z.match(text), f"not UTC ISO 8601 with Z: {text!r}"
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def local(text: str, zone: str) -> datetime:
    return parse_iso(text).astimezone(ZoneInfo(zone))


def zone_at_local_hour(hour: int) -> str:
    """An IANA ``Etc/GMT±N`` zone in which it is now ``hour`` o'clock (give or take the minutes),
    so a test can put a lead in the middle of the night or at lunchtime whatever the real time.
    Such leads need toll-free (+1 800) numbers: a geographic number adds its own area's zones to
    the quiet-hours check, which would make the test depend on the time of day there.
    The tz database inverts the sign: ``Etc/GMT-3`` is UTC+3."""
    offset = (hour - datetime.now(UTC).hour) % 24
    if offset > 14:
        offset -= 24  # UTC-9 .. UTC+14, all of which exist
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def write_csv(
    path: Path, rows: Iterable[Sequence[str]], header: Sequence[str] = RESO_HEADER
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def squash(text: str) -> str:
    """Collapse whitespace: Rich wraps long lines at the console width."""
    return " ".join(text.split())


def user_visible_error(result: Result) -> str:
    """What the user sees on stderr. ``leadflow.cli.app.main`` (the console script) turns a
    LeadflowError into ``error: message`` and exit 1; CliRunner calls the Typer app directly, so
    the exception arrives here instead and is rendered the same way."""
    text = result.stderr
    if isinstance(result.exception, LeadflowError):
        text += f"error: {result.exception.message}\n"
    return squash(text)


def assert_fails(result: Result, *needles: str, code: int = 1) -> str:
    """The command failed with ``code`` and a clear message (no Python traceback): only a
    LeadflowError (shown as one line by main()) or a clean exit may end it."""
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit | LeadflowError), (
        f"a traceback would be shown: {exc!r}\n{result.output}"
    )
    assert result.exit_code == code, (result.exit_code, result.output, exc)
    text = user_visible_error(result)
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in text or needle in squash(result.stdout), (needle, text, result.stdout)
    return text


class Leadflow:
    """``leadflow`` for one test: a database under tmp_path, passed with ``--db``."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.db_path = tmp_path / "leadflow.db"
        self.db = sqlite_url(self.db_path)
        # A wide console so Rich tables do not fold cell text; no colour codes.
        self.runner = CliRunner(env={"COLUMNS": "200", "FORCE_COLOR": None, "NO_COLOR": "1"})

    def __call__(
        self, *args: str | Path, db: bool = True, env: Mapping[str, str | None] | None = None
    ) -> Result:
        argv = [str(a) for a in args]
        if db:
            argv += ["--db", self.db]
        return self.runner.invoke(app, argv, env=env)

    def ok(self, *args: str | Path, db: bool = True, **kw: Any) -> Result:
        result = self(*args, db=db, **kw)
        assert result.exit_code == 0, (argv_text(args), result.output, result.exception)
        assert result.exception is None, result.exception
        return result

    def json(self, *args: str | Path, db: bool = True, expect_code: int = 0, **kw: Any) -> Any:
        """``--json`` output, parsed; the command must exit with ``expect_code``."""
        if expect_code == 0:
            result = self.ok(*args, "--json", db=db, **kw)
        else:
            result = self(*args, "--json", db=db, **kw)
            assert_fails(result, code=expect_code)
        return json.loads(result.stdout)

    # ------------------------------------------------------------------ common set-ups

    def init(self) -> None:
        self.ok("init")

    def publish_welcome(self) -> dict[str, Any]:
        out: dict[str, Any] = self.json("workflows", "publish", EXAMPLE)
        return out

    def import_contacts(self, rows: Iterable[Sequence[str]], *extra: str) -> Result:
        path = write_csv(self.tmp_path / f"leads-{os.urandom(3).hex()}.csv", rows)
        return self.ok("contacts", "import", path, *extra)

    def messages(self, *filters: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self.json("messages", "list", *filters)
        return out

    def runs(self, *filters: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self.json("runs", "list", *filters)
        return out

    def run_of(self, contact_id: str) -> dict[str, Any]:
        (run,) = self.runs("--contact", contact_id)
        return run

    def worker(self, *flags: str) -> dict[str, Any]:
        out: dict[str, Any] = self.json("worker", *flags)
        return out


def argv_text(args: Iterable[object]) -> str:
    return " ".join(str(a) for a in args)


def sent_order(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(messages, key=lambda m: (m["sent_at"] or "~", m["id"]))


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_") and k not in _SCRUB}
    env.update(extra)
    return env


def run_script(
    *args: str | Path, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it (stdin not a terminal)."""
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *(str(a) for a in args)],
        cwd=cwd,
        env=dict(env) if env is not None else subprocess_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
