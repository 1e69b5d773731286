"""leadflow: durable, multi-step, multi-channel lead-nurture workflows.

The public surface is small on purpose; everything else lives in the layer packages.
"""

from leadflow.clock import Clock, RealClock, VirtualClock
from leadflow.errors import LeadflowError

__all__ = ["Clock", "LeadflowError", "RealClock", "VirtualClock", "__version__"]

__version__ = "0.1.0"
