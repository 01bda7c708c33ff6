"""Build :class:`Journeys` from a raw event log with pandas and numpy (the reference builder).

SPEC §2: sort by user and time (a touch before a conversion at equal times), split at
conversions or accumulate, apply a lookback window and a touch cap, keep every conversion.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from attribution.errors import JourneyError
from attribution.journeys._core import Journeys
from attribution.journeys._messages import bad_rows
from attribution.journeys._times import times_ns
from attribution.journeys._validate import check_non_negative_finite
from attribution.journeys.cutting import Events, journeys_from_events
from attribution.journeys.rules import Columns, encode_labels, rule
from attribution.journeys.spec import EventSpec

__all__ = [
    "build",
    "read_events",
    "check_columns",
    "conversion_flags",
    "from_events",
    "require_columns",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_NS_PER_SECOND = 1_000_000_000


def require_columns(frame: Any, columns: Mapping[str, Hashable | None]) -> None:
    """Raise unless ``frame`` is a DataFrame holding each named column exactly once."""
    if not isinstance(frame, pd.DataFrame):
        raise JourneyError(
            f"expected a pandas DataFrame; got {type(frame).__name__}. "
            "Fix: wrap your data with pandas.DataFrame(...), or read it with pandas.read_csv/read_parquet."
        )
    check_columns(list(frame.columns), columns)


def check_columns(existing: Sequence[Hashable], columns: Mapping[str, Hashable | None]) -> None:
    """Raise, naming the argument, unless every named column (``None``: not asked for) is in
    ``existing`` exactly once. Labels are compared as they are (``0`` is not ``"0"``)."""
    labels = list(existing)
    for argument, column in columns.items():
        if column is None:
            continue
        found = sum(1 for label in labels if _same_label(label, column))
        if found == 0:
            shown = ", ".join(map(repr, labels[:20])) + (", ..." if len(labels) > 20 else "")
            near = [label for label in labels if str(label) == str(column)]
            hint = (
                f" (a column is named {near[0]!r}: a {type(near[0]).__name__}, not a {type(column).__name__})"
                if near
                else ""
            )
            raise JourneyError(
                f"column {column!r} (argument {argument!r}) is not in the data{hint}; the columns are: {shown}. "
                f"Fix: pass {argument}= the name of the column that holds it."
            )
        if found > 1:
            raise JourneyError(
                f"column {column!r} (argument {argument!r}) appears {found} times in the data, so it is ambiguous. "
                "Fix: give the columns distinct names (e.g. events.columns = [...]) or drop the duplicates "
                "(events.loc[:, ~events.columns.duplicated()])."
            )


def _same_label(label: Hashable, column: Hashable) -> bool:
    try:
        return bool(label == column) and type(label) is not bool and type(column) is not bool
    except (TypeError, ValueError):
        return False


def from_events(
    events: pd.DataFrame,
    *,
    user: str,
    time: str,
    channel: str,
    conversion: str,
    value: str | None = None,
    lookback: str | pd.Timedelta | float | None = None,
    max_touches: int | None = None,
    split_on_conversion: bool = True,
    tiebreak: str | None = None,
    drop_duplicates: bool = False,
    time_format: str | None = None,
    time_unit: str | None = None,
) -> Journeys:
    """Build journeys from an event log: one row per touch or conversion.

    Parameters
    ----------
    events
        The event log. Never modified.
    user, time, channel, conversion
        Column names (strings, or any label the frame uses). ``time`` holds datetimes
        (time-zone-aware ones are converted to UTC; mixing aware and naive values is an
        error), ISO 8601 strings, strings in ``time_format``, or epoch numbers with
        ``time_unit``; nothing else is guessed. ``channel`` is null only on a conversion
        without a touch; labels are stripped of surrounding whitespace. ``conversion`` is
        boolean (or 0/1). A row with a channel that is also a conversion is a touch of the
        journey it then closes.
    value
        Column of conversion value (revenue); must be null or 0 on non-conversions.
    lookback
        Drop touches more than this long before the journey's end (its conversion, or
        for a non-converting journey its last touch); a touch exactly this long before
        is kept. ``"30D"``, a timedelta, a number of days, or ``None`` (no window).
    max_touches
        Keep only this many most recent touches per journey.
    split_on_conversion
        ``True`` (default): each conversion closes a journey of the touches since the
        user's previous conversion; touches after the last one form a non-converting
        journey. ``False`` (fractribution): each conversion's journey is every touch of
        the user up to it; only users who never convert give non-converting journeys,
        and touches after a user's last conversion are not used.
    tiebreak
        Column that orders events with equal timestamps (e.g. a hit number). Without it,
        at equal times touches come before conversions, then channel labels sort.
    drop_duplicates
        Drop events identical in every used column. By default they are kept: two
        identical touches count twice and two identical conversions are two conversions.
    time_format
        How to read string times that are not ISO 8601: a strftime format such as
        ``"%d/%m/%Y %H:%M"``. Without it such strings are refused, never parsed by guess
        (``01/02/2024`` could be either of two days).
    time_unit
        The unit of epoch-number times: ``"s"``, ``"ms"``, ``"us"`` or ``"ns"``. Needed
        whenever times are numbers (in a numeric column or written as text).

    Returns
    -------
    Journeys
        One row per journey, ordered by user and then time, with ``users`` and
        ``times`` (seconds before the journey's end) set. Conversions with no touch in
        the window give empty paths: they are kept and reported as unattributed.

    Raises
    ------
    JourneyError
        A missing column, a null user or time, unparseable or mixed-zone times, a
        non-boolean conversion flag, a touch without a channel, an empty channel label,
        a negative, NaN or infinite value, a value on a non-conversion, or a bad argument.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "user": ["u1", "u1", "u1", "u2", "u2"],
    ...     "time": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-03", "2024-01-04"]),
    ...     "channel": ["Social", "Email", None, "Search", "Display"],
    ...     "converted": [False, False, True, False, False],
    ...     "revenue": [None, None, 120.0, None, None],
    ... })
    >>> j = Journeys.from_events(events, user="user", time="time", channel="channel",
    ...                          conversion="converted", value="revenue")
    >>> j.to_frame(times=True)
      user              path  conversions  nulls  value                  times
    0   u1    Social > Email          1.0    0.0  120.0  [1209600.0, 604800.0]
    1   u2  Search > Display          0.0    1.0    0.0         [86400.0, 0.0]
    """
    spec = EventSpec(
        user=user,
        time=time,
        channel=channel,
        conversion=conversion,
        value=value,
        lookback=lookback,
        max_touches=max_touches,
        split_on_conversion=split_on_conversion,
        tiebreak=tiebreak,
        drop_duplicates=drop_duplicates,
        time_format=time_format,
        time_unit=time_unit,
    )
    return build(events, spec)


def build(events: pd.DataFrame, spec: EventSpec) -> Journeys:
    """The pandas builder: read and check the columns ``spec`` names, then cut the journeys."""
    require_columns(events, spec.columns())
    return journeys_from_events(read_events(events, spec), spec)


# ---------------------------------------------------------------------- reading columns
def read_events(events: pd.DataFrame, spec: EventSpec) -> Events:
    """The checked columns of a pandas event log, as the kernel's arrays (in input order)."""
    index = events.index
    user = events[spec.user]
    if user.isna().any():
        raise rule("user_not_null").rows(spec, user.isna().to_numpy(), index=index)
    if events[spec.time].isna().any():
        raise rule("time_not_null").rows(spec, events[spec.time].isna().to_numpy(), index=index)
    user_codes, user_labels = _factorize_column(user)
    converted = conversion_flags(events[spec.conversion], spec.conversion, index)
    channel_codes, channels = _channels(events[spec.channel], spec, converted, index)
    values = np.zeros(len(events))
    if spec.value is not None:
        values = _values(events[spec.value], spec, converted, index)
    tiebreak_codes = None
    if spec.tiebreak is not None:
        tiebreak = events[spec.tiebreak]
        if tiebreak.isna().any():
            raise bad_rows(
                f"column {spec.tiebreak!r}",
                "must not be null",
                tiebreak.isna().to_numpy(),
                index=index,
                fix="drop those events or fill in the missing values.",
            )
        tiebreak_codes, _ = _factorize_column(tiebreak)
    return Events(
        user_codes,
        user_labels,
        times_ns(events[spec.time], spec.time, index, time_format=spec.time_format, time_unit=spec.time_unit),
        converted,
        channel_codes,
        channels,
        values,
        tiebreak_codes,
    )


