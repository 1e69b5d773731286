"""The commit a benchmark ran on, for its JSON output (None outside a git checkout)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def commit() -> str | None:
    """The short hash of HEAD of the checkout this file is in."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None
