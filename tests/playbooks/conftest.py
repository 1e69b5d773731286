"""The plays' 90-day simulations: each test gets its own SQLite file and closes its runtime."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.playbook_sim import Play, install_play


@pytest.fixture
def play(tmp_path: Path) -> Iterator[Callable[..., Play]]:
    made: list[Play] = []

    def factory(*names: str) -> Play:
        p = install_play(tmp_path, *names)
        made.append(p)
        return p

    yield factory
    for p in made:
        p.runtime.close()
