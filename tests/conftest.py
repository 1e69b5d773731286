"""Suite-wide settings: Hypothesis keeps its files out of the working directory (and in CI,
``CI`` set, draws the same examples on every run, so a CI result can be reproduced: a local run
keeps exploring new ones); the shared helpers (``tests/support``) get pytest's assert rewriting
and their fixtures load as a plugin."""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import configuration, settings

pytest.register_assert_rewrite("support")

pytest_plugins = ["support.fixtures"]

configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="leadflow-hypothesis-"))
settings.register_profile(
    "leadflow", database=None, deadline=None, derandomize=bool(os.environ.get("CI"))
)
settings.load_profile("leadflow")
