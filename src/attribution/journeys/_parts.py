"""The arrays a :class:`~attribution.Journeys` is made of, as builders hand them over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from attribution.journeys.attributes import Attributes

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
