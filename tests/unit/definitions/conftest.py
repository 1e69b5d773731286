from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import configuration


@pytest.fixture(autouse=True)
def _hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hypothesis caches unicode tables under ./.hypothesis; keep them out of the work tree."""
    configuration.set_hypothesis_home_dir(tmp_path_factory.getbasetemp() / "hypothesis")
    yield
    configuration.set_hypothesis_home_dir(None)
