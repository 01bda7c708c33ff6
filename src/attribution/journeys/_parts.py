"""The arrays a :class:`~attribution.Journeys` is made of, as builders hand them over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from attribution.journeys.attributes import Attributes
    from attribution.journeys.levels import ChannelLevels

__all__ = ["Parts"]


class Parts(NamedTuple):
    """Flat arrays of journeys, in the order of the ``Journeys`` constructor's arguments."""

    codes: npt.NDArray[Any]
    offsets: npt.NDArray[Any]
    channels: Sequence[str]
    conversions: npt.NDArray[Any]
    nulls: npt.NDArray[Any]
    value: npt.NDArray[Any]
    times: npt.NDArray[Any] | None = None
    users: pd.Index | None = None
    attributes: Attributes | None = None
    fine_codes: npt.NDArray[Any] | None = None  # per touch, the finest channel level (with ``levels``)
    levels: ChannelLevels | None = None
