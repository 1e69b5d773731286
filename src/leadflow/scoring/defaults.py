"""The predictive score's defaults, importable without the numerical stack (the CLI's options
show them)."""

from __future__ import annotations

ALGORITHMS = ("logistic", "boosting")
MIN_POSITIVES = 10  # per fit and per validation set: fewer cannot rank anything
DEFAULT_GOAL = "appointment.booked"
DEFAULT_HORIZON_DAYS = 90

__all__ = ["ALGORITHMS", "DEFAULT_GOAL", "DEFAULT_HORIZON_DAYS", "MIN_POSITIVES"]
