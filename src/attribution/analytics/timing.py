"""Time: how long journeys take from the first touch to the conversion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from attribution.errors import JourneyError
from attribution.journeys import Journeys
from attribution.journeys.attributes import require_one_goal

__all__ = ["time_to_conversion"]


def time_to_conversion(journeys: Journeys) -> pd.DataFrame:
    """Days from the first touch to the conversion, over converting journeys with touches.

    Returns count, mean, quartiles and max, weighted by conversions.

    Raises
    ------
    JourneyError
        The journeys carry no touch times (e.g. built from an aggregated path table).

    Examples
    --------
    >>> day = 86_400
    >>> j = Journeys.from_sequences([["A", "B"], ["C"]], conversions=[1, 1], times=[[3 * day, 0], [day]])
    >>> time_to_conversion(j)["mean_days"].item()
    2.0
    """
    require_one_goal(journeys, "summing them in one table")
    if journeys.times is None:
        raise JourneyError(
            "time_to_conversion needs touch times, and these journeys have none. "
            "Fix: build them with Journeys.from_events (or pass times to from_sequences)."
        )
    non_empty = journeys.lengths > 0
    first = journeys.offsets[:-1][non_empty]
    days = journeys.times[first] / 86_400.0
    weight = journeys.conversions[non_empty]
    keep = weight > 0
    days, weight = days[keep], weight[keep]
    if not len(days):
        return pd.DataFrame([{"conversions": 0.0}])
    order = np.argsort(days, kind="stable")
    cumulative = np.cumsum(weight[order]) / weight.sum()

    def quantile(q: float) -> float:
        return float(days[order][np.searchsorted(cumulative, q)])

    return pd.DataFrame(
        [
            {
                "conversions": float(weight.sum()),
                "mean_days": float(np.average(days, weights=weight)),
                "p25_days": quantile(0.25),
                "median_days": quantile(0.5),
                "p75_days": quantile(0.75),
                "max_days": float(days.max()),
            }
        ]
    )
