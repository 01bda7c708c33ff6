"""Channels: where journeys drop off, and how journeys with and without a channel convert."""

from __future__ import annotations

import numpy as np
import pandas as pd

from attribution.analytics._common import journey_weight
from attribution.journeys import Journeys, ragged

__all__ = ["channel_presence", "drop_off"]


def drop_off(journeys: Journeys) -> pd.DataFrame:
    """Per channel: non-converting journeys whose last touch it was, and its share of all drop-offs.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B", "A"]], conversions=[0, 1], nulls=[3, 1])
    >>> drop_off(j)["nulls"].to_dict()
    {'A': 1.0, 'B': 3.0}
    """
    non_empty = journeys.lengths > 0
    last = journeys.codes[journeys.offsets[1:][non_empty] - 1]
    nulls = np.bincount(last, weights=journeys.nulls[non_empty], minlength=len(journeys.channels))
    ended = np.bincount(last, weights=journey_weight(journeys)[non_empty], minlength=len(journeys.channels))
    table = pd.DataFrame(
        {"nulls": nulls, "journeys_ending_here": ended}, index=pd.Index(journeys.channels, name="channel")
    )
    total = nulls.sum()
    table["share_of_drop_off"] = nulls / total if total > 0 else 0.0
    table["drop_off_rate"] = nulls / np.where(ended > 0, ended, np.nan)
    return table


def channel_presence(journeys: Journeys) -> pd.DataFrame:
    """Conversion rate and value per conversion of journeys with and without each channel.

    A channel is present on a path if it is touched at least once. Associational, not
    causal: channels that come late in journeys look good here.

    Examples
    --------
    >>> j = Journeys.from_sequences([["A", "B"], ["B"]], conversions=[3, 1], nulls=[1, 3])
    >>> channel_presence(j)["rate_with"].to_dict()
    {'A': 0.75, 'B': 0.5}
    """
    n = len(journeys.channels)
    first = ragged.first_in_row(journeys.codes, journeys.offsets, n)  # count each channel once per path
    rows = journeys.touch_rows()[first]
    codes = journeys.codes[first]
    weight = journey_weight(journeys)
    with_journeys = np.bincount(codes, weights=weight[rows], minlength=n)
    with_conversions = np.bincount(codes, weights=journeys.conversions[rows], minlength=n)
    with_value = np.bincount(codes, weights=journeys.value[rows], minlength=n)
    without_journeys = weight.sum() - with_journeys
    without_conversions = journeys.conversions.sum() - with_conversions
    without_value = journeys.value.sum() - with_value

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)

    return pd.DataFrame(
        {
            "journeys_with": with_journeys,
            "rate_with": ratio(with_conversions, with_journeys),
            "value_per_conversion_with": ratio(with_value, with_conversions),
            "journeys_without": without_journeys,
            "rate_without": ratio(without_conversions, without_journeys),
            "value_per_conversion_without": ratio(without_value, without_conversions),
        },
        index=pd.Index(journeys.channels, name="channel"),
    )
