"""What the analytics tables share: how a path row is weighed, and the labels of the map's ends."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from attribution.journeys import Journeys
from attribution.journeys.attributes import require_one_goal

__all__ = ["CONVERSION", "EMPTY_PATH", "NULL", "START", "journey_weight"]

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
EMPTY_PATH = "(no touch)"  # how top_paths shows conversions with no touch in the window


def journey_weight(journeys: Journeys) -> npt.NDArray[np.float64]:
    """Journeys per row (conversions + nulls): the weight of every table (of one conversion goal)."""
    require_one_goal(journeys, "summing them in one table")
    weights: npt.NDArray[np.float64] = journeys.conversions + journeys.nulls
    return weights