def _factorize_column(column: pd.Series) -> tuple[IntArray, pd.Index]:
    """Codes in sorted order of the distinct values (checked not null)."""
    try:
        codes, uniques = pd.factorize(column, sort=True)
    except TypeError:  # mixed types that do not compare: order by their text instead
        codes, uniques = pd.factorize(column, sort=False)
        order = np.argsort(np.asarray([f"{type(u).__name__}:{u}" for u in uniques]), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes, uniques = rank[codes], uniques.take(order)
    return codes.astype(np.int64), pd.Index(uniques)


def conversion_flags(column: pd.Series, name: Hashable, index: pd.Index) -> BoolArray:
    """The conversion flags of ``column`` as booleans; the one check of every conversion column.

    Accepts booleans, and 0/1 (as numbers, or mixed with booleans in an object column);
    anything else (``"no"``, NaN, 2) raises a :class:`JourneyError` naming the column,
    the first bad row and the fix.
    """
    flag_rule = rule("flag_boolean")
    spec = EventSpec(user="-", time="-", channel="-", conversion=name)  # names the column in the message
    null = column.isna().to_numpy()
    if null.any():
        raise bad_rows(f"column {name!r}", "must not be null", null, index=index, fix=flag_rule.fix_for(spec))
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(column.dtype):
        raw = column.to_numpy(dtype=np.float64)
        bad = (raw != 0) & (raw != 1)
        if bad.any():
            raise flag_rule.rows(spec, bad, index=index, values=column.to_numpy())
        flags: BoolArray = raw == 1
        return flags
    raw_objects = column.to_numpy(dtype=object)
    # an object column may mix booleans with the numbers 0 and 1 (not 0.5, not "no")
    bad = np.fromiter((not _is_flag(v) for v in raw_objects), dtype=bool, count=len(raw_objects))
    if bad.any():
        raise flag_rule.rows(spec, bad, index=index, values=raw_objects)
    return np.fromiter((bool(v) for v in raw_objects), dtype=bool, count=len(raw_objects))


def _is_flag(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    return isinstance(value, (int, float, np.integer, np.floating)) and (value == 0 or value == 1)


def _channels(
    column: pd.Series, spec: EventSpec, converted: BoolArray, index: pd.Index
) -> tuple[npt.NDArray[np.int32], list[str]]:
    codes, uniques = pd.factorize(column, sort=False)
    touch_missing = (codes < 0) & ~converted
    if touch_missing.any():
        raise rule("touch_has_channel").rows(spec, touch_missing, index=index)
    labels = [_label_text(u) for u in uniques]
    empty_unique = np.array([not label.strip() for label in labels], dtype=bool)
    if empty_unique.any():
        empty = (codes >= 0) & empty_unique[np.maximum(codes, 0)]
        raise rule("label_not_empty").rows(spec, empty, index=index, values=column.to_numpy())
    remap, distinct = encode_labels(labels)
    remap = np.append(remap, np.int32(-1))  # last entry: code -1 stays -1
    return remap[codes], distinct


def _label_text(value: Any) -> str:
    """A channel label as text; whole floats (numeric ids read next to nulls) lose their '.0'."""
    if isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _values(column: pd.Series, spec: EventSpec, converted: BoolArray, index: pd.Index) -> npt.NDArray[np.float64]:
    present = column.notna().to_numpy()
    given = column.to_numpy(dtype=object)
    if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        column = pd.to_numeric(column, errors="coerce")
    raw = column.to_numpy(dtype=np.float64, na_value=np.nan)
    columns = Columns(user=None, time=None, conversion=None, converting=converted, channel=None, value=raw)
    columns = replace(columns, value_raw=present)
    for key in ("value_numeric", "value_only_on_conversions", "value_on_every_conversion"):
        check = rule(key)
        assert check.pandas is not None
        bad = check.pandas(columns)
        if bad.any():
            raise check.rows(spec, bad, index=index, values=given if key == "value_numeric" else raw)
    conversion_values = np.where(converted, raw, 0.0)
    check_non_negative_finite(conversion_values, f"column {spec.value!r}", index=index)
    return conversion_values
