"""Journey analytics: the numbers of a journey map, from the flat arrays of ``Journeys``.

Every table weighs a path row by its journeys (``conversions + nulls``), so aggregated and
unaggregated journeys give the same numbers, and totals reconcile with the ``Journeys``
totals (empty paths are reported, not dropped). One module per topic: paths, timing,
transitions, channels, stages.
"""

from attribution.analytics._common import CONVERSION, EMPTY_PATH, NULL, START
from attribution.analytics.channels import channel_presence, drop_off
from attribution.analytics.paths import path_lengths, top_paths
from attribution.analytics.stages import stage_summary
from attribution.analytics.timing import time_to_conversion
from attribution.analytics.transitions import first_last_matrix, transition_graph, transitions

__all__ = [
    "CONVERSION",
    "EMPTY_PATH",
    "NULL",
    "START",
    "channel_presence",
    "drop_off",
    "first_last_matrix",
    "path_lengths",
    "stage_summary",
    "time_to_conversion",
    "top_paths",
    "transition_graph",
    "transitions",
]
