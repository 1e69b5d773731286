"""Simulation helpers: synthetic leads and a deterministic engagement model."""

from leadflow.simulate.engagement import EngagementModel
from leadflow.simulate.leads import synthetic_contacts

__all__ = ["EngagementModel", "synthetic_contacts"]
