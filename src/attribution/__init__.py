"""Multi-touch channel attribution over one shared, flat path structure.

Build :class:`Journeys` from an event log or a path table, then attribute
conversions to channels with the models of :mod:`attribution.models`.
"""

from attribution.errors import AttributionError, JourneyError
from attribution.journeys import Journeys, JourneysSummary, concat

__all__ = ["AttributionError", "JourneyError", "Journeys", "JourneysSummary", "__version__", "concat"]

__version__ = "0.1.0"
