"""Former name of :mod:`attribution.journeys.ragged` (kept while callers move)."""

from attribution.journeys.ragged import *  # noqa: F403
from attribution.journeys.ragged import __all__  # noqa: F401
