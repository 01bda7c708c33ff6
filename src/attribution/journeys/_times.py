"""Event times as int64 nanoseconds, read without guessing.

The rules, one per kind of column (every refusal names the column, shows the first
offending value and gives the fix):

- datetimes (naive, or time-zone-aware: converted to UTC, and the zone kept, so that
  calendar periods are those of the times' own zone) are taken as they are;
- strings must be ISO 8601 (``2024-01-13``, ``2024-01-13T08:30:00+07:00``) unless a
  ``time_format`` (strftime, e.g. ``"%d/%m/%Y %H:%M"``) says how to read them: a string
  such as ``01/02/2024`` could be the first of February or the second of January, and
  pandas would pick one silently;
- numbers (or strings of digits) are epochs whose unit cannot be told from the data, so
  they need ``time_unit`` (``"s"``, ``"ms"``, ``"us"`` or ``"ns"``) wherever they are stored;
- a column may not mix time-zone-aware and naive values, nor zones with bare numbers;
- times must lie in pandas' nanosecond range (years 1677 to 2262).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution._checks import describe
from attribution.errors import JourneyError
from attribution.journeys._messages import bad_argument, bad_rows
from attribution.journeys.zones import zone_name

__all__ = ["TIME_UNITS", "check_time_options", "read_times", "times_ns"]

IntArray = npt.NDArray[np.int64]

TIME_UNITS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_INT64_MAX = np.iinfo(np.int64).max
# pandas' Timestamp range, the range of int64 nanoseconds since 1970
_LOWEST, _HIGHEST = pd.Timestamp.min, pd.Timestamp.max
# pandas 2 reads a naive ISO string after zoned ones in their zone, silently (pandas 3 raises)
_NAIVE_TAKE_ZONE = int(pd.__version__.split(".", 1)[0]) < 3
# a time of day, then Z or a UTC offset, at the end of an ISO 8601 string
_ZONED = r"[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)\s*$"
# What ISO 8601 looks like (pandas' own ISO parser is the judge; this only finds an example)
_ISO_LIKE = r"\d{4}(-?\d{2}(-?\d{2}([T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?"


def check_time_options(time_format: str | None, time_unit: str | None) -> None:
    """Validate ``time_format`` and ``time_unit`` (builder arguments)."""
    if time_format is not None and (not isinstance(time_format, str) or "%" not in time_format):
        raise bad_argument(
            "time_format",
            "must be a strftime format with % directives",
            time_format,
            "pass e.g. time_format='%d/%m/%Y %H:%M' for 13/01/2024 08:30.",
        )
    if time_unit is not None and time_unit not in TIME_UNITS:
        raise bad_argument(
            "time_unit",
            "must be 's', 'ms', 'us' or 'ns'",
            time_unit,
            "pass the unit of your epoch numbers, e.g. time_unit='s' for Unix seconds.",
        )
    if time_format is not None and time_unit is not None:
        raise JourneyError(
            "arguments 'time_format' and 'time_unit' exclude each other: times are either formatted strings or "
            "epoch numbers. Fix: pass only the one that describes your time column."
        )


def times_ns(
    column: pd.Series, name: Hashable, index: pd.Index, *, time_format: str | None = None, time_unit: str | None = None
) -> IntArray:
    """Times as int64 nanoseconds since 1970 (UTC for time-zone-aware input); see the module rules."""
    return read_times(column, name, index, time_format=time_format, time_unit=time_unit)[0]


def read_times(
    column: pd.Series, name: Hashable, index: pd.Index, *, time_format: str | None = None, time_unit: str | None = None
) -> tuple[IntArray, str | None]:
    """Times as int64 nanoseconds since 1970 (UTC for time-zone-aware input), and their zone.

    The zone is the column's own (``"Asia/Jakarta"``, ``"+07:00"``), ``"UTC"`` for strings
    written with several UTC offsets, and ``None`` for naive times and epoch numbers.
    """
    null = column.isna().to_numpy()
    if null.any():
        raise bad_rows(
            f"column {name!r}",
            "must not be null",
            null,
            index=index,
            fix="drop those events or fill in their timestamps.",
        )
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        column = column.astype(object)
        dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise JourneyError(
            f"column {name!r} must hold times; got booleans (dtype {dtype}). Fix: pass the timestamp column as time=."
        )
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        _no_unit(time_unit, name, "datetimes")
        return _datetimes_ns(column, name, index)
    if pd.api.types.is_numeric_dtype(dtype):
        return _epochs_ns(column, name, index, time_unit), None
    if pd.api.types.is_timedelta64_dtype(dtype):
        raise JourneyError(
            f"column {name!r} must hold times; got durations (dtype {dtype}). "
            f"Fix: add them to a start time, e.g. pd.Timestamp('2024-01-01') + events[{name!r}]."
        )
    kind = pd.api.types.infer_dtype(column, skipna=False)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return _epochs_ns(pd.to_numeric(column), name, index, time_unit), None
    if kind in ("datetime", "datetime64", "date"):
        _no_unit(time_unit, name, "datetimes")
        return _datetimes_ns(_parse(column, name, index, format=None), name, index)
    if kind == "string":
        if time_unit is not None:  # epochs written as text
            return _epochs_ns(_numbers_from_text(column, name, index, time_unit), name, index, time_unit), None
        return _datetimes_ns(_parse(column, name, index, format=time_format or "ISO8601"), name, index)
    # mixed: strings beside datetimes are fine if each string is; anything else is refused
    raw = column.to_numpy(dtype=object)
    odd = np.fromiter(
        (not isinstance(v, (str, pd.Timestamp, np.datetime64)) and not hasattr(v, "year") for v in raw),
        dtype=bool,
        count=len(raw),
    )
    if odd.any():
        raise bad_rows(
            f"column {name!r}",
            "must hold times of one kind (datetimes or strings); it mixes in other values",
            odd,
            index=index,
            values=raw,
            fix=f"convert it first, e.g. pd.to_datetime(events[{name!r}], format='ISO8601').",
        )
    _no_unit(time_unit, name, "datetimes and strings")
    return _datetimes_ns(_parse(column, name, index, format=time_format or "ISO8601"), name, index)


def _no_unit(time_unit: str | None, name: Hashable, what: str) -> None:
    if time_unit is not None:
        raise JourneyError(
            f"argument 'time_unit' applies to epoch numbers, but column {name!r} holds {what}. Fix: drop time_unit."
        )


def _epochs_ns(column: pd.Series, name: Hashable, index: pd.Index, time_unit: str | None) -> IntArray:
    """Epoch numbers in ``time_unit`` as nanoseconds, refusing any that fall outside the range."""
    if time_unit is None:
        raise JourneyError(
            f"column {name!r} holds numbers (e.g. {describe(column.iloc[0])}), epoch times whose unit cannot be told "
            f"from the data. Fix: pass time_unit='s' for Unix seconds ('ms', 'us' or 'ns' for finer units), "
            f"or convert them, e.g. pd.to_datetime(events[{name!r}], unit='s')."
        )
    factor = TIME_UNITS[time_unit]
    if pd.api.types.is_integer_dtype(column.dtype):
        raw_int = column.to_numpy(dtype=np.int64)
        limit = _INT64_MAX // factor
        out_of_range = (raw_int > limit) | (raw_int < -limit)
        _refuse_out_of_range(out_of_range, name, index, raw_int, time_unit)
        return raw_int * np.int64(factor)
    raw = column.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.round(raw * factor)
    out_of_range = ~np.isfinite(scaled) | (np.abs(scaled) >= 2.0**63)
    _refuse_out_of_range(out_of_range, name, index, raw, time_unit)
    return scaled.astype(np.int64)


def _refuse_out_of_range(bad: npt.NDArray[np.bool_], name: Hashable, index: pd.Index, values: Any, unit: str) -> None:
    if bad.any():
        raise bad_rows(
            f"column {name!r}",
            f"must hold epoch times in {unit!r} within pandas' range (years 1677 to 2262)",
            bad,
            index=index,
            values=values,
            fix="check time_unit (a wrong unit puts times centuries away), or drop the events with wrong times.",
        )


def _numbers_from_text(column: pd.Series, name: Hashable, index: pd.Index, time_unit: str) -> pd.Series:
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna().to_numpy()
    if bad.any():
        raise bad_rows(
            f"column {name!r}",
            f"must hold epoch numbers (time_unit={time_unit!r})",
            bad,
            index=index,
            values=column.to_numpy(dtype=object),
            fix="drop time_unit if the column holds dates, or clean the values that are not numbers.",
        )
    return numbers


def _parse(column: pd.Series, name: Hashable, index: pd.Index, *, format: str | None) -> pd.Series:
    """Parse strings (and datetime objects) with ``format``; zones are converted to UTC."""
    try:
        with warnings.catch_warnings():
            # pandas 2 warns on mixed offsets and returns objects; we convert to UTC below
            warnings.simplefilter("ignore", FutureWarning)
            parsed = pd.to_datetime(column, format=format)
    except pd.errors.OutOfBoundsDatetime:  # pandas 2 parses to nanoseconds only
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            coerced = pd.to_datetime(column, format=format, errors="coerce", utc=True)
        raise _out_of_range(coerced.isna().to_numpy(), name, index, column.to_numpy(dtype=object)) from None
    except (ValueError, TypeError, OverflowError) as exc:
        if "time zone" in str(exc).lower() or "timezone" in str(exc).lower() or "tz-" in str(exc).lower():
            return _parse_mixed_zones(column, name, index, format=format)
        raise _unparseable(column, name, index, format) from None
    naive_took_zone = _NAIVE_TAKE_ZONE and format in (None, "ISO8601") and isinstance(parsed.dtype, pd.DatetimeTZDtype)
    if naive_took_zone and not _every_string_zoned(column):  # pandas 2 put naive strings in the zone before them
        return _parse_mixed_zones(column, name, index, format=format)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(parsed.dtype):
        return parsed
    return _parse_mixed_zones(column, name, index, format=format)  # pandas 2: mixed offsets as objects


def _every_string_zoned(column: pd.Series) -> bool:
    """Whether every string of ``column`` ends in a time with a UTC offset or Z."""
    raw = column.to_numpy(dtype=object)
    is_text = np.fromiter((isinstance(v, str) for v in raw), dtype=bool, count=len(raw))
    return bool(pd.Series(raw[is_text], dtype=object).str.contains(_ZONED, regex=True).all())


def _parse_mixed_zones(column: pd.Series, name: Hashable, index: pd.Index, *, format: str | None) -> pd.Series:
    """Different UTC offsets are fine (all become UTC); aware beside naive values is refused."""
    raw = column.to_numpy(dtype=object)
    aware = np.zeros(len(raw), dtype=bool)
    for i, item in enumerate(raw):  # only on this rare path: each value's zone
        try:
            stamp = pd.to_datetime(item, format=format)
        except (ValueError, TypeError, OverflowError):
            raise _unparseable(column, name, index, format) from None
        aware[i] = getattr(stamp, "tzinfo", None) is not None
    if aware.any() and not aware.all():
        odd = ~aware if aware[0] else aware
        kind = "naive" if aware[0] else "time-zone-aware"
        raise bad_rows(
            f"column {name!r}",
            f"mixes time-zone-aware and naive times ({kind} ones listed)",
            odd,
            index=index,
            values=raw,
            fix="give every time a zone or none, e.g. pd.to_datetime(..., utc=True) if the naive times are UTC.",
        )
    try:
        return pd.to_datetime(column, format=format, utc=True)
    except (ValueError, TypeError, OverflowError):
        raise _unparseable(column, name, index, format) from None


def _unparseable(column: pd.Series, name: Hashable, index: pd.Index, format: str | None) -> JourneyError:
    """The error for strings that do not follow ``format`` (ISO 8601 by default), with an example."""
    raw = column.to_numpy(dtype=object)
    text = pd.Series(raw, dtype=object)
    is_text = np.fromiter((isinstance(v, str) for v in raw), dtype=bool, count=len(raw))
    if format in (None, "ISO8601"):
        looks_iso = text[is_text].str.fullmatch(_ISO_LIKE).to_numpy(dtype=bool)
        bad = np.zeros(len(raw), dtype=bool)
        bad[np.flatnonzero(is_text)[~looks_iso]] = True
    else:
        bad = np.zeros(len(raw), dtype=bool)
        for i in np.flatnonzero(is_text):  # only on this error path: find the first value that fails
            try:
                pd.to_datetime(raw[i], format=format)
            except (ValueError, TypeError, OverflowError):
                bad[i] = True
                break
    if not bad.any():  # the pattern let it through but pandas did not: point at the first string
        bad = is_text.copy() if is_text.any() else np.ones(len(raw), dtype=bool)
    example = raw[int(np.flatnonzero(bad)[0])]
    if format not in (None, "ISO8601"):
        return bad_rows(
            f"column {name!r}",
            f"must hold times in the format {format!r}",
            bad,
            index=index,
            values=raw,
            fix="correct time_format (strftime directives, e.g. '%d/%m/%Y %H:%M'), or clean those values.",
        )
    if isinstance(example, str) and example.strip().lstrip("+-").replace(".", "", 1).isdigit():
        fix = (
            "these look like epoch numbers: pass time_unit='s' (or 'ms', 'us', 'ns') to say their unit, "
            f"or convert them, e.g. pd.to_datetime(events[{name!r}].astype('int64'), unit='s')."
        )
    else:
        fix = (
            "pass time_format= the strftime format of your times (e.g. time_format='%d/%m/%Y %H:%M' for "
            "13/01/2024 08:30, or '%m/%d/%Y' for month-first dates; on the command line --time-format), "
            f"or convert the column yourself, e.g. pd.to_datetime(events[{name!r}], format='%d/%m/%Y'). "
            "Dates such as 01/02/2024 are read neither day-first nor month-first by guess."
        )
    return bad_rows(
        f"column {name!r}",
        "must hold ISO 8601 times (e.g. '2024-01-13 08:30:00') unless time_format says how to read them",
        bad,
        index=index,
        values=raw,
        fix=fix,
    )


def _out_of_range(outside: npt.NDArray[np.bool_], name: Hashable, index: pd.Index, values: Any) -> JourneyError:
    return bad_rows(
        f"column {name!r}",
        "must hold times between the years 1677 and 2262 (pandas' nanosecond range)",
        outside if outside.any() else np.ones(len(outside), dtype=bool),
        index=index,
        values=values,
        fix="drop the events with wrong dates (often placeholders such as 9999-12-31 or 1000-01-01).",
    )


def _datetimes_ns(times: pd.Series, name: Hashable, index: pd.Index) -> tuple[IntArray, str | None]:
    """Datetimes (any resolution; zones converted to UTC) as int64 nanoseconds, within range, and their zone."""
    zone = None
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        zone = zone_name(times.dtype.tz)
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(times.dtype):
        times = pd.to_datetime(times)
    try:
        nanoseconds: IntArray = times.dt.as_unit("ns").to_numpy(dtype="datetime64[ns]").view(np.int64)
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError):
        outside = ((times < _LOWEST) | (times > _HIGHEST)).to_numpy(dtype=bool)
        raise _out_of_range(outside, name, index, times.astype(str).to_numpy(dtype=object)) from None
    if len(nanoseconds) and int(nanoseconds.max()) - int(nanoseconds.min()) >= 2**63:
        raise JourneyError(
            f"column {name!r} spans more than 292 years, too long to measure touch times in nanoseconds. "
            "Fix: drop the events with wrong dates (often placeholders such as 1700-01-01)."
        )
    return nanoseconds, zone
