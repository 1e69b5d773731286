"""The crash tests share their worker-storm harness, ``lf_storm`` (a plain module in this
directory, also imported by ``bench/chaos.py``): this directory goes on ``sys.path`` (whatever
pytest's import mode) and pytest rewrites the asserts of its ``check_*`` functions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
pytest.register_assert_rewrite("lf_storm")
