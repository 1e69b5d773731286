"""Suite-wide settings: Hypothesis keeps its files out of the working directory; the shared
helpers (``tests/support``) get pytest's assert rewriting and their fixtures load as a plugin."""

from __future__ import annotations

import tempfile

import pytest
from hypothesis import configuration, settings

pytest.register_assert_rewrite("support")

pytest_plugins = ["support.fixtures"]

configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="leadflow-hypothesis-"))
settings.register_profile("leadflow", database=None, deadline=None)
settings.load_profile("leadflow")
