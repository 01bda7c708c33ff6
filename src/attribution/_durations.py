"""Parsing of durations given as ``"30D"`` strings, timedeltas or numbers of days."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from attribution.errors import JourneyError

_HAS_UNIT = re.compile(r"[A-Za-z]")


def parse_duration(value: Any, name: str, *, error: type[Exception] = JourneyError) -> pd.Timedelta:
    """A strictly positive duration from ``"30D"``/``"36h"``, a timedelta, or a number of days.

    Raises ``error`` naming the argument, the rule and the value otherwise.

    Examples
    --------
    >>> parse_duration("30D", "lookback")
    Timedelta('30 days 00:00:00')
    >>> parse_duration(1.5, "half_life")
    Timedelta('1 days 12:00:00')
    """
    fix = "pass a string such as '30D' or '36h', a pandas.Timedelta, or a number of days."
    if isinstance(value, bool):
        raise error(f"argument {name!r} must be a duration; got {value!r}. Fix: {fix}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        days = float(value)
        if not math.isfinite(days) or days <= 0:
            raise error(f"argument {name!r} must be a positive, finite number of days; got {value!r}. Fix: {fix}")
        return pd.Timedelta(days=days)
    if isinstance(value, str):
        if not _HAS_UNIT.search(value):
            raise error(f"argument {name!r} must name its unit (e.g. '30D'); got {value!r}. Fix: {fix}")
        try:
            parsed = pd.Timedelta(value)
        except ValueError as exc:
            raise error(
                f"argument {name!r} is not a duration pandas understands ({exc}); got {value!r}. "
                f"Fix: {fix} Months and years are ambiguous: use days."
            ) from None
    elif isinstance(value, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        parsed = pd.Timedelta(value)
    else:
        raise error(f"argument {name!r} must be a duration; got {type(value).__name__} {value!r}. Fix: {fix}")
    if pd.isna(parsed) or parsed <= pd.Timedelta(0):
        raise error(f"argument {name!r} must be a positive duration; got {value!r}. Fix: {fix}")
    return parsed
