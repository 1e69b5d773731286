"""Suite-wide settings: Hypothesis keeps its files out of the working directory."""

from __future__ import annotations

import tempfile

from hypothesis import configuration, settings

configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="leadflow-hypothesis-"))
settings.register_profile("leadflow", database=None, deadline=None)
settings.load_profile("leadflow")
