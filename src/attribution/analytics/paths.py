"""Paths: how long journeys are and which paths are most common."""

from __future__ import annotations

import numpy as np
import pandas as pd

from attribution.analytics._common import EMPTY_PATH, journey_weight
from attribution.errors import ParameterError
from attribution.journeys import Journeys
from attribution.journeys.attributes import require_one_goal

__all__ = ["path_lengths", "top_paths"]


def path_lengths(journeys: Journeys) -> pd.DataFrame:
    """Journeys, conversions and conversion rate by number of touches (0 = empty path).

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B"], []], conversions=[1, 0, 1], nulls=[1, 2, 0])
    >>> path_lengths(j)["journeys"].to_dict()
    {0: 1.0, 1: 2.0, 2: 2.0}
    """
    require_one_goal(journeys, "summing them in one table")
    frame = pd.DataFrame(
        {
            "length": journeys.lengths,
            "journeys": journey_weight(journeys),
            "conversions": journeys.conversions,
            "value": journeys.value,
        }
    )
    table = frame.groupby("length").sum()
    table["conversion_rate"] = table["conversions"] / table["journeys"].where(table["journeys"] > 0)
    return table


def top_paths(journeys: Journeys, n: int = 10, *, by: str = "conversions") -> pd.DataFrame:
    """The ``n`` most common paths (equal paths merged) by ``"conversions"``, ``"journeys"`` or ``"value"``.

    Conversions with no touch in the window show as the path ``"(no touch)"``.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["A", "B"], ["B"]], conversions=[1, 2, 1], nulls=[1, 0, 5])
    >>> top_paths(j, 1)[["path", "conversions", "journeys"]].to_dict("records")
    [{'path': 'A > B', 'conversions': 3.0, 'journeys': 4.0}]
    """
    require_one_goal(journeys, "summing them in one table")
    if by not in ("conversions", "journeys", "value"):
        raise ParameterError(f"parameter 'by' of top_paths must be 'conversions', 'journeys' or 'value'; got {by!r}.")
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(
            f"parameter 'n' of top_paths must be a positive integer; got {n!r}. Fix: ask for e.g. the top n=10 paths."
        )
    merged = journeys.aggregate()
    frame = merged.to_frame()
    frame["path"] = frame["path"].where(frame["path"] != "", EMPTY_PATH)
    frame["journeys"] = frame["conversions"] + frame["nulls"]
    frame["conversion_rate"] = frame["conversions"] / frame["journeys"].where(frame["journeys"] > 0)
    columns = ["path", "journeys", "conversions", "conversion_rate", "value"]
    return (
        frame.sort_values([by, "path"], ascending=[False, True], kind="stable")[columns].head(n).reset_index(drop=True)
    )
