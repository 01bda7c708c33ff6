"""The shared path structure :class:`Journeys`, its builders and transforms."""

from attribution.journeys._core import Journeys
from attribution.journeys.summary import JourneysSummary

# the builders and concat, also as functions: the very classmethods of Journeys
from_events = Journeys.from_events
from_paths = Journeys.from_paths
from_sequences = Journeys.from_sequences
concat = Journeys.concat

__all__ = ["Journeys", "JourneysSummary", "concat", "from_events", "from_paths", "from_sequences"]
