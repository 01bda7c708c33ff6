"""The shared path structure :class:`Journeys`, its builders and transforms."""

from attribution.journeys._core import Journeys
from attribution.journeys.from_events import from_events
from attribution.journeys.from_paths import from_paths, from_sequences
from attribution.journeys.summary import JourneysSummary
from attribution.journeys.transforms import concat

__all__ = ["Journeys", "JourneysSummary", "concat", "from_events", "from_paths", "from_sequences"]
