"""Acceptance tests: leadflow as a user drives it, from the command line.

Every test gets its own working directory and database under tmp_path, and an environment
without ``LEADFLOW_*`` settings, so nothing reaches the repository's working directory or a
developer's own database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.cli import Leadflow


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a default sqlite:///leadflow.db or demo.db lands here
    for name in list(os.environ):
        if name.startswith("LEADFLOW_"):
            monkeypatch.delenv(name)


@pytest.fixture
def lf(tmp_path: Path) -> Leadflow:
    return Leadflow(tmp_path)


@pytest.fixture
def ready(lf: Leadflow) -> Leadflow:
    """An initialised database with New Lead Welcome published."""
    lf.init()
    lf.publish_welcome()
    return lf
