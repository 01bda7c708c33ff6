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


def _is_number(value: Any) -> bool:
    """A plain number of days (numpy's timedelta64 is an integer subclass: not a number here)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_, np.timedelta64)
    )


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
    if _is_number(value):
        days = float(value)
        if not math.isfinite(days) or days <= 0:
            raise error(f"argument {name!r} must be a positive, finite number of days; got {value!r}. Fix: {fix}")
        # pandas' own Timedelta(days=) arithmetic, without its np.timedelta64(int): numpy >= 2.5 deprecates that
        return _bounded(lambda: pd.Timedelta(int(days * 24 * 3600 * 1_000_000_000)), value, name, error)
    if isinstance(value, str):
        if not _HAS_UNIT.search(value):
            raise error(f"argument {name!r} must name its unit (e.g. '30D'); got {value!r}. Fix: {fix}")
        try:
            # to_timedelta of a list: pandas 2's Timedelta(str) trips numpy >= 2.5's generic-unit deprecation
            parsed = _bounded(lambda: pd.to_timedelta([value])[0], value, name, error)
        except error:
            raise
        except ValueError as exc:
            raise error(
                f"argument {name!r} is not a duration pandas understands ({exc}); got {value!r}. "
                f"Fix: {fix} Months and years are ambiguous: use days."
            ) from None
    elif isinstance(value, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        parsed = _bounded(lambda: pd.Timedelta(value), value, name, error)
    else:
        raise error(f"argument {name!r} must be a duration; got {type(value).__name__} {value!r}. Fix: {fix}")
    if pd.isna(parsed) or parsed <= pd.Timedelta(0):
        raise error(f"argument {name!r} must be a positive duration; got {value!r}. Fix: {fix}")
    return parsed


def _bounded(make: Any, value: Any, name: str, error: type[Exception]) -> pd.Timedelta:
    """``make()``, or ``error`` if the duration lies outside pandas' range (about 292 years)."""
    try:
        made: pd.Timedelta = make().as_unit("ns")  # durations are measured in int64 nanoseconds
    except (pd.errors.OutOfBoundsTimedelta, pd.errors.OutOfBoundsDatetime, OverflowError):  # pandas 2: Datetime
        raise error(
            f"argument {name!r} is longer than pandas can hold (about 292 years); got {value!r}. "
            "Fix: pass a shorter duration, or None for no window."
        ) from None
    return made


def duration_seconds(value: Any, name: str, *, error: type[Exception] = JourneyError) -> float:
    """Like :func:`parse_duration`, in seconds; numbers of days of any size are allowed.

    Examples
    --------
    >>> duration_seconds("36h", "half_life")
    129600.0
    >>> duration_seconds(1e12, "half_life")
    8.64e+16
    """
    if _is_number(value):
        days = float(value)
        if not math.isfinite(days) or days <= 0:
            raise error(f"argument {name!r} must be a positive, finite number of days; got {value!r}.")
        return days * 86_400.0
    return float(parse_duration(value, name, error=error).total_seconds())
