"""The one validator of journey arrays: counts, value, labels and times.

Every builder ends in :class:`~attribution.journeys.Journeys`, whose constructor calls
:func:`check_outcomes` and :func:`check_channels`, so no entry point can skip the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import JourneyError
from attribution.journeys._messages import bad_rows

FloatArray = npt.NDArray[np.float64]


def as_float_array(values: Any, name: str, n: int, *, index: Any = None, copy: bool = True) -> FloatArray:
    """Counts or value as a new float64 array (never a view of the caller's data), or raise naming ``name``.

    Missing values (None, NaN, pandas' NA) become NaN, which the checks then refuse.
    """
    try:
        if isinstance(values, (pd.Series, pd.Index)):
            array = values.to_numpy(dtype=np.float64, na_value=np.nan, copy=copy)
        else:
            array = np.array(values, dtype=np.float64) if copy else np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raw = np.asarray(values, dtype=object)
        numeric = np.array([_is_number(v) for v in raw.ravel()], dtype=bool)
        raise bad_rows(
            name,
            "must be numeric",
            ~numeric,
            index=index,
            values=raw.ravel(),
            fix=f"convert {name} to numbers (e.g. pd.to_numeric) before building journeys.",
        ) from None
    if array.ndim != 1 or len(array) != n:
        raise JourneyError(
            f"{name} must be one number per path row: expected {n} values, got shape {array.shape}. "
            "Fix: pass a 1-D sequence aligned with the paths."
        )
    return array


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def check_non_negative_finite(array: FloatArray, name: str, *, index: Any = None, unit: str = "row") -> None:
    """Raise unless every entry is finite and >= 0 (NaN, then infinities, then negatives are named)."""
    with np.errstate(invalid="ignore"):
        checks = (
            (np.isnan(array), "must not be NaN", f"fill or drop the missing {name} (0 means none)."),
            (np.isinf(array), "must be finite", f"replace the infinite {name} with real numbers."),
            (array < 0, "must be >= 0", f"correct or drop the negative {name}; refunds are not conversions."),
        )
    for bad, rule, fix in checks:
        if bad.any():
            raise bad_rows(name, rule, bad, index=index, values=array, unit=unit, fix=fix)


def check_outcomes(
    conversions: FloatArray,
    nulls: FloatArray,
    value: FloatArray,
    *,
    index: Any = None,
    names: tuple[str, str, str] = ("conversions", "nulls", "value"),
) -> None:
    """Validate per-row outcome counts: finite, non-negative, value only with conversions."""
    for array, name in zip((conversions, nulls, value), names, strict=True):
        check_non_negative_finite(array, name, index=index)
    check_totals(conversions, nulls, value, names=names)
    orphan = (value > 0) & (conversions == 0)
    if orphan.any():
        raise bad_rows(
            names[2],
            "must be 0 on a row without conversions",
            orphan,
            index=index,
            values=value,
            fix="a value belongs to a conversion: set the row's conversions, or its value to 0.",
        )


def check_totals(
    conversions: FloatArray,
    nulls: FloatArray,
    value: FloatArray,
    *,
    names: tuple[str, str, str] = ("conversions", "nulls", "value"),
) -> None:
    """Raise if a total overflows to infinity though every entry is finite (e.g. two counts of 1e308)."""
    with np.errstate(over="ignore", invalid="ignore"):
        totals = {
            names[0]: conversions.sum(),
            names[1]: nulls.sum(),
            names[2]: value.sum(),
            "conversions + nulls": conversions.sum() + nulls.sum(),
        }
    overflowing = [name for name, total in totals.items() if not np.isfinite(total)]
    if overflowing:
        raise JourneyError(
            f"the total of {overflowing[0]} overflows to infinity (each entry is finite, but they add up past "
            f"{np.finfo(np.float64).max:.3g}). Fix: rescale the counts or values (e.g. divide by 1e6), or check "
            "them for placeholder numbers."
        )


def check_channels(channels: Sequence[Any], *, subject: str = "channel labels") -> None:
    """Raise unless labels are distinct, non-empty strings."""
    labels = list(channels)
    not_text = np.array([not isinstance(c, str) for c in labels], dtype=bool)
    if not_text.any():
        raise bad_rows(
            subject, "must be strings", not_text, values=labels, unit="label", fix="convert the channel labels to str."
        )
    empty = np.array([c.strip() == "" for c in labels], dtype=bool)
    if empty.any():
        raise bad_rows(
            subject,
            "must not be empty",
            empty,
            values=labels,
            unit="label",
            fix="give every touch a channel name, or drop the touch.",
        )
    if len(set(labels)) != len(labels):
        seen: set[str] = set()
        dup = np.zeros(len(labels), dtype=bool)
        for i, c in enumerate(labels):
            dup[i] = c in seen
            seen.add(c)
        raise bad_rows(
            subject,
            "must be distinct",
            dup,
            values=labels,
            unit="label",
            fix="merge duplicate labels so that each channel has one code.",
        )


def check_times(times: FloatArray, offsets: npt.NDArray[np.int64]) -> None:
    """Raise unless times before journey end are finite, >= 0 and non-increasing along each path."""
    check_non_negative_finite(times, "times (seconds before the journey's end)", unit="touch")
    if len(times) > 1:
        same_row = np.ones(len(times) - 1, dtype=bool)
        starts = offsets[1:-1]
        starts = starts[(starts > 0) & (starts < len(times))]
        same_row[starts - 1] = False
        increasing = np.zeros(len(times), dtype=bool)
        increasing[1:] = same_row & (np.diff(times) > 0)
        if increasing.any():
            raise bad_rows(
                "times (seconds before the journey's end)",
                "must not increase along a path (touches are in chronological order)",
                increasing,
                values=times,
                unit="touch",
                fix="order each path's touches from oldest to most recent.",
            )
